"""Gateway operations as plain functions over a `Gateway`; input is validated first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from andamio_cli.errors import AndamioError, BadReplyError, InvalidInputError
from andamio_cli.times import gateway_time

DEV = "/api/v2/apikey/developer"
AUTH = "/api/v2/auth/developer"
V1 = "/api/v1/apikey"
VERIFY_HINT = (
    "verify the account's email address first (the link is in the verification mail); "
    "to get the mail again: `andamio account resend-verification`"
)
TOKEN_RE = re.compile(r"[\x21-\x7e]{1,16384}")  # what an HTTP header (or a JSON body) can carry
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def check_key_name(name: str, low: int = 3, high: int = 64) -> str:
    """A key name of `low`-`high` characters with no control characters."""
    if not low <= len(name) <= high:
        raise InvalidInputError(f"key name must be {low}-{high} characters long (got {len(name)})")
    if any(not ch.isprintable() for ch in name) or name != name.strip():
        raise InvalidInputError(
            "key name must not contain control characters or leading/trailing spaces"
        )
    return name


def check_days(days: int | None) -> int | None:
    """`--expires-in-days` must be an integer of at least 1."""
    if days is not None and days < 1:
        raise InvalidInputError(f"--expires-in-days must be at least 1 (got {days})")
    return days


def key_ref(name_or_id: str) -> dict:
    """A UUID is sent as `key_id`, anything else as a validated `api_key_name`."""
    if UUID_RE.fullmatch(name_or_id):
        return {"key_id": name_or_id.lower()}
    if re.fullmatch(r"[0-9a-fA-F-]{32,40}", name_or_id) and name_or_id.count("-") >= 3:
        raise InvalidInputError(f"{name_or_id!r} looks like a malformed key id (UUID)")
    return {"api_key_name": check_key_name(name_or_id)}


def _with_days(body: dict, days: int | None) -> dict:
    if days is not None:
        body["expires_in_days"] = days
    return body


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _bad_reply(gw, what: str, hint: str = "nothing was stored; try again later"):
    """A 2xx reply without what the contract promises; names the status and content type."""
    return BadReplyError(f"the gateway's reply ({gw.last_reply}) {what}", hint=hint)


def require_new_key(gw, reply: dict) -> dict:
    """A reply that claims to carry a new key must carry a non-empty `api_key` string."""
    if not _text(reply.get("api_key")):
        raise _bad_reply(
            gw,
            "has no API key (field `api_key` missing or empty)",
            "nothing was stored; list your keys with `andamio apikey list`",
        )
    return reply


def unwrap(reply: dict) -> dict:
    """Accept both a bare object and the v1 `{"data": {...}}` wrapper."""
    data = reply.get("data")
    return data if isinstance(data, dict) and len(reply) == 1 else reply


def email_unverified(error: AndamioError) -> bool:
    """A refusal because the email is not verified: its body code or message says so."""
    return "verif" in f"{error.code or ''} {error.message}".lower()


@contextmanager
def _verification_hint() -> Iterator[None]:
    """Key request and rotate need a verified email; say how to get there, whatever the status."""
    try:
        yield
    except AndamioError as exc:
        if exc.status is not None and email_unverified(exc):
            exc.hint = VERIFY_HINT
        raise


def request_key(gw, creds, name: str, days: int | None) -> dict:
    """POST key/request: a new key object (the raw key is in `api_key`)."""
    body = _with_days({"api_key_name": name}, days)
    with _verification_hint():
        reply = gw.call("POST", f"{DEV}/key/request", body=body, **creds)
    return require_new_key(gw, reply)


def rotate_key(gw, creds, name_or_id: str, days: int | None) -> dict:
    """POST key/rotate: either `{"confirmation"}` or a new key object."""
    body = _with_days(key_ref(name_or_id), days)
    with _verification_hint():
        reply = gw.call("POST", f"{DEV}/key/rotate", body=body, **creds)
    return _key_or_confirmation(gw, reply)


def delete_key(gw, creds, name_or_id: str) -> dict:
    """POST key/delete: `{"confirmation"}`."""
    reply = gw.call("POST", f"{DEV}/key/delete", body=key_ref(name_or_id), **creds)
    if not _text(reply.get("confirmation")):
        raise _bad_reply(
            gw, "has no `confirmation`", "check with `andamio apikey list` whether the key is gone"
        )
    return reply


def get_profile(gw, creds) -> dict:
    """GET profile/get (retried); it must name the user and list the keys."""
    profile = unwrap(gw.call("GET", f"{DEV}/profile/get", read=True, **creds))
    if not _text(profile.get("user_id")) or not isinstance(profile.get("active_keys", []), list):
        raise _bad_reply(gw, "is not a developer profile (`user_id` or `active_keys` missing)")
    return profile


def get_usage(gw, creds) -> dict:
    """GET usage/get (retried)."""
    return unwrap(gw.call("GET", f"{DEV}/usage/get", read=True, **creds))


def v1_request_key(gw, jwt: str, name: str, days: int | None) -> dict:
    """POST /api/v1/apikey/request with the Bearer token only."""
    body = _with_days({"api_key_name": name}, days)
    with _verification_hint():
        reply = gw.call("POST", f"{V1}/request", bearer=jwt, body=body)
    return require_new_key(gw, reply)


def v1_rotate_key(gw, jwt: str, name: str, days: int | None) -> dict:
    """POST /api/v1/apikey/rotate with the Bearer token only; v1 knows names, not key ids."""
    body = _with_days({"api_key_name": name}, days)
    with _verification_hint():
        reply = gw.call("POST", f"{V1}/rotate", bearer=jwt, body=body)
    return _key_or_confirmation(gw, reply)


def email_status(gw, creds) -> dict:
    """GET email-status (retried): verification state and when a new mail can be sent."""
    reply = gw.call("GET", f"{AUTH}/email-status", read=True, **creds)
    if not isinstance(reply.get("email_verified"), bool):
        raise _bad_reply(gw, "has no `email_verified` (true or false)", "try again later")
    return reply


def resend_verification(gw, creds) -> dict:
    """POST resend-verification (never retried): another verification mail."""
    return gw.call("POST", f"{AUTH}/resend-verification", body={}, **creds)


def delete_account(gw, creds) -> dict:
    """POST account/delete (never retried): the developer account, its keys and logins."""
    return gw.call("POST", f"{DEV}/account/delete", body={}, **creds)


def _key_or_confirmation(gw, reply: dict) -> dict:
    if "api_key" in reply:
        return require_new_key(gw, reply)
    if not _text(reply.get("confirmation")):
        raise _bad_reply(gw, "has neither `confirmation` nor `api_key`")
    return reply


def login_session(gw, api_key: str, alias: str, address: str) -> dict:
    """POST login/session: `{"session_id", "nonce", "expires_at"}`."""
    body = {"alias": alias, "wallet_address": address}
    reply = gw.call("POST", f"{AUTH}/login/session", api_key=api_key, body=body)
    for field in ("session_id", "nonce"):
        if not _text(reply.get(field)):
            raise _bad_reply(gw, f"has no `{field}` for the login session")
    if reply.get("expires_at") is not None and gateway_time(reply["expires_at"]) is None:
        raise _bad_reply(gw, "has an `expires_at` that is not an ISO 8601 time")
    return reply


def login_complete(gw, api_key: str, session_id: str, signature: dict) -> dict:
    """POST login/complete: the developer JWT and refresh token."""
    body = {"session_id": session_id, "signature": signature}
    return require_tokens(gw, gw.call("POST", f"{AUTH}/login/complete", api_key=api_key, body=body))


def refresh_tokens(gw, refresh_token: str, api_key: str | None = None) -> dict:
    """POST token/refresh: a new JWT and a new single-use refresh token (never retried).
    The API key goes along when there is one, as the official CLI sends it."""
    reply = gw.call(
        "POST", f"{AUTH}/token/refresh", api_key=api_key, body={"refresh_token": refresh_token}
    )
    return require_tokens(gw, reply)


def require_tokens(gw, reply: dict) -> dict:
    """A login or refresh reply: both tokens header-safe and non-empty, times ISO 8601 of a
    sane year (or absent), the alias a string (or absent); otherwise nothing may be stored."""
    hint = "nothing was stored and the old credentials are kept; try again or log in again"
    for field in ("jwt", "refresh_token"):
        part = reply.get(field)
        if not isinstance(part, dict) or not _text(part.get("token")):
            raise _bad_reply(gw, f"has no `{field}.token`", hint)
        if not TOKEN_RE.fullmatch(part["token"]):
            raise _bad_reply(gw, f"has a `{field}.token` that is not a printable token", hint)
        when = part.get("expires_at")
        if when is not None and gateway_time(when) is None:
            raise _bad_reply(
                gw, f"has a `{field}.expires_at` that is not an ISO 8601 time of a sane year", hint
            )
    alias = reply.get("alias")
    if alias is not None and not (isinstance(alias, str) and len(alias) <= 100):
        raise _bad_reply(gw, "has an `alias` that is not a short string", hint)
    return reply
