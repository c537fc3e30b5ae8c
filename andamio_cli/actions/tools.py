"""`andamio token` and `andamio exec`: hand the profile's credentials to other programs."""

from __future__ import annotations

import os

from andamio_cli.errors import CommandNotExecutableError, CommandNotFoundError, ExitStatus

FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP")


def print_token(ctx, *, api_key: bool) -> None:
    """The developer JWT (refreshed first when expired), or the API key, alone on stdout."""
    from andamio_cli.actions.apikey import require_api_key
    from andamio_cli.auth.tokens import developer_jwt

    secret = require_api_key(ctx) if api_key else developer_jwt(ctx)
    ctx.stdout.write(secret + "\n")  # the exact value, for $(andamio token): never reformatted
    ctx.stdout.flush()


def child_env(ctx, command: str, api_key: str) -> dict:
    """The environment for COMMAND: ours plus the API key, the developer JWT and the base URL."""
    from andamio_cli.auth.tokens import NoDeveloperJwtError, developer_jwt

    env = dict(ctx.env)
    env["ANDAMIO_API_KEY"] = api_key
    env["ANDAMIO_BASE_URL"] = ctx.base_url
    try:
        env["ANDAMIO_DEV_JWT"] = developer_jwt(ctx)
    except NoDeveloperJwtError:
        env.pop("ANDAMIO_DEV_JWT", None)
        ctx.note(
            f"No usable developer JWT for profile {ctx.profile}: {command} runs without "
            "ANDAMIO_DEV_JWT (`andamio login` stores one)."
        )
    return env


def find_command(name: str, path: str | None) -> str:
    """The file a shell would run for `name`; 127 when there is none, 126 when not runnable."""
    if not name:
        raise CommandNotFoundError("command not found: (empty name)")
    if os.sep in name or (os.altsep and os.altsep in name):
        candidates = [name]
    else:
        dirs = (os.defpath if path is None else path).split(os.pathsep)
        candidates = [os.path.join(d or os.curdir, name) for d in dirs]
    blocked = None
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        if blocked is None and os.path.exists(candidate):
            blocked = candidate
    if blocked is not None:
        why = "is a directory" if os.path.isdir(blocked) else "is not executable"
        raise CommandNotExecutableError(
            f"cannot run {name}: {blocked} {why}",
            hint=None if os.path.isdir(blocked) else f"chmod +x {blocked}",
        )
    raise CommandNotFoundError(
        f"command not found: {name}",
        hint="check the name and PATH (andamio exec runs programs, not shell built-ins)",
    )


def _foreground(sig: int) -> bool:
    """True when a terminal delivered `sig` to our whole process group (the child included)."""
    import signal

    if sig != signal.SIGINT:
        return False
    if not hasattr(os, "tcgetpgrp"):  # not on Windows
        return False
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
        except OSError:
            continue
    return False


def run_child(argv: list[str], executable: str, env: dict) -> int:
    """Run the child with inherited streams, forward signals to it; its status (128+N)."""
    import signal
    import subprocess
    import threading

    state: dict = {"proc": None, "pending": []}

    def forward(sig: int, _frame: object) -> None:
        proc = state["proc"]
        if proc is None:
            state["pending"].append(sig)
        elif proc.returncode is None and not _foreground(sig):
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass

    previous = {}
    if threading.current_thread() is threading.main_thread():  # handlers live there only
        for sig in (getattr(signal, name) for name in FORWARDED if hasattr(signal, name)):
            previous[sig] = signal.signal(sig, forward)
    try:
        try:
            proc = subprocess.Popen(argv, executable=executable, env=env)
        except FileNotFoundError as exc:
            raise CommandNotFoundError(f"cannot run {argv[0]}: {exc.strerror}") from None
        except OSError as exc:
            raise CommandNotExecutableError(f"cannot run {argv[0]}: {exc.strerror}") from None
        state["proc"] = proc
        for sig in state["pending"]:
            forward(sig, None)
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def run_exec(ctx, command: list[str]) -> ExitStatus:
    """`andamio exec`: the API key, then COMMAND, then the JWT (may refresh); run it; its status."""
    from andamio_cli.actions.apikey import require_api_key

    api_key = require_api_key(ctx)
    executable = find_command(command[0], ctx.env.get("PATH"))
    env = child_env(ctx, command[0], api_key)
    ctx.close()  # drop the gateway connection: the child may run for hours
    ctx.stdout.flush()
    ctx.stderr.flush()
    return ExitStatus(run_child(command, executable, env))
