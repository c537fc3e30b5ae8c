"""Standard output that cannot be written, for every command (the installed CLI against the
emulator): closed, full (/dev/full), or a reader that has gone away. The key-creating
commands have their own rules (test_own_key.py)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess

import pytest
from conftest import andamio_command, e2e_env

from andamio_cli.stdout_guard import StdoutGuard

CLOSED = (
    "Error: the output could not be written: standard output is closed\n"
    "Hint: run the command again with standard output open (e.g. redirected to a file)\n"
)
FULL = (
    "Error: the output could not be written: standard output is full (no space left)\n"
    "Hint: free some space, or send the output somewhere else\n"
)

COMMANDS = [
    ["status"],
    ["apikey", "list"],
    ["apikey", "usage"],
    ["token"],
    ["token", "--api-key"],
    ["account", "status"],
]


def env_for(tmp_path, sb) -> dict:
    return e2e_env(
        tmp_path,
        ANDAMIO_BASE_URL=sb.url,
        ANDAMIO_API_KEY=sb.dev.api_key,
        ANDAMIO_DEV_JWT=sb.dev.jwt,
    )


def run_to(target: str, args: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run the CLI with stdout closed, on /dev/full, or on a pipe whose reader has gone."""
    common = dict(env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if target == "closed":
        shell = ["sh", "-c", 'exec "$@" >&-', "sh"]
        return subprocess.run(shell + andamio_command() + args, **common, timeout=60)
    if target == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(andamio_command() + args, stdout=full, **common, timeout=60)
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(andamio_command() + args, stdout=write, **common, timeout=60)
    finally:
        os.close(write)


def assert_no_secret(stderr: str, *secrets: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    for secret in secrets:
        assert secret not in stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_each_command_writes_on_a_working_stdout(sandbox, tmp_path, args):
    """The baseline: these commands do print something, and succeed."""
    result = subprocess.run(
        andamio_command() + args,
        env=env_for(tmp_path, sandbox),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() != ""
    assert result.stderr == ""


@pytest.mark.parametrize("target", ["closed", "full"])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_unwritable_stdout_is_a_clear_error(sandbox, tmp_path, args, target):
    result = run_to(target, args, env_for(tmp_path, sandbox))
    assert result.returncode == 1, result.stderr
    assert result.stderr == {"closed": CLOSED, "full": FULL}[target]
    assert_no_secret(result.stderr, sandbox.dev.api_key, sandbox.dev.jwt)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_reader_that_went_away_ends_the_command_quietly(sandbox, tmp_path, args):
    """As `cmd | head -0` with other Unix tools: exit 1, nothing on stderr."""
    result = run_to("gone", args, env_for(tmp_path, sandbox))
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("args", [["status", "--json"], ["apikey", "list", "-o", "json"]])
@pytest.mark.parametrize("target", ["closed", "full"])
def test_in_json_mode_the_error_is_one_json_object(sandbox, tmp_path, args, target):
    result = run_to(target, args, env_for(tmp_path, sandbox))
    assert result.returncode == 1, result.stderr
    why = {"closed": "is closed", "full": "is full (no space left)"}[target]
    hint = {
        "closed": "run the command again with standard output open (e.g. redirected to a file)",
        "full": "free some space, or send the output somewhere else",
    }[target]
    assert json.loads(result.stderr) == {
        "error": {
            "kind": "error",
            "message": f"the output could not be written: standard output {why}",
            "status": None,
            "code": None,
            "hint": hint,
        }
    }
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], ["completion", "bash"], ["status", "--help"], ["apikey"]],
    ids=" ".join,
)
@pytest.mark.parametrize("target", ["closed", "full"])
def test_help_version_and_completion_say_so_too(tmp_path, args, target):
    result = run_to(target, args, e2e_env(tmp_path))
    assert result.returncode == 1, result.stderr
    assert result.stderr == {"closed": CLOSED, "full": FULL}[target]


def test_a_command_that_prints_nothing_does_not_need_stdout(sandbox, tmp_path):
    """`status -q` prints nothing: closed stdout changes nothing (exit 0 ready, 3 not)."""
    ready = run_to("closed", ["status", "-q"], env_for(tmp_path, sandbox))
    assert (ready.returncode, ready.stderr) == (0, "")
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url)
    not_ready = run_to("closed", ["status", "-q"], env)
    assert (not_ready.returncode, not_ready.stderr) == (3, "")


def test_an_error_of_the_command_itself_is_still_reported(sandbox, tmp_path):
    """A command that fails before printing keeps its own error and exit code."""
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url)
    result = run_to("full", ["apikey", "usage"], env)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("Error: no API key for profile default\n"), result.stderr
    assert sandbox.requests == []


def test_the_guard_records_the_first_failure():
    guard = StdoutGuard(None)
    guard.flush()  # nothing was written: nothing to fail
    assert guard.failure is None and guard.closed and not guard.isatty()
    with pytest.raises(ValueError):
        guard.write("secret-value")
    assert str(guard.failure) == "standard output is closed"
    full = open("/dev/full", "w")  # noqa: SIM115 - closed below, its unwritten byte dropped
    try:
        guard = StdoutGuard(full)
        guard.write("x")
        with pytest.raises(OSError):
            guard.flush()
        first = guard.failure
        assert isinstance(first, OSError) and first.errno == errno.ENOSPC
        with pytest.raises(OSError):
            guard.buffer.write(b"more")
            guard.buffer.flush()
        assert guard.failure is first
    finally:
        with contextlib.suppress(OSError):
            full.close()
