"""More misbehaving keyring backends for test_keyring_faults.py (via PYTHON_KEYRING_BACKEND)."""

from keyring.backend import KeyringBackend


class RaisingKeyring(KeyringBackend):
    """A backend whose every call fails with an error keyring does not define."""

    priority = 1

    def get_password(self, service, username):
        raise RuntimeError("backend exploded")

    def set_password(self, service, username, password):
        raise RuntimeError("backend exploded")

    def delete_password(self, service, username):
        raise RuntimeError("backend exploded")
