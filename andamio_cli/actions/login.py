"""The login flows (key, token, wallet, browser) and logout."""

from __future__ import annotations

import re
import time

from andamio_cli.errors import AuthError, InvalidInputError

NO_TERMINAL_HINT = (
    "pipe the key to `andamio login --with-key` (and a JWT to --with-token), log in with a "
    "wallet key with --skey FILE --alias A --address ADDR, or set ANDAMIO_API_KEY and "
    "ANDAMIO_DEV_JWT in the environment"
)
MAX_STDIN = 64 * 1024
_KEY_RE = re.compile(r"^[\x21-\x7e]{8,512}$")
_JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def check_api_key(key: str) -> str:
    """An API key: 8-512 printable ASCII characters without spaces (never echoed)."""
    if not _KEY_RE.fullmatch(key):
        raise InvalidInputError(
            "that does not look like an API key (expected 8-512 printable characters, no spaces)",
            hint='pipe only the key, e.g. `printf %s "$KEY" | andamio login --with-key`',
        )
    return key


PROMPT_TRIES = 3


def _read_stdin(ctx, what: str) -> str:
    if ctx.stdin_tty:
        if not ctx.can_prompt:
            raise InvalidInputError(f"nothing to read the {what} from", hint=NO_TERMINAL_HINT)
        return _ask_secret(ctx, f"Paste the {what} (input hidden)", what)
    text = ctx.stdin.read(MAX_STDIN + 1)
    if len(text) > MAX_STDIN:
        raise InvalidInputError(
            f"standard input holds more than {MAX_STDIN // 1024} KiB; that is not a {what}",
            hint="pipe only the secret itself",
        )
    return text


def _ask_secret(ctx, label: str, what: str) -> str:
    """A hidden prompt that asks again after an empty answer (3 tries in all)."""
    for attempt in range(PROMPT_TRIES):
        answer = ctx.prompt_secret(label)
        if answer:
            return answer
        if attempt + 1 < PROMPT_TRIES:
            ctx.err(f"Nothing was entered; paste the {what} and press Enter.\n")
    raise InvalidInputError(
        f"no {what} was entered ({PROMPT_TRIES} empty answers); nothing was stored",
        hint=NO_TERMINAL_HINT,
    )


def _save_api_key(ctx, key: str) -> None:
    check_api_key(key)
    ctx.remember(key)
    prefix = {"preprod": "ant_pp_", "mainnet": "ant_mn_"}.get(ctx.network)
    if prefix and key.startswith(("ant_pp_", "ant_mn_")) and not key.startswith(prefix):
        ctx.warn(f"this key does not look like a {ctx.network} key (keys are network-specific)")
    ctx.creds.save("api_key", key)
    ctx.settings.update(
        ctx.profile,
        store=ctx.creds.store.name,
        key_name=None,
        key_id=None,
        key_expires_at=None,
        credentials_url=ctx.base_url,
    )


def _save_token(ctx, text: str) -> None:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines or len(lines) > 2 or not _JWT_RE.fullmatch(lines[0]):
        raise InvalidInputError(
            "expected a developer JWT on the first line and, optionally, a refresh token on "
            "the second",
            hint='printf \'%s\\n%s\\n\' "$JWT" "$REFRESH" | andamio login --with-token',
        )
    refresh = lines[1] if len(lines) == 2 else None
    if refresh is not None and not _KEY_RE.fullmatch(refresh):
        raise InvalidInputError("the second line does not look like a refresh token")
    from andamio_cli.auth.tokens import jwt_claims, jwt_expiry, save_login
    from andamio_cli.times import expiry_phrase

    expires = jwt_expiry(lines[0])
    now = time.time()
    if refresh is None and expires is not None and expires <= now:
        raise InvalidInputError(
            f"this developer JWT {expiry_phrase(expires, now)} (its `exp` claim) and no refresh "
            "token came with it; nothing was stored",
            hint="log in again with `andamio login --web` (or --skey), or pipe the refresh "
            "token on the second line",
        )
    claims = jwt_claims(lines[0])
    alias = claims.get("alias") if isinstance(claims.get("alias"), str) else None
    save_login(
        ctx,
        jwt=lines[0],
        jwt_expires_at=None,
        refresh_token=refresh,
        refresh_expires_at=None,
        alias=alias,
    )


