"""The freedesktop Secret Service (gnome-keyring, KeePassXC, ...) spoken to directly over D-Bus.

`import keyring` costs more than the lookup itself (its backend discovery imports every
backend, and keyring.backend pulls in urllib.request, http.client and email), and keyring's
SecretService backend goes through `secretstorage`, which imports `cryptography` for an
encrypted session. On Linux, when the user chose no backend, keyring would pick that backend
anyway; this talks to the same service with the same item attributes through `jeepney` (pure
Python), so keyring and andamio read each other's entries.

The session is "plain", as in go-keyring (which `gh` uses): the secret crosses the user's own
session-bus socket unencrypted. Any process of the same user that could watch that bus could
also ask the Secret Service for the secret itself, so an encrypted session guards against
nothing here that the bus does not. One D-Bus connection and one session per process.
"""

from __future__ import annotations

from typing import Any

# The attributes and label keyring's SecretService backend uses (keyring.backends.SecretService).
APPLICATION = "Python keyring library"

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
SERVICE = "org.freedesktop.Secret.Service"
COLLECTION = "org.freedesktop.Secret.Collection"
ITEM = "org.freedesktop.Secret.Item"
PROMPT = "org.freedesktop.Secret.Prompt"
NO_OBJECT = "/"  # "no prompt needed" and "no such alias"
IS_LOCKED = "org.freedesktop.Secret.Error.IsLocked"
# The bus's answers that mean nobody provides the Secret Service here.
ABSENT = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
)


class Unreachable(Exception):
    """No Secret Service on this machine (no session bus, or nobody owns the name)."""


class KeyringLocked(Exception):
    """The collection stayed locked (the unlock prompt was dismissed)."""


class SecretServiceError(Exception):
    """The Secret Service answered a call with a D-Bus error."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name


class SecretServiceVault:
    """Read and write keyring-compatible items of one service on the Secret Service."""

    name = "SecretService"

    def __init__(self, service: str) -> None:
        self.service = service
        self._conn: Any = None
        self._session = ""
        self._collection: str | None = None  # the default collection's path, once known

    def connect(self) -> None:
        """Connect and open a session (raises Unreachable when there is no Secret Service)."""
        if self._conn is not None:
            return
        from jeepney.io.blocking import open_dbus_connection

        try:
            conn = open_dbus_connection(bus="SESSION")
        except (KeyError, OSError, ValueError) as exc:  # no address, no socket, bad address
            raise Unreachable(f"no D-Bus session bus ({exc.__class__.__name__})") from None
        self._conn = conn
        try:
            _, session = self._service("OpenSession", "sv", ("plain", ("s", "")))
        except BaseException as exc:  # no session: no connection either, whatever went wrong
            conn.close()
            self._conn = None
            if isinstance(exc, SecretServiceError) and exc.name in ABSENT:
                raise Unreachable(str(exc)) from None
            raise
        self._session = session

    def _call(
        self, path: str, interface: str, method: str, signature: str = "", body: tuple = ()
    ) -> tuple:
        from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call

        address = DBusAddress(path, bus_name=BUS_NAME, interface=interface)
        reply = self._conn.send_and_get_reply(new_method_call(address, method, signature, body))
        if reply.header.message_type == MessageType.error:
            detail = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            name = reply.header.fields.get(HeaderFields.error_name, "D-Bus error")
            raise SecretServiceError(name, detail)
        return reply.body

    def _prompt(self, prompt: str) -> Any:
        """Show the service's prompt (an unlock dialog, ...) and wait for the answer.

        Returns the prompt's result; raises KeyringLocked when the user dismissed it."""
        if prompt == NO_OBJECT:
            return None
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus

        rule = MatchRule(type="signal", interface=PROMPT, member="Completed", path=prompt)
        with self._conn.filter(rule) as signals:
            self._conn.send_and_get_reply(message_bus.AddMatch(rule))
            try:
                self._call(prompt, PROMPT, "Prompt", "s", ("",))
                dismissed, (_, result) = self._conn.recv_until_filtered(signals).body
            finally:
                self._conn.send_and_get_reply(message_bus.RemoveMatch(rule))
        if dismissed:
            raise KeyringLocked("the keyring prompt was dismissed")
        return result

    def _service(self, method: str, signature: str = "", body: tuple = ()) -> tuple:
        return self._call(SERVICE_PATH, SERVICE, method, signature, body)

    def _unlock(self, path: str) -> None:
        """Unlock a collection or an item (the service may prompt)."""
        unlocked, prompt = self._service("Unlock", "ao", ([path],))
        if path not in unlocked and path not in (self._prompt(prompt) or ()):
            raise KeyringLocked("the keyring stayed locked")

    def _unlocked(self, collection: str) -> str:
        """Unlock `collection` and remember it as the one to use."""
        self._unlock(collection)
        self._collection = collection
        return collection

    def _default_collection(self) -> str | None:
        """The default collection's path, unlocked; None when the service has none."""
        if self._collection is None:
            self.connect()
            (path,) = self._service("ReadAlias", "s", ("default",))
            if path != NO_OBJECT:
                self._unlocked(path)
        return self._collection

    def _writable_collection(self) -> str:
        """The default collection, created (the service may prompt) when there is none yet."""
        existing = self._default_collection()
        if existing is not None:
            return existing
        label = {f"{COLLECTION}.Label": ("s", "Default")}
        path, prompt = self._service("CreateCollection", "a{sv}s", (label, "default"))
        return self._unlocked(self._prompt(prompt) if path == NO_OBJECT else path)

    def _find(self, username: str) -> str | None:
        """The item for `username` in the default collection, or None."""
        collection = self._default_collection()
        if collection is None:
            return None
        attributes = {"username": username, "service": self.service}
        (items,) = self._call(collection, COLLECTION, "SearchItems", "a{ss}", (attributes,))
        return items[0] if items else None

    def get(self, username: str) -> str | None:
        """The secret stored for `username`, or None."""
        item = self._find(username)
        if item is None:
            return None
        try:
            reply = self._call(item, ITEM, "GetSecret", "o", (self._session,))
        except SecretServiceError as exc:
            if exc.name != IS_LOCKED:
                raise
            # An item locked on its own (the spec allows it); keyring and go-keyring unlock too.
            self._unlock(item)
            reply = self._call(item, ITEM, "GetSecret", "o", (self._session,))
        ((_, _, value, _),) = reply
        return bytes(value).decode("utf-8")

    def set(self, username: str, value: str) -> None:
        """Create or replace the item for `username`."""
        collection = self._writable_collection()
        attributes = {"application": APPLICATION, "service": self.service, "username": username}
        properties = {
            f"{ITEM}.Label": ("s", f"Password for '{username}' on '{self.service}'"),
            f"{ITEM}.Attributes": ("a{ss}", attributes),
        }
        secret = (self._session, b"", value.encode("utf-8"), "text/plain")
        _, prompt = self._call(
            collection, COLLECTION, "CreateItem", "a{sv}(oayays)b", (properties, secret, True)
        )
        self._prompt(prompt)

    def delete(self, username: str) -> bool:
        """Remove the item for `username`; False when there was none."""
        item = self._find(username)
        if item is None:
            return False
        (prompt,) = self._call(item, ITEM, "Delete")
        self._prompt(prompt)
        return True
