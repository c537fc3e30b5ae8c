"""`apikey list`, `profile` and `usage`: one read each, shown for people or for scripts."""

from __future__ import annotations

import time
from typing import Any

from andamio_cli import api
from andamio_cli.actions.apikey import _developer_creds

# Keys per tier (api-contract: Pioneer 1, Starter 2, Growth 5); unknown tiers show no cap.
TIER_KEY_CAPS = {"pioneer": 1, "starter": 2, "growth": 5}


def _moment(value: object) -> float | None:
    """Seconds since the epoch of a gateway time, when it is one a date can show."""
    from datetime import datetime, timezone

    from andamio_cli.times import parse_time

    try:
        seconds = parse_time(value)
        if seconds is not None:
            datetime.fromtimestamp(int(seconds), timezone.utc)
        return seconds
    except (OverflowError, ValueError, OSError):
        return None


def _human_time(value: object, now: float, *, past: bool = False) -> object:
    """`2026-12-30 (in 29 days)` on a terminal; what the gateway sent when it is not a time."""
    from andamio_cli.times import date_and_age, date_and_relative

    when = _moment(value)
    if when is None:
        return value
    return date_and_age(when, now) if past else date_and_relative(when, now)


def _quiet(ctx) -> bool:
    """-q prints only the essential value (JSON, when asked for, wins)."""
    return ctx.options.quiet and ctx.options.output != "json"