def _api_key_for_login(ctx) -> str:
    key, source = ctx.creds.get("api_key")
    if not key:
        raise AuthError(
            "wallet login needs an API key",
            hint="pipe it in with --with-key, or set ANDAMIO_API_KEY",
        )
    ctx.remember(key)
    ctx.sent_credentials = {"api_key": source}  # a refusal then names where the key came from
    return key


def _wallet_login(ctx, skey, alias: str, address: str) -> None:
    from andamio_cli import api
    from andamio_cli.auth import wallet
    from andamio_cli.auth.tokens import save_token_reply
    from andamio_cli.times import parse_time

    wallet.validate_alias(alias)
    wallet.payment_credential(address)
    seed = wallet.load_skey(skey)
    if not wallet.skey_is_private(skey):
        ctx.warn(f"{skey} is readable by other users; run `chmod 600 {skey}`")
    wallet.check_key_matches_address(seed, address)
    key = _api_key_for_login(ctx)
    gw = ctx.gateway()
    session = api.login_session(gw, key, alias, address)
    expires = parse_time(session.get("expires_at"))
    signature = wallet.sign_nonce(seed, session["nonce"])
    if expires is not None and expires <= time.time():
        raise AuthError(
            "the login session expired before it could be completed",
            hint="run the same `andamio login --skey` command again",
        )
    reply = api.login_complete(gw, key, session["session_id"], signature)
    save_token_reply(ctx, reply, alias)


def _web_login(ctx) -> None:
    from andamio_cli.auth.browser import app_base_for, browser_login
    from andamio_cli.auth.tokens import save_login

    def show_url(url: str) -> None:
        ctx.err(f"Open this URL in a browser to log in:\n  {url}\n")

    ctx.note("Waiting for the browser login (up to 5 minutes)…")
    result = browser_login(app_base_for(ctx.base_url), env=ctx.env, on_url=show_url)
    key, _ = ctx.creds.get("api_key")
    if key:
        _confirm_owner(ctx, key, result["dev_jwt"])
    save_login(
        ctx,
        jwt=result["dev_jwt"],
        jwt_expires_at=result.get("dev_jwt_expires_at"),
        refresh_token=result.get("dev_refresh_token"),
        refresh_expires_at=result.get("dev_refresh_token_expires_at"),
        alias=result.get("alias"),
    )


def _confirm_owner(ctx, key: str, jwt: str) -> None:
    """The browser's JWT must open the profile that lists this API key (by masked form):
    a callback posted by another local process with someone else's JWT is refused."""
    from andamio_cli import api
    from andamio_cli.errors import NotFoundError
    from andamio_cli.output import mask

    ctx.remember(key, jwt)
    refused = AuthError(
        "the developer JWT from the browser login does not belong to the developer of this "
        "profile's API key; nothing was stored",
        hint="run `andamio login --web` again and finish it in your own browser; if you did "
        "not start another login, another program on this machine answered the callback",
    )
    try:
        profile = api.get_profile(ctx.gateway(), {"api_key": key, "bearer": jwt})
    except (AuthError, NotFoundError) as exc:
        refused.status, refused.code = exc.status, exc.code
        raise refused from None
    keys = profile.get("active_keys", [])
    masks = {mask(k.get("api_key")) for k in keys if isinstance(k, dict)}
    if mask(key) not in masks:
        raise refused


