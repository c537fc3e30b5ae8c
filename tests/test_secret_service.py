"""andamio_cli.secret_service against a fake Secret Service on a private D-Bus bus.

The paths a real, unlocked gnome-keyring never takes: prompts (accepted, dismissed, never
answered, delivered in either order, for unlocking, creating and deleting), a locked
collection or item, no default collection, nobody on the bus.
"""

from __future__ import annotations

import json
import time

import pytest
from fake_secret_service import IS_LOCKED, fail
from secret_service_support import (
    ATTRIBUTES,
    KEY,
    LABEL,
    OTHER,
    fake_service,
    private_bus,
    resolved,
    sessions_opened,
    vault_factory,
)

from andamio_cli.credentials import SERVICE, STORE_HINT
from andamio_cli.errors import StoreUnavailableError
from andamio_cli.keyring_store import KeyringStore
from andamio_cli.secret_service import KeyringLocked, SecretServiceVault, Unreachable

bus = pytest.fixture(private_bus, name="bus")
fake = pytest.fixture(fake_service, name="fake")
vault = pytest.fixture(vault_factory, name="vault")


# --- 1. round trip, and what exactly is written -----------------------------------------


def test_set_get_replace_delete_round_trip(fake, vault):
    login = fake.add_collection()
    ours = vault()
    assert ours.get("default") is None
    ours.set("default", KEY)
    assert vault().get("default") == KEY  # a new connection: it is in the service
    (item,) = fake.items()
    assert item.path.startswith(login.path + "/")
    assert item.attributes == ATTRIBUTES
    assert item.label == LABEL
    assert (item.secret, item.content_type) == (KEY.encode(), "text/plain")
    (open_session,) = {call.body for call in fake.called("OpenSession")}
    assert open_session == ("plain", ("s", ""))
    (create,) = fake.called("CreateItem")
    assert create.signature == "a{sv}(oayays)b"
    properties, secret, replace = create.body
    assert properties == {
        "org.freedesktop.Secret.Item.Label": ("s", LABEL),
        "org.freedesktop.Secret.Item.Attributes": ("a{ss}", ATTRIBUTES),
    }
    assert secret == (sessions_opened(fake)[create.sender], b"", KEY.encode(), "text/plain")
    assert replace is True

    ours.set("default", OTHER)
    (replaced,) = fake.items()
    assert (replaced.path, replaced.secret) == (item.path, OTHER.encode())
    assert vault().get("default") == OTHER

    assert ours.delete("default") is True
    assert fake.items() == []
    assert ours.get("default") is None
    assert ours.delete("default") is False
    assert fake.called("CreateCollection") == [] and fake.called("Prompt") == []


def test_writes_exactly_what_keyrings_backend_writes(fake, vault):
    from keyring.backends.SecretService import Keyring

    fake.add_collection()
    theirs = Keyring()
    vault().set("default", KEY)
    theirs.set_password(SERVICE, "default", KEY)
    ours_call, theirs_call = fake.called("CreateItem")
    assert ours_call.sender != theirs_call.sender
    assert ours_call.signature == theirs_call.signature
    for call in (ours_call, theirs_call):
        assert call.body[1][0] == sessions_opened(fake)[call.sender]  # each its plain session
    assert ours_call.body[0] == theirs_call.body[0]  # label and attributes
    assert ours_call.body[1][1:] == theirs_call.body[1][1:]  # parameters, value, content type
    assert ours_call.body[2] == theirs_call.body[2]  # replace
    assert len(fake.items()) == 1  # keyring replaced our item: the very same attributes

    # Each reads what the other wrote.
    theirs.set_password(SERVICE, "theirs", OTHER)
    assert vault().get("theirs") == OTHER
    vault().set("ours", OTHER)
    assert theirs.get_password(SERVICE, "ours") == OTHER


# --- 2. a locked collection and its unlock prompt -----------------------------------------


@pytest.mark.parametrize("to_caller", [True, False], ids=["to-caller", "broadcast"])
@pytest.mark.parametrize("signal_first", [False, True], ids=["reply-first", "signal-first"])
def test_locked_collection_is_unlocked_through_the_prompt(fake, vault, to_caller, signal_first):
    login = fake.add_collection(locked=True)
    fake.store(login, "default", KEY)
    fake.prompt_to_caller, fake.completed_before_reply = to_caller, signal_first
    assert vault().get("default") == KEY
    (unlock,) = fake.called("Unlock")
    assert unlock.body == ([login.path],)
    assert len(fake.called("Prompt")) == 1
    assert login.locked is False


def test_dismissed_unlock_prompt_is_keyring_locked(fake, vault):
    login = fake.add_collection(locked=True)
    fake.store(login, "default", KEY)
    fake.prompt_answer = "dismiss"
    with pytest.raises(KeyringLocked):
        vault().get("default")
    with pytest.raises(KeyringLocked):
        vault().set("default", OTHER)
    assert login.locked is True
    assert fake.called("GetSecret") == [] and fake.called("CreateItem") == []
    assert [item.secret for item in fake.items()] == [KEY.encode()]


def test_dismissed_unlock_prompt_is_store_unavailable(fake):
    login = fake.add_collection(locked=True)
    fake.store(login, "default", KEY)
    fake.prompt_answer = "dismiss"
    for attempt in (
        lambda: KeyringStore(timeout=30, vault=resolved).get("default", "api_key"),
        lambda: KeyringStore(timeout=30, vault=resolved).set("default", "api_key", OTHER),
    ):
        with pytest.raises(StoreUnavailableError) as caught:
            attempt()
        assert caught.value.message == "the OS keyring failed (KeyringLocked)"
        assert caught.value.hint == STORE_HINT
        assert caught.value.exit_code == 3
    assert [item.secret for item in fake.items()] == [KEY.encode()]


