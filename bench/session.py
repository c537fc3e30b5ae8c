"""A private D-Bus session with an unlocked gnome-keyring, for the keyring scenarios.

`startup.py` re-runs itself under `dbus-run-session` (see `ensure_session`), then starts
`gnome-keyring-daemon --unlock` with its data in a temporary directory (`start_keyring`).
Anything missing or failing is an error that stops the benchmark: the keyring scenarios are
never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

MARKER = "ANDAMIO_BENCH_IN_DBUS_SESSION"  # set in the re-run, so it does not re-run again


class SessionError(RuntimeError):
    """The D-Bus session or the keyring could not be started."""


def ensure_session(argv: list[str]) -> None:
    """Re-run this benchmark under dbus-run-session, unless it already is (never returns then)."""
    if os.environ.get(MARKER) == "1":
        return
    tool = shutil.which("dbus-run-session")
    if not tool or not shutil.which("gnome-keyring-daemon"):
        raise SessionError(
            "the keyring scenarios need dbus-run-session and gnome-keyring-daemon "
            "(Debian/Ubuntu: apt-get install dbus gnome-keyring)"
        )
    sys.stdout.flush()
    sys.stderr.flush()
    env = dict(os.environ, **{MARKER: "1"})
    os.execve(tool, [tool, "--", sys.executable, *argv], env)


def start_keyring(tmp: str) -> None:
    """Start an unlocked gnome-keyring-daemon (Secret Service only) on this session's bus."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise SessionError("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    data = tempfile.mkdtemp(prefix="keyring-", dir=tmp)
    try:
        res = subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
            input="bench-password",
            env=dict(os.environ, XDG_DATA_HOME=data),
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SessionError(f"gnome-keyring-daemon did not start: {exc}") from None
    if res.returncode != 0:
        raise SessionError(
            f"gnome-keyring-daemon exited {res.returncode}: {res.stderr.strip()[-300:]}"
        )
    for line in res.stdout.splitlines():  # GNOME_KEYRING_CONTROL=... (and older variables)
        name, sep, value = line.partition("=")
        if sep and name.isidentifier():
            os.environ[name] = value


def seed(andamio: str, env: dict[str, str], api_key: str, jwt: str, refresh: str) -> None:
    """Store the credentials through the CLI itself (`login --with-key`, `--with-token`)."""
    for args, stdin in (
        (["login", "--with-key"], api_key),
        (["login", "--with-token"], f"{jwt}\n{refresh}\n"),
    ):
        res = subprocess.run(
            [andamio, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
        )
        if res.returncode != 0:
            store = env.get("ANDAMIO_CREDENTIAL_STORE", "keyring")
            raise SessionError(
                f"seeding the {store} store with `andamio {' '.join(args)}` failed "
                f"(exit {res.returncode}): {res.stderr.strip()[-300:]}"
            )
