"""`andamio exec`: real child processes started by the installed CLI against the emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import andamio_command, creds_env, e2e_env

from andamio_cli.argv import hoist_global_options

VARS = ("ANDAMIO_API_KEY", "ANDAMIO_DEV_JWT", "ANDAMIO_BASE_URL", "EXEC_MARKER")
# report: print env and argv as JSON; exit N; kill SIG (itself); wait: write "ready" to
# argv[2], then wait for a signal and write its number there (exit 40 + N for INT/TERM/HUP).
CHILD = r"""
import json, os, signal, sys, time
mode = sys.argv[1]
if mode == "report":
    names = ("ANDAMIO_API_KEY", "ANDAMIO_DEV_JWT", "ANDAMIO_BASE_URL", "EXEC_MARKER")
    print(json.dumps({"env": {n: os.environ.get(n) for n in names}, "argv": sys.argv}))
elif mode == "exit":
    sys.exit(int(sys.argv[2]))
elif mode == "kill":
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))
elif mode == "wait":
    def got(sig, frame):
        with open(sys.argv[2], "a") as fh:
            fh.write(f" {sig}")
        if sys.argv[3] == "exit":
            sys.exit(40 + sig)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), got)
    with open(sys.argv[2], "w") as fh:
        fh.write("ready")
    time.sleep(600)
    sys.exit(99)
"""


@pytest.fixture
def child(tmp_path):
    path = tmp_path / "child.py"
    path.write_text(CHILD)
    return [sys.executable, str(path)]


def exec_env(sb, **extra):
    """The sandbox developer's credentials, and a variable the child must find unchanged."""
    return creds_env(sb, **{"EXEC_MARKER": "kept", **extra})


def secrets_of(sb) -> list[str]:
    return [sb.dev.api_key, sb.dev.jwt, sb.dev.refresh_token]


