"""Misbehaving keyrings (hanging, raising, locked) and plaintext keyrings.alt backends."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from conftest import DEV_JWT, clean_env, run_cli
from reliability_support import (
    FAKE_ALT,
    HERE,
    STORE_HINTS,
    STORE_KEY,
    assert_one_error,
)

from andamio_cli.output import mask

# --- keyring misbehaviour ----------------------------------------------------------------


BROKEN_KEYRINGS = {
    "hangs": (
        {
            "PYTHON_KEYRING_BACKEND": "keyring_backends.HangingKeyring",
            "ANDAMIO_KEYRING_TIMEOUT": "1",
        },
        "the OS keyring did not answer within 1 s",
    ),
    "raises": (
        {"PYTHON_KEYRING_BACKEND": "reliability_keyrings.RaisingKeyring"},
        "the OS keyring failed (RuntimeError)",
    ),
    "locked": (
        {"PYTHON_KEYRING_BACKEND": "keyring_backends.LockedKeyring"},
        "the OS keyring failed (KeyringLocked)",
    ),
}
STORE_USERS = {
    "apikey usage": (["apikey", "usage"], ""),
    "login --with-key": (["login", "--with-key"], STORE_KEY),
    "logout": (["logout"], ""),
}


@pytest.mark.parametrize("command", STORE_USERS)
@pytest.mark.parametrize("backend", BROKEN_KEYRINGS)
def test_misbehaving_keyring_is_a_clean_exit_3(sandbox, tmp_path, backend, command):
    extra, message = BROKEN_KEYRINGS[backend]
    args, stdin = STORE_USERS[command]
    env = clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        ANDAMIO_BASE_URL=sandbox.url,
        PYTHONPATH=HERE,
        **extra,
    )
    started = time.monotonic()
    result = run_cli(args, env, stdin=stdin)
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started < 30  # deadlines of 1 s; the hang is 3600 s
    assert result.stdout == ""
    assert_one_error(result.stderr, message)
    for hint in STORE_HINTS:
        assert hint in result.stderr
    assert STORE_KEY not in result.stderr
    assert sandbox.requests == []


def alt_env(tmp_path, **extra) -> dict:
    """keyrings.alt's plaintext backend installed (found by its entry point), nothing chosen."""
    return clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=FAKE_ALT,
        FAKE_ALT_STORE=str(tmp_path / "alt-store.json"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        **extra,
    )


def test_plaintext_keyring_present_but_not_chosen_is_refused(tmp_path):
    env = alt_env(tmp_path)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import keyring; k = keyring.get_keyring(); "
            "print(type(k).__module__ + '.' + type(k).__name__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert probe.stdout.strip() == "keyrings.alt.file.PlaintextKeyring", probe.stderr
    result = run_cli(["login", "--with-key"], env, stdin=STORE_KEY)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert_one_error(
        result.stderr,
        "no secure OS keyring is available (found keyrings.alt.file.PlaintextKeyring)",
    )
    for hint in STORE_HINTS:
        assert hint in result.stderr
    assert STORE_KEY not in result.stderr
    assert not (tmp_path / "alt-store.json").exists()
    assert not (tmp_path / "config" / "credentials.json").exists()


@pytest.mark.parametrize("how", ["PYTHON_KEYRING_BACKEND", "keyringrc.cfg"])
def test_plaintext_keyring_chosen_explicitly_is_used(tmp_path, how):
    backend = "keyrings.alt.file.PlaintextKeyring"
    if how == "PYTHON_KEYRING_BACKEND":
        env = alt_env(tmp_path, PYTHON_KEYRING_BACKEND=backend)
    else:
        env = alt_env(tmp_path)
        rc = tmp_path / "xdg-config" / "python_keyring" / "keyringrc.cfg"
        rc.parent.mkdir(parents=True)
        rc.write_text(f"[backend]\ndefault-keyring={backend}\n")
    login = run_cli(["login", "--with-key"], env, stdin=STORE_KEY)
    assert login.returncode == 0, login.stderr
    assert login.stdout == ""
    assert STORE_KEY not in login.stderr
    token = run_cli(["login", "--with-token"], env, stdin=DEV_JWT + "\n")
    assert token.returncode == 0, token.stderr
    stored = json.loads((tmp_path / "alt-store.json").read_text())
    assert list(stored) == ["andamio-cli/default"]  # one entry per profile
    assert json.loads(stored["andamio-cli/default"]) == {"api_key": STORE_KEY, "dev_jwt": DEV_JWT}
    status = run_cli(["status", "--json"], env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["api_key"]["source"] == "keyring"
    assert report["api_key"]["masked"] == mask(STORE_KEY)
    assert STORE_KEY not in status.stdout + status.stderr
    assert not (tmp_path / "config" / "credentials.json").exists()


def test_is_insecure_classifies_backend_instances():
    """The chainer cases cannot be arranged through keyring's own discovery here."""
    from keyring.backends import fail, null

    from andamio_cli.credentials import _is_insecure

    def fake(module: str, name: str = "Keyring", **attrs):
        return type(name, (), {"__module__": module, **attrs})()

    alt = fake("keyrings.alt.file", "PlaintextKeyring")
    secret_service = fake("keyring.backends.SecretService")
    assert _is_insecure(fail.Keyring())
    assert _is_insecure(null.Keyring())
    assert _is_insecure(alt)
    assert _is_insecure(fake("keyrings.alt.Gnome", "Keyring"))
    assert _is_insecure(fake("keyring.backends.chainer", "ChainerBackend", backends=[]))
    assert _is_insecure(
        fake("keyring.backends.chainer", "ChainerBackend", backends=[alt, secret_service])
    )
    assert not _is_insecure(
        fake("keyring.backends.chainer", "ChainerBackend", backends=[secret_service, alt])
    )
    assert not _is_insecure(secret_service)
    assert not _is_insecure(fake("keyrings_alternative", "Keyring"))
