"""`andamio status`: offline view of each credential: where it comes from, its mask, its expiry."""

from __future__ import annotations

import time

from andamio_cli.errors import AndamioError, StoreUnavailableError

LABELS = {"api_key": "API key", "dev_jwt": "Developer JWT", "refresh_token": "Refresh token"}
USABLE = ("ok", "expiring", "renewable")  # the other states: missing, expired, unreadable
RENEWS = ("ok", "expiring")  # refresh-token states that can renew an expired developer JWT


def _read_store(ctx, profile: str, settings: dict, stores: dict) -> tuple[dict, str | None, str]:
    """The stored secrets of a profile ({} when unreadable), the error, and the store kind."""
    from andamio_cli.credentials import SECRETS, store_kind

    kind = store_kind(ctx.env, settings)
    try:
        if kind not in stores:
            stores[kind] = ctx.store_for(settings)
        store = stores[kind]
        stored = {secret: store.get(profile, secret) for secret in SECRETS}
    except StoreUnavailableError as exc:
        return {}, exc.message, kind
    ctx.remember(*stored.values())
    return {k: v for k, v in stored.items() if v}, None, kind


def _credential(value: str | None, source: str, when: float | None, now: float) -> dict:
    from andamio_cli.output import mask

    return {
        "source": source,
        "masked": mask(value) or None,
        "expires_at": _iso(when),
        "seconds_left": None if when is None else int(when - now),
        "state": {"none": "missing", "unreadable": "unreadable"}.get(source, "ok"),
    }


def _iso(when: float | None) -> str | None:
    from andamio_cli.times import iso

    return iso(when)


def _grade(creds: dict, now: float) -> None:
    """Set each credential's state from its expiry (see USABLE)."""
    from andamio_cli.auth.tokens import MARGIN
    from andamio_cli.times import EXPIRY_WARNING_DAYS

    soon = EXPIRY_WARNING_DAYS * 86400
    for name in ("api_key", "refresh_token"):
        item = creds[name]
        left = item["seconds_left"]
        if item["state"] == "ok" and left is not None:
            item["state"] = "expired" if left <= 0 else "expiring" if left <= soon else "ok"
    jwt = creds["dev_jwt"]
    if jwt["state"] == "ok" and jwt["seconds_left"] is not None and jwt["seconds_left"] <= MARGIN:
        renews = creds["refresh_token"]["state"] in ("ok", "expiring")
        jwt["state"] = "renewable" if renews else "expired"


def collect_status(ctx, profile: str, stores: dict) -> dict:
    """The status of one profile as a JSON-ready object (the text view is made from it)."""
    from andamio_cli.auth.tokens import jwt_expiry
    from andamio_cli.credentials import ENV_VARS, SECRETS
    from andamio_cli.times import parse_time

    now = time.time()
    settings = ctx.settings.get(profile)
    problems: list[str] = []
    network = base_url = url_hint = None
    try:
        network = ctx.network_for(settings)
        base_url = ctx.base_url_for(settings)
    except AndamioError as exc:
        problems.append(exc.message)
        url_hint = f"Fix the base URL: {exc.hint}." if exc.hint else "Fix the base URL."
    try:
        stored, store_error, kind = _read_store(ctx, profile, settings, stores)
    except AndamioError as exc:  # an invalid ANDAMIO_CREDENTIAL_STORE
        stored, store_error, kind = {}, exc.message, None
    expiries = {
        "api_key": settings.get("key_expires_at"),
        "dev_jwt": settings.get("jwt_expires_at"),
        "refresh_token": settings.get("refresh_token_expires_at"),
    }
    creds = {}
    for secret in SECRETS:
        value = ctx.env.get(ENV_VARS[secret], "").strip() or None
        source = "env" if value else "unreadable" if store_error else "none"
        if value:
            ctx.remember(value)
        elif secret in stored:
            value, source = stored[secret], kind or "none"
        when = None
        if secret == "dev_jwt" and value:
            when = jwt_expiry(value, None if source == "env" else expiries[secret])
        elif value and source != "env":
            when = parse_time(expiries[secret])
        creds[secret] = _credential(value, source, when, now)
    _grade(creds, now)
    if base_url:
        from andamio_cli.settings import NETWORKS

        network = network if base_url == NETWORKS.get(network or "") else "custom"
    key_ok = creds["api_key"]["state"] in USABLE
    dev_ok = creds["dev_jwt"]["state"] in USABLE or creds["refresh_token"]["state"] in RENEWS
    ready = not problems and key_ok and dev_ok
    fix = None
    if not ready:
        problems.extend(_problems(creds, store_error, now))
        fix = url_hint or _fix(ctx, profile, creds, store_error)
    return {
        "profile": profile,
        "active": profile == ctx.default_profile,
        "network": network,
        "base_url": base_url,
        "store": kind,
        "alias": settings.get("alias") if isinstance(settings.get("alias"), str) else None,
        "key_name": settings.get("key_name") if isinstance(settings.get("key_name"), str) else None,
        "ready": ready,
        **creds,
        "problems": problems,
        "fix": fix,
        "stored": bool(stored) or store_error is not None,
    }


