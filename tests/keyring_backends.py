"""Misbehaving keyring backends, selected in subprocesses with PYTHON_KEYRING_BACKEND."""

import time

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked


class HangingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        time.sleep(3600)

    def set_password(self, service, username, password):
        time.sleep(3600)

    def delete_password(self, service, username):
        time.sleep(3600)


class LockedKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise KeyringLocked("collection is locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("collection is locked")

    def delete_password(self, service, username):
        raise KeyringLocked("collection is locked")
