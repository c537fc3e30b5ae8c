"""The `account` commands: email verification state, the verification mail, account deletion."""

from __future__ import annotations

import math
import time

from andamio_cli import api
from andamio_cli.actions.apikey import _developer_creds
from andamio_cli.errors import (
    AndamioError,
    CancelledError,
    ConflictError,
    InvalidInputError,
    RateLimitedError,
)
from andamio_cli.times import iso, parse_time, span


def _when(seconds: float) -> str:
    """`in 4 minutes (2026-11-30T02:28:02Z)`, or `now`."""
    if seconds <= 0:
        return "now"
    return f"in {span(math.ceil(seconds / 60) * 60)} ({iso(time.time() + seconds)})"


def status(ctx) -> None:
    """Verified or not; whether a new mail can be sent, and when."""
    body = api.email_status(ctx.gateway(), _developer_creds(ctx))
    verified = body["email_verified"]
    if ctx.options.quiet and ctx.options.output == "text":
        ctx.out.line("verified" if verified else "not verified")
        return
    wait = body.get("wait_duration_seconds")
    wait = wait if isinstance(wait, (int, float)) and not isinstance(wait, bool) else 0
    if verified:
        resend = "not needed"
    elif body.get("can_resend") is False:
        resend = f"possible {_when(wait)}" if wait > 0 else "not possible now"
    else:
        resend = "possible now"
    sent = body.get("verification_email_sent_at")
    rows = [
        ("email", "verified" if verified else "not verified"),
        ("resend", resend),
        ("remaining_attempts", body.get("remaining_attempts", "")),
        ("last_sent", sent if isinstance(sent, str) and sent else "never"),
    ]
    ctx.out.record(body, rows)
    if not verified:
        ctx.note(
            "Open the link in the verification mail; key requests and rotations need a "
            "verified email. Another mail: `andamio account resend-verification`."
        )


def _retry_phrase(ctx, creds) -> str:
    """When a new mail can be asked for, from email-status (best effort)."""
    try:
        body = api.email_status(ctx.gateway(), creds)
    except AndamioError:
        return "try again later (`andamio account status` says when)"
    wait = body.get("wait_duration_seconds")
    if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait > 0:
        return f"try again {_when(wait)}"
    return "try again in a few minutes"


def resend_verification(ctx) -> None:
    """Ask for another verification mail (never retried)."""
    creds = _developer_creds(ctx)
    try:
        reply = api.resend_verification(ctx.gateway(), creds)
    except ConflictError as exc:
        raise ConflictError(
            "the email address of this account is already verified; no mail was sent",
            status=exc.status,
            code=exc.code,
        ) from None
    except RateLimitedError as exc:
        raise RateLimitedError(
            f"too many verification mails; {_retry_phrase(ctx, creds)}",
            hint="the gateway allows 5 mails in 24 hours, at least 5 minutes apart",
            status=exc.status,
            code=exc.code,
        ) from None
    if ctx.options.output == "json":
        ctx.out.json(reply)
        return
    message = reply.get("message")
    if not ctx.options.quiet:
        ctx.out.line(message if isinstance(message, str) and message else "Verification mail sent.")
    details = []
    next_at = parse_time(reply.get("next_resend_available_at"))
    if next_at is not None:
        details.append(f"the next one can be asked for {_when(next_at - time.time())}")
    left = reply.get("remaining_attempts")
    if isinstance(left, int) and not isinstance(left, bool):
        details.append(f"{left} {'attempt' if left == 1 else 'attempts'} left (5 per 24 hours)")
    if details:
        ctx.note("Check your inbox; " + "; ".join(details) + ".")


def _account_alias(ctx, creds) -> str:
    """The alias the user must type: the profile endpoint's, else the stored one."""
    alias = api.get_profile(ctx.gateway(), creds).get("alias")
    if not isinstance(alias, str) or not alias.strip():
        alias = ctx.profile_settings.get("alias")
    if not isinstance(alias, str) or not alias.strip():
        raise InvalidInputError(
            "the account's alias is unknown, so it cannot be typed to confirm",
            hint="pass --yes to delete the account without typing its alias",
        )
    return alias


def _forget_stored(ctx) -> list[str]:
    """Remove the profile's stored credentials; the names of those that were there."""
    from andamio_cli.credentials import SECRETS

    removed = [secret for secret in SECRETS if ctx.creds.forget(secret)]
    ctx.settings.update(
        ctx.profile,
        alias=None,
        key_name=None,
        jwt_expires_at=None,
        refresh_token_expires_at=None,
        refreshed_from=None,
    )
    return removed


WORDS = {"api_key": "API key", "dev_jwt": "developer JWT", "refresh_token": "refresh token"}


def delete(ctx, yes: bool) -> None:
    """Delete the developer account (never retried); then forget the profile's credentials."""
    from andamio_cli.output import inert

    if not yes and not ctx.can_prompt:
        raise InvalidInputError(
            "deleting the developer account needs confirmation, and there is no terminal to ask",
            hint="pass --yes to delete the account (this cannot be undone)",
        )
    creds = _developer_creds(ctx)
    if not yes:
        alias = _account_alias(ctx, creds)
        ctx.err(
            f"This deletes the developer account {inert(alias)} for good, with all its API keys "
            f"and logins; the stored credentials of profile {ctx.profile} are removed too.\n"
        )
        if ctx.ask(f"Type the alias ({inert(alias)}) to confirm:") != alias:
            raise CancelledError("Cancelled; nothing was changed.")
    reply = api.delete_account(ctx.gateway(), creds)
    try:
        removed = _forget_stored(ctx)
        failure = None
    except AndamioError as exc:
        removed, failure = [], exc
    message = reply.get("message")
    if ctx.options.output == "json":
        ctx.out.json({"deleted": True, **reply, "credentials_removed": removed})
    elif not ctx.options.quiet:
        ctx.out.line(message if isinstance(message, str) and message else "Account deleted.")
    if failure is not None:
        ctx.warn(
            f"the account was deleted, but the stored credentials of profile {ctx.profile} "
            f"could not be removed: {failure.message}; run `andamio logout`"
        )
    elif removed:
        names = ", ".join(WORDS[s] for s in removed)
        ctx.note(f"Removed the stored credentials of profile {ctx.profile} ({names}).")
    else:
        ctx.note(f"Profile {ctx.profile} had no stored credentials to remove.")
    from andamio_cli.credentials import ENV_VARS

    for var in ENV_VARS.values():
        if ctx.env.get(var):
            ctx.warn(f"{var} is still set in the environment; it belonged to the deleted account")
