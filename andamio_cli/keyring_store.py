"""The OS keyring store: one entry per profile (a JSON object), every call under a deadline.

The entry's username is the profile name and its secret a JSON object such as
{"api_key": "...", "dev_jwt": "..."}, so a command reads all of a profile's secrets in one
keyring round trip. Entries of the older layout (one per secret, `default:api_key`) are read
when the profile has no entry yet, and folded into the new entry at the next write.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import nullcontext
from typing import Any, Callable, ContextManager, Protocol, TypeVar

from andamio_cli.credentials import SECRETS, SERVICE, STORE_HINT
from andamio_cli.errors import AndamioError, StoreUnavailableError

T = TypeVar("T")


class Vault(Protocol):
    """username -> secret string, for the service `andamio-cli`."""

    name: str

    def get(self, username: str) -> str | None: ...

    def set(self, username: str, value: str) -> None: ...

    def delete(self, username: str) -> bool: ...


def _call_with_deadline(fn: Callable[[], T], timeout: float) -> T:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="keyring-call", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise StoreUnavailableError(
            f"the OS keyring did not answer within {timeout:g} s (locked or not running?)",
            hint=STORE_HINT,
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _is_insecure(backend: object) -> bool:
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return True
    if module.startswith("keyring.backends.chainer"):
        members = list(getattr(backend, "backends", []))
        return not members or _is_insecure(members[0])
    return False


def _backend_chosen_explicitly() -> bool:
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    from keyring.util import platform_

    return os.path.exists(os.path.join(platform_.config_root(), "keyringrc.cfg"))


def _secret_service_directly() -> bool:
    """True where keyring, left to itself, would pick its SecretService backend.

    Linux, no backend named in PYTHON_KEYRING_BACKEND or keyring's config file, and not a
    KDE session (where keyring prefers KWallet). Whether the service answers is found out
    by trying; if it does not, keyring's own resolution decides.
    """
    if not sys.platform.startswith("linux") or os.environ.get("PYTHON_KEYRING_BACKEND"):
        return False
    if "KDE" in os.environ.get("XDG_CURRENT_DESKTOP", "").split(":"):
        return False
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return not os.path.exists(os.path.join(root, "python_keyring", "keyringrc.cfg"))


class _KeyringVault:
    """Any keyring backend, through keyring's password API."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.name = f"{type(backend).__module__}.{type(backend).__name__}"

    def get(self, username: str) -> str | None:
        return self.backend.get_password(SERVICE, username)

    def set(self, username: str, value: str) -> None:
        self.backend.set_password(SERVICE, username, value)

    def delete(self, username: str) -> bool:
        from keyring.errors import PasswordDeleteError

        if self.backend.get_password(SERVICE, username) is None:
            return False
        try:
            self.backend.delete_password(SERVICE, username)
        except PasswordDeleteError:
            return False
        return True


_opened: list[Vault] = []  # one per process, shared by every profile's store


def open_vault() -> Vault:
    """The Secret Service directly where that is what keyring would choose, else keyring's pick
    (opened once per process).

    Insecure backends (fail, null, an empty chainer, keyrings.alt) are refused unless the user
    chose the backend explicitly.
    """
    if not _opened:
        _opened.append(_resolve_vault())
    return _opened[0]


def _resolve_vault() -> Vault:
    if _secret_service_directly():
        from andamio_cli.secret_service import SecretServiceVault, Unreachable

        vault = SecretServiceVault(SERVICE)
        try:
            vault.connect()
            return vault
        except Unreachable:
            pass
    import keyring

    backend = keyring.get_keyring()
    if _is_insecure(backend) and not _backend_chosen_explicitly():
        raise StoreUnavailableError(
            "no secure OS keyring is available "
            f"(found {type(backend).__module__}.{type(backend).__name__})",
            hint=STORE_HINT,
        )
    return _KeyringVault(backend)


def _parse(raw: str) -> dict[str, str]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and v}


class KeyringStore:
    """The OS keyring: one entry per profile, read once per process, under a deadline."""

    name = "keyring"

    def __init__(
        self,
        timeout: float = 3.0,
        *,
        lock_dir: str | None = None,
        vault: Callable[[], Vault] = open_vault,
    ) -> None:
        self.timeout = timeout
        self.lock_dir = lock_dir
        self._open_vault = vault
        self._vault: Vault | None = None
        self._entries: dict[str, dict[str, str]] = {}

    def _run(self, fn: Callable[[Vault], T]) -> T:
        def call() -> T:
            if self._vault is None:
                self._vault = self._open_vault()
            return fn(self._vault)

        try:
            return _call_with_deadline(call, self.timeout)
        except StoreUnavailableError:
            raise
        except Exception as exc:  # noqa: BLE001 - any backend failure means "unavailable"
            raise StoreUnavailableError(
                f"the OS keyring failed ({exc.__class__.__name__})", hint=STORE_HINT
            ) from None

    @staticmethod
    def _read(vault: Vault, profile: str) -> tuple[dict[str, str], list[str] | None]:
        """The profile's secrets, and the older-layout entries they came from (None when
        the profile has an entry of the current layout)."""
        raw = vault.get(profile)
        if raw is not None:
            return _parse(raw), None
        legacy = {}
        for secret in SECRETS:
            value = vault.get(f"{profile}:{secret}")
            if value:
                legacy[secret] = value
        return legacy, list(legacy)

    def _entry(self, profile: str) -> dict[str, str]:
        if profile not in self._entries:
            self._entries[profile] = self._run(lambda vault: self._read(vault, profile)[0])
        return self._entries[profile]

    def _lock(self) -> ContextManager[None]:
        if self.lock_dir is None:
            return nullcontext()
        from andamio_cli.files import locked

        # Each holder is bounded by the keyring deadline; waiting for a few of them is fine.
        wait = max(30.0, 10 * self.timeout)
        return locked(os.path.join(self.lock_dir, "keyring.lock"), timeout=wait)

    def _change(self, profile: str, update: Callable[[dict[str, str]], bool]) -> bool:
        """Read the entry afresh, change it, write it back (and retire older-layout entries)."""

        def transaction(vault: Vault) -> tuple[dict[str, str], bool]:
            entry, legacy = self._read(vault, profile)
            changed = update(entry)
            if changed or legacy:
                if entry:
                    vault.set(profile, json.dumps(entry, sort_keys=True))
                elif legacy is None:
                    vault.delete(profile)
                for secret in legacy or ():
                    vault.delete(f"{profile}:{secret}")
            return entry, changed

        try:
            with self._lock():
                entry, changed = self._run(transaction)
        except StoreUnavailableError:
            raise
        except AndamioError as exc:  # the lock: unwritable config dir, or a stuck process
            raise StoreUnavailableError(exc.message, hint=exc.hint) from None
        self._entries[profile] = entry
        return changed

    def get(self, profile: str, secret: str) -> str | None:
        return self._entry(profile).get(secret)

    def set(self, profile: str, secret: str, value: str) -> None:
        self._change(profile, lambda entry: entry.update({secret: value}) or True)

    def delete(self, profile: str, secret: str) -> bool:
        return self._change(profile, lambda entry: entry.pop(secret, None) is not None)

    def reload(self) -> None:
        """Forget what was read (another process may have changed the keyring)."""
        self._entries.clear()
