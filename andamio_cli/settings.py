"""Config dir, per-profile settings, networks and the base-URL allow-list."""

from __future__ import annotations

import ipaddress
import json
import os
import re
from typing import Callable
from urllib.parse import urlsplit

from andamio_cli.errors import AndamioError, InvalidInputError

NETWORKS = {
    "preprod": "https://preprod.api.andamio.io",
    "mainnet": "https://api.andamio.io",
    "sandbox": "http://127.0.0.1:8765",
}
V1_HOSTS = (
    "andamio-api-308006323670.us-central1.run.app",
    "andamio-api-preprod-308006323670.us-central1.run.app",
)
PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Settings whose value must be a string; a file holding anything else there is refused.
TEXT_SETTINGS = (
    "network",
    "base_url",
    "credentials_url",
    "store",
    "key_name",
    "key_id",
    "key_expires_at",
    "alias",
    "jwt_expires_at",
    "refresh_token_expires_at",
    "refreshed_from",
    "api_version",
)


def config_dir(env: dict) -> str:
    """The directory holding settings (and the file credential store)."""
    if env.get("ANDAMIO_CONFIG_DIR"):
        return env["ANDAMIO_CONFIG_DIR"]
    from platformdirs import user_config_dir

    return user_config_dir("andamio-cli", appauthor=False)


def check_profile(name: str) -> str:
    """Validate a profile name (it becomes part of keyring entry names)."""
    if not PROFILE_RE.fullmatch(name):
        raise InvalidInputError(
            f"invalid profile name {name!r}",
            hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, allow_any: bool = False) -> str:
    """Return the normalised base URL, or raise if credentials may not be sent there."""
    bad = InvalidInputError(
        f"base URL {url!r} is not allowed",
        hint="use https on andamio.io (or a subdomain) or on a legacy v1 host, "
        "a loopback address, or set ANDAMIO_ALLOW_ANY_URL=1",
    )
    text = url.strip()
    # urlsplit drops tabs and newlines (httpx does not) and ignores an empty `?` or `#`
    if not re.fullmatch(r"[\x21-\x7e]+", text) or "?" in text or "#" in text:
        raise bad
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise bad
    if "@" in parts.netloc or not re.fullmatch(r"[a-z0-9.:\[\]-]+", parts.netloc.lower()):
        raise bad
    # The netloc is exactly the host (an IPv6 one in brackets) and the port, nothing around
    # them: urlsplit reads `[::1].` as ::1, where httpx refuses the URL.
    bracketed = f"[{host}]" if ":" in host else host
    if parts.netloc.lower() not in (bracketed, f"{bracketed}:{parts.port}"):
        raise bad
    if not allow_any:
        if parts.path not in ("", "/"):  # request paths are the API's constants, nothing else
            raise bad
        andamio = host == "andamio.io" or host.endswith(".andamio.io")
        https_ok = parts.scheme == "https" and (andamio or host in V1_HOSTS)
        if not (https_ok or is_loopback(host)):
            raise bad
    return text.rstrip("/")


SETTINGS_HINT = "fix or remove the file (it holds no secrets; `andamio login` writes it again)"


def check_shape(data: object, path: str) -> dict:
    """The settings document, or an error naming the file when its shape is wrong."""

    def bad(what: str) -> InvalidInputError:
        return InvalidInputError(
            f"the settings file {path} is not valid: {what}", hint=SETTINGS_HINT
        )

    if not isinstance(data, dict):
        raise bad("expected a JSON object")
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise bad('"profiles" must be an object mapping profile names to settings')
    for name, values in profiles.items():
        if not isinstance(values, dict):
            raise bad(f"profile {name!r} must be an object")
        for key in TEXT_SETTINGS:
            if key in values and not isinstance(values[key], str):
                raise bad(f"{key} of profile {name!r} must be a string")
        if values.get("network", "preprod") not in NETWORKS:
            raise bad(f"network of profile {name!r} must be one of {', '.join(NETWORKS)}")
        if values.get("store", "keyring") not in ("keyring", "file"):
            raise bad(f"store of profile {name!r} must be keyring or file")
    return data


def warn_if_shared(directory: str, warn: Callable[[str], None]) -> None:
    """Warn when the config dir is writable by other users (POSIX)."""
    if os.name != "posix":
        return
    try:
        mode = os.stat(directory).st_mode
    except OSError:
        return
    if mode & 0o022:
        warn(f"the config dir {directory} is writable by other users; run `chmod 700 {directory}`")


class Settings:
    """Non-secret per-profile settings in `config.json`; never holds a secret."""

    def __init__(self, directory: str, warn: Callable[[str], None] | None = None) -> None:
        self.directory = directory
        self.path = os.path.join(directory, "config.json")
        self._data: dict | None = None
        self._warn = warn

    def _load(self) -> dict:
        if self._data is None:
            try:
                with open(self.path, encoding="utf-8") as fh:
                    data = json.load(fh)
            except FileNotFoundError:
                data = {}
            except ValueError as exc:
                raise InvalidInputError(
                    f"the settings file {self.path} is not valid JSON ({exc.__class__.__name__})",
                    hint=SETTINGS_HINT,
                ) from None
            except OSError as exc:
                raise AndamioError(
                    f"cannot read settings {self.path}: {exc.__class__.__name__}",
                    hint="fix or remove the file",
                ) from None
            else:
                if self._warn is not None:
                    warn_if_shared(self.directory, self._warn)
            self._data = check_shape(data, self.path)
        return self._data

    def reload(self) -> None:
        """Forget what was read; the next access reads the file again."""
        self._data = None

    def profiles(self) -> list[str]:
        """Names of the profiles that have settings."""
        return sorted(self._load().get("profiles", {}))

    def active_profile(self) -> str | None:
        """The profile chosen with `andamio switch` (top-level `active_profile`), if any."""
        name = self._load().get("active_profile")
        return name if isinstance(name, str) and PROFILE_RE.fullmatch(name) else None

    def set_active_profile(self, profile: str | None) -> None:
        """Record (or, with None, forget) the profile used when none is named."""
        from andamio_cli.files import atomic_write_json, locked

        with locked(self.path + ".lock"):
            self.reload()
            data = self._load()
            if profile is None:
                data.pop("active_profile", None)
            else:
                data["active_profile"] = profile
            atomic_write_json(self.path, data, mode=0o600)

    def get(self, profile: str) -> dict:
        """The settings of one profile (a copy)."""
        return dict(self._load().get("profiles", {}).get(profile, {}))

    def update(self, profile: str, **values: object) -> None:
        """Set (or, with None, remove) values of one profile and write the file."""
        from andamio_cli.files import atomic_write_json, locked

        with locked(self.path + ".lock"):
            self.reload()
            data = self._load()
            current = data.setdefault("profiles", {}).setdefault(profile, {})
            for key, value in values.items():
                if value is None:
                    current.pop(key, None)
                else:
                    current[key] = value
            if not current:
                data["profiles"].pop(profile, None)
            atomic_write_json(self.path, data, mode=0o600)
