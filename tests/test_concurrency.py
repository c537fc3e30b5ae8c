"""Twenty CLI processes at once on one file store, and on the real OS keyring."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from conftest import DEV_JWT, andamio_command, clean_env
from reliability_support import (
    STORE_KEY,
    need_real_keyring,
)

from andamio_cli.credentials import FileStore
from andamio_cli.output import mask
from andamio_cli.settings import Settings

# --- load and concurrency ----------------------------------------------------------------


LOAD_KEYS = [f"ant_pp_LOAD{n:02d}" + "x" * 34 for n in range(10)]


def assert_load_results(results, stored_key: str | None) -> None:
    """Every run exit 0 (or a clean store error), status parseable, the store holds one key."""
    masks = {mask(k) for k in LOAD_KEYS} | {mask(STORE_KEY)}
    for kind, code, stdout, stderr in results:
        assert "Traceback" not in stderr, stderr
        assert not any(k in stderr or k in stdout for k in LOAD_KEYS), stderr
        if code != 0 and kind == "status":  # a store that does not answer: a problem line
            assert code == 3 and stderr == "", (kind, code, stderr)
            problems = json.loads(stdout)["problems"]
            assert len(problems) == 1 and "did not answer" in problems[0], problems
            continue
        if code != 0:
            assert code == 3 and "did not answer" in stderr, (kind, code, stderr)
            continue
        if kind == "status":
            assert json.loads(stdout)["api_key"]["masked"] in masks
        else:
            assert stdout == ""
    assert sum(1 for kind, code, _, _ in results if kind == "login" and code == 0) >= 1
    assert stored_key in LOAD_KEYS


def test_twenty_processes_share_one_file_store(tmp_path):
    config = str(tmp_path / "config")
    store = FileStore(config)
    store.set("default", "api_key", STORE_KEY)
    store.set("default", "dev_jwt", DEV_JWT)
    Settings(config).update("default", store="file")
    env = clean_env(ANDAMIO_CONFIG_DIR=config, ANDAMIO_CREDENTIAL_STORE="file")
    procs = []
    for n, key in enumerate(LOAD_KEYS):
        key_file = tmp_path / f"key{n}"
        key_file.write_text(key)
        with open(key_file) as stdin:
            procs.append(
                (
                    "login",
                    subprocess.Popen(
                        andamio_command() + ["login", "--with-key"],
                        stdin=stdin,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    ),
                )
            )
        procs.append(
            (
                "status",
                subprocess.Popen(
                    andamio_command() + ["status", "--json"],
                    stdin=subprocess.DEVNULL,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    results = []
    for kind, proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        results.append((kind, proc.returncode, stdout, stderr))
    assert all(code == 0 for _, code, _, _ in results), results
    data = json.loads(open(store.path, encoding="utf-8").read())
    assert_load_results(results, data["profiles"]["default"]["api_key"])
    assert data["profiles"]["default"]["dev_jwt"] == DEV_JWT  # no lost update
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o700
    assert json.loads(open(os.path.join(config, "config.json"), encoding="utf-8").read())
    assert not [n for n in os.listdir(config) if n.startswith(".tmp-")]


# keyring itself reads what andamio stored: one entry per profile, a JSON object.
READ_DIRECT = (
    "import json, keyring; "
    'print(json.loads(keyring.get_password("andamio-cli", "default") or "{}").get("api_key"))'
)
LOAD_SCRIPT = r"""
eval "$(printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets)"
printf '%s\n' "$JWT" | "$@" login --with-token > "$OUT/seed.out" 2>&1 || exit 9
printf '%s' "$FIRST" | "$@" login --with-key >> "$OUT/seed.out" 2>&1 || exit 9
n=0
for key in $KEYS; do
  ( printf '%s' "$key" | "$@" login --with-key > "$OUT/login$n.out" 2> "$OUT/login$n.err";
    echo $? > "$OUT/login$n.rc" ) &
  ( "$@" --json status > "$OUT/status$n.out" 2> "$OUT/status$n.err";
    echo $? > "$OUT/status$n.rc" ) &
  n=$((n + 1))
done
wait
"$PY" -c "$READ_DIRECT" > "$OUT/direct.txt"
"""


def test_twenty_processes_share_the_real_keyring(tmp_path):
    need_real_keyring()
    out = tmp_path / "out"
    out.mkdir()
    env = clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        OUT=str(out),
        PY=sys.executable,
        JWT=DEV_JWT,
        FIRST=STORE_KEY,
        KEYS=" ".join(LOAD_KEYS),
        # Correctness under concurrency, not the deadline: twenty processes on a loaded
        # machine can keep gnome-keyring busy for longer than the default 3 s.
        ANDAMIO_KEYRING_TIMEOUT="30",
        READ_DIRECT=READ_DIRECT,
    )
    run = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", LOAD_SCRIPT, "bash", *andamio_command()],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr + (out / "seed.out").read_text()
    results = []
    for n in range(len(LOAD_KEYS)):
        for kind in ("login", "status"):
            results.append(
                (
                    kind,
                    int((out / f"{kind}{n}.rc").read_text()),
                    (out / f"{kind}{n}.out").read_text(),
                    (out / f"{kind}{n}.err").read_text(),
                )
            )
    assert_load_results(results, (out / "direct.txt").read_text().strip())
    assert not (tmp_path / "config" / "credentials.json").exists()