def test_unlock_prompt_never_answered_hits_the_deadline(fake):
    fake.add_collection(locked=True)
    fake.prompt_answer = "never"
    store = KeyringStore(timeout=1, vault=resolved)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("default", "api_key")
    assert time.monotonic() - started < 20  # a 1 s deadline, with room for a loaded machine
    assert caught.value.message.startswith("the OS keyring did not answer within 1 s")
    assert len(fake.wait_called("Prompt")) == 1


# --- 3. no default collection -----------------------------------------------------------


def test_get_without_a_default_collection_creates_nothing(fake, vault):
    ours = vault()
    assert ours.get("default") is None
    assert ours.delete("default") is False
    assert fake.collections == {} and fake.aliases == {}
    assert fake.called("CreateCollection") == [] and fake.called("Unlock") == []
    assert [call.body for call in fake.called("ReadAlias")] == [("default",)] * 2


@pytest.mark.parametrize("prompted", [True, False], ids=["prompt", "no-prompt"])
def test_set_without_a_default_collection_creates_it(fake, vault, prompted):
    fake.create_collection_prompts = prompted
    vault().set("default", KEY)
    (create,) = fake.called("CreateCollection")
    assert create.body == ({"org.freedesktop.Secret.Collection.Label": ("s", "Default")}, "default")
    assert len(fake.called("Prompt")) == (1 if prompted else 0)
    (collection,) = fake.collections.values()
    assert fake.aliases == {"default": collection.path}
    (item,) = collection.items.values()
    assert (item.attributes, item.secret) == (ATTRIBUTES, KEY.encode())
    assert vault().get("default") == KEY


def test_set_without_a_default_collection_through_the_store(fake):
    KeyringStore(timeout=30, vault=resolved).set("default", "api_key", KEY)
    assert KeyringStore(timeout=30, vault=resolved).get("default", "api_key") == KEY
    (item,) = fake.items()
    assert item.attributes == ATTRIBUTES
    assert json.loads(item.secret) == {"api_key": KEY}


def test_dismissed_create_collection_prompt_stores_nothing(fake, vault):
    fake.prompt_answer = "dismiss"
    with pytest.raises(KeyringLocked):
        vault().set("default", KEY)
    assert fake.collections == {} and fake.called("CreateItem") == []


# --- 4. nobody there ----------------------------------------------------------------------


def test_nobody_owns_the_name_is_unreachable(bus, vault):
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=bus.address) as conn:  # nothing could be started either
        (activatable,) = conn.send_and_get_reply(message_bus.ListActivatableNames()).body
    assert "org.freedesktop.secrets" not in activatable
    with pytest.raises(Unreachable):
        vault().connect()
    with pytest.raises(Unreachable):
        vault().get("default")


@pytest.mark.parametrize("address", [None, "missing", "stale", "nonsense"])
def test_no_usable_session_bus_is_unreachable(monkeypatch, tmp_path, address):
    if address is None:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    elif address == "nonsense":
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "nonsense")
    else:
        path = tmp_path / "bus"
        if address == "stale":  # a socket file nobody listens on any more
            import socket

            with socket.socket(socket.AF_UNIX) as sock:
                sock.bind(str(path))
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
    with pytest.raises(Unreachable):
        SecretServiceVault(SERVICE).connect()


# --- prompts for items ------------------------------------------------------------------------


def test_locked_item_is_unlocked_through_the_prompt(fake, vault):
    """An item locked on its own, in an unlocked collection (the spec allows it)."""
    login = fake.add_collection()
    item = fake.store(login, "default", KEY, locked=True)
    assert vault().get("default") == KEY
    assert [call.body for call in fake.called("Unlock")][-1] == ([item.path],)
    assert item.locked is False


def test_item_that_stays_locked_is_tried_once_more_then_fails(fake):
    """IsLocked although Unlock said the item is unlocked: one more try, then a clean error."""
    login = fake.add_collection()
    item = fake.store(login, "default", KEY)
    fake.overrides["GetSecret"] = fail(IS_LOCKED, "locked")
    with pytest.raises(StoreUnavailableError) as caught:
        KeyringStore(timeout=30, vault=resolved).get("default", "api_key")
    assert caught.value.message == "the OS keyring failed (SecretServiceError)"
    assert len(fake.called("GetSecret")) == 2
    assert [call.body for call in fake.called("Unlock")][-1] == ([item.path],)


def test_locked_item_and_dismissed_prompt_is_keyring_locked(fake, vault):
    login = fake.add_collection()
    item = fake.store(login, "default", KEY, locked=True)
    fake.prompt_answer = "dismiss"
    with pytest.raises(KeyringLocked):
        vault().get("default")
    assert item.locked is True


@pytest.mark.parametrize("answer_", ["accept", "dismiss"])
def test_create_item_with_a_prompt(fake, vault, answer_):
    fake.add_collection()
    fake.create_item_prompts, fake.prompt_answer = True, answer_
    if answer_ == "accept":
        vault().set("default", KEY)
        assert [item.secret for item in fake.items()] == [KEY.encode()]
    else:
        with pytest.raises(KeyringLocked):
            vault().set("default", KEY)
        assert fake.items() == []
    assert len(fake.called("Prompt")) == 1


@pytest.mark.parametrize("answer_", ["accept", "dismiss"])
def test_delete_with_a_prompt(fake, vault, answer_):
    login = fake.add_collection()
    fake.store(login, "default", KEY)
    fake.delete_prompts, fake.prompt_answer = True, answer_
    if answer_ == "accept":
        assert vault().delete("default") is True
        assert fake.items() == []
    else:
        with pytest.raises(KeyringLocked):
            vault().delete("default")
        assert [item.secret for item in fake.items()] == [KEY.encode()]
