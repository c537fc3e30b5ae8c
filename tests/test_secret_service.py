"""andamio_cli.secret_service against a fake Secret Service on a private D-Bus bus.

The paths a real, unlocked gnome-keyring never takes: prompts (accepted, dismissed, never
answered, delivered in either order), a locked collection, no default collection, nobody on
the bus, and replies of the wrong shape.
"""

from __future__ import annotations

import json
import time

import pytest
from fake_secret_service import (
    IS_LOCKED,
    KEYRING_APP,
    FakeSecretService,
    answer,
    fail,
    silence,
)
from private_bus import PrivateBus, need_dbus_daemon

from andamio_cli.credentials import SERVICE, STORE_HINT
from andamio_cli.errors import StoreUnavailableError
from andamio_cli.keyring_store import KeyringStore, Vault, _resolve_vault
from andamio_cli.secret_service import KeyringLocked, SecretServiceVault, Unreachable

KEY = "ant_pp_FAKESECRETSERVICE000000000000000000000wxyz"
OTHER = "ant_pp_FAKESECRETSERVICE111111111111111111111abcd"
ENTRY = json.dumps({"api_key": KEY})
LABEL = "Password for 'default' on 'andamio-cli'"
ATTRIBUTES = {"application": KEYRING_APP, "service": SERVICE, "username": "default"}


@pytest.fixture
def bus(monkeypatch, tmp_path):
    """A private bus, and this process's environment pointing at it (no backend chosen)."""
    need_dbus_daemon()
    private = PrivateBus()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private.address)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    yield private
    private.close()


@pytest.fixture
def fake(bus):
    service = FakeSecretService(bus.address)
    yield service
    service.stop()
    assert service.errors == []


@pytest.fixture
def vault(bus):
    """SecretServiceVault factory; connections are closed once the bus is gone (a call left
    hanging by a test then ends too)."""

    def make() -> SecretServiceVault:
        made = SecretServiceVault(SERVICE)
        bus.after_close.append(lambda: made._conn and made._conn.close())
        return made

    return make


def resolved() -> Vault:
    """keyring_store's own choice, which must be the Secret Service spoken to directly here."""
    chosen = _resolve_vault()
    assert isinstance(chosen, SecretServiceVault), chosen
    return chosen


def sessions_opened(fake: FakeSecretService) -> dict[str, str]:
    """The plain sessions the fake handed out: sender -> session path."""
    return {sender: path for path, sender in fake.sessions.items()}


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


# --- 5. hostile replies ---------------------------------------------------------------------

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
