"""Developer JWT lifetime: expiry checks, storing a login, refresh under a lock."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time

from andamio_cli.credentials import SECRETS
from andamio_cli.errors import AuthError, BadReplyError
from andamio_cli.times import gateway_time, iso, parse_time

MARGIN = 60
LOGIN_HINT = "log in again: `andamio login` (or --with-token / --skey)"


class NoDeveloperJwtError(AuthError):
    """Neither a usable developer JWT nor a refresh token: nothing was sent."""


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url (as in JWTs)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_claims(token: str) -> dict:
    """The (unverified) payload of a JWT, or {} when it is not one."""
    try:
        data = json.loads(b64url_decode(token.split(".")[1]))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def jwt_expiry(token: str, stored: object = None) -> float | None:
    """When the JWT expires: the gateway's `expires_at`, else the token's `exp`."""
    when = parse_time(stored)
    if when is None:
        when = parse_time(jwt_claims(token).get("exp"))
    return when


def is_usable(token: str | None, stored_expiry: object = None) -> bool:
    """A JWT that exists and does not expire within the margin."""
    if not token:
        return False
    when = jwt_expiry(token, stored_expiry)
    return when is None or when - MARGIN > time.time()


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _checked_time(what: str, value: object) -> float | None:
    """A login reply's time: absent, or an ISO 8601 string of a sane year."""
    if value is None:
        return None
    when = gateway_time(value)
    if when is None:
        raise BadReplyError(
            f"the login reply's {what} is not an ISO 8601 time of a sane year",
            hint="nothing was stored and the old credentials are kept; log in again",
        )
    return when


def save_login(
    ctx,
    *,
    jwt: str,
    jwt_expires_at: object,
    refresh_token: str | None,
    refresh_expires_at: object,
    alias: str | None = None,
) -> None:
    """Store a new developer JWT (and refresh token) and its non-secret settings. Every value
    is checked before the first write: a bad one stores nothing and keeps the old ones."""
    from andamio_cli.api import TOKEN_RE

    for what, token in (("developer JWT", jwt), ("refresh token", refresh_token)):
        if token is not None and not (isinstance(token, str) and TOKEN_RE.fullmatch(token)):
            raise BadReplyError(
                f"the login reply's {what} is not a printable token",
                hint="nothing was stored and the old credentials are kept; log in again",
            )
    jwt_at = _checked_time("JWT expiry", jwt_expires_at) or jwt_expiry(jwt)
    refresh_at = _checked_time("refresh token expiry", refresh_expires_at)
    values = {
        "jwt_expires_at": iso(jwt_at),
        "refresh_token_expires_at": iso(refresh_at) if refresh_token else None,
        "store": ctx.creds.store.name,
        "credentials_url": ctx.base_url,
    }
    if isinstance(alias, str) and alias:
        values["alias"] = alias
    ctx.remember(jwt, refresh_token)
    creds = ctx.creds
    creds.save("dev_jwt", jwt)
    if refresh_token:
        creds.save("refresh_token", refresh_token)
    else:
        creds.forget("refresh_token")
    ctx.settings.update(ctx.profile, **values)


def save_token_reply(ctx, reply: dict, alias: str | None = None) -> None:
    """Store a checked login/complete or token/refresh reply (its alias beats `alias`)."""
    save_login(
        ctx,
        jwt=reply["jwt"]["token"],
        jwt_expires_at=reply["jwt"].get("expires_at"),
        refresh_token=reply["refresh_token"]["token"],
        refresh_expires_at=reply["refresh_token"].get("expires_at"),
        alias=reply.get("alias") if isinstance(reply.get("alias"), str) else alias,
    )


def clear_developer(ctx) -> bool:
    """Forget the developer JWT and refresh token (not the API key)."""
    removed = ctx.creds.forget("dev_jwt")
    removed = ctx.creds.forget("refresh_token") or removed
    ctx.settings.update(
        ctx.profile, jwt_expires_at=None, refresh_token_expires_at=None, refreshed_from=None
    )
    return removed


def developer_jwt(ctx) -> str:
    """A usable developer JWT, refreshed once first when it has expired."""
    token, source = ctx.creds.get("dev_jwt")
    expiry = None if source == "env" else ctx.profile_settings.get("jwt_expires_at")
    if is_usable(token, expiry):
        ctx.remember(token)
        return token
    return refresh(ctx, force=False)


def _api_key_if_any(ctx) -> str | None:
    """The profile's API key for the auth routes' X-API-Key, when there is one."""
    key, _ = ctx.creds.get("api_key")
    ctx.remember(key)
    return key


def refresh(ctx, *, force: bool) -> str:
    """Trade the refresh token for a new pair, once, under the profile's refresh lock."""
    from andamio_cli import api
    from andamio_cli.files import locked

    lock = os.path.join(ctx.settings.directory, f"refresh-{ctx.profile}.lock")
    with locked(lock, timeout=ctx.options.timeout + 30):
        ctx.creds.reload()
        ctx.settings.reload()
        settings = ctx.profile_settings
        stored = ctx.creds.stored("dev_jwt")
        if not force and is_usable(stored, settings.get("jwt_expires_at")):
            ctx.check_stored_url()
            ctx.remember(stored)
            return stored
        token, source = ctx.creds.get("refresh_token")
        if source == "env" and settings.get("refreshed_from") == _sha(token):
            token = ctx.creds.stored("refresh_token")
            if token:
                ctx.check_stored_url()
        elif source == "env" and any(ctx.creds.stored(secret) for secret in SECRETS):
            # The new pair is stored in this profile: only beside credentials of the same URL,
            # else they would all be sent to this one from then on.
            ctx.check_stored_url("the refresh token from ANDAMIO_DEV_REFRESH_TOKEN was not spent")
        if not token:
            raise NoDeveloperJwtError(
                "no usable developer JWT and no refresh token", hint=LOGIN_HINT
            )
        ctx.remember(token)
        api_key = _api_key_if_any(ctx)
        try:
            reply = api.refresh_tokens(ctx.gateway(), token, api_key)
        except AuthError as exc:
            clear_developer(ctx)
            raise AuthError(
                f"the refresh token was rejected ({exc.message}); "
                "the developer credentials were cleared",
                hint=LOGIN_HINT,
                status=exc.status,
                code=exc.code,
            ) from None
        save_token_reply(ctx, reply)
        ctx.settings.update(ctx.profile, refreshed_from=_sha(token))
        return reply["jwt"]["token"]
