"""A fake freedesktop Secret Service, served with jeepney on a private bus (private_bus.py).

`FakeSecretService` owns `org.freedesktop.secrets` on that bus and answers, from a thread,
the calls that `andamio_cli.secret_service` and keyring's SecretService backend (through
secretstorage) make: Service.OpenSession (plain only), ReadAlias, CreateCollection, Unlock;
Collection.SearchItems, CreateItem; Item.GetSecret, Delete; Prompt.Prompt with the
`Completed` signal; Properties.Get. Every call is recorded. `overrides[member]` replaces the
answer to a method (a hostile reply, an error, silence).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import open_dbus_connection

BUS_NAME = "org.freedesktop.secrets"
ROOT = "/org/freedesktop/secrets"
SECRET = "org.freedesktop.Secret."
PROPERTIES = "org.freedesktop.DBus.Properties"
IS_LOCKED = SECRET + "Error.IsLocked"
NO_SESSION = SECRET + "Error.NoSession"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
KEYRING_APP = "Python keyring library"
NOT_SUPPORTED = "org.freedesktop.DBus.Error.NotSupported"


def _is_item(path: str) -> bool:
    return path.startswith(f"{ROOT}/collection/") and path.count("/") == 6


@dataclass
class Item:
    path: str
    attributes: dict[str, str]
    label: str
    secret: bytes
    content_type: str
    locked: bool = False  # an item locked on its own (the spec allows it)


@dataclass
class Collection:
    path: str
    label: str
    locked: bool = False
    items: dict[str, Item] = field(default_factory=dict)


@dataclass
class Call:
    sender: str
    path: str
    interface: str
    member: str
    signature: str
    body: tuple


class Fault(Exception):
    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(name)
        self.name, self.text = name, text


def answer(signature: str, body: tuple) -> Callable[[Message], Message]:
    """An override: reply with exactly this body, whatever was asked."""
    return lambda msg: new_method_return(msg, signature, body)


def fail(name: str, text: str) -> Callable[[Message], Message]:
    """An override: a D-Bus error reply."""
    return lambda msg: new_error(msg, name, "s", (text,))


def silence(msg: Message) -> None:
    """An override: never answer."""
    return None


class FakeSecretService:
    """The Secret Service objects in dicts, served on `address` from a thread."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.collections: dict[str, Collection] = {}
        self.aliases: dict[str, str] = {}
        self.sessions: dict[str, str] = {}  # session path -> the unique name that opened it
        self.calls: list[Call] = []
        self.errors: list[str] = []  # the fake's own failures (a test asserts there are none)
        self.overrides: dict[str, Callable[[Message], Message | list[Message] | None]] = {}
        self.prompt_answer = "accept"  # "accept", "dismiss" or "never" (no Completed signal)
        self.prompt_to_caller = True  # Completed sent to the caller only, as gnome-keyring does
        self.completed_before_reply = False
        self.create_collection_prompts = True  # gnome-keyring asks for the new password
        self.delete_prompts = False  # KeePassXC asks before it deletes
        self.create_item_prompts = False  # the spec allows a prompt here too
        self._prompts: dict[str, Callable[[bool], tuple[str, Any]]] = {}
        self._serial = 0
        self._stop = threading.Event()
        self._conn = open_dbus_connection(bus=address)
        (owner,) = self._conn.bus_proxy.RequestName(BUS_NAME, 4)  # DO_NOT_QUEUE
        assert owner == 1, f"could not own {BUS_NAME} ({owner})"
        self._thread = threading.Thread(target=self._serve, name="fake-secret-service")
        self._thread.daemon = True
        self._thread.start()

    # --- the stored objects -------------------------------------------------------------

    def _next(self, kind: str) -> str:
        self._serial += 1
        return f"{ROOT}/{kind}/{kind[0]}{self._serial}"

    def add_collection(self, name: str = "login", *, locked: bool = False) -> Collection:
        """A collection that the `default` alias names."""
        collection = Collection(f"{ROOT}/collection/{name}", name.title(), locked)
        self.collections[collection.path] = collection
        self.aliases["default"] = collection.path
        return collection

    def store(self, collection: Collection, username: str, value: str, **flags: bool) -> Item:
        """An item as keyring's SecretService backend writes it, for service andamio-cli."""
        service = "andamio-cli"
        attributes = {"application": KEYRING_APP, "service": service, "username": username}
        label = f"Password for '{username}' on '{service}'"
        path = self._next_item(collection)
        item = Item(path, attributes, label, value.encode(), "text/plain", **flags)
        collection.items[path] = item
        return item

    def items(self) -> list[Item]:
        return [item for c in self.collections.values() for item in c.items.values()]

    def called(self, member: str) -> list[Call]:
        return [call for call in self.calls if call.member == member]

    def wait_called(self, member: str, timeout: float = 20) -> list[Call]:
        """The calls of `member`, once there is one: a call left behind by a deadline goes on
        in its thread and may reach the fake only after the caller gave up."""
        deadline = time.monotonic() + timeout
        while not self.called(member) and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.called(member)

    def _collection(self, path: str) -> Collection:
        if path.startswith(f"{ROOT}/aliases/"):
            path = self.aliases.get(path.rsplit("/", 1)[1], "")
        if path not in self.collections:
            raise Fault(UNKNOWN_OBJECT, f"no collection {path}")
        return self.collections[path]

    def _item(self, path: str) -> tuple[Collection, Item]:
        for collection in self.collections.values():
            if path in collection.items:
                return collection, collection.items[path]
        raise Fault(UNKNOWN_OBJECT, f"no item {path}")

    def _lockable(self, path: str) -> tuple[Collection | Item, ...]:
        """What Unlock(path) unlocks: the collection, or the item and its collection."""
        return self._item(path) if _is_item(path) else (self._collection(path),)

    def _prompt(self, complete: Callable[[bool], tuple[str, Any]]) -> str:
        path = self._next("prompt")
        self._prompts[path] = complete
        return path

    # --- serving ------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except (OSError, ValueError):  # the bus went away
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            try:
                for out in self._handle(msg):
                    self._conn.send(out)
            except OSError:
                return

    def _handle(self, msg: Message) -> list[Message]:
        fields = msg.header.fields
        call = Call(
            fields.get(HeaderFields.sender, ""),
            fields.get(HeaderFields.path, ""),
            fields.get(HeaderFields.interface, ""),
            fields.get(HeaderFields.member, ""),
            fields.get(HeaderFields.signature, ""),
            msg.body,
        )
        self.calls.append(call)
        if call.member in self.overrides:
            reply = self.overrides[call.member](msg)
            return [] if reply is None else reply if isinstance(reply, list) else [reply]
        try:
            return self._dispatch(msg, call)
        except Fault as fault:
            return [new_error(msg, fault.name, "s", (fault.text,))]
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: recorded, and answered
            self.errors.append(f"{call.member}: {exc!r}")
            return [new_error(msg, "org.freedesktop.DBus.Error.Failed", "s", (repr(exc),))]

    def _dispatch(self, msg: Message, call: Call) -> list[Message]:
        def ret(signature: str, *body: Any) -> list[Message]:
            return [new_method_return(msg, signature, body)]

        member, body = call.member, call.body
        if call.interface == PROPERTIES and member == "Get":
            return ret("v", self._property(call.path, body[1]))
        if call.path == ROOT:
            if member == "OpenSession":
                if body[0] != "plain":
                    raise Fault(NOT_SUPPORTED, f"algorithm {body[0]} is not supported")
                session = self._next("session")
                self.sessions[session] = call.sender
                return ret("vo", ("s", ""), session)
            if member == "ReadAlias":
                return ret("o", self.aliases.get(body[0], "/"))
            if member == "CreateCollection":
                return ret("oo", *self._create_collection(*body))
            if member == "Unlock":
                return ret("aoo", *self._unlock(body[0]))
        elif call.path.startswith(f"{ROOT}/prompt/") and member == "Prompt":
            return self._run_prompt(msg, call)
        elif member == "SearchItems":
            wanted = body[0].items()
            items = self._collection(call.path).items.values()
            return ret("ao", [i.path for i in items if wanted <= i.attributes.items()])
        elif member == "CreateItem":
            collection = self._collection(call.path)
            if not self.create_item_prompts:
                return ret("oo", self._create_item(collection, *body), "/")

            def create(dismissed: bool) -> tuple[str, Any]:
                return ("o", "/" if dismissed else self._create_item(collection, *body))

            return ret("oo", "/", self._prompt(create))
        elif member == "GetSecret":
            collection, item = self._item(call.path)
            if collection.locked or item.locked:
                raise Fault(IS_LOCKED, "the item is locked")
            if body[0] not in self.sessions:
                raise Fault(NO_SESSION, "no such session")
            return ret("(oayays)", (body[0], b"", item.secret, item.content_type))
        elif member == "Delete":
            collection, item = self._item(call.path)

            def delete(dismissed: bool) -> tuple[str, Any]:
                if not dismissed:
                    del collection.items[item.path]
                return ("s", "")

            if self.delete_prompts:
                return ret("o", self._prompt(delete))
            delete(False)
            return ret("o", "/")
        raise Fault(UNKNOWN_METHOD, f"{member} is not known at {call.path}")

    def _property(self, path: str, name: str) -> tuple[str, Any]:
        if _is_item(path):
            collection, item = self._item(path)
            values = {
                "Label": ("s", item.label),
                "Attributes": ("a{ss}", item.attributes),
                "Locked": ("b", collection.locked or item.locked),
            }
        else:
            collection = self._collection(path)
            values = {"Label": ("s", collection.label), "Locked": ("b", collection.locked)}
        if name not in values:
            raise Fault(UNKNOWN_METHOD, f"no property {name}")
        return values[name]

    def _create_collection(self, properties: dict, alias: str) -> tuple[str, str]:
        label = properties.get(SECRET + "Collection.Label", ("s", ""))[1]

        def create() -> str:
            collection = Collection(self._next("collection"), label)
            self.collections[collection.path] = collection
            if alias:
                self.aliases[alias] = collection.path
            return collection.path

        if not self.create_collection_prompts:
            return create(), "/"
        return "/", self._prompt(lambda dismissed: ("o", "/" if dismissed else create()))

    def _unlock(self, paths: list[str]) -> tuple[list[str], str]:
        locked = [path for path in paths if any(o.locked for o in self._lockable(path))]
        unlocked = [path for path in paths if path not in locked]
        if not locked:
            return unlocked, "/"

        def complete(dismissed: bool) -> tuple[str, Any]:
            if dismissed:
                return ("ao", [])
            for path in locked:
                for lockable in self._lockable(path):
                    lockable.locked = False
            return ("ao", locked)

        return unlocked, self._prompt(complete)

    def _create_item(self, collection: Collection, properties: dict, secret: tuple, replace: bool):
        if collection.locked:
            raise Fault(IS_LOCKED, "the collection is locked")
        session, _, value, content_type = secret
        if session not in self.sessions:
            raise Fault(NO_SESSION, "no such session")
        attributes = dict(properties.get(SECRET + "Item.Attributes", ("a{ss}", {}))[1])
        label = properties.get(SECRET + "Item.Label", ("s", ""))[1]
        same = [i for i in collection.items.values() if i.attributes == attributes]
        if replace and same:
            item = same[0]
            item.label, item.secret, item.content_type = label, bytes(value), content_type
        else:
            item = Item(self._next_item(collection), attributes, label, bytes(value), content_type)
            collection.items[item.path] = item
        return item.path

    def _next_item(self, collection: Collection) -> str:
        self._serial += 1
        return f"{collection.path}/i{self._serial}"

    def _run_prompt(self, msg: Message, call: Call) -> list[Message]:
        complete = self._prompts.pop(call.path, None)
        if complete is None:
            raise Fault(UNKNOWN_OBJECT, f"no prompt {call.path}")
        reply = new_method_return(msg, "", ())
        if self.prompt_answer == "never":
            return [reply]
        dismissed = self.prompt_answer == "dismiss"
        emitter = DBusAddress(call.path, interface=SECRET + "Prompt")
        signal = new_signal(emitter, "Completed", "bv", (dismissed, complete(dismissed)))
        if self.prompt_to_caller:
            signal.header.fields[HeaderFields.destination] = call.sender
        return [signal, reply] if self.completed_before_reply else [reply, signal]
