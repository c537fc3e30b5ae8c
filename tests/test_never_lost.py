"""A key the gateway issued is never lost: store failures, an unusable config dir, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from functools import lru_cache

import pytest
from conftest import andamio_command, clean_env, run_cli
from reliability_support import (
    HERE,
    SEED_KEY,
    assert_one_error,
    seed_file_store,
    snapshot,
)

from andamio_cli.credentials import FileStore
from andamio_cli.settings import Settings

# --- a key the gateway issued is never lost ------------------------------------------------


READONLY_SH = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'


def readonly(directory: str) -> list:
    """Run the rest of the command with `directory` mounted read-only (even for root)."""
    return ["unshare", "--mount", "sh", "-c", READONLY_SH, "sh", directory]


@lru_cache(maxsize=1)
def can_mount_readonly() -> bool:
    if not shutil.which("unshare"):
        return False
    with tempfile.TemporaryDirectory() as probe:
        result = subprocess.run(
            readonly(probe) + ["touch", os.path.join(probe, "x")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.returncode != 0 and "Read-only" in result.stderr


STORE_FAILURES = {
    "keyring locked": (
        {"PYTHON_KEYRING_BACKEND": "keyring_backends.LockedKeyring"},
        "KeyringLocked",
    ),
    "keyring hangs": (
        {
            "PYTHON_KEYRING_BACKEND": "keyring_backends.HangingKeyring",
            "ANDAMIO_KEYRING_TIMEOUT": "1",
        },
        "did not answer within 1 s",
    ),
    "config dir read-only": ({"ANDAMIO_CREDENTIAL_STORE": "file"}, "Read-only file system"),
}
ISSUERS = {
    "request --save": (["apikey", "request", "safe-key", "--save"], "safe-key"),
    "rotate returns a new key": (["apikey", "rotate", SEED_KEY, "--yes"], SEED_KEY),
}


def issue_with_failing_store(sandbox, tmp_path, failure: str, args: list):
    sandbox.rotate_mode = "new-key"
    config = str(tmp_path / "config")
    # the stored key is the one rotated, stored for this sandbox (as `andamio login` records it)
    Settings(config).update("default", key_name=SEED_KEY, credentials_url=sandbox.url)
    FileStore(config).set("default", "api_key", "ant_pp_OLDSTOREDKEY0000000000000000000000")
    before = snapshot(config)
    extra, _ = STORE_FAILURES[failure]
    env = clean_env(
        ANDAMIO_CONFIG_DIR=config,
        ANDAMIO_BASE_URL=sandbox.url,
        PYTHONPATH=HERE,
        ANDAMIO_API_KEY=sandbox.dev.api_key,
        ANDAMIO_DEV_JWT=sandbox.dev.jwt,
        **extra,
    )
    command = andamio_command() + args
    if failure == "config dir read-only":
        if not can_mount_readonly():
            pytest.skip("cannot mount a read-only directory here (needs unshare and CAP_SYS_ADMIN)")
        command = readonly(config) + command
    started = time.monotonic()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    return result, time.monotonic() - started, before, snapshot(config)


@pytest.mark.parametrize("failure", STORE_FAILURES)
@pytest.mark.parametrize("issuer", ISSUERS)
def test_issued_key_is_printed_when_it_cannot_be_saved(sandbox, tmp_path, failure, issuer):
    args, name = ISSUERS[issuer]
    result, seconds, before, after = issue_with_failing_store(sandbox, tmp_path, failure, args)
    new_key = sandbox.state.find_key(sandbox.dev.user_id, name=name).secret
    assert new_key != sandbox.dev.api_key
    assert result.returncode == 3, result.stderr
    assert result.stdout == new_key + "\n"
    assert_one_error(result.stderr, "the new key was printed above but NOT saved")
    assert STORE_FAILURES[failure][1] in result.stderr
    assert new_key not in result.stderr and sandbox.dev.api_key not in result.stderr
    assert after == before
    assert seconds < 30  # deadlines of 1 s; the hang is 3600 s
    assert [r.route for r in sandbox.requests] == [
        "key/rotate" if name == SEED_KEY else "key/request"
    ]


def test_issued_key_in_json_mode_is_on_stdout_and_the_error_on_stderr(sandbox, tmp_path):
    args = ["apikey", "request", "safe-key", "--save", "--json"]
    result, _, before, after = issue_with_failing_store(sandbox, tmp_path, "keyring locked", args)
    new_key = sandbox.state.find_key(sandbox.dev.user_id, name="safe-key").secret
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["api_key"] == new_key
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "auth" and "NOT saved" in error["message"]
    assert new_key not in result.stderr
    assert after == before


def test_unusable_config_dir_fails_before_anything_is_issued(sandbox, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = clean_env(
        ANDAMIO_CONFIG_DIR=str(blocker / "config"),
        ANDAMIO_CREDENTIAL_STORE="file",
        ANDAMIO_BASE_URL=sandbox.url,
        ANDAMIO_API_KEY=sandbox.dev.api_key,
        ANDAMIO_DEV_JWT=sandbox.dev.jwt,
    )
    result = run_cli(["apikey", "request", "never-key", "--save"], env)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert_one_error(result.stderr, "cannot read settings")
    assert sandbox.requests == []


@pytest.mark.parametrize(
    "args,route",
    [
        (["apikey", "request", "ctrl-c-key", "--save"], "key/request"),
        (["refresh"], "token/refresh"),
        (["apikey", "usage"], "usage/get"),
    ],
    ids=["request-save", "refresh", "usage"],
)
def test_ctrl_c_during_a_request_exits_130_and_changes_nothing(
    sandbox, tmp_path, sigint, args, route
):
    config = str(tmp_path / "config")
    seed_file_store(config, sandbox)
    before = snapshot(config)
    # The reply (and the CLI's own timeout) must come long after the SIGINT, however slow the
    # machine: the signal always lands while the request is in flight.
    sandbox.add_faults(route, "delay=300")
    env = clean_env(
        ANDAMIO_CONFIG_DIR=config, ANDAMIO_CREDENTIAL_STORE="file", ANDAMIO_BASE_URL=sandbox.url
    )
    proc = subprocess.Popen(
        andamio_command() + ["--timeout", "300"] + args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # start-up on a loaded machine
        while route not in [r.route for r in sandbox.requests]:
            assert time.monotonic() < deadline and proc.poll() is None, "the request never came"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert stdout == ""
    assert stderr == "Interrupted.\n"
    assert snapshot(config) == before
