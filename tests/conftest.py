"""Shared fixtures: an in-memory store, a strict mock gateway, a CLI runner, the emulator."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field

import httpx
import pytest

from andamio_cli.app import main
from andamio_cli.context import AppContext

BASE = "https://preprod.api.andamio.io"
API_KEY = "ant_pp_unit0000000000000000000000000000secretK"
JWT_PAYLOAD = "eyJzdWIiOiJ1MSIsImFsaWFzIjoidW5pdCIsImV4cCI6NDEwMjQ0NDgwMH0"  # exp 2100
DEV_JWT = f"eyJhbGciOiJIUzI1NiJ9.{JWT_PAYLOAD}.c2lnbmF0dXJlLXNlY3JldA"


class MemoryStore:
    """A credential store in a dict (unit tests only)."""

    name = "keyring"

    def __init__(self, **initial: str) -> None:
        self.data = {("default", k): v for k, v in initial.items()}

    def get(self, profile, secret):
        return self.data.get((profile, secret))

    def set(self, profile, secret, value):
        self.data[(profile, secret)] = value

    def delete(self, profile, secret):
        return self.data.pop((profile, secret), None) is not None


@dataclass
class Expected:
    method: str
    path: str
    status: int = 200
    json: object = None
    content: bytes | None = None
    headers: dict = field(default_factory=dict)


class MockGateway:
    """An httpx MockTransport that answers queued expectations in order and fails on the rest."""

    def __init__(self) -> None:
        self.expected: list[Expected] = []
        self.requests: list[httpx.Request] = []
        self.unexpected: list[str] = []

    def expect(self, method, path, status=200, json=None, content=None, headers=None):
        self.expected.append(Expected(method, path, status, json, content, headers or {}))
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.expected or (self.expected[0].method, self.expected[0].path) != (
            request.method,
            request.url.path,
        ):
            self.unexpected.append(f"{request.method} {request.url.path}")
            return httpx.Response(599, json={"message": "unexpected request in test"})
        exp = self.expected.pop(0)
        if exp.content is not None:
            return httpx.Response(exp.status, content=exp.content, headers=exp.headers)
        return httpx.Response(exp.status, json=exp.json, headers=exp.headers)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def body(self, index: int) -> dict:
        return json.loads(self.requests[index].content)


@pytest.fixture
def gateway():
    gw = MockGateway()
    yield gw
    assert gw.unexpected == [], f"requests nobody expected: {gw.unexpected}"
    assert gw.expected == [], f"expected requests never sent: {gw.expected}"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class _Stream(io.StringIO):
    def __init__(self, tty: bool = False, text: str = "") -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture
def cli(tmp_path):
    """Run `main()` in-process with injected env, stdin, transport and store."""

    def run(args, *, env=None, stdin="", store=None, transport=None, tty=False) -> Result:
        out, err = _Stream(tty), _Stream(tty)
        inp = _Stream(tty, stdin)
        full_env = {"ANDAMIO_CONFIG_DIR": str(tmp_path / "config")}
        full_env.update(env or {})

        def factory(options):
            return AppContext(
                options,
                env=full_env,
                stdin=inp,
                stdout=out,
                stderr=err,
                transport=transport,
                store=store,
            )

        # Typer prints a command's own --help through click.echo to sys.stdout.
        with contextlib.redirect_stdout(out):
            code = main(list(args), context_factory=factory, stdout=out, stderr=err)
        return Result(code, out.getvalue(), err.getvalue())

    return run


# --- the emulator and the installed CLI, for end-to-end tests -------------------------


@pytest.fixture
def sandbox(tmp_path):
    from andamio_cli.sandbox import Sandbox

    with Sandbox(port=0, workdir=str(tmp_path / "sandbox")) as sb:
        yield sb


@pytest.fixture
def sb(tmp_path):
    """The emulator for tests that call it directly; it must log no server errors."""
    from andamio_cli.sandbox import Sandbox

    with Sandbox(workdir=tmp_path) as sandbox:
        yield sandbox
    assert sandbox.errors == []


@pytest.fixture
def sigint():
    """Ctrl-C as on a terminal: KeyboardInterrupt here, the default action in child processes.

    A suite started in the background (`cmd &` in a script, nohup) inherits SIGINT ignored; then
    `_thread.interrupt_main()` does nothing and every child process ignores SIGINT as well.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def andamio_command() -> list[str]:
    """The installed console script next to this interpreter (else `python -m andamio_cli`)."""
    script = os.path.join(os.path.dirname(sys.executable), "andamio")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "andamio_cli"]


# Variables that steer the CLI, the keyring or the interpreter from outside a test.
STEERING_PREFIXES = ("ANDAMIO_", "PYTHON_KEYRING", "DBUS_", "GNOME_KEYRING", "FAKE_ALT")
STEERING_NAMES = ("NO_COLOR", "PYTHONPATH", "PYTHONPROFILEIMPORTTIME")


def clean_env(**extra: str | None) -> dict:
    """os.environ without anything that steers the CLI or the keyring, plus `extra`.

    A value of None removes that variable. Every subprocess a test starts gets this.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(STEERING_PREFIXES) and k not in STEERING_NAMES
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def e2e_env(tmp_path, **extra: str | None) -> dict:
    """The environment `run_andamio` gives the CLI: a clean one, its own config dir, file store."""
    return clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "e2e-config"),
        ANDAMIO_CREDENTIAL_STORE="file",
        **extra,
    )


def creds_env(sb, **extra: str) -> dict:
    """Variables that point the CLI at the sandbox `sb` as its seeded developer (URL, API key,
    developer JWT), plus `extra`: for `run_andamio`, which adds the clean rest."""
    return {
        "ANDAMIO_BASE_URL": sb.url,
        "ANDAMIO_API_KEY": sb.dev.api_key,
        "ANDAMIO_DEV_JWT": sb.dev.jwt,
        **extra,
    }


def run_cli(args, env: dict, *, stdin: str | None = None, timeout: float = 60):
    """The installed CLI as a subprocess with exactly `env` (make it with clean_env or e2e_env).

    Text in, text out; without `stdin` its standard input is /dev/null.
    """
    return subprocess.run(
        andamio_command() + list(args),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def run_andamio(tmp_path):
    """Run the real CLI as a subprocess with a clean environment and its own config dir."""

    def run(args, *, env=None, stdin="", timeout=60) -> subprocess.CompletedProcess:
        return run_cli(args, e2e_env(tmp_path, **(env or {})), stdin=stdin, timeout=timeout)

    return run
