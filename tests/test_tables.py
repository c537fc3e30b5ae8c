"""`apikey list/profile/usage` as a person sees them (a real pseudo-terminal) and as scripts do."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import select
import struct
import subprocess
import termios
import time

import pytest
from conftest import andamio_command, clean_env

from andamio_cli.sandbox.state import DAY

SPACED = "deploy key for prod"


def _clean_env(sb, **extra) -> dict:
    return clean_env(
        COLUMNS=None,
        ANDAMIO_BASE_URL=sb.url,
        ANDAMIO_API_KEY=sb.dev.api_key,
        ANDAMIO_DEV_JWT=sb.dev.jwt,
        ANDAMIO_CREDENTIAL_STORE="file",
        **extra,
    )


def run_in_terminal(args, env, columns, timeout=60.0):
    """Run the CLI with stdout on a pseudo-terminal `columns` wide; stderr is a pipe."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(
        andamio_command() + list(args),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"no EOF from {args} within {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            out += data
        err = proc.stderr.read() if proc.stderr else b""
        code = proc.wait(timeout=timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return code, out.decode("utf-8").replace("\r\n", "\n"), err.decode("utf-8")


def run_piped(args, env, timeout=60.0):
    result = subprocess.run(
        andamio_command() + list(args),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return result.returncode, result.stdout, result.stderr


def add_listed_keys(sandbox) -> None:
    """Beside the seeded key: one with spaces in its name, one expired two days ago (and
    inactive), one with 23 h left."""
    st = sandbox.state
    now = time.time()
    with st.lock:
        st.add_key(sandbox.dev.user_id, SPACED, 30)
        st.add_key(sandbox.dev.user_id, "ci-old", 30).expires_at = now - 2 * DAY - 600
        st.add_key(sandbox.dev.user_id, "nearly-gone", 30).expires_at = now + 23 * 3600


@pytest.fixture
def keys(sandbox, tmp_path):
    """The seeded key plus one with a space in its name, one expired, one with 23 h left."""
    add_listed_keys(sandbox)
    return _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"))


def _line_with(text: str, name: str) -> str:
    lines = [line for line in text.splitlines() if name in line]
    assert len(lines) == 1, (name, text)
    return lines[0]


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_terminal_list_keeps_names_whole_marks_and_relative_times(keys, columns):
    code, out, err = run_in_terminal(["apikey", "list"], dict(keys, NO_COLOR="1"), columns)
    assert code == 0, err
    assert "\x1b" not in out and "\x1b" not in err  # NO_COLOR: no escape at all, bold included
    for name in ("sandbox-default", SPACED, "ci-old", "nearly-gone"):
        _line_with(out, name)  # each name whole, on one line of its own row
    assert "deploy key\n" not in out and "for prod" not in out.replace(SPACED, "")
    assert _line_with(out, "ci-old").split()[0] == "✗"
    assert _line_with(out, "nearly-gone").split()[0] == "!"
    assert _line_with(out, SPACED).split()[0] != "!"
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * DAY - 600))
    assert f"{day} (expired 2 days ago)" in out
    assert "(in 22 hours)" in out or "(in 23 hours)" in out
    assert "(in 29 days)" in out and "yes" in out and "no" in out
    assert "true" not in out and not re.search(r"\d{4}-\d\d-\d\dT", out)  # no ISO on a terminal
    assert err == (
        "Expired or expiring within 14 days: ci-old (expired 2 days ago), "
        f"nearly-gone (expires in {'22' if '22 hours' in out else '23'} hours).\n"
    )


def test_wide_terminal_draws_one_row_per_key(keys):
    code, out, err = run_in_terminal(["apikey", "list"], dict(keys, NO_COLOR="1"), 200)
    assert code == 0, err
    header = _line_with(out, "NAME")
    assert header.split() == ["NAME", "ID", "KEY", "CREATED", "EXPIRES", "ACTIVE"]
    row = _line_with(out, SPACED)
    assert row.split()[5].startswith("ant_pp_…") and row.rstrip().endswith("yes")
    assert len(out.splitlines()) == 2 + 4  # header, rule, four keys


def test_narrow_terminal_gives_each_key_a_block(keys):
    code, out, err = run_in_terminal(["apikey", "list"], dict(keys, NO_COLOR="1"), 40)
    assert code == 0, err
    blocks = out.strip("\n").split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "sandbox-default",
        SPACED,
        "✗ ci-old",
        "! nearly-gone",
    ]
    ids = [line.split()[-1] for line in out.splitlines() if line.startswith("  id ")]
    assert len(ids) == 4 and all(len(i) == 36 for i in ids)  # an id is never folded


def test_colour_on_a_terminal_marks_but_never_breaks_names(keys):
    code, out, err = run_in_terminal(["apikey", "list"], keys, 200)
    assert code == 0, err
    assert "\x1b[" in out  # colour is on by default on a terminal
    assert SPACED in out


@pytest.mark.parametrize("flag", [["--no-color"], ["-q"]])
def test_no_color_flag_and_quiet_have_no_escapes(keys, flag):
    code, out, err = run_in_terminal(["apikey", "list", *flag], keys, 80)
    assert code == 0, err
    assert "\x1b" not in out and "\x1b" not in err
    if flag == ["-q"]:
        assert out == f"sandbox-default\n{SPACED}\nci-old\nnearly-gone\n" and err == ""