def test_child_gets_the_credentials_in_its_environment_not_argv(sandbox, run_andamio, child):
    args = ["exec", *child, "report", "-q", "--json", "--profile", "x", "--"]
    result = run_andamio(args, env=exec_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["env"] == {
        "ANDAMIO_API_KEY": sandbox.dev.api_key,
        "ANDAMIO_DEV_JWT": sandbox.dev.jwt,
        "ANDAMIO_BASE_URL": sandbox.url,
        "EXEC_MARKER": "kept",
    }
    assert report["argv"] == [child[1], "report", "-q", "--json", "--profile", "x", "--"]
    for secret in secrets_of(sandbox):
        assert all(secret not in arg for arg in report["argv"])
    assert sandbox.requests == []


def test_stored_credentials_and_base_url_reach_the_child(sandbox, run_andamio, child):
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    assert run_andamio(["login", "--with-key"], env=env, stdin=sandbox.dev.api_key).returncode == 0
    stdin = f"{sandbox.mint_jwt(sandbox.dev, ttl=30)}\n{sandbox.dev.refresh_token}\n"
    assert run_andamio(["login", "--with-token"], env=env, stdin=stdin).returncode == 0
    sandbox.clear_requests()
    result = run_andamio(["exec", "--", *child, "report"], env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["env"]
    assert report["ANDAMIO_API_KEY"] == sandbox.dev.api_key
    assert report["ANDAMIO_BASE_URL"] == sandbox.url
    # the stored JWT had expired: it was refreshed once, and the child got the new one
    assert [r.route for r in sandbox.requests] == ["token/refresh"]
    assert sandbox.state.jwt_user(report["ANDAMIO_DEV_JWT"]).alias == sandbox.dev.alias
    for secret in [*secrets_of(sandbox), report["ANDAMIO_DEV_JWT"]]:
        assert secret not in result.stderr


def test_no_developer_jwt_leaves_it_unset_with_a_note(sandbox, run_andamio, child):
    expired = sandbox.mint_jwt(sandbox.dev, ttl=-3600)
    env = exec_env(sandbox, ANDAMIO_DEV_JWT=expired)
    result = run_andamio(["exec", *child, "report"], env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["env"]
    assert report["ANDAMIO_DEV_JWT"] is None
    assert report["ANDAMIO_API_KEY"] == sandbox.dev.api_key
    assert result.stderr == (
        f"No usable developer JWT for profile default: {child[0]} runs without "
        "ANDAMIO_DEV_JWT (`andamio login` stores one).\n"
    )
    assert sandbox.requests == []


@pytest.mark.parametrize("status", [3, 1, 130])
def test_exit_status_is_the_childs(sandbox, run_andamio, child, status):
    result = run_andamio(["exec", *child, "exit", str(status)], env=exec_env(sandbox))
    assert result.returncode == status
    assert result.stdout == ""
    assert result.stderr == ""  # no "Interrupted." nor "Error:" of our own


@pytest.mark.parametrize("name", ["SIGKILL", "SIGTERM", "SIGSEGV"])
def test_child_killed_by_a_signal_is_128_plus_n(sandbox, run_andamio, child, name):
    result = run_andamio(["exec", *child, "kill", name], env=exec_env(sandbox))
    assert result.returncode == 128 + getattr(signal, name)
    assert result.stdout == ""


def _finish(proc, log) -> tuple[str, str]:
    """Wait for andamio (a long margin for a loaded machine); on timeout say what was seen."""
    try:
        return proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        status = open(f"/proc/{proc.pid}/status").read() if os.path.exists("/proc") else ""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        signals = [line for line in status.splitlines() if line.startswith("Sig")]
        pytest.fail(f"andamio did not end; child log {log.read_text()!r}; {signals}")


def _start_waiting_child(tmp_path, sandbox, child, then: str):
    log = tmp_path / "signals.log"
    env = e2e_env(tmp_path, **exec_env(sandbox))
    proc = subprocess.Popen(
        [*andamio_command(), "exec", *child, "wait", str(log), then],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # no terminal, and our own signals stay ours
    )
    for _ in range(600):  # up to 60 s on a loaded machine
        if log.exists() and log.read_text().startswith("ready"):
            return proc, log
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("the child never started")


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_signals_sent_to_andamio_reach_the_child(tmp_path, sandbox, child, name):
    sig = getattr(signal, name)
    proc, log = _start_waiting_child(tmp_path, sandbox, child, "exit")
    proc.send_signal(sig)
    out, err = _finish(proc, log)
    assert log.read_text() == f"ready {int(sig)}"  # delivered once
    assert proc.returncode == 40 + sig, err
    assert out == "" and err == ""


def test_child_ended_by_a_forwarded_signal_is_128_plus_n(tmp_path, sandbox, child):
    proc, log = _start_waiting_child(tmp_path, sandbox, child, "die")
    proc.send_signal(signal.SIGTERM)
    out, err = _finish(proc, log)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert log.read_text() == f"ready {int(signal.SIGTERM)}"


def test_missing_command_is_127(sandbox, run_andamio, tmp_path):
    result = run_andamio(["exec", "no-such-command-here", "x"], env=exec_env(sandbox))
    assert result.returncode == 127
    assert result.stdout == ""
    assert result.stderr.startswith("Error: command not found: no-such-command-here\n")
    missing = run_andamio(["exec", str(tmp_path / "nope")], env=exec_env(sandbox))
    assert missing.returncode == 127, missing.stderr


def test_not_executable_is_126(sandbox, run_andamio, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text(f"#!/bin/sh\ntouch {tmp_path / 'ran'}\n")
    script.chmod(0o644)
    result = run_andamio(["exec", str(script)], env=exec_env(sandbox))
    assert result.returncode == 126
    assert result.stdout == ""
    assert f"Error: cannot run {script}: {script} is not executable\n" in result.stderr
    assert f"Hint: chmod +x {script}" in result.stderr
    assert not (tmp_path / "ran").exists()
    folder = run_andamio(["exec", str(tmp_path)], env=exec_env(sandbox))
    assert folder.returncode == 126
    in_path = run_andamio(
        ["exec", "script.sh"], env=exec_env(sandbox, PATH=f"{tmp_path}:{os.defpath}")
    )
    assert in_path.returncode == 126, in_path.stderr
    assert not (tmp_path / "ran").exists()


def test_no_api_key_is_exit_3_and_nothing_runs(sandbox, run_andamio, tmp_path):
    marker = tmp_path / "ran"
    result = run_andamio(
        ["exec", "touch", str(marker)],
        env={"ANDAMIO_BASE_URL": sandbox.url, "ANDAMIO_DEV_JWT": sandbox.dev.jwt},
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert "Error: no API key for profile default" in result.stderr
    assert not marker.exists()
    assert sandbox.requests == []


def test_global_options_right_after_exec_are_andamios(sandbox, run_andamio, child, tmp_path):
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    login = run_andamio(
        ["--profile", "work", "login", "--with-key"], env=env, stdin=sandbox.dev.api_key
    )
    assert login.returncode == 0, login.stderr
    result = run_andamio(["exec", "--profile", "work", "--json", "--", *child, "report"], env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["env"]["ANDAMIO_API_KEY"] == sandbox.dev.api_key  # profile work's key
    assert report["argv"] == [child[1], "report"]
    # Without --profile the default profile is used: it has no key, so nothing runs.
    bare = run_andamio(["exec", "--json", "--", *child, "report"], env=env)
    assert bare.returncode == 3 and bare.stdout == ""


def test_exec_help_and_global_options_before_exec(sandbox, run_andamio, child):
    helped = run_andamio(["exec", "--help"])
    assert helped.returncode == 0
    assert "Usage: andamio exec" in helped.stdout
    result = run_andamio(
        ["--profile", "exec", "--json", "exec", *child, "report"], env=exec_env(sandbox)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["env"]["ANDAMIO_API_KEY"] == sandbox.dev.api_key


@pytest.mark.parametrize(
    "args, expected",
    [
        (["exec", "printenv", "-q"], ["exec", "printenv", "-q"]),
        (["exec", "cmd", "--json", "-o", "csv"], ["exec", "cmd", "--json", "-o", "csv"]),
        (["-q", "exec", "cmd", "--profile", "p"], ["-q", "exec", "cmd", "--profile", "p"]),
        (["--profile", "exec", "status", "--json"], ["--profile", "exec", "--json", "status"]),
        (["apikey", "list", "exec", "-q"], ["-q", "apikey", "list", "exec"]),
        # Global options right after `exec` are andamio's, up to the command's first word.
        (["exec", "--profile", "w", "--", "env"], ["--profile", "w", "exec", "--", "env"]),
        (["exec", "-ojson", "--json", "cmd", "-q"], ["-ojson", "--json", "exec", "cmd", "-q"]),
        (["exec", "--profile=w", "cmd"], ["--profile=w", "exec", "cmd"]),
        (["exec", "--help"], ["exec", "--help"]),
        (["exec", "-q"], ["-q", "exec"]),
    ],
)
def test_hoisting_stops_at_exec(args, expected):
    assert hoist_global_options(args) == expected
