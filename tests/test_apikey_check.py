"""`andamio apikey check`: the installed CLI against the emulator."""

from __future__ import annotations

import json
import time

import pytest
from conftest import creds_env

from andamio_cli.actions.check import due_keys

DAY = 86400


def add_key(sb, name: str, seconds_left: float):
    """A key of the seeded developer that expires `seconds_left` from now (negative: expired)."""
    with sb.state.lock:
        key = sb.state.add_key(sb.dev.user_id, name, 30)
        key.expires_at = time.time() + seconds_left
    return key


@pytest.fixture
def keys(sandbox):
    """Besides the seeded 365-day key: expired, expiring in 3 days, in 10 days, in 30 days."""
    made = {
        "old-key": add_key(sandbox, "old-key", -2 * DAY - 3600),
        "soon-key": add_key(sandbox, "soon-key", 3 * DAY + 3600),
        "ten-key": add_key(sandbox, "ten-key", 10 * DAY + 3600),
        "later-key": add_key(sandbox, "later-key", 30 * DAY + 3600),
    }
    sandbox.clear_requests()
    return made


def names(stdout: str) -> list[str]:
    return [line.split("\t")[0] for line in stdout.splitlines()]


def test_keys_due_are_listed_and_exit_8(sandbox, run_andamio, keys):
    result = run_andamio(["apikey", "check"], env=creds_env(sandbox))
    assert result.returncode == 8, result.stderr
    assert names(result.stdout) == ["old-key", "soon-key", "ten-key"]
    assert result.stderr == (
        "Error: 3 keys have expired or expire within 14 days: old-key (expired 2 days ago), "
        "soon-key (expires in 3 days), ten-key (expires in 10 days)\n"
        "Hint: rotate them with `andamio apikey rotate NAME` (or request new ones)\n"
    )
    assert [r.route for r in sandbox.requests] == ["profile/get"]
    for key in keys.values():
        assert key.secret not in result.stdout + result.stderr
        assert key.secret[-4:] in result.stdout or key.name == "later-key"


@pytest.mark.parametrize(
    "within, expected",
    [
        ("0", ["old-key"]),
        ("7", ["old-key", "soon-key"]),
        ("40", ["old-key", "soon-key", "ten-key", "later-key"]),
    ],
)
def test_within_sets_the_window(sandbox, run_andamio, keys, within, expected):
    result = run_andamio(["apikey", "check", "--within", within], env=creds_env(sandbox))
    assert result.returncode == 8, result.stderr
    assert names(result.stdout) == expected
    assert result.stderr.startswith(f"Error: {len(expected)} key")


def test_one_key_due_reads_in_the_singular(sandbox, run_andamio, keys):
    result = run_andamio(["apikey", "check", "--within", "0"], env=creds_env(sandbox))
    assert result.returncode == 8
    assert result.stderr.startswith("Error: 1 key has expired: old-key (expired 2 days ago)\n")


def test_nothing_due_is_exit_0(sandbox, run_andamio):
    add_key(sandbox, "fine-key", 20 * DAY)
    result = run_andamio(["apikey", "check"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "No key has expired or expires within 14 days.\n"
    assert [r.route for r in sandbox.requests] == ["profile/get"]


def test_nothing_due_json_is_an_empty_list(sandbox, run_andamio):
    result = run_andamio(["apikey", "check", "--json"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert result.stderr == ""


def test_json_lists_the_keys_and_the_error_kind_is_attention(sandbox, run_andamio, keys):
    result = run_andamio(["apikey", "check", "--within", "7", "--json"], env=creds_env(sandbox))
    assert result.returncode == 8, result.stderr
    listed = json.loads(result.stdout)
    assert [k["name"] for k in listed] == ["old-key", "soon-key"]
    assert all(k["api_key"].startswith("ant_pp_…") for k in listed)
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "attention"
    assert error["message"].startswith("2 keys have expired or expire within 7 days: old-key")


def test_quiet_keeps_the_exit_code(sandbox, run_andamio, keys):
    result = run_andamio(["apikey", "check", "-q", "--within", "0"], env=creds_env(sandbox))
    assert result.returncode == 8
    assert result.stdout == "old-key\n"  # as `list -q`: the names alone
    assert result.stderr.startswith("Error: 1 key has expired: old-key")


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", ""])
def test_bad_days_is_exit_4_and_nothing_is_sent(sandbox, run_andamio, value):
    result = run_andamio(["apikey", "check", "--within", value], env=creds_env(sandbox))
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert "--within" in result.stderr
    assert sandbox.requests == []


def test_no_api_key_is_exit_3(sandbox, run_andamio):
    result = run_andamio(["apikey", "check"], env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: no API key for profile default" in result.stderr
    assert sandbox.requests == []


def test_due_keys_ignores_keys_without_a_readable_expiry():
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    keys = [
        {"name": "a", "expires_at": "2027-01-17T08:00:00Z"},  # in 2 days
        {"name": "b"},
        {"name": "c", "expires_at": "soon"},
        {"name": "d", "expires_at": "2027-01-14T00:00:00Z"},
    ]
    assert [k["name"] for k, _ in due_keys(keys, 3, now)] == ["d", "a"]
    assert [k["name"] for k, _ in due_keys(keys, 1, now)] == ["d"]
