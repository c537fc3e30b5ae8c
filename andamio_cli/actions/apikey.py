"""The `apikey` commands: validate, call one `api` function, hand the result to output."""

from __future__ import annotations

import re

from andamio_cli import api
from andamio_cli.actions import newkey
from andamio_cli.errors import (
    AndamioError,
    AuthError,
    CancelledError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    StoreUnavailableError,
)

V1_TOKEN_HINT = (
    "set ANDAMIO_JWT to your v1 Bearer token, or store a developer JWT with `andamio login`"
)
V1_ROTATE_HINT = (
    "v1 extends a key only when it has expired or expires within 1 day; nothing was changed"
)
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")


def _api_version(ctx, flag: str | None) -> str:
    """`--api`, else ANDAMIO_API_VERSION, else the profile's `api_version` setting, else v2."""
    sources = (
        (flag, "--api"),
        (ctx.env.get("ANDAMIO_API_VERSION"), "ANDAMIO_API_VERSION"),
        (
            ctx.profile_settings.get("api_version"),
            f"the setting api_version of profile {ctx.profile} in {ctx.settings.path}",
        ),
    )
    for version, source in sources:
        if version:
            if version not in ("v1", "v2"):
                raise InvalidInputError(f"{source} must be v1 or v2, not {version!r}")
            return version
    return "v2"


def require_api_key(ctx) -> str:
    """The profile's API key (environment first), or an auth error naming how to store one."""
    key, _ = ctx.creds.get("api_key")
    if not key:
        raise AuthError(
            f"no API key for profile {ctx.profile}",
            hint="set ANDAMIO_API_KEY, or run `andamio login --with-key`",
        )
    ctx.remember(key)
    return key


def _developer_creds(ctx) -> dict:
    """X-API-Key and the developer JWT, both required by every v2 developer route."""
    from andamio_cli.auth.tokens import developer_jwt

    key = require_api_key(ctx)
    bearer = developer_jwt(ctx)
    ctx.sent_credentials = {
        "api_key": ctx.creds.get("api_key")[1],
        "dev_jwt": ctx.creds.get("dev_jwt")[1],
    }
    return {"api_key": key, "bearer": bearer}


def _no_such_key(exc: NotFoundError, name_or_id: str, *, ids: bool = True) -> NotFoundError:
    """`no key named "ci-old"` first; the gateway's own words after, shorter."""
    by_id = ids and api.UUID_RE.fullmatch(name_or_id)
    what = f"no key with id {name_or_id}" if by_id else f'no key named "{name_or_id}"'
    exc.message = f"{what} ({'; '.join(filter(None, (exc.detail, f'HTTP {exc.status}')))})"
    exc.hint = "see your keys with `andamio apikey list`"
    return exc


def explain_refusal(ctx, error: AndamioError) -> None:
    """A 401 on a developer route: say which credential was refused and where it came from."""
    from andamio_cli.credentials import ENV_VARS

    sources = ctx.sent_credentials
    if not isinstance(error, AuthError) or error.status != 401 or not sources:
        return
    words = f"{error.message} {error.detail or ''}".lower()
    secret = "dev_jwt" if "developer jwt" in words or "authorization header" in words else "api_key"
    what = "developer JWT" if secret == "dev_jwt" else "API key"
    said = f" ({'; '.join(filter(None, (error.detail, f'HTTP {error.status}')))})"
    if sources.get(secret) == "env":
        variable = ENV_VARS[secret]
        error.message = f"{variable} was refused" + said
        error.hint = (
            f"fix {variable}, or unset it to use the {what} stored for profile {ctx.profile}"
        )
    elif secret == "dev_jwt":
        error.message = f"the developer JWT stored for profile {ctx.profile} was refused" + said
        error.hint = "run `andamio refresh`, or log in again with `andamio login --web`"
    else:
        error.message = f"the API key stored for profile {ctx.profile} was refused" + said
        error.hint = (
            "it may have expired or been deleted: store a valid one with `andamio login --with-key`"
        )


def _v1_jwt(ctx) -> str:
    """The v1 Bearer token: ANDAMIO_JWT, else the stored developer JWT (never an API key)."""
    from andamio_cli.auth.tokens import developer_jwt

    token = ctx.env.get("ANDAMIO_JWT", "").strip()
    if token:
        ctx.remember(token)
        if not _TOKEN_RE.fullmatch(token):
            raise InvalidInputError(
                "ANDAMIO_JWT is not a usable Bearer token (expected printable ASCII without spaces)"
            )
        return token
    try:
        return developer_jwt(ctx)
    except StoreUnavailableError:
        raise
    except AuthError as exc:
        if exc.status is None:
            exc.hint = V1_TOKEN_HINT
        raise


