"""`andamio switch PROFILE`: the profile to use when neither --profile nor ANDAMIO_PROFILE does."""

from __future__ import annotations

from andamio_cli.errors import NotFoundError, StoreUnavailableError


def has_stored(ctx, profile: str) -> bool:
    """Whether the profile's store holds any of its secrets (the environment is ignored)."""
    from andamio_cli.credentials import SECRETS

    store = ctx.store_for(ctx.settings.get(profile))
    return any(store.get(profile, secret) for secret in SECRETS)


def run_switch(ctx, name: str) -> None:
    """Record PROFILE as the active one; refuse a profile with nothing stored (exit 2)."""
    from andamio_cli.actions.status import known_profiles
    from andamio_cli.settings import check_profile

    check_profile(name)
    previous = ctx.default_profile
    try:
        stored = has_stored(ctx, name)
    except StoreUnavailableError:
        stored = bool(ctx.settings.get(name))  # no keyring here: trust the settings
    if not stored:
        others = [p for p in known_profiles(ctx) if p != name and _stored_quietly(ctx, p)]
        known = ", ".join(others) if others else "none yet"
        raise NotFoundError(
            f"profile {name} has no stored credentials (profiles with credentials: {known})",
            hint=f"log in first: `andamio --profile {name} login`",
        )
    ctx.settings.set_active_profile(None if name == "default" else name)
    if ctx.options.output == "json":
        ctx.out.json({"active_profile": name, "previous": previous})
    elif not ctx.options.quiet:
        ctx.note(
            f"Switched to profile {name} (was {previous}): commands use it unless --profile "
            "or ANDAMIO_PROFILE names another."
        )
    pinned = ctx.env.get("ANDAMIO_PROFILE")
    if pinned and pinned != name:
        ctx.warn(f"ANDAMIO_PROFILE={pinned} is set in this shell and still takes precedence")


def _stored_quietly(ctx, profile: str) -> bool:
    try:
        return has_stored(ctx, profile)
    except StoreUnavailableError:
        return bool(ctx.settings.get(profile))
