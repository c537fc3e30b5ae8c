"""Relative times in the words the contract fixes."""

from __future__ import annotations

from andamio_cli.times import date_and_relative, expiry_phrase, iso, parse_time, span

NOW = 1_796_000_000.0  # 2026-11-30T00:53:20Z
DAY, HOUR, MINUTE = 86400, 3600, 60


def test_span_uses_the_largest_whole_unit():
    assert span(6 * DAY + 5 * HOUR) == "6 days"
    assert span(DAY) == "1 day"
    assert span(23 * HOUR + 59 * MINUTE) == "23 hours"
    assert span(HOUR) == "1 hour"
    assert span(59 * MINUTE + 59) == "59 minutes"
    assert span(MINUTE) == "1 minute"
    assert span(30) == "0 minutes"


def test_expiry_phrase_future_and_past():
    assert expiry_phrase(NOW + 6 * DAY + 1, NOW) == "expires in 6 days"
    assert expiry_phrase(NOW + DAY + 10, NOW) == "expires in 1 day"
    assert expiry_phrase(NOW - 3 * HOUR - 5, NOW) == "expired 3 hours ago"


def test_date_and_relative_for_tables():
    assert date_and_relative(NOW + 29 * DAY + 100, NOW) == "2026-12-29 (in 29 days)"
    assert date_and_relative(NOW - 2 * DAY - 100, NOW) == "2026-11-28 (expired 2 days ago)"


def test_iso_round_trip():
    assert iso(parse_time("2026-11-23T11:00:00Z")) == "2026-11-23T11:00:00Z"
    assert iso(None) is None