def _key_item(ctx, key: dict, now: float) -> dict:
    from andamio_cli.output import mask

    secret = key.get("api_key")
    ctx.remember(secret if isinstance(secret, str) else None)
    when = _moment(key.get("expires_at"))
    return {
        "name": key.get("name"),
        "id": key.get("id"),
        "api_key": mask(secret) or None,
        "created_at": key.get("created_at"),
        "expires_at": key.get("expires_at"),
        "days_left": None if when is None else int((when - now) // 86400),
        "is_active": key.get("is_active"),
    }


def _attention(items: list[dict], now: float) -> list[tuple[dict, float]]:
    """Keys that have expired or expire within the warning window, with their expiry."""
    from andamio_cli.times import EXPIRY_WARNING_DAYS

    found = []
    for item in items:
        when = _moment(item["expires_at"])
        if when is not None and when - now < EXPIRY_WARNING_DAYS * 86400:
            found.append((item, when))
    return found


def fetch_keys(ctx) -> list[dict]:
    """The profile's keys as the profile endpoint lists them (one read)."""
    body = api.get_profile(ctx.gateway(), _developer_creds(ctx))
    return [k for k in body.get("active_keys", []) if isinstance(k, dict)]


def list_keys(ctx) -> None:
    """The profile's keys: a table on a terminal, stable rows or JSON for scripts."""
    show_keys(ctx, fetch_keys(ctx))


def show_keys(
    ctx, keys: list[dict], *, empty_note: str = "No keys.", attention_note: bool = True
) -> None:
    """Keys as `apikey list` shows them (masked); `apikey check` shows its selection so."""
    from andamio_cli.times import EXPIRY_WARNING_DAYS, expiry_phrase

    now = time.time()
    items = [_key_item(ctx, k, now) for k in keys]
    if _quiet(ctx):
        for item in items:
            if item["name"] is not None:
                ctx.out.line(str(item["name"]))
        return
    if ctx.options.output == "json":
        ctx.out.json(items)
        return
    with_id = any(item["id"] is not None for item in items)
    if ctx.out.human:
        _human_list(ctx, items, now, with_id)
    else:
        columns = ["NAME", "ID", "KEY", "CREATED", "EXPIRES", "DAYS LEFT", "ACTIVE"]
        rows = [list(item.values()) for item in items]
        if not with_id:
            columns.pop(1)
            rows = [row[:1] + row[2:] for row in rows]
        ctx.out.table(columns, rows)
    if not items:
        ctx.note(empty_note)
    attention = _attention(items, now) if attention_note else []
    if attention:
        named = ", ".join(
            f"{item['name']} ({expiry_phrase(when, now)})" for item, when in attention
        )
        ctx.note(f"Expired or expiring within {EXPIRY_WARNING_DAYS} days: {named}.")


# The columns that give way, in order, when the key table is wider than the terminal (then
# each key becomes a block with every column); the name never does, and never gets cut.
GIVE_WAY = ("CREATED", "ID")


def _human_list(ctx, items: list[dict], now: float, with_id: bool) -> None:
    from andamio_cli.output import cell

    marked = {id(item): when for item, when in _attention(items, now)}
    expired_mark = "✗" if ctx.out.unicode else "x"
    columns = ["NAME", "ID", "KEY", "CREATED", "EXPIRES", "ACTIVE"]
    rows: list[list[Any]] = []
    styles: list[str | None] = []
    for item in items:
        when = marked.get(id(item))
        name, style = item["name"], None
        if when is not None:  # the mark leads the name: `✗ ci-old`, `! nightly`
            mark, style = (expired_mark, "red") if when <= now else ("!", "yellow")
            name = f"{mark} {cell(name)}"
        rows.append(
            [
                name,
                item["id"],
                item["api_key"],
                _human_time(item["created_at"], now, past=True),
                _human_time(item["expires_at"], now),
                item["is_active"],
            ]
        )
        styles.append(style)
    if not rows:
        return
    shown = [c for c in columns if c != "ID" or with_id]
    for column in GIVE_WAY:
        if ctx.out.fits(shown, _only(columns, shown, rows)):
            break
        shown = [c for c in shown if c != column]
    else:
        if not ctx.out.fits(shown, _only(columns, shown, rows)):
            shown = [c for c in columns if c != "ID" or with_id]  # blocks show every column
    ctx.out.table(shown, _only(columns, shown, rows), keep=0, styles=styles)


def _only(columns: list[str], shown: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """`rows` cut down to the `shown` columns."""
    at = [columns.index(c) for c in shown]
    return [[row[i] for i in at] for row in rows]


def _masked_profile(body: dict) -> dict:
    """The profile with every `active_keys[].api_key` masked (a raw key is shown only once)."""
    from andamio_cli.output import mask

    keys = body.get("active_keys")
    if not isinstance(keys, list):
        return body
    masked = [
        {**k, "api_key": mask(k["api_key"]) or None}
        if isinstance(k, dict) and isinstance(k.get("api_key"), str)
        else k
        for k in keys
    ]
    return {**body, "active_keys": masked}


def profile(ctx) -> None:
    """The developer profile: Field/Value rows, JSON (masked), or the alias alone with -q."""
    body = api.get_profile(ctx.gateway(), _developer_creds(ctx))
    for key in body.get("active_keys") or []:
        if isinstance(key, dict) and isinstance(key.get("api_key"), str):
            ctx.remember(key["api_key"])
    if _quiet(ctx):
        ctx.out.line(str(body.get("alias") or ""))
        return
    keys = body.get("active_keys")
    count = len(keys) if isinstance(keys, list) else None
    tier = body.get("tier")
    cap = TIER_KEY_CAPS.get(tier.lower()) if isinstance(tier, str) else None
    now = time.time()
    human = ctx.out.human
    rows: list[tuple[str, Any]] = [
        ("user_id", body.get("user_id")),
        ("alias", body.get("alias")),
        ("tier", tier),
        (
            "created_at",
            _human_time(body.get("created_at"), now, past=True)
            if human
            else body.get("created_at"),
        ),
    ]
    if human and count is not None and cap is not None:
        rows.append(("active_keys", f"{count} of {cap} allowed by the {tier} tier"))
    else:
        rows.append(("active_keys", count))
        if cap is not None:
            rows.append(("key_cap", cap))
    ctx.out.record(_masked_profile(body), rows)


WINDOWS = (
    ("daily", "daily_quota_consumed", "daily_quota_limit", "remaining_daily"),
    ("monthly", "monthly_quota_consumed", "monthly_quota_limit", "remaining_monthly"),
)


def _remaining(body: dict, used_field: str, limit_field: str, left_field: str) -> object:
    left = body.get(left_field)
    if (
        left is None
        and isinstance(body.get(limit_field), int)
        and isinstance(body.get(used_field), int)
    ):
        left = max(0, body[limit_field] - body[used_field])
    return left


def usage(ctx) -> None:
    """Quota: prose on a terminal, one number per column for scripts, the remainder with -q."""
    body = api.get_usage(ctx.gateway(), _developer_creds(ctx))
    if _quiet(ctx):
        left = _remaining(body, *WINDOWS[0][1:])
        if left is not None:
            ctx.out.line(str(left))
        return
    if ctx.options.output == "json":
        ctx.out.json(body)
        return
    windows = body.get("rate_limit_windows")
    limits = "; ".join(map(str, windows)) if isinstance(windows, list) else windows
    if ctx.out.human:
        rows: list[tuple[str, Any]] = []
        for name, used, limit, left in WINDOWS:
            parts = [body.get(used), body.get(limit), _remaining(body, used, limit, left)]
            if any(p is not None for p in parts):
                prose = "{} / {} ({} left)".format(*("?" if p is None else p for p in parts))
                rows.append((name, prose))
        rows += [
            ("tier", body.get("subscription_tier")),
            ("expiration", _human_time(body.get("expiration"), time.time())),
            ("rate_limits", ", ".join(map(str, windows)) if isinstance(windows, list) else windows),
        ]
        ctx.out.record(body, rows)
        return
    fields: list[tuple[str, Any]] = [
        ("tier", body.get("subscription_tier")),
        ("expiration", body.get("expiration")),
    ]
    for name, used, limit, left in WINDOWS:
        fields += [
            (f"{name}_used", body.get(used)),
            (f"{name}_limit", body.get(limit)),
            (f"{name}_remaining", body.get(left)),
        ]
    fields.append(("rate_limits", limits))
    if ctx.options.output == "text":
        ctx.out.record(body, fields)
    else:
        ctx.out.table([name for name, _ in fields], [[value for _, value in fields]])