def test_piped_list_is_iso_true_false_and_byte_stable(keys, sandbox):
    first = run_piped(["apikey", "list"], keys)
    second = run_piped(["apikey", "list"], keys)
    assert first[0] == 0, first[2]
    assert first[1] == second[1]
    assert "\x1b" not in first[1]
    rows = [line.split("\t") for line in first[1].splitlines()]
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"sandbox-default", SPACED, "ci-old", "nearly-gone"}
    seeded = by_name["sandbox-default"]
    assert seeded[1] == sandbox.dev.key_id
    assert seeded[3].endswith("Z") and "T" in seeded[3] and seeded[6] == "true"
    assert by_name["nearly-gone"][5] == "0" and by_name["ci-old"][5] == "-3"
    assert by_name["ci-old"][6] == "false"
    assert "expired" not in first[1] and "yes" not in first[1]
    assert "ci-old" in first[2]  # the note is on stderr, never in the data


def test_csv_escapes_formula_cells_but_not_numbers(sandbox, tmp_path):
    st = sandbox.state
    with st.lock:
        for name in ("=HYPERLINK(1)", "+cmd", "-cmd", "@SUM(A1)"):
            st.add_key(sandbox.dev.user_id, name, 1).expires_at = time.time() - 3 * DAY
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"))
    code, out, err = run_piped(["apikey", "list", "-o", "csv"], env)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["NAME", "ID", "KEY", "CREATED", "EXPIRES", "DAYS LEFT", "ACTIVE"]
    names = [row[0] for row in rows[1:]]
    assert names == ["sandbox-default", "'=HYPERLINK(1)", "'+cmd", "'-cmd", "'@SUM(A1)"]
    assert [row[5] for row in rows[2:]] == ["-4"] * 4  # a number is not a formula
    assert [row[6] for row in rows[1:]] == ["true", "false", "false", "false", "false"]


def test_markdown_and_json_keep_iso_times_and_booleans(keys):
    code, out, err = run_piped(["apikey", "list", "-o", "markdown"], keys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "| NAME | ID | KEY | CREATED | EXPIRES | DAYS LEFT | ACTIVE |"
    assert _line_with(out, SPACED).endswith("| 29 | true |")
    code, out, err = run_piped(["apikey", "list", "--json"], keys)
    assert code == 0, err
    items = json.loads(out)
    assert [i["name"] for i in items][1:] == [SPACED, "ci-old", "nearly-gone"]
    assert items[2]["is_active"] is False and items[2]["expires_at"].endswith("Z")
    assert set(items[0]) == {
        "name",
        "id",
        "api_key",
        "created_at",
        "expires_at",
        "days_left",
        "is_active",
    }
    assert err == ""  # JSON mode: no notes


def test_usage_for_people_and_for_scripts(sandbox, tmp_path):
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"), NO_COLOR="1")
    code, out, err = run_in_terminal(["apikey", "usage"], env, 80)
    assert code == 0, err
    assert _line_with(out, "daily").split() == ["daily", "1", "/", "5000", "(4999", "left)"]
    assert "(in 364 days)" in _line_with(out, "expiration")
    code, out, err = run_piped(["apikey", "usage", "-o", "csv"], env)
    assert code == 0, err
    header, row = list(csv.reader(io.StringIO(out)))
    fields = dict(zip(header, row, strict=True))
    assert fields["daily_used"] == "2" and fields["daily_limit"] == "5000"
    assert fields["daily_remaining"] == "4998" and fields["monthly_limit"] == "100000"
    assert fields["tier"] == "Starter" and fields["expiration"].endswith("Z")
    assert "left" not in out and "/" not in out.replace("req/", "")
    code, out, err = run_piped(["apikey", "usage"], env)
    assert code == 0, err
    lines = dict(line.split("\t") for line in out.splitlines())
    assert lines["daily_used"] == "3" and lines["daily_remaining"] == "4997"
    code, out, err = run_piped(["apikey", "usage", "--json"], env)
    assert code == 0, err
    assert json.loads(out)["remaining_daily"] == 4996  # the gateway's numbers, as numbers


def test_quiet_keeps_only_the_essential_value(sandbox, tmp_path):
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"))
    assert run_piped(["apikey", "usage", "-q"], env)[1:] == ("4999\n", "")
    assert run_piped(["apikey", "profile", "-q"], env)[1:] == ("sandbox-dev\n", "")
    assert run_piped(["-q", "apikey", "list"], env)[1:] == ("sandbox-default\n", "")
    assert run_piped(["apikey", "request", "quiet-one"], env)[0] == 0
    code, out, err = run_piped(["apikey", "rotate", "quiet-one", "--yes", "-q"], env)
    assert code == 0 and err == "" and out.startswith("ant_pp_") and out.count("\n") == 1
    sandbox.rotate_mode = "extend"  # no new key: nothing to print
    code, out, err = run_piped(["apikey", "rotate", "quiet-one", "--yes", "-q"], env)
    assert (code, out, err) == (0, "", "")
    code, out, err = run_piped(["apikey", "delete", "quiet-one", "--yes", "-q"], env)
    assert (code, out, err) == (0, "", "")
    assert run_piped(["apikey", "list", "-q"], env)[1] == "sandbox-default\n"


def test_profile_for_people_and_for_scripts(sandbox, tmp_path):
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"), NO_COLOR="1")
    code, out, err = run_in_terminal(["apikey", "profile"], env, 80)
    assert code == 0, err
    active = _line_with(out, "active_keys").split()
    assert active[1:] == "1 of 2 allowed by the starter tier".split()
    assert "(0 minutes ago)" in _line_with(out, "created_at")
    code, out, err = run_piped(["apikey", "profile", "-o", "csv"], env)
    assert code == 0, err
    rows = dict(csv.reader(io.StringIO(out)))
    assert rows["active_keys"] == "1" and rows["key_cap"] == "2" and rows["tier"] == "starter"
    code, out, err = run_piped(["apikey", "profile", "--json"], env)
    assert code == 0, err
    document = json.loads(out)
    assert document["active_keys"][0]["api_key"].startswith("ant_pp_…")
    assert sandbox.dev.api_key not in out
