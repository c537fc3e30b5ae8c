"""Helpers for the reliability tests: a seeded file store, snapshots, leak and error checks."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

from andamio_cli.credentials import FileStore
from andamio_cli.output import mask
from andamio_cli.sandbox.server import ROUTES
from andamio_cli.settings import Settings

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_ALT = os.path.join(HERE, "fake_alt")
SEED_KEY = "sandbox-default"
DNS_URL = "https://nxdomain-test.andamio.io"
REFUSED = "refused"
PATHS = {route: path for path, (route, _, _) in ROUTES.items()}
STORE_HINTS = ("ANDAMIO_API_KEY", "--insecure-storage", "ANDAMIO_CREDENTIAL_STORE=file")
MAYBE_DONE = "may have reached the gateway"
REQUIRED = os.environ.get("ANDAMIO_REQUIRE_REAL_KEYRING") == "1"


def seed_file_store(config: str, sb, url: str | None = None) -> None:
    """The sandbox developer's three secrets in a file store, and its key named in the settings,
    recorded as belonging to `url` (the sandbox's by default), as `andamio login` records it."""
    store = FileStore(config)
    for secret, value in (
        ("api_key", sb.dev.api_key),
        ("dev_jwt", sb.dev.jwt),
        ("refresh_token", sb.dev.refresh_token),
    ):
        store.set("default", secret, value)
    Settings(config).update(
        "default", store="file", key_name=SEED_KEY, credentials_url=url or sb.url
    )


def snapshot(config) -> dict:
    """The bytes of the stored credentials and settings (lock files left out)."""
    found = {}
    for name in ("credentials.json", "config.json"):
        try:
            with open(os.path.join(config, name), "rb") as fh:
                found[name] = fh.read()
        except FileNotFoundError:
            found[name] = None
    return found


def sandbox_secrets(sb) -> set:
    """Every secret the sandbox issued, holds or was sent."""
    with sb.state.lock:
        found = {
            sb.dev.api_key,
            sb.dev.jwt,
            sb.dev.refresh_token,
            sb.state.wallet_seed.hex(),
            *(key.secret for key in sb.state.keys),
            *sb.state.refresh,
        }
    for record in sb.requests:
        for name, value in record.headers:
            if name.lower() in ("x-api-key", "authorization"):
                found.add(value.removeprefix("Bearer ").strip())
        if isinstance(record.json, dict) and isinstance(record.json.get("refresh_token"), str):
            found.add(record.json["refresh_token"])
    return {s for s in found if len(s) >= 8}


def assert_no_secret(text: str, secrets, where: str) -> None:
    leaked = [mask(s) for s in secrets if s in text]
    assert not leaked, f"secrets {leaked} on {where}"


def assert_one_error(stderr: str, fragment: str | None) -> None:
    """Exactly one `Error:` line (with the fragment), at most a `Hint:`, nothing else."""
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    assert all(line.startswith(("Error: ", "Hint: ")) for line in lines), stderr
    assert "Traceback" not in stderr
    if fragment:
        assert fragment in errors[0], stderr


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STORE_KEY = "ant_pp_STORETEST0000000000000000000000000wxyz"


def need_real_keyring() -> None:
    """Skip without gnome-keyring and D-Bus (fail instead where ANDAMIO_REQUIRE_REAL_KEYRING=1)."""
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        if REQUIRED:
            pytest.fail("dbus-run-session and gnome-keyring-daemon are required in CI")
        pytest.skip("gnome-keyring / dbus not installed")