def _v1_call(ctx, call, *args) -> dict:
    """Run a v1 api function with the Bearer token only; name ANDAMIO_JWT when it was refused."""
    token = _v1_jwt(ctx)
    try:
        return call(ctx.gateway(), token, *args)
    except AuthError as exc:
        if ctx.env.get("ANDAMIO_JWT", "").strip():
            exc.hint = (
                "ANDAMIO_JWT was refused; set it to a valid v1 Bearer token, or unset "
                "it to use the stored developer JWT"
            )
        raise


def _check_can_confirm(ctx, yes: bool) -> None:
    """Without --yes there must be a terminal to ask on (checked before anything is sent)."""
    if not yes and not ctx.can_prompt:
        raise InvalidInputError(
            "confirmation needed, and there is no terminal to ask", hint="pass --yes to confirm"
        )


def _confirm(ctx, yes: bool, question: str) -> None:
    if not yes and not ctx.confirm(question):
        raise CancelledError("Cancelled; nothing was changed.")


def request(ctx, name: str, days: int | None, save: bool, api_flag: str | None) -> None:
    version = _api_version(ctx, api_flag)
    api.check_key_name(name, 3, 100 if version == "v1" else 64)
    api.check_days(days)
    newkey.require_stdout(ctx)
    if save:
        from andamio_cli.actions.login import check_can_store

        check_can_store(ctx)
    if version == "v1":
        reply = _v1_call(ctx, api.v1_request_key, name, days)
    else:
        reply = api.request_key(ctx.gateway(), _developer_creds(ctx), name, days)
    newkey.emit_new_key(ctx, reply, store=save)


def rotate(ctx, name_or_id: str, days: int | None, yes: bool, api_flag: str | None) -> None:
    version = _api_version(ctx, api_flag)
    if version == "v1":
        api.check_key_name(name_or_id, 3, 64)
    else:
        api.key_ref(name_or_id)
    api.check_days(days)
    _check_can_confirm(ctx, yes)
    newkey.require_stdout(ctx)
    creds = _developer_creds(ctx) if version == "v2" else None
    own = newkey.is_own_key(ctx, name_or_id, creds)
    question = (
        f"Rotate key {name_or_id}? The gateway extends its expiry or issues a new secret "
        "(printed once; the old secret then stops working)."
    )
    if own:
        question += f" {newkey.own_key_words(ctx)}; a new secret will be stored for it."
    _confirm(ctx, yes, question)
    if version == "v1":
        if api.UUID_RE.fullmatch(name_or_id):
            ctx.note(f"v1 has no key ids: {name_or_id} is sent as a key name.")
        try:
            reply = _v1_call(ctx, api.v1_rotate_key, name_or_id, days)
        except ConflictError as exc:
            exc.hint = V1_ROTATE_HINT
            raise
        except NotFoundError as exc:
            raise _no_such_key(exc, name_or_id, ids=False) from None
    else:
        assert creds is not None
        try:
            reply = api.rotate_key(ctx.gateway(), creds, name_or_id, days)
        except NotFoundError as exc:
            raise _no_such_key(exc, name_or_id) from None
    if "api_key" in reply:
        newkey.emit_new_key(ctx, reply, store=own, rotated_own=own)
        return
    if ctx.options.quiet and ctx.options.output != "json":
        return  # -q: nothing unless a new key was issued
    if ctx.options.output == "text":
        ctx.out.line(reply["confirmation"])
    else:
        ctx.out.record(reply, [("confirmation", reply["confirmation"])])


def delete(ctx, name_or_id: str, yes: bool) -> None:
    api.key_ref(name_or_id)
    _check_can_confirm(ctx, yes)
    creds = _developer_creds(ctx)
    own = newkey.is_own_key(ctx, name_or_id, creds)
    question = f"Delete key {name_or_id}? It stops working at once; this cannot be undone."
    if own:
        question += (
            f" {newkey.own_key_words(ctx)}; afterwards the CLI cannot call the gateway until "
            "another key is stored."
        )
    _confirm(ctx, yes, question)
    try:
        reply = api.delete_key(ctx.gateway(), creds, name_or_id)
    except NotFoundError as exc:
        raise _no_such_key(exc, name_or_id) from None
    if own:
        newkey.forget_own_key(ctx, name_or_id)
    document = {"deleted": True, **reply}
    if ctx.options.quiet and ctx.options.output != "json":
        return  # -q: the exit code says it all
    if ctx.options.output == "text":
        ctx.out.line(reply["confirmation"])
    else:
        ctx.out.record(document, list(document.items()))
