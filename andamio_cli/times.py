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
