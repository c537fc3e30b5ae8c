"""`andamio apikey check`: the keys that have expired or expire soon (exit 8 when any)."""

from __future__ import annotations

import time

from andamio_cli.errors import AttentionError, InvalidInputError

ROTATE_HINT = "rotate them with `andamio apikey rotate NAME` (or request new ones)"


def check_within(days: int) -> int:
    """`--within DAYS`: a whole number of days, 0 (expired keys only) or more."""
    if days < 0:
        raise InvalidInputError(
            f"--within must be a whole number of days, 0 or more (got {days})",
            hint="for example `andamio apikey check --within 7`",
        )
    return days


def due_keys(keys: list[dict], days: int, now: float) -> list[tuple[dict, float]]:
    """(key, expiry) of the keys whose expiry is at most `days` days from `now`, soonest first."""
    from andamio_cli.times import parse_time

    due = []
    for key in keys:
        when = parse_time(key.get("expires_at"))
        if when is not None and when <= now + days * 86400:
            due.append((key, when))
    return sorted(due, key=lambda pair: pair[1])


def _window(days: int, one: bool) -> str:
    """`has expired or expires within 14 days` (one key) / `have expired or expire ...`."""
    has, expire = ("has", "expires") if one else ("have", "expire")
    return f"{has} expired" + ("" if days == 0 else f" or {expire} within {days} days")


def run_check(ctx, days: int) -> None:
    """One read of the key list; show the keys due; AttentionError (exit 8) when there are any."""
    from andamio_cli.actions.apikey_read import fetch_keys, show_keys
    from andamio_cli.times import expiry_phrase

    check_within(days)
    keys = fetch_keys(ctx)
    now = time.time()
    due = due_keys(keys, days, now)
    shown = [key for key, _ in due]
    show_keys(ctx, shown, empty_note=f"No key {_window(days, True)}.", attention_note=False)
    if not due:
        return
    ctx.stdout.flush()
    names = ", ".join(f"{key.get('name')} ({expiry_phrase(when, now)})" for key, when in due)
    count = "1 key" if len(due) == 1 else f"{len(due)} keys"
    raise AttentionError(f"{count} {_window(days, len(due) == 1)}: {names}", hint=ROTATE_HINT)
