"""The real Secret Service (gnome-keyring under dbus-run-session): the one-entry layout,
migration from the older one-entry-per-secret layout, and which modules a read imports."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import DEV_JWT, andamio_command, clean_env
from reliability_support import need_real_keyring

OLD_KEY = "ant_pp_MIGRATEOLD000000000000000000000000wxyz"
NEW_KEY = "ant_pp_MIGRATENEW000000000000000000000000abcd"
REFRESH = "refresh-token-migration-test-0000000"

# Seeds the older layout through keyring itself, as andamio < this release wrote it.
SEED = """
import keyring, os
for secret in ("api_key", "dev_jwt", "refresh_token"):
    keyring.set_password("andamio-cli", "default:" + secret, os.environ["SEED_" + secret.upper()])
"""
# Every item of the service, username -> secret, straight from the Secret Service.
DUMP = """
import json, secretstorage
conn = secretstorage.dbus_init()
col = secretstorage.get_default_collection(conn)
items = {i.get_attributes()["username"]: i.get_secret().decode()
         for i in col.search_items({"service": "andamio-cli"})}
print(json.dumps(items, sort_keys=True))
"""
# Runs one command in-process and records which keyring-related modules it imported.
IMPORTS = """
import atexit, json, os, sys
def record():
    names = sorted(
        m
        for m in sys.modules
        if m.split(".")[0] in ("keyring", "secretstorage", "cryptography", "jeepney")
    )
    with open(os.environ["OUT"] + "/imports.json", "w") as fh:
        json.dump(names, fh)
atexit.register(record)
sys.argv = ["andamio", "--json", "status"]
from andamio_cli.app import main
sys.exit(main())
"""
SCRIPT = r"""
set -e
eval "$(printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets)"
"$PY" -c "$SEED"
"$@" --json status > "$OUT/status-old.json"
"$PY" -c "$DUMP" > "$OUT/before.json"
printf '%s' "$NEW_KEY" | "$@" login --with-key
"$PY" -c "$DUMP" > "$OUT/after.json"
"$@" --json status > "$OUT/status-new.json"
PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring "$@" --json status \
  > "$OUT/status-explicit.json"
"$PY" -c "$IMPORTS" > /dev/null
"$@" --json logout > "$OUT/logout.json"
"$PY" -c "$DUMP" > "$OUT/gone.json"
"""


def test_older_layout_is_read_then_moved_into_one_entry(tmp_path):
    need_real_keyring()
    out = tmp_path / "out"
    out.mkdir()
    env = clean_env(
        XDG_CURRENT_DESKTOP=None,
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        OUT=str(out),
        PY=sys.executable,
        SEED=SEED,
        DUMP=DUMP,
        IMPORTS=IMPORTS,
        NEW_KEY=NEW_KEY,
        SEED_API_KEY=OLD_KEY,
        SEED_DEV_JWT=DEV_JWT,
        SEED_REFRESH_TOKEN=REFRESH,
        ANDAMIO_KEYRING_TIMEOUT="30",  # the layout is tested here, not the deadline
    )
    run = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", SCRIPT, "bash", *andamio_command()],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    for secret in (OLD_KEY, NEW_KEY, DEV_JWT, REFRESH):
        assert secret not in run.stdout + run.stderr

    old = json.loads((out / "status-old.json").read_text())
    assert old["api_key"]["masked"] == "ant_pp_…wxyz" and old["api_key"]["source"] == "keyring"
    assert old["refresh_token"]["source"] == "keyring"
    assert json.loads((out / "before.json").read_text()) == {
        "default:api_key": OLD_KEY,
        "default:dev_jwt": DEV_JWT,
        "default:refresh_token": REFRESH,
    }

    after = json.loads((out / "after.json").read_text())
    assert list(after) == ["default"]  # the older entries are gone
    assert json.loads(after["default"]) == {
        "api_key": NEW_KEY,
        "dev_jwt": DEV_JWT,
        "refresh_token": REFRESH,
    }
    for name in ("status-new.json", "status-explicit.json"):
        status = json.loads((out / name).read_text())
        assert status["api_key"]["masked"] == "ant_pp_…abcd"
        assert status["api_key"]["source"] == status["dev_jwt"]["source"] == "keyring"

    # With nothing chosen on Linux, a read talks to the Secret Service through jeepney alone:
    # neither keyring nor secretstorage, nor the cryptography an encrypted session needs.
    imported = json.loads((out / "imports.json").read_text())
    assert "jeepney" in imported
    heavy = [m for m in imported if m.split(".")[0] in ("keyring", "secretstorage", "cryptography")]
    assert not heavy, heavy

    assert json.loads((out / "logout.json").read_text()) == {"cleared": True}
    assert json.loads((out / "gone.json").read_text()) == {}