def _problems(creds: dict, store_error: str | None, now: float) -> list[str]:
    """Why the profile cannot call the gateway, one sentence each."""
    from andamio_cli.credentials import ENV_VARS

    out = [store_error] if store_error else []
    key = creds["api_key"]
    if key["state"] == "missing" and not store_error:
        out.append("no API key")
    elif key["state"] == "expired":
        out.append(f"the API key {_ago(key, now)}")
    jwt, refresh = creds["dev_jwt"], creds["refresh_token"]
    if jwt["state"] in USABLE or refresh["state"] in RENEWS or store_error:
        return out
    if jwt["state"] == "expired" and jwt["source"] == "env":
        out.append(f"the developer JWT in {ENV_VARS['dev_jwt']} {_ago(jwt, now)}")
    elif jwt["state"] == "expired":
        what = "the refresh token has expired too"
        if refresh["state"] != "expired":
            what = "there is no refresh token"
        out.append(f"the developer JWT {_ago(jwt, now)} and {what}")
    elif refresh["state"] == "expired":
        out.append(f"no developer JWT, and the refresh token {_ago(refresh, now)}")
    else:
        out.append("no developer JWT and no refresh token")
    return out


def _ago(item: dict, now: float) -> str:
    from andamio_cli.times import expiry_phrase, parse_time

    when = parse_time(item["expires_at"])
    return "has expired" if when is None else expiry_phrase(when, now)


def _fix(ctx, profile: str, creds: dict, store_error: str | None) -> str:
    """One sentence naming the command that makes the profile ready."""
    cli = "andamio" if profile == ctx.default_profile else f"andamio --profile {profile}"
    if store_error:
        return (
            f"Run `{cli} login --insecure-storage` to keep the credentials in a plain-text "
            "file, or set ANDAMIO_API_KEY and ANDAMIO_DEV_JWT."
        )
    key_bad = creds["api_key"]["state"] not in USABLE
    dev_bad = creds["dev_jwt"]["state"] not in USABLE
    dev_bad = dev_bad and creds["refresh_token"]["state"] not in RENEWS
    if key_bad and dev_bad:
        return f"Run `{cli} login` on a terminal (or `{cli} login --with-key`, then `--web`)."
    if key_bad:
        return f"Run `{cli} login --with-key` with a valid API key on standard input."
    if creds["dev_jwt"]["source"] == "env":
        return f"Set ANDAMIO_DEV_JWT to a current token, or unset it and run `{cli} login --web`."
    return f"Run `{cli} login --web` (or `{cli} login --skey FILE --alias A --address ADDR`)."


ROW_FIELDS = ("profile", "active", "ready", "credential", "state", "source", "masked", "expires_at")


def rows(view: dict) -> list[list]:
    """One CSV/Markdown row per credential of a profile."""
    return [
        [view["profile"], view["active"], view["ready"], name]
        + [view[name][field] for field in ROW_FIELDS[4:]]
        for name in LABELS
    ]


def known_profiles(ctx) -> list[str]:
    """Profiles with settings or a file-store entry, and the active one (cheap: no keyring)."""
    from andamio_cli.credentials import FileStore

    names = set(ctx.settings.profiles())
    try:
        names.update(FileStore(ctx.settings.directory, warn=ctx.warn_once).profiles())
    except AndamioError:
        pass
    names.add(ctx.default_profile)
    return sorted(names)


def run_status(ctx, *, all_profiles: bool = False) -> int:
    """Print the status on stdout in every state; 3 (auth) when a profile is not ready."""
    from andamio_cli.actions.status_text import render, warn_expiring
    from andamio_cli.errors import AuthError

    if all_profiles:
        stores: dict = {}
        views = [collect_status(ctx, name, stores) for name in known_profiles(ctx)]
        listed = [v for v in views if v["stored"]] or [
            v for v in views if v["profile"] == ctx.default_profile
        ]
    else:
        listed = [collect_status(ctx, ctx.profile, {})]
    for view in listed:
        view.pop("stored")
        warn_expiring(ctx, view)
    if ctx.options.quiet:
        pass
    elif ctx.options.output == "json":
        ctx.out.json(listed if all_profiles else listed[0])
    elif ctx.options.output in ("csv", "markdown"):
        ctx.out.table(list(ROW_FIELDS), [row for view in listed for row in rows(view)])
    else:
        render(ctx, listed, all_profiles=all_profiles)
    return 0 if all(view["ready"] for view in listed) else AuthError.exit_code
