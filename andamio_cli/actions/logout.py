"""`andamio logout`: forget stored credentials, and say which ones from where."""

from __future__ import annotations

LABELS = {"api_key": "API key", "dev_jwt": "developer JWT", "refresh_token": "refresh token"}


def _words(names: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def run_logout(ctx, *, all_profiles: bool) -> None:
    """`andamio logout`: forget stored credentials of one or every profile, and say which."""
    from andamio_cli.actions.status import known_profiles
    from andamio_cli.credentials import ENV_VARS, SECRETS

    settings = ctx.settings
    names = sorted({*known_profiles(ctx), ctx.profile}) if all_profiles else [ctx.profile]
    removed: list[str] = []
    for name in names:
        store = ctx.store_for(settings.get(name))
        gone = [secret for secret in SECRETS if store.delete(name, secret)]
        settings.update(
            name,
            alias=None,
            key_name=None,
            key_id=None,
            credentials_url=None,
            key_expires_at=None,
            jwt_expires_at=None,
            refresh_token_expires_at=None,
            refreshed_from=None,
        )
        if gone:
            where = "the OS keyring" if store.name == "keyring" else "credentials.json"
            what = _words([LABELS[secret] for secret in gone])
            removed.append(f"Removed the {what} of profile {name} from {where}.")
    cleared = bool(removed)
    if all_profiles and settings.active_profile():
        settings.set_active_profile(None)
        removed.append("Commands use profile default again.")
    if ctx.options.output == "json":
        ctx.out.json({"cleared": cleared})
    elif cleared:
        for line in removed:
            ctx.note(line)
    else:
        whom = "any profile" if all_profiles else f"profile {ctx.profile}"
        ctx.note(f"Nothing was stored for {whom}; nothing to remove.")
    for var in ENV_VARS.values():
        if ctx.env.get(var):
            ctx.warn(f"{var} is still set in the environment")
