"""The freedesktop Secret Service (gnome-keyring, KeePassXC, ...) spoken to directly.

`import keyring` costs more than the lookup itself (its backend discovery imports every
backend, and keyring.backend pulls in urllib.request, http.client and email). On Linux, when
the user chose no backend, keyring would pick its SecretService backend anyway; this talks to
the same service with the same item attributes, so keyring and andamio read each other's
entries. One D-Bus connection and one session per process.
"""

from __future__ import annotations

from typing import Any

# The attributes and label keyring's SecretService backend uses (keyring.backends.SecretService).
APPLICATION = "Python keyring library"


class Unreachable(Exception):
    """No Secret Service on this machine (no session bus, or nobody owns the name)."""


class KeyringLocked(Exception):
    """The collection stayed locked (the unlock prompt was dismissed)."""


class SecretServiceVault:
    """Read and write keyring-compatible items of one service on the Secret Service."""

    name = "SecretService"

    def __init__(self, service: str) -> None:
        self.service = service
        self._conn: Any = None
        self._collection: Any = None
        self._session: Any = None

    def connect(self) -> None:
        """Connect, find the default collection and unlock it (raises Unreachable)."""
        self._open()

    def _open(self) -> Any:
        if self._collection is not None:
            return self._collection
        try:
            import secretstorage
        except ImportError as exc:
            raise Unreachable(f"secretstorage is not installed ({exc})") from None
        try:
            conn = secretstorage.dbus_init()
        except secretstorage.SecretServiceNotAvailableException as exc:
            raise Unreachable(str(exc)) from None
        try:
            if not secretstorage.check_service_availability(conn):
                raise Unreachable("the Secret Service is neither running nor activatable")
            collection = secretstorage.get_default_collection(conn)
            if collection.is_locked():
                collection.unlock()
                if collection.is_locked():
                    raise KeyringLocked("the keyring collection is locked")
        except BaseException:
            conn.close()
            raise
        self._conn, self._collection = conn, collection
        return collection

    def _find(self, username: str) -> Any:
        collection = self._open()
        for item in collection.search_items({"username": username, "service": self.service}):
            return item
        return None

    def _secret(self, item: Any) -> str:
        if item.is_locked():
            item.unlock()
            if item.is_locked():
                raise KeyringLocked("the keyring item is locked")
        if self._session is None:
            from secretstorage.util import open_session

            self._session = open_session(self._conn)
        item.session = self._session
        return item.get_secret().decode("utf-8")

    def get(self, username: str) -> str | None:
        """The secret stored for `username`, or None."""
        item = self._find(username)
        return None if item is None else self._secret(item)

    def set(self, username: str, value: str) -> None:
        """Create or replace the item for `username`."""
        collection = self._open()
        if self._session is not None:
            collection.session = self._session
        attributes = {"application": APPLICATION, "service": self.service, "username": username}
        label = f"Password for '{username}' on '{self.service}'"
        collection.create_item(label, attributes, value.encode("utf-8"), replace=True)
        self._session = collection.session

    def delete(self, username: str) -> bool:
        """Remove the item for `username`; False when there was none."""
        item = self._find(username)
        if item is None:
            return False
        item.delete()
        return True
