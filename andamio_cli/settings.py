"""Config dir, per-profile settings, networks and the base-URL allow-list."""

from __future__ import annotations

import ipaddress
import json
import os
import re
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
    if not allow_any:
        if parts.path not in ("", "/"):  # request paths are the API's constants, nothing else
            raise bad
        andamio = host == "andamio.io" or host.endswith(".andamio.io")
        https_ok = parts.scheme == "https" and (andamio or host in V1_HOSTS)
        if not (https_ok or is_loopback(host)):
            raise bad
    return text.rstrip("/")


class Settings:
    """Non-secret per-profile settings in `config.json`; never holds a secret."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, "config.json")
        self._data: dict | None = None

    def _load(self) -> dict:
        if self._data is None:
            try:
                with open(self.path, encoding="utf-8") as fh:
                    data = json.load(fh)
            except FileNotFoundError:
                data = {}
            except (OSError, ValueError) as exc:
                raise AndamioError(
                    f"cannot read settings {self.path}: {exc.__class__.__name__}",
                    hint="fix or remove the file",
                ) from None
            self._data = data if isinstance(data, dict) else {}
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
