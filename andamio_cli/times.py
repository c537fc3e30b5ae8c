"""Times as the gateway writes them (ISO 8601 UTC) and as seconds since the epoch."""

from __future__ import annotations

from datetime import datetime, timezone

# Times outside these years are not ones the gateway means (an epoch in milliseconds, a typo).
SANE_YEARS = (2000, 2999)
_EPOCH_RANGE = (0.0, 253402214400.0)  # 1970-01-01 .. 9999-12-31, what datetime can show


def parse_time(value: object) -> float | None:
    """Seconds since the epoch from an ISO-8601 string or a number; None when it is neither
    or lies outside what a date can show (NaN, infinity, year 10000)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            seconds = moment.timestamp()
        except (ValueError, OverflowError):
            return None
    else:
        return None
    low, high = _EPOCH_RANGE
    return seconds if low <= seconds < high else None  # NaN fails both comparisons


def gateway_time(value: object) -> float | None:
    """Seconds since the epoch from an ISO-8601 string of a sane year; None otherwise
    (numbers included: the gateway writes times as strings)."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    seconds = parse_time(value)
    if seconds is None:
        return None
    year = datetime.fromtimestamp(seconds, timezone.utc).year
    return seconds if SANE_YEARS[0] <= year <= SANE_YEARS[1] else None


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
