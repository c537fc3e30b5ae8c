"""KeyringStore: one entry per profile, one read per process, older layout read and migrated."""

from __future__ import annotations

import json
import sys
import threading

import pytest

from andamio_cli.credentials import Credentials
from andamio_cli.errors import StoreUnavailableError
from andamio_cli.keyring_store import KeyringStore, _secret_service_directly

KEY = "ant_pp_ENTRYTEST00000000000000000000000000wxyz"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"
REFRESH = "refresh-token-entry-test-0000"


class FakeVault:
    """username -> secret, counting every call like the round trips they would be."""

    name = "fake"

    def __init__(self, items: dict[str, str] | None = None) -> None:
        self.items = dict(items or {})
        self.calls: list[tuple[str, str]] = []

    def get(self, username: str) -> str | None:
        self.calls.append(("get", username))
        return self.items.get(username)

    def set(self, username: str, value: str) -> None:
        self.calls.append(("set", username))
        self.items[username] = value

    def delete(self, username: str) -> bool:
        self.calls.append(("delete", username))
        return self.items.pop(username, None) is not None


def store_over(vault: FakeVault, tmp_path=None, timeout: float = 3.0) -> KeyringStore:
    opened = []

    def open_vault() -> FakeVault:
        opened.append(1)
        assert len(opened) == 1, "the vault is opened once per store"
        return vault

    return KeyringStore(timeout, lock_dir=str(tmp_path) if tmp_path else None, vault=open_vault)


def test_every_secret_of_a_profile_costs_one_read():
    vault = FakeVault({"default": json.dumps({"api_key": KEY, "dev_jwt": JWT})})
    creds = Credentials(store_over(vault), "default", {})
    assert creds.get("api_key") == (KEY, "keyring")
    assert creds.get("dev_jwt") == (JWT, "keyring")
    assert creds.get("refresh_token") == (None, "none")
    assert vault.calls == [("get", "default")]


def test_reload_reads_again():
    vault = FakeVault({"default": json.dumps({"api_key": KEY})})
    creds = Credentials(store_over(vault), "default", {})
    assert creds.stored("api_key") == KEY
    vault.items["default"] = json.dumps({"api_key": KEY, "dev_jwt": JWT})
    assert creds.stored("dev_jwt") is None
    creds.reload()
    assert creds.stored("dev_jwt") == JWT
    assert vault.calls == [("get", "default"), ("get", "default")]


def test_write_merges_into_the_entry_read_afresh(tmp_path):
    vault = FakeVault({"default": json.dumps({"api_key": KEY})})
    store = store_over(vault, tmp_path)
    assert store.get("default", "dev_jwt") is None
    vault.items["default"] = json.dumps(
        {"api_key": KEY, "refresh_token": REFRESH}
    )  # another process
    store.set("default", "dev_jwt", JWT)
    assert json.loads(vault.items["default"]) == {
        "api_key": KEY,
        "dev_jwt": JWT,
        "refresh_token": REFRESH,
    }
    assert store.get("default", "refresh_token") == REFRESH
    assert vault.calls == [("get", "default"), ("get", "default"), ("set", "default")]
    assert (tmp_path / "keyring.lock").exists()


def test_profiles_have_separate_entries():
    vault = FakeVault()
    store = store_over(vault)
    store.set("default", "api_key", KEY)
    store.set("work", "api_key", KEY[:-4] + "abcd")
    assert json.loads(vault.items["default"]) == {"api_key": KEY}
    assert json.loads(vault.items["work"]) == {"api_key": KEY[:-4] + "abcd"}


def test_delete_removes_one_secret_then_the_entry():
    vault = FakeVault({"default": json.dumps({"api_key": KEY, "dev_jwt": JWT})})
    store = store_over(vault)
    assert store.delete("default", "dev_jwt") is True
    assert json.loads(vault.items["default"]) == {"api_key": KEY}
    assert store.delete("default", "dev_jwt") is False
    assert store.delete("default", "api_key") is True
    assert vault.items == {}
    assert store.get("default", "api_key") is None


