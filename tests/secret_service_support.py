"""Shared by the Secret Service tests: fixtures on a private bus with the fake, and helpers.

The fixtures are plain functions here; each test module makes them its own with
`pytest.fixture(...)`, so nothing is imported that pytest must find by name.
"""

from __future__ import annotations

import json

from fake_secret_service import KEYRING_APP, FakeSecretService
from private_bus import PrivateBus, need_dbus_daemon

from andamio_cli.credentials import SERVICE
from andamio_cli.keyring_store import Vault, _resolve_vault
from andamio_cli.secret_service import SecretServiceVault

KEY = "ant_pp_FAKESECRETSERVICE000000000000000000000wxyz"
OTHER = "ant_pp_FAKESECRETSERVICE111111111111111111111abcd"
ENTRY = json.dumps({"api_key": KEY})
LABEL = "Password for 'default' on 'andamio-cli'"
ATTRIBUTES = {"application": KEYRING_APP, "service": SERVICE, "username": "default"}


def private_bus(monkeypatch, tmp_path):
    """A private bus, and this process's environment pointing at it (no backend chosen)."""
    need_dbus_daemon()
    private = PrivateBus()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private.address)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    yield private
    private.close()


def fake_service(bus):
    service = FakeSecretService(bus.address)
    yield service
    service.stop()
    assert service.errors == []


def vault_factory(bus):
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
