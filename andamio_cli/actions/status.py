"""`andamio status`: offline view of the profile's credentials."""

from __future__ import annotations

import time

from andamio_cli.errors import AuthError


def _seconds_left(when: float | None) -> int | None:
    return None if when is None else int(when - time.time())


def collect_status(ctx) -> dict:
    """The status fields (flat, the same in text and JSON)."""
    from andamio_cli.auth.tokens import is_usable, jwt_expiry
    from andamio_cli.output import mask
    from andamio_cli.settings import NETWORKS
    from andamio_cli.times import iso, parse_time

    settings = ctx.profile_settings
    creds = ctx.creds
    key, key_source = creds.get("api_key")
    jwt, jwt_source = creds.get("dev_jwt")
    refresh, refresh_source = creds.get("refresh_token")
    ctx.remember(key, jwt, refresh)
    jwt_at = (
        jwt_expiry(jwt, None if jwt_source == "env" else settings.get("jwt_expires_at"))
        if jwt
        else None
    )
    refresh_at = (
        parse_time(settings.get("refresh_token_expires_at"))
        if refresh and refresh_source != "env"
        else None
    )
    jwt_ok = is_usable(jwt, iso(jwt_at))
    return {
        "profile": ctx.profile,
        "network": ctx.network if ctx.base_url == NETWORKS.get(ctx.network) else "custom",
        "base_url": ctx.base_url,
        "credential_store": creds.store.name,
        "alias": settings.get("alias"),
        "api_key_source": key_source,
        "api_key": mask(key) or None,
        "dev_jwt_source": jwt_source,
        "dev_jwt": mask(jwt) or None,
        "dev_jwt_expires_at": iso(jwt_at),
        "dev_jwt_seconds_left": _seconds_left(jwt_at),
        "refresh_token_source": refresh_source,
        "refresh_token_expires_at": iso(refresh_at),
        "refresh_token_seconds_left": _seconds_left(refresh_at),
        "ready": bool(key) and (jwt_ok or bool(refresh)),
    }


def _missing(status: dict) -> str:
    if status["api_key_source"] == "none":
        return "no API key"
    return "no usable developer JWT and no refresh token"


def run_status(ctx) -> None:
    """Print the status; exit 3 (auth) when the profile cannot call the gateway."""
    from andamio_cli.output import inert

    status = collect_status(ctx)
    rows = [(k, "" if v is None else v) for k, v in status.items()]
    if status["ready"]:
        ctx.out.record(status, rows)
        return
    if ctx.options.output != "json" and not ctx.options.quiet:
        ctx.err("".join(f"{k}: {inert(v)}\n" for k, v in rows))
    plain_note = " (stored in a plain-text file)" if status["credential_store"] == "file" else ""
    raise AuthError(
        f"profile {ctx.profile} is not ready: {_missing(status)}{plain_note}",
        hint="run `andamio login`, or set ANDAMIO_API_KEY and ANDAMIO_DEV_JWT",
    )
