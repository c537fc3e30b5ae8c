"""Times as the gateway writes them (ISO 8601 UTC) and as seconds since the epoch."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value: object) -> float | None:
    """Seconds since the epoch from an ISO-8601 string or a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def iso(seconds: float | None) -> str | None:
    """ISO-8601 UTC (`2026-11-23T11:00:00Z`)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


EXPIRY_WARNING_DAYS = 14  # keys and refresh tokens this close to expiry are marked
_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"))


def span(seconds: float) -> str:
    """`6 days`, `1 hour`, `0 minutes`: the largest whole unit among days, hours and minutes."""
    seconds = abs(seconds)
    for size, unit in _UNITS:
        count = int(seconds // size)
        if count >= 1 or size == 60:
            return f"{count} {unit}" + ("" if count == 1 else "s")
    raise AssertionError("unreachable")


def expiry_phrase(when: float, now: float) -> str:
    """`expires in 6 days` or `expired 3 hours ago` (status lines)."""
    return f"expires in {span(when - now)}" if when > now else f"expired {span(now - when)} ago"


def date_and_relative(when: float, now: float) -> str:
    """`2026-12-30 (in 29 days)` or `2026-11-28 (expired 2 days ago)` (tables on a terminal)."""
    day = datetime.fromtimestamp(int(when), timezone.utc).strftime("%Y-%m-%d")
    words = f"in {span(when - now)}" if when > now else f"expired {span(now - when)} ago"
    return f"{day} ({words})"


def date_and_age(when: float, now: float) -> str:
    """`2026-11-23 (7 days ago)`: a past moment, such as when a key was created."""
    day = datetime.fromtimestamp(int(when), timezone.utc).strftime("%Y-%m-%d")
    words = f"{span(now - when)} ago" if when <= now else f"in {span(when - now)}"
    return f"{day} ({words})"