def run_login(
    ctx, *, with_key: bool, with_token: bool, skey, alias, address, web: bool, insecure: bool
) -> None:
    """`andamio login`: validate the flag combination, then run the chosen flows."""
    if with_key and with_token:
        raise InvalidInputError(
            "--with-key and --with-token both read standard input",
            hint="run `andamio login` once for each",
        )
    if (alias or address) and skey is None:
        raise InvalidInputError("--alias and --address go with --skey")
    if skey is not None and not (alias and address):
        raise InvalidInputError("--skey needs --alias and --address")
    if sum((with_token, skey is not None, web)) > 1:
        raise InvalidInputError("choose one of --with-token, --skey and --web")
    interactive = not (with_key or with_token or skey is not None or web)
    if interactive and not ctx.can_prompt:
        raise InvalidInputError(
            "`andamio login` without flags needs a terminal", hint=NO_TERMINAL_HINT
        )
    ctx.base_url  # noqa: B018 - validate the URL before anything is stored
    ctx.store(insecure=insecure, interactive=interactive)
    check_can_store(ctx)
    if with_key:
        _save_api_key(ctx, _read_stdin(ctx, "API key").strip())
    if with_token:
        _save_token(ctx, _read_stdin(ctx, "developer JWT"))
    if skey is not None:
        _wallet_login(ctx, skey, alias, address)
    if web:
        _web_login(ctx)
    if interactive:
        if not ctx.creds.stored("api_key"):
            _save_api_key(ctx, _ask_secret(ctx, "API key (input hidden)", "API key"))
        if not ctx.creds.stored("dev_jwt"):
            _web_login(ctx)
    _remember_target(ctx)
    _warn_shadowed(ctx)
    emit_login(ctx, "Logged in")
    if with_key and not (with_token or skey is not None or web):
        _next_step_after_key(ctx)


def _next_step_after_key(ctx) -> None:
    """After `login --with-key` alone: name the developer login when no JWT can be used."""
    from andamio_cli.auth.tokens import is_usable

    jwt, source = ctx.creds.get("dev_jwt")
    expiry = None if source == "env" else ctx.profile_settings.get("jwt_expires_at")
    if is_usable(jwt, expiry) or ctx.creds.get("refresh_token")[0]:
        return
    cli = "andamio" if ctx.profile == ctx.default_profile else f"andamio --profile {ctx.profile}"
    ctx.note(
        f"Next: log in as a developer with `{cli} login --web` (browser) or "
        f"`{cli} login --skey FILE --alias A --address ADDR`; key commands need a developer JWT."
    )


def check_can_store(ctx) -> None:
    """Credentials for this base URL may be stored in the profile: it holds none for another."""
    from andamio_cli.credentials import SECRETS
    from andamio_cli.errors import StoreUnavailableError

    if ctx.credentials_url == ctx.base_url:
        return
    try:
        holds = any(ctx.creds.stored(secret) for secret in SECRETS)
    except StoreUnavailableError:
        return  # nothing can be stored there anyway; storing will say so
    if holds:
        ctx.check_stored_url(
            "credentials for both are not mixed in one profile; nothing was stored"
        )


def _remember_target(ctx) -> None:
    values = {}
    if ctx.options.network:
        values["network"] = ctx.options.network
    if ctx.options.base_url:
        values["base_url"] = ctx.base_url
    elif ctx.options.network:
        values["base_url"] = None
    if values:
        ctx.settings.update(ctx.profile, **values)


def _warn_shadowed(ctx) -> None:
    from andamio_cli.actions.logout import LABELS
    from andamio_cli.credentials import ENV_VARS

    for secret, var in ENV_VARS.items():
        if ctx.env.get(var) and ctx.creds.stored(secret):
            ctx.warn(f"{var} is set and takes precedence over the stored {LABELS[secret]}")


def emit_login(ctx, verb: str) -> None:
    """The login/refresh result: the JSON envelope, or a note on stderr."""
    settings = ctx.profile_settings
    store = ctx.creds.store.name
    envelope = {
        "profile": ctx.profile,
        "alias": settings.get("alias"),
        "jwt_expires_at": settings.get("jwt_expires_at"),
        "refresh_token_expires_at": settings.get("refresh_token_expires_at"),
        "stored_in": store,
    }
    if ctx.options.output == "json":
        ctx.out.json(envelope)
        return
    who = f" as {envelope['alias']}" if envelope["alias"] else ""
    until = (
        f"; developer JWT valid until {envelope['jwt_expires_at']}"
        if envelope["jwt_expires_at"]
        else ""
    )
    where = "the OS keyring" if store == "keyring" else "a plain-text file (insecure storage)"
    ctx.note(f"{verb}{who} (profile {ctx.profile}); secrets are in {where}{until}.")
