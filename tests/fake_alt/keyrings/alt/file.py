"""A plaintext keyring backend named like `keyrings.alt.file.PlaintextKeyring`.

It keeps passwords in the JSON file named by FAKE_ALT_STORE, in clear text, as the real
plaintext backends of keyrings.alt do. The dist-info next to this package registers it as a
`keyring.backends` entry point, so keyring finds it by itself when this folder is on
PYTHONPATH.
"""

import json
import os

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    priority = 0.5

    @staticmethod
    def _path():
        return os.environ["FAKE_ALT_STORE"]

    def _load(self):
        try:
            with open(self._path(), encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        with open(self._path(), "w", encoding="utf-8") as fh:
            json.dump(data, fh)

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}/{username}", None)
        with open(self._path(), "w", encoding="utf-8") as fh:
            json.dump(data, fh)
