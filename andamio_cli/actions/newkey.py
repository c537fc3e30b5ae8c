"""A key the gateway issued is never lost: store it, print it, and say what happened to it."""

from __future__ import annotations

from andamio_cli import api
from andamio_cli.errors import AndamioError
from andamio_cli.stdout_guard import why

KEY_FIELDS = ("name", "created_at", "expires_at", "expires_in_days", "is_active")


def require_stdout(ctx) -> None:
    """Refuse before anything is sent when there is no standard output to print a key on."""
    if ctx.stdout is None or getattr(ctx.stdout, "closed", False):
        raise AndamioError(
            "standard output is closed, so a new key could not be shown; nothing was sent",
            hint="run the command again with standard output open (e.g. redirected to a file)",
        )


def recorded_key(ctx) -> tuple[str | None, str | None]:
    """The name and id recorded with the profile's stored key (either may be unknown)."""
    settings = ctx.profile_settings
    return settings.get("key_name"), settings.get("key_id")


def is_own_key(ctx, ref: str, creds: dict | None) -> bool:
    """Whether NAME_OR_ID is the profile's stored key: by the recorded name or id, else (with
    `creds`, one profile read) by the masked form of the stored secret in the key list."""
    from andamio_cli.errors import StoreUnavailableError
    from andamio_cli.output import mask

    if ctx.credentials_url != ctx.base_url:
        return False
    is_id = bool(api.UUID_RE.fullmatch(ref))
    name, key_id = recorded_key(ctx)
    recorded = ref == name or bool(is_id and key_id and ref.lower() == key_id.lower())
    try:
        stored = ctx.creds.stored("api_key")
    except StoreUnavailableError:
        return recorded  # storing the new secret will fail and say so; it is printed anyway
    if not stored:
        return False
    if recorded:
        return True
    if (name and not is_id) or (key_id and is_id) or creds is None:
        return False
    for key in api.get_profile(ctx.gateway(), creds).get("active_keys", []):
        if not isinstance(key, dict) or not isinstance(key.get("api_key"), str):
            continue
        ctx.remember(key["api_key"])
        same = key.get("name") == ref or (is_id and str(key.get("id", "")).lower() == ref.lower())
        if same and mask(key["api_key"]) == mask(stored):
            return True
    return False


def own_key_words(ctx) -> str:
    return f"this is the key profile {ctx.profile} uses"


def forget_own_key(ctx, ref: str) -> None:
    """Remove the local copy of the profile's key after the gateway deleted it."""
    ctx.creds.forget("api_key")
    ctx.settings.update(ctx.profile, key_name=None, key_id=None, key_expires_at=None)
    ctx.note(
        f"Removed the local copy of {ref} from profile {ctx.profile}; the CLI cannot call the "
        "gateway until another key is stored (`andamio login --with-key`)."
    )


def _describe(ctx, secret: str) -> str:
    from andamio_cli.output import mask

    name, _ = recorded_key(ctx)
    return f"{name} ({mask(secret)})" if name else mask(secret)


def _expiry(reply: dict) -> str | None:
    """The new key's expiry as ISO 8601 UTC (`status` shows it), when the reply has one."""
    from andamio_cli.times import iso, parse_time

    value = reply.get("expires_at")
    return iso(parse_time(value)) if isinstance(value, str) else None


def _store(ctx, reply: dict) -> str | None:
    """Store the new key as the profile's; return a description of the key it replaced."""
    old = ctx.creds.stored("api_key")
    replaced = _describe(ctx, old) if old and old != reply["api_key"] else None
    ctx.creds.save("api_key", reply["api_key"])
    key_id = reply.get("id") if isinstance(reply.get("id"), str) else None
    ctx.settings.update(
        ctx.profile,
        key_name=reply.get("name") if isinstance(reply.get("name"), str) else None,
        key_id=key_id,
        key_expires_at=_expiry(reply),
        store=ctx.creds.store.name,
        credentials_url=ctx.base_url,
    )
    return replaced


def _print(ctx, reply: dict) -> None:
    if ctx.options.output == "json":
        ctx.out.json(reply)
    elif ctx.options.output == "text":
        ctx.out.line(reply["api_key"])
    else:
        ctx.out.record(reply, [(k, reply.get(k, "")) for k in ("api_key", *KEY_FIELDS)])
    ctx.stdout.flush()


def emit_new_key(ctx, reply: dict, *, store: bool, rotated_own: bool = False) -> None:
    """Store (when asked) before printing; print even when storing fails; never lose it."""
    secret = reply["api_key"]
    ctx.remember(secret)
    name = reply.get("name") if isinstance(reply.get("name"), str) else "(unnamed)"
    failure = replaced = None
    if store:
        try:
            replaced = _store(ctx, reply)
        except AndamioError as exc:
            failure = exc
    try:
        _print(ctx, reply)
    except (OSError, ValueError, AttributeError) as exc:
        saved = (
            f"and saved as the API key of profile {ctx.profile}"
            if store and failure is None
            else "but NOT saved"
        )
        raise AndamioError(
            f"key {name} was created {saved}, but it could not be printed: standard output "
            f"{why(exc)}",
            hint=(
                "print it with `andamio token --api-key`"
                if store and failure is None
                else f"the secret is lost: delete the key (`andamio apikey delete {name}`) and "
                "create another with standard output open"
            ),
        ) from None
    if failure is not None:
        failure.message = f"the new key was printed above but NOT saved: {failure.message}"
        failure.hint = "copy it now; then store it with `andamio login --with-key`"
        raise failure
    details = ", ".join(
        f"{k}={str(reply[k]).lower() if isinstance(reply[k], bool) else reply[k]}"
        for k in KEY_FIELDS
        if reply.get(k) is not None
    )
    ctx.note(f"New key ({details}).")
    if not store:
        ctx.note("This key is shown once: store it now.")
        return
    where = f"profile {ctx.profile} ({ctx.creds.store.name})"
    if rotated_own:
        ctx.note(
            f"This was the key profile {ctx.profile} uses: the new secret is now stored in "
            f"{where}; the old one no longer works."
        )
    else:
        ctx.note(f"Saved as the API key of {where}.")
    if replaced and not rotated_own:
        ctx.note(f"It replaced the key stored before, {replaced}.")
