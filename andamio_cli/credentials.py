"""Credential stores (the file store here, the keyring in keyring_store.py) and env vars."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Protocol

from andamio_cli.errors import InvalidInputError, StoreUnavailableError

SERVICE = "andamio-cli"
SECRETS = ("api_key", "dev_jwt", "refresh_token")
ENV_VARS = {
    "api_key": "ANDAMIO_API_KEY",
    "dev_jwt": "ANDAMIO_DEV_JWT",
    "refresh_token": "ANDAMIO_DEV_REFRESH_TOKEN",
}
HEADER_SECRETS = ("api_key", "dev_jwt")  # sent in headers; the refresh token goes in a body
STORE_HINT = (
    "set ANDAMIO_API_KEY (and ANDAMIO_DEV_JWT) in the environment, or store secrets in a "
    "plain-text file with --insecure-storage or ANDAMIO_CREDENTIAL_STORE=file"
)


class Store(Protocol):
    name: str

    def get(self, profile: str, secret: str) -> str | None: ...

    def set(self, profile: str, secret: str, value: str) -> None: ...

    def delete(self, profile: str, secret: str) -> bool: ...


def store_kind(env: dict, settings: dict, insecure: bool = False) -> str:
    """Which store to use: env var, then --insecure-storage, then the profile's choice."""
    chosen = env.get("ANDAMIO_CREDENTIAL_STORE")
    if chosen:
        if chosen not in ("keyring", "file"):
            raise InvalidInputError(
                f"ANDAMIO_CREDENTIAL_STORE must be 'keyring' or 'file', not {chosen!r}"
            )
        return chosen
    if insecure:
        return "file"
    return settings.get("store") or "keyring"


def _warn_if_readable(fd: int, path: str, warn: Callable[[str], None]) -> None:
    """Warn when the credential file can be read by other users (POSIX)."""
    if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
        warn(
            f"the credential file {path} can be read or changed by other users; "
            f"run `chmod 600 {path}`"
        )


class FileStore:
    """Plain-text `credentials.json` (0600, atomic writes, locked); only when chosen."""

    name = "file"

    def __init__(self, directory: str, warn: Callable[[str], None] | None = None) -> None:
        self.path = os.path.join(directory, "credentials.json")
        self._warn = warn

    def _read(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as fh:
                if self._warn is not None:
                    _warn_if_readable(fh.fileno(), self.path, self._warn)
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise StoreUnavailableError(
                f"cannot read the credential file {self.path} ({exc.__class__.__name__})",
                hint="fix or remove the file, then log in again",
            ) from None
        profiles = data.get("profiles", {}) if isinstance(data, dict) else None
        if not isinstance(profiles, dict) or not all(
            isinstance(entry, dict) for entry in profiles.values()
        ):
            raise StoreUnavailableError(
                f"the credential file {self.path} is not valid: expected "
                '{"profiles": {NAME: {SECRET: VALUE}}}',
                hint="fix or remove the file, then log in again",
            )
        return data

    def _change(self, profile: str, update: Callable[[dict], bool]) -> bool:
        from andamio_cli.errors import AndamioError
        from andamio_cli.files import atomic_write_json, locked

        try:
            with locked(self.path + ".lock"):
                data = self._read()
                entry = data.setdefault("profiles", {}).setdefault(profile, {})
                changed = update(entry)
                if not entry:
                    data["profiles"].pop(profile, None)
                if changed:
                    atomic_write_json(self.path, data, mode=0o600)
                return changed
        except StoreUnavailableError:
            raise
        except AndamioError as exc:  # unwritable directory, lock timeout: the store is unusable
            raise StoreUnavailableError(
                exc.message,
                hint="make the config dir writable (or point ANDAMIO_CONFIG_DIR "
                "elsewhere), or set ANDAMIO_API_KEY and ANDAMIO_DEV_JWT in the environment",
            ) from None

    def get(self, profile: str, secret: str) -> str | None:
        value = self._read().get("profiles", {}).get(profile, {}).get(secret)
        return value if isinstance(value, str) and value else None

    def set(self, profile: str, secret: str, value: str) -> None:
        self._change(profile, lambda entry: entry.update({secret: value}) or True)

    def delete(self, profile: str, secret: str) -> bool:
        return self._change(profile, lambda entry: entry.pop(secret, None) is not None)

    def profiles(self) -> list[str]:
        """Profiles that have an entry in the file."""
        return sorted(self._read().get("profiles", {}))


class Credentials:
    """Resolve each secret of one profile: environment first, then the store."""

    def __init__(
        self, store: Store, profile: str, env: dict, guard: Callable[[], None] | None = None
    ) -> None:
        self.store = store
        self.profile = profile
        self.env = env
        self.guard = guard
        self._cache: dict[str, str | None] = {}

    def get(self, secret: str, *, to_send: bool = True) -> tuple[str | None, str]:
        """Return (value, source) with source one of env, keyring, file, none. A stored value
        that is to be sent passes the guard first (it belongs to one base URL)."""
        from_env = self.env.get(ENV_VARS[secret], "").strip()
        if from_env:
            if secret in HEADER_SECRETS and not re.fullmatch(r"[\x21-\x7e]+", from_env):
                raise InvalidInputError(
                    f"{ENV_VARS[secret]} contains a space, a newline or another character that "
                    "cannot be sent in an HTTP header; nothing was sent",
                    hint=f"set {ENV_VARS[secret]} to the credential alone (copy it again)",
                )
            return from_env, "env"
        value = self.stored(secret)
        if value and to_send and self.guard is not None:
            self.guard()
        return (value, self.store.name) if value else (None, "none")

    def stored(self, secret: str) -> str | None:
        """The stored value only, ignoring the environment."""
        if secret not in self._cache:
            self._cache[secret] = self.store.get(self.profile, secret)
        return self._cache[secret]

    def save(self, secret: str, value: str) -> None:
        """Store a secret for this profile."""
        self.store.set(self.profile, secret, value)
        self._cache[secret] = value

    def forget(self, secret: str) -> bool:
        """Remove a stored secret; True when something was removed."""
        self._cache[secret] = None
        return self.store.delete(self.profile, secret)

    def reload(self) -> None:
        """Drop cached values (another process may have changed the store)."""
        self._cache.clear()
        reload = getattr(self.store, "reload", None)
        if reload is not None:
            reload()


def __getattr__(name: str) -> Any:
    # The keyring store lives in keyring_store.py (imported only when a command needs it).
    if name in ("KeyringStore", "_is_insecure"):
        from andamio_cli import keyring_store

        return getattr(keyring_store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
