"""Opening the browser for the login: its own process, a clean environment, never waited for."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

# The child that opens the browser when BROWSER is not set: Python's webbrowser, in its own
# process so that it gets a clean environment and is never waited for.
_OPENER = "import sys, webbrowser\nsys.exit(0 if webbrowser.open(sys.argv[1]) else 1)"


def _clean_env(env: dict) -> dict:
    """The environment for the browser: nothing of andamio's (no secret can leak into it)."""
    return {k: v for k, v in env.items() if not k.upper().startswith("ANDAMIO_")}


def _commands(url: str, env: dict) -> list[list[str]]:
    """The commands to try, in order: BROWSER's (`%s` is the URL, else it is appended), else
    Python's webbrowser in a child process."""
    commands = []
    for part in (env.get("BROWSER") or "").split(os.pathsep):
        try:
            args = shlex.split(part)
        except ValueError:
            continue
        if args:
            commands.append([a.replace("%s", url) for a in args] if "%s" in part else [*args, url])
    return commands or [[sys.executable, "-c", _OPENER, url]]


class Launcher:
    """Starts the browser commands one after another until one does not fail; never waits."""

    def __init__(self, url: str, env: dict) -> None:
        self.pending = _commands(url, env)
        self.env = _clean_env(env)
        self.process: subprocess.Popen | None = None
        self._next()

    def _next(self) -> None:
        self.process = None
        while self.pending and self.process is None:
            try:
                self.process = subprocess.Popen(
                    self.pending.pop(0),
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except (OSError, ValueError):
                continue

    def failed(self) -> bool:
        """True once every command has failed (exited non-zero or could not start)."""
        while self.process is not None and self.process.poll() not in (None, 0):
            self._next()
        return self.process is None