def test_delete_of_nothing_writes_nothing():
    vault = FakeVault()
    store = store_over(vault)
    assert store.delete("default", "api_key") is False
    assert [c for c in vault.calls if c[0] != "get"] == []


LEGACY = {"default:api_key": KEY, "default:dev_jwt": JWT, "default:refresh_token": REFRESH}


def test_older_layout_is_read_when_there_is_no_entry():
    vault = FakeVault(LEGACY)
    creds = Credentials(store_over(vault), "default", {})
    assert creds.get("api_key") == (KEY, "keyring")
    assert creds.get("dev_jwt") == (JWT, "keyring")
    assert creds.get("refresh_token") == (REFRESH, "keyring")
    assert vault.items == LEGACY  # reading moves nothing
    assert [c[0] for c in vault.calls] == ["get"] * 4


def test_older_layout_moves_into_the_entry_at_the_next_write():
    vault = FakeVault(LEGACY)
    store = store_over(vault)
    store.set("default", "api_key", KEY[:-4] + "NEW1")
    assert list(vault.items) == ["default"]
    assert json.loads(vault.items["default"]) == {
        "api_key": KEY[:-4] + "NEW1",
        "dev_jwt": JWT,
        "refresh_token": REFRESH,
    }


def test_older_layout_is_retired_by_a_delete_too():
    vault = FakeVault({"default:api_key": KEY, "default:dev_jwt": JWT})
    store = store_over(vault)
    assert store.delete("default", "api_key") is True
    assert vault.items == {"default": json.dumps({"dev_jwt": JWT})}


def test_an_entry_of_the_new_layout_wins_over_older_entries():
    vault = FakeVault({"default": json.dumps({"api_key": KEY}), "default:dev_jwt": "stale"})
    store = store_over(vault)
    assert store.get("default", "dev_jwt") is None
    assert vault.calls == [("get", "default")]


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"api_key": 5}', '{"api_key": ""}'])
def test_a_malformed_entry_holds_nothing_and_is_replaced_at_the_next_write(raw):
    vault = FakeVault({"default": raw})
    store = store_over(vault)
    assert store.get("default", "api_key") is None
    store.set("default", "dev_jwt", JWT)
    assert json.loads(vault.items["default"]) == {"dev_jwt": JWT}


def test_every_call_is_under_the_deadline():
    release = threading.Event()

    class Hanging(FakeVault):
        def get(self, username: str) -> str | None:
            release.wait(30)
            return None

    store = store_over(Hanging(), timeout=0.2)
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            store.get("default", "api_key")
    finally:
        release.set()
    assert "did not answer within 0.2 s" in caught.value.message


def test_a_failing_backend_is_unavailable_by_its_class_name():
    class Broken(FakeVault):
        def get(self, username: str) -> str | None:
            raise RuntimeError("secret " + KEY)

    store = store_over(Broken())
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("default", "api_key")
    assert caught.value.message == "the OS keyring failed (RuntimeError)"
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "rc", "direct"),
    [
        ({}, False, True),
        ({"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}, False, False),
        ({}, True, False),  # keyring's config file names a backend
        ({"XDG_CURRENT_DESKTOP": "KDE"}, False, False),  # keyring would prefer KWallet
        ({"XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}, False, True),
    ],
)
def test_the_secret_service_is_used_directly_only_where_keyring_would_pick_it(
    tmp_path, monkeypatch, env, rc, direct
):
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("PYTHON_KEYRING_BACKEND", "XDG_CURRENT_DESKTOP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if rc:
        (tmp_path / "python_keyring").mkdir()
        (tmp_path / "python_keyring" / "keyringrc.cfg").write_text("[backend]\n")
    assert _secret_service_directly() is direct
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _secret_service_directly() is False
