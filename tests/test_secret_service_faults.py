"""andamio_cli.secret_service against a fake Secret Service that answers badly or not at all:
each ends in a clean StoreUnavailableError through KeyringStore, within its deadline."""

from __future__ import annotations

import time

import pytest
from fake_secret_service import answer, fail, silence
from secret_service_support import (
    ENTRY,
    KEY,
    fake_service,
    private_bus,
    resolved,
)

from andamio_cli.credentials import SERVICE, STORE_HINT
from andamio_cli.errors import StoreUnavailableError
from andamio_cli.keyring_store import KeyringStore
from andamio_cli.secret_service import SecretServiceVault

bus = pytest.fixture(private_bus, name="bus")
fake = pytest.fixture(fake_service, name="fake")


# --- replies of the wrong shape -------------------------------------------------------------

HOSTILE = {  # case: (the method, its reply, the exception it ends in)
    "GetSecret string": ("GetSecret", answer("s", (KEY,)), "ValueError"),
    "GetSecret wrong struct": ("GetSecret", answer("(ssss)", (("a", "b", KEY, "d"),)), "TypeError"),
    "GetSecret not utf-8": (
        "GetSecret",
        answer("(oayays)", (("/", b"", b"\xff\xfe", "x"),)),
        "UnicodeDecodeError",
    ),
    "GetSecret empty": ("GetSecret", answer("", ()), "ValueError"),
    "GetSecret error": (
        "GetSecret",
        fail("org.example.Error.Boom", f"cannot give {KEY}"),
        "SecretServiceError",
    ),
    "SearchItems string": ("SearchItems", answer("s", ("garbage",)), "ValueError"),
    "SearchItems number": ("SearchItems", answer("u", (7,)), "TypeError"),
    "SearchItems bad paths": ("SearchItems", answer("as", (["not a path"],)), "ValueError"),
    "ReadAlias string": ("ReadAlias", answer("s", ("default",)), "ValueError"),
    "Unlock garbage": ("Unlock", answer("s", ("x",)), "ValueError"),
    "OpenSession garbage": ("OpenSession", answer("s", ("plain",)), "ValueError"),
    "OpenSession refused": (
        "OpenSession",
        fail("org.freedesktop.DBus.Error.AccessDenied", "no"),
        "SecretServiceError",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_reply_is_a_clean_store_error(fake, case):
    member, override, name = HOSTILE[case]
    login = fake.add_collection()
    fake.store(login, "default", ENTRY)
    fake.overrides[member] = override
    store = KeyringStore(timeout=30, vault=resolved)
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("default", "api_key")
    error = caught.value
    assert error.message == f"the OS keyring failed ({name})"
    assert error.hint == STORE_HINT
    assert KEY not in f"{error.message} {error.hint} {error!r}"
    assert error.__cause__ is None and error.__suppress_context__
    assert len(fake.called(member)) == 1


def test_malformed_completed_signal_is_a_clean_store_error(fake):
    from jeepney import DBusAddress, new_method_return, new_signal

    fake.add_collection(locked=True)

    def prompt(msg):
        path = msg.header.fields[1]  # HeaderFields.path
        emitter = DBusAddress(path, interface="org.freedesktop.Secret.Prompt")
        return [new_method_return(msg), new_signal(emitter, "Completed", "s", ("yes",))]

    fake.overrides["Prompt"] = prompt
    with pytest.raises(StoreUnavailableError) as caught:
        KeyringStore(timeout=30, vault=resolved).get("default", "api_key")
    assert caught.value.message == "the OS keyring failed (ValueError)"


@pytest.mark.parametrize(
    "member", ["OpenSession", "ReadAlias", "Unlock", "SearchItems", "GetSecret"]
)
def test_silent_service_is_bounded_by_the_deadline(fake, member):
    login = fake.add_collection()
    fake.store(login, "default", ENTRY)
    fake.overrides[member] = silence
    store = KeyringStore(timeout=1, vault=resolved)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("default", "api_key")
    assert time.monotonic() - started < 20  # a 1 s deadline, with room for a loaded machine
    assert caught.value.message.startswith("the OS keyring did not answer within 1 s")
    assert len(fake.wait_called(member)) == 1


def test_silent_create_item_is_bounded_by_the_deadline(fake):
    fake.add_collection()
    fake.overrides["CreateItem"] = silence
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as caught:
        KeyringStore(timeout=1, vault=resolved).set("default", "api_key", KEY)
    assert time.monotonic() - started < 20
    assert caught.value.message.startswith("the OS keyring did not answer within 1 s")
    assert len(fake.wait_called("CreateItem")) == 1
    assert KEY not in caught.value.message


@pytest.mark.parametrize("case", ["OpenSession garbage", "OpenSession refused"])
def test_a_session_that_cannot_be_opened_leaves_no_connection_behind(fake, case):
    member, override, name = HOSTILE[case]
    fake.overrides[member] = override
    vault = SecretServiceVault(SERVICE)
    with pytest.raises(Exception) as caught:
        vault.connect()
    assert type(caught.value).__name__ == name
    assert vault._conn is None and vault._session == ""
    fake.overrides.pop(member)
    fake.store(fake.add_collection(), "default", ENTRY)
    assert vault.get("default") == ENTRY  # the same vault connects afresh once it can
