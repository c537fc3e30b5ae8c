"""The installed CLI on a private D-Bus bus: with the fake Secret Service, and with nobody."""

from __future__ import annotations

import json
import time

import pytest
from conftest import clean_env, run_cli
from fake_secret_service import KEYRING_APP, answer, fail, silence
from reliability_support import STORE_HINTS, assert_one_error
from secret_service_support import fake_service, private_bus

from andamio_cli.output import mask

KEY = "ant_pp_SSCLITEST00000000000000000000000000wxyz"
STORED = "ant_pp_SSCLISTORED000000000000000000000000abcd"


bus = pytest.fixture(private_bus, name="bus")  # the CLI gets env_for(), not our environment
fake = pytest.fixture(fake_service, name="fake")


def env_for(tmp_path, address: str | None, **extra: str) -> dict:
    """No backend chosen, XDG dirs in tmp, the session bus at `address` (None: unset)."""
    return clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_CURRENT_DESKTOP=None,
        DBUS_SESSION_BUS_ADDRESS=address,
        **extra,
    )


def assert_store_error(result, fragment: str, *secrets: str) -> None:
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert_one_error(result.stderr, fragment)
    for hint in STORE_HINTS:
        assert hint in result.stderr
    for secret in secrets:
        assert secret not in result.stderr


def test_login_status_logout_on_the_fake(tmp_path, bus, fake):
    login = fake.add_collection()
    env = env_for(tmp_path, bus.address)
    stored = run_cli(["login", "--with-key"], env, stdin=KEY)
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout == "" and KEY not in stored.stderr
    (item,) = login.items.values()
    assert item.attributes == {
        "application": KEYRING_APP,
        "service": "andamio-cli",
        "username": "default",
    }
    assert json.loads(item.secret) == {"api_key": KEY}
    assert {call.body for call in fake.called("OpenSession")} == {("plain", ("s", ""))}

    status = run_cli(["--json", "status"], env)
    assert status.returncode == 3, status.stderr  # no developer JWT yet
    report = json.loads(status.stdout)
    assert (report["store"], report["api_key"]["source"]) == ("keyring", "keyring")
    assert report["api_key"]["masked"] == mask(KEY)
    assert KEY not in status.stdout + status.stderr

    logout = run_cli(["--json", "logout"], env)
    assert logout.returncode == 0, logout.stderr
    assert json.loads(logout.stdout) == {"cleared": True}
    assert fake.items() == []
    assert not (tmp_path / "config" / "credentials.json").exists()


def test_dismissed_unlock_prompt_is_exit_3(tmp_path, bus, fake):
    login = fake.add_collection(locked=True)
    fake.store(login, "default", json.dumps({"api_key": STORED}))
    fake.prompt_answer = "dismiss"
    env = env_for(tmp_path, bus.address)
    result = run_cli(["login", "--with-key"], env, stdin=KEY)
    assert_store_error(result, "the OS keyring failed (KeyringLocked)", KEY, STORED)
    assert [item.secret for item in fake.items()] == [json.dumps({"api_key": STORED}).encode()]
    assert len(fake.called("Prompt")) == 1
    assert not (tmp_path / "config" / "credentials.json").exists()

    status = run_cli(["status"], env)
    assert status.returncode == 3, status.stderr
    assert "Not ready: the OS keyring failed (KeyringLocked)." in status.stdout
    assert STORED not in status.stdout + status.stderr


@pytest.mark.parametrize("where", ["nobody owns the name", "no address", "missing socket"])
def test_no_secret_service_is_exit_3(tmp_path, bus, where):
    address = {
        "nobody owns the name": bus.address,
        "no address": None,
        "missing socket": f"unix:path={tmp_path}/no-such-bus",
    }[where]
    started = time.monotonic()
    result = run_cli(["login", "--with-key"], env_for(tmp_path, address), stdin=KEY)
    assert time.monotonic() - started < 30  # nothing to wait for; the run's timeout is 60 s
    assert_store_error(
        result, "no secure OS keyring is available (found keyring.backends.fail.Keyring)", KEY
    )
    assert not (tmp_path / "config" / "credentials.json").exists()


HOSTILE = {
    "error naming the secret": fail("org.example.Error.Boom", f"will not give {STORED}"),
    "string for the struct": answer("s", (STORED,)),
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_get_secret_is_exit_3_without_the_secret(tmp_path, bus, fake, case, debug):
    login = fake.add_collection()
    fake.store(login, "default", json.dumps({"api_key": STORED}))
    fake.overrides["GetSecret"] = HOSTILE[case]
    args = ["--debug", "login", "--with-key"] if debug else ["login", "--with-key"]
    result = run_cli(args, env_for(tmp_path, bus.address), stdin=KEY)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert KEY not in result.stderr and STORED not in result.stderr
    assert "will not give" not in result.stderr
    name = "SecretServiceError" if case.startswith("error") else "ValueError"
    if debug:  # the store error's own traceback, not the service's reply under it
        assert result.stderr.count("Traceback") == 1, result.stderr
        assert "org.example" not in result.stderr and "During handling" not in result.stderr
        assert f"\nError: the OS keyring failed ({name})\nHint: " in result.stderr
    else:
        assert_one_error(result.stderr, f"the OS keyring failed ({name})")
    assert [item.secret for item in fake.items()] == [json.dumps({"api_key": STORED}).encode()]


def test_silent_secret_service_hits_the_deadline(tmp_path, bus, fake):
    fake.add_collection()
    fake.overrides["SearchItems"] = silence
    env = env_for(tmp_path, bus.address, ANDAMIO_KEYRING_TIMEOUT="1")
    started = time.monotonic()
    result = run_cli(["login", "--with-key"], env, stdin=KEY)
    assert time.monotonic() - started < 30  # a 1 s deadline, with room for a loaded machine
    assert_store_error(result, "the OS keyring did not answer within 1 s", KEY)
    assert fake.items() == []
