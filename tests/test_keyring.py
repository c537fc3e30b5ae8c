"""The OS keyring for real (gnome-keyring over D-Bus) and its failure modes, via the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from conftest import DEV_JWT, andamio_command, clean_env, run_cli
from reliability_support import HERE, STORE_HINTS, need_real_keyring

KEY = "ant_pp_KEYRINGTEST000000000000000000000000wxyz"


def _env(tmp_path, **extra):
    return clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        **extra,
    )


# keyring itself reads what andamio stored: one entry per profile, a JSON object.
READ_DIRECT = (
    "import json, keyring; "
    'print(json.loads(keyring.get_password("andamio-cli", "default") or "{}").get("api_key"))'
)
REAL_KEYRING_SCRIPT = r"""
set -e
eval "$(printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets)"
printf '%s' "$KEY" | "$@" login --with-key
printf '%s\n' "$JWT" | "$@" login --with-token
"$@" --json status > "$OUT/status.json"
"$PY" -c "$READ_DIRECT" > "$OUT/direct.txt"
"$@" --json logout > "$OUT/logout.json"
"$PY" -c "$READ_DIRECT" > "$OUT/after.txt"
"""


def test_store_and_read_through_the_real_secret_service(tmp_path):
    need_real_keyring()
    env = _env(
        tmp_path,
        KEY=KEY,
        JWT=DEV_JWT,
        OUT=str(tmp_path),
        PY=sys.executable,
        ANDAMIO_KEYRING_TIMEOUT="30",  # the round trip is tested here, not the deadline
        READ_DIRECT=READ_DIRECT,
    )
    result = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", REAL_KEYRING_SCRIPT, "bash", *andamio_command()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert KEY not in result.stdout + result.stderr and DEV_JWT not in result.stderr
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["api_key"]["source"] == "keyring"
    assert status["store"] == "keyring"
    assert status["api_key"]["masked"] == "ant_pp_…wxyz"
    assert (tmp_path / "direct.txt").read_text().strip() == KEY
    assert json.loads((tmp_path / "logout.json").read_text()) == {"cleared": True}
    assert (tmp_path / "after.txt").read_text().strip() == "None"
    assert not (tmp_path / "config" / "credentials.json").exists()


def _run(tmp_path, args, stdin="", **env):
    started = time.monotonic()
    result = run_cli(args, _env(tmp_path, **env), stdin=stdin)
    return result, time.monotonic() - started


def test_headless_without_keyring_fails_fast_and_clearly(tmp_path):
    result, seconds = _run(tmp_path, ["login", "--with-key"], stdin=KEY)
    assert result.returncode == 3, result.stderr
    assert seconds < 30  # no keyring to wait for; the run's timeout is 60 s
    assert result.stdout == ""
    for hint in STORE_HINTS:
        assert hint in result.stderr
    assert KEY not in result.stderr
    assert not (tmp_path / "config" / "credentials.json").exists()


def test_hanging_keyring_hits_the_deadline(tmp_path):
    result, seconds = _run(
        tmp_path,
        ["login", "--with-key"],
        stdin=KEY,
        PYTHONPATH=HERE,
        PYTHON_KEYRING_BACKEND="keyring_backends.HangingKeyring",
        ANDAMIO_KEYRING_TIMEOUT="1",
    )
    assert result.returncode == 3, result.stderr
    assert seconds < 30  # the 1 s deadline, with room for a loaded machine
    assert "did not answer within 1 s" in result.stderr
    for hint in STORE_HINTS:
        assert hint in result.stderr


def test_locked_keyring_is_exit_3(tmp_path):
    result, _ = _run(
        tmp_path,
        ["status"],
        PYTHONPATH=HERE,
        PYTHON_KEYRING_BACKEND="keyring_backends.LockedKeyring",
    )
    assert result.returncode == 3, result.stderr
    assert "Not ready: the OS keyring failed (KeyringLocked)." in result.stdout
    assert "✗ API key        unreadable (OS keyring)" in result.stdout


def test_plaintext_file_store_only_when_chosen(tmp_path):
    result, _ = _run(tmp_path, ["login", "--with-key", "--insecure-storage"], stdin=KEY)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "config" / "credentials.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    status, _ = _run(tmp_path, ["status", "--json"])
    assert status.returncode == 3  # no developer JWT yet
    report = json.loads(status.stdout)
    assert report["store"] == "file" and report["api_key"]["source"] == "file"
    assert report["problems"] == ["no developer JWT and no refresh token"]
