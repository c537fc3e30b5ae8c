"""The installed CLI against the loopback emulator under gateway faults, store failures, Ctrl-C,
misbehaving keyrings and concurrent use: it keeps working, loses nothing and leaks nothing.

`python tests/test_reliability.py` prints the fault table as Markdown (for the README).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import DEV_JWT, andamio_command

from andamio_cli.credentials import FileStore
from andamio_cli.output import mask
from andamio_cli.sandbox import Sandbox
from andamio_cli.sandbox.server import ROUTES
from andamio_cli.settings import Settings

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_ALT = os.path.join(HERE, "fake_alt")
SEED_KEY = "sandbox-default"
DNS_URL = "https://nxdomain-test.andamio.io"
REFUSED = "refused"
PATHS = {route: path for path, (route, _, _) in ROUTES.items()}
STORE_HINTS = ("ANDAMIO_API_KEY", "--insecure-storage", "ANDAMIO_CREDENTIAL_STORE=file")
MAYBE_DONE = "may have reached the gateway"
REQUIRED = os.environ.get("ANDAMIO_REQUIRE_REAL_KEYRING") == "1"


# --- helpers ---------------------------------------------------------------------------


def clean_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANDAMIO_", "PYTHON_KEYRING", "DBUS_", "GNOME_KEYRING", "FAKE_ALT"))
        and k not in ("NO_COLOR", "PYTHONPATH")
    }
    env.update(extra)
    return env


def seed_file_store(config: str, sb) -> None:
    """The sandbox developer's three secrets in a file store, and its key named in the settings."""
    store = FileStore(config)
    for secret, value in (
        ("api_key", sb.dev.api_key),
        ("dev_jwt", sb.dev.jwt),
        ("refresh_token", sb.dev.refresh_token),
    ):
        store.set("default", secret, value)
    Settings(config).update("default", store="file", key_name=SEED_KEY)


def snapshot(config) -> dict:
    """The bytes of the stored credentials and settings (lock files left out)."""
    found = {}
    for name in ("credentials.json", "config.json"):
        try:
            with open(os.path.join(config, name), "rb") as fh:
                found[name] = fh.read()
        except FileNotFoundError:
            found[name] = None
    return found


def sandbox_secrets(sb) -> set:
    """Every secret the sandbox issued, holds or was sent."""
    with sb.state.lock:
        found = {
            sb.dev.api_key,
            sb.dev.jwt,
            sb.dev.refresh_token,
            sb.state.wallet_seed.hex(),
            *(key.secret for key in sb.state.keys),
            *sb.state.refresh,
        }
    for record in sb.requests:
        for name, value in record.headers:
            if name.lower() in ("x-api-key", "authorization"):
                found.add(value.removeprefix("Bearer ").strip())
        if isinstance(record.json, dict) and isinstance(record.json.get("refresh_token"), str):
            found.add(record.json["refresh_token"])
    return {s for s in found if len(s) >= 8}


def assert_no_secret(text: str, secrets, where: str) -> None:
    leaked = [mask(s) for s in secrets if s in text]
    assert not leaked, f"secrets {leaked} on {where}"


def assert_one_error(stderr: str, fragment: str | None) -> None:
    """Exactly one `Error:` line (with the fragment), at most a `Hint:`, nothing else."""
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    assert all(line.startswith(("Error: ", "Hint: ")) for line in lines), stderr
    assert "Traceback" not in stderr
    if fragment:
        assert fragment in errors[0], stderr


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the fault table -------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    args: tuple
    route: str  # where the fault is injected
    read: bool = False
    first_route: str | None = None  # the first request, when it is not `route`

    @property
    def first(self) -> str:
        return self.first_route or self.route


@dataclass(frozen=True)
class Fault:
    spec: str | None  # the sandbox fault; None when the base URL itself fails
    exit: int
    message: str | None  # a fragment of the one `Error:` line
    retried: bool  # reads make 3 attempts
    base_url: str | None = None
    timeout: str | None = None
    seconds: float | None = None  # the run must end sooner (the fault is not waited out)
    read_seconds: float | None = None  # reads must take at least this long (Retry-After honoured)


COMMANDS = {
    "apikey request --save": Command(("apikey", "request", "rel-key", "--save"), "key/request"),
    "apikey rotate": Command(("apikey", "rotate", SEED_KEY, "--yes"), "key/rotate"),
    "apikey delete": Command(("apikey", "delete", SEED_KEY, "--yes"), "key/delete"),
    "apikey list": Command(("apikey", "list"), "profile/get", read=True),
    "apikey profile": Command(("apikey", "profile"), "profile/get", read=True),
    "apikey usage": Command(("apikey", "usage"), "usage/get", read=True),
    "login --skey": Command(
        ("login", "--skey", "{skey}", "--alias", "{alias}", "--address", "{address}"),
        "login/complete",
        first_route="login/session",
    ),
    "refresh": Command(("refresh",), "token/refresh"),
}
READS = [name for name, command in COMMANDS.items() if command.read]

FAULTS = {
    "HTML 502 page": Fault("502-html", 1, "HTTP 502, text/html", True),
    "503, no Retry-After": Fault("503", 1, "HTTP 503, application/json", True),
    "503, Retry-After: 2 (seconds)": Fault(
        "503:retry-after=2", 1, "HTTP 503", True, read_seconds=4.0
    ),
    "503, Retry-After: HTTP date (+3 s)": Fault(
        "503:retry-after-date=3", 1, "HTTP 503", True, read_seconds=4.0
    ),
    "truncated JSON": Fault(
        "truncated", 1, "not a JSON object (HTTP 200, application/json)", False
    ),
    "empty 200": Fault("empty", 1, "an empty reply (HTTP 200, application/json)", False),
    "200 missing required fields": Fault("missing-fields", 1, None, False),
    "connection reset": Fault("reset", 5, "broke before a complete reply", True),
    "connection refused": Fault(None, 5, "cannot connect to 127.0.0.1", True, base_url=REFUSED),
    "reply slower than --timeout 1": Fault(
        "delay=5", 5, "no answer from 127.0.0.1 within 1 s", True, timeout="1", seconds=4.5
    ),
    "DNS failure": Fault(
        None,
        5,
        "cannot resolve the host nxdomain-test.andamio.io",
        True,
        base_url=DNS_URL,
        seconds=4.5,
    ),
    "redirect to another host": Fault(
        "redirect={evil}/collect", 1, "redirects are not followed (HTTP 302", False
    ),
}
# A 200 `{}` instead of the real reply: what each command must make of it.
MISSING = {
    "apikey request --save": (1, "`api_key` missing or empty"),
    "apikey rotate": (1, "neither `confirmation` nor `api_key`"),
    "apikey delete": (1, "has no `confirmation`"),
    "apikey list": (1, "is not a developer profile"),
    "apikey profile": (1, "is not a developer profile"),
    "apikey usage": (0, None),  # every usage field is optional
    "login --skey": (1, "no `jwt.token`"),
    "refresh": (1, "no `jwt.token`"),
}


def expected(fault_name: str, command_name: str) -> tuple[int, str | None, int]:
    """(exit code, message fragment, attempts) for a fault that lasts."""
    fault, command = FAULTS[fault_name], COMMANDS[command_name]
    code, fragment = fault.exit, fault.message
    if fault.spec == "missing-fields":
        code, fragment = MISSING[command_name]
    return code, fragment, 3 if command.read and fault.retried else 1


def counted_route(fault_name: str, command_name: str) -> str:
    """The route whose attempts are counted (a dead base URL stops at the first request)."""
    command = COMMANDS[command_name]
    return command.first if FAULTS[fault_name].base_url else command.route


@dataclass(frozen=True)
class Case:
    fault: str
    command: str
    debug: bool = False
    repeats: int = 3  # faults queued: 3 outlast the read retries, 1 is a passing glitch

    @property
    def id(self) -> str:
        words = (
            f"{self.fault} {self.command}"
            + (" debug" if self.debug else "")
            + (" once" if self.repeats == 1 else "")
        )
        return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    routes: list
    before: dict
    after: dict
    secrets: set


def run_case(case: Case, root, evil_url: str) -> Outcome:
    fault, command = FAULTS[case.fault], COMMANDS[case.command]
    work = root / case.id
    with Sandbox(port=0, workdir=str(work / "sandbox")) as sb:
        config = str(work / "config")
        seed_file_store(config, sb)
        before = snapshot(config)
        if fault.spec:
            spec = fault.spec.format(evil=evil_url)
            sb.add_faults(command.route, ",".join([spec] * case.repeats))
        base_url = {None: sb.url, REFUSED: f"http://127.0.0.1:{closed_port()}"}.get(
            fault.base_url, fault.base_url
        )
        args = [
            a.format(skey=sb.dev.skey_path, alias=sb.dev.alias, address=sb.dev.address)
            for a in command.args
        ]
        options = (["--debug"] if case.debug else []) + (
            ["--timeout", fault.timeout] if fault.timeout else []
        )
        env = clean_env(
            ANDAMIO_CONFIG_DIR=config, ANDAMIO_CREDENTIAL_STORE="file", ANDAMIO_BASE_URL=base_url
        )
        started = time.monotonic()
        result = subprocess.run(
            andamio_command() + options + args,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        routes = [r.route for r in sb.requests]
        return Outcome(
            result.returncode,
            result.stdout,
            result.stderr,
            seconds,
            routes,
            before,
            snapshot(config),
            sandbox_secrets(sb),
        )


TABLE = [Case(f, c) for f in FAULTS for c in COMMANDS]
TABLE_DEBUG = [Case(f, c, debug=True) for f in FAULTS for c in COMMANDS]
GLITCHES = [
    Case(f, c, repeats=1)
    for f in (
        "HTML 502 page",
        "503, Retry-After: 2 (seconds)",
        "connection reset",
        "reply slower than --timeout 1",
    )
    for c in READS
]


def _param(case: Case):
    return pytest.param(case, id=case.id)


def _case_of(item) -> Case | None:
    callspec = getattr(item, "callspec", None)
    case = callspec.params.get("case") if callspec else None
    return case if isinstance(case, Case) else None


@pytest.fixture(scope="module")
def evil():
    """Another host that redirects point to; nothing may ever reach it."""
    with Sandbox(port=0) as sb:
        yield sb


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory, evil):
    """Run every selected case at once (they mostly wait on retries and timeouts)."""
    wanted = {case for case in map(_case_of, request.session.items) if case is not None}
    root = tmp_path_factory.mktemp("faults")
    evil_url = f"http://localhost:{evil.port}"
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = {case: pool.submit(run_case, case, root, evil_url) for case in wanted}
    return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", [_param(c) for c in TABLE])
def test_fault_gives_one_clear_error_and_loses_nothing(case, outcomes, evil):
    out = outcomes[case]
    fault, command = FAULTS[case.fault], COMMANDS[case.command]
    code, fragment, attempts = expected(case.fault, case.command)
    assert out.code == code, out.stderr
    assert "Traceback" not in out.stderr
    if code == 0:
        assert out.stdout != "" and out.stderr == ""
    else:
        assert out.stdout == ""
        assert_one_error(out.stderr, fragment)
    assert out.after["credentials.json"] == out.before["credentials.json"]
    if case.command != "login --skey":  # login records the base URL before it starts
        assert out.after == out.before
    route = counted_route(case.fault, case.command)
    if fault.base_url:
        assert out.routes == []
    else:
        assert out.routes.count(route) == attempts, out.routes
        assert set(out.routes) <= {command.route, command.first}, out.routes
        assert out.routes.count(command.first) == (attempts if command.first == route else 1)
    if not command.read and fault.exit == 5:  # a write that may or may not have been done
        assert (MAYBE_DONE in out.stderr) == (fault.base_url is None), out.stderr
    if fault.seconds:
        assert out.seconds < fault.seconds * (3 if command.read else 1), out.seconds
    if fault.read_seconds and command.read:
        assert out.seconds >= fault.read_seconds, out.seconds
    assert evil.requests == []
    assert_no_secret(out.stdout, out.secrets, "stdout")
    assert_no_secret(out.stderr, out.secrets, "stderr")


@pytest.mark.parametrize("case", [_param(c) for c in TABLE_DEBUG])
def test_fault_debug_trace_counts_attempts_and_leaks_nothing(case, outcomes, evil):
    out = outcomes[case]
    code, _, attempts = expected(case.fault, case.command)
    assert out.code == code, out.stderr
    assert (out.stdout == "") == (code != 0)
    path = re.escape(PATHS[counted_route(case.fault, case.command)])
    sent = [
        line
        for line in out.stderr.splitlines()
        if re.fullmatch(rf"\[debug\] > (GET|POST) \S+{path}", line)
    ]
    assert len(sent) == attempts, out.stderr
    assert "Error: " in out.stderr if code else "Error: " not in out.stderr
    assert evil.requests == []
    assert_no_secret(out.stdout, out.secrets, "stdout")
    assert_no_secret(out.stderr, out.secrets, "the --debug trace")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in GLITCHES])
def test_read_recovers_from_a_passing_fault(case, outcomes):
    out = outcomes[case]
    route = COMMANDS[case.command].route
    assert out.code == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout.strip() != ""
    assert out.routes == [route, route]
    assert out.after == out.before
    assert_no_secret(out.stdout, out.secrets, "stdout")


def reliability_markdown() -> str:
    """The fault table as Markdown, for the README."""
    reads = ", ".join(f"`{c}`" for c in READS)
    writes = ", ".join(f"`{c}`" for c in COMMANDS if c not in READS)
    lines = [
        f"Reads: {reads}. Writes: {writes}.",
        "",
        "| Gateway fault | Exit | The one `Error:` line names | Reads send | Writes send |",
        "|---|---|---|---|---|",
    ]
    for name, fault in FAULTS.items():
        if fault.spec == "missing-fields":
            lines.append(
                f"| {name} | 1 | the missing field (`api_key`, `confirmation`, "
                "`jwt.token`, `user_id`); `usage` accepts it (exit 0: every field "
                "is optional) | 1 | 1 |"
            )
            continue
        reads_sent = 3 if fault.retried else 1
        lines.append(f"| {name} | {fault.exit} | `{fault.message}` | {reads_sent} | 1 |")
    return "\n".join(lines)


# --- a key the gateway issued is never lost ------------------------------------------------


READONLY_SH = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'


def readonly(directory: str) -> list:
    """Run the rest of the command with `directory` mounted read-only (even for root)."""
    return ["unshare", "--mount", "sh", "-c", READONLY_SH, "sh", directory]


@lru_cache(maxsize=1)
def can_mount_readonly() -> bool:
    if not shutil.which("unshare"):
        return False
    with tempfile.TemporaryDirectory() as probe:
        result = subprocess.run(
            readonly(probe) + ["touch", os.path.join(probe, "x")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.returncode != 0 and "Read-only" in result.stderr


STORE_FAILURES = {
    "keyring locked": (
        {"PYTHON_KEYRING_BACKEND": "keyring_backends.LockedKeyring"},
        "KeyringLocked",
    ),
    "keyring hangs": (
        {
            "PYTHON_KEYRING_BACKEND": "keyring_backends.HangingKeyring",
            "ANDAMIO_KEYRING_TIMEOUT": "1",
        },
        "did not answer within 1 s",
    ),
    "config dir read-only": ({"ANDAMIO_CREDENTIAL_STORE": "file"}, "Read-only file system"),
}
ISSUERS = {
    "request --save": (["apikey", "request", "safe-key", "--save"], "safe-key"),
    "rotate returns a new key": (["apikey", "rotate", SEED_KEY, "--yes"], SEED_KEY),
}


def issue_with_failing_store(sandbox, tmp_path, failure: str, args: list):
    sandbox.rotate_mode = "new-key"
    config = str(tmp_path / "config")
    Settings(config).update("default", key_name=SEED_KEY)  # the stored key is the one rotated
    FileStore(config).set("default", "api_key", "ant_pp_OLDSTOREDKEY0000000000000000000000")
    before = snapshot(config)
    extra, _ = STORE_FAILURES[failure]
    env = clean_env(
        ANDAMIO_CONFIG_DIR=config,
        ANDAMIO_BASE_URL=sandbox.url,
        PYTHONPATH=HERE,
        ANDAMIO_API_KEY=sandbox.dev.api_key,
        ANDAMIO_DEV_JWT=sandbox.dev.jwt,
        **extra,
    )
    command = andamio_command() + args
    if failure == "config dir read-only":
        if not can_mount_readonly():
            pytest.skip("cannot mount a read-only directory here (needs unshare and CAP_SYS_ADMIN)")
        command = readonly(config) + command
    started = time.monotonic()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    return result, time.monotonic() - started, before, snapshot(config)


@pytest.mark.parametrize("failure", STORE_FAILURES)
@pytest.mark.parametrize("issuer", ISSUERS)
def test_issued_key_is_printed_when_it_cannot_be_saved(sandbox, tmp_path, failure, issuer):
    args, name = ISSUERS[issuer]
    result, seconds, before, after = issue_with_failing_store(sandbox, tmp_path, failure, args)
    new_key = sandbox.state.find_key(sandbox.dev.user_id, name=name).secret
    assert new_key != sandbox.dev.api_key
    assert result.returncode == 3, result.stderr
    assert result.stdout == new_key + "\n"
    assert_one_error(result.stderr, "the new key was printed above but NOT saved")
    assert STORE_FAILURES[failure][1] in result.stderr
    assert new_key not in result.stderr and sandbox.dev.api_key not in result.stderr
    assert after == before
    assert seconds < 10
    assert [r.route for r in sandbox.requests] == [
        "key/rotate" if name == SEED_KEY else "key/request"
    ]


def test_issued_key_in_json_mode_is_on_stdout_and_the_error_on_stderr(sandbox, tmp_path):
    args = ["apikey", "request", "safe-key", "--save", "--json"]
    result, _, before, after = issue_with_failing_store(sandbox, tmp_path, "keyring locked", args)
    new_key = sandbox.state.find_key(sandbox.dev.user_id, name="safe-key").secret
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["api_key"] == new_key
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "auth" and "NOT saved" in error["message"]
    assert new_key not in result.stderr
    assert after == before


def test_unusable_config_dir_fails_before_anything_is_issued(sandbox, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = clean_env(
        ANDAMIO_CONFIG_DIR=str(blocker / "config"),
        ANDAMIO_CREDENTIAL_STORE="file",
        ANDAMIO_BASE_URL=sandbox.url,
        ANDAMIO_API_KEY=sandbox.dev.api_key,
        ANDAMIO_DEV_JWT=sandbox.dev.jwt,
    )
    result = subprocess.run(
        andamio_command() + ["apikey", "request", "never-key", "--save"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert_one_error(result.stderr, "cannot read settings")
    assert sandbox.requests == []


@pytest.mark.parametrize(
    "args,route",
    [
        (["apikey", "request", "ctrl-c-key", "--save"], "key/request"),
        (["refresh"], "token/refresh"),
        (["apikey", "usage"], "usage/get"),
    ],
    ids=["request-save", "refresh", "usage"],
)
def test_ctrl_c_during_a_request_exits_130_and_changes_nothing(sandbox, tmp_path, args, route):
    config = str(tmp_path / "config")
    seed_file_store(config, sandbox)
    before = snapshot(config)
    sandbox.add_faults(route, "delay=20")
    env = clean_env(
        ANDAMIO_CONFIG_DIR=config, ANDAMIO_CREDENTIAL_STORE="file", ANDAMIO_BASE_URL=sandbox.url
    )
    proc = subprocess.Popen(
        andamio_command() + args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while route not in [r.route for r in sandbox.requests]:
            assert time.monotonic() < deadline and proc.poll() is None, "the request never came"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert stdout == ""
    assert stderr == "Interrupted.\n"
    assert snapshot(config) == before


# --- keyring misbehaviour ----------------------------------------------------------------


STORE_KEY = "ant_pp_STORETEST0000000000000000000000000wxyz"
BROKEN_KEYRINGS = {
    "hangs": (
        {
            "PYTHON_KEYRING_BACKEND": "keyring_backends.HangingKeyring",
            "ANDAMIO_KEYRING_TIMEOUT": "1",
        },
        "the OS keyring did not answer within 1 s",
    ),
    "raises": (
        {"PYTHON_KEYRING_BACKEND": "reliability_keyrings.RaisingKeyring"},
        "the OS keyring failed (RuntimeError)",
    ),
    "locked": (
        {"PYTHON_KEYRING_BACKEND": "keyring_backends.LockedKeyring"},
        "the OS keyring failed (KeyringLocked)",
    ),
}
STORE_USERS = {
    "apikey usage": (["apikey", "usage"], ""),
    "login --with-key": (["login", "--with-key"], STORE_KEY),
    "logout": (["logout"], ""),
}


@pytest.mark.parametrize("command", STORE_USERS)
@pytest.mark.parametrize("backend", BROKEN_KEYRINGS)
def test_misbehaving_keyring_is_a_clean_exit_3(sandbox, tmp_path, backend, command):
    extra, message = BROKEN_KEYRINGS[backend]
    args, stdin = STORE_USERS[command]
    env = clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        ANDAMIO_BASE_URL=sandbox.url,
        PYTHONPATH=HERE,
        **extra,
    )
    started = time.monotonic()
    result = subprocess.run(
        andamio_command() + args, input=stdin, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started < 8
    assert result.stdout == ""
    assert_one_error(result.stderr, message)
    for hint in STORE_HINTS:
        assert hint in result.stderr
    assert STORE_KEY not in result.stderr
    assert sandbox.requests == []


def alt_env(tmp_path, **extra) -> dict:
    """keyrings.alt's plaintext backend installed (found by its entry point), nothing chosen."""
    return clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=FAKE_ALT,
        FAKE_ALT_STORE=str(tmp_path / "alt-store.json"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        **extra,
    )


def test_plaintext_keyring_present_but_not_chosen_is_refused(tmp_path):
    env = alt_env(tmp_path)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import keyring; k = keyring.get_keyring(); "
            "print(type(k).__module__ + '.' + type(k).__name__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert probe.stdout.strip() == "keyrings.alt.file.PlaintextKeyring", probe.stderr
    result = subprocess.run(
        andamio_command() + ["login", "--with-key"],
        input=STORE_KEY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert_one_error(
        result.stderr,
        "no secure OS keyring is available (found keyrings.alt.file.PlaintextKeyring)",
    )
    for hint in STORE_HINTS:
        assert hint in result.stderr
    assert STORE_KEY not in result.stderr
    assert not (tmp_path / "alt-store.json").exists()
    assert not (tmp_path / "config" / "credentials.json").exists()


@pytest.mark.parametrize("how", ["PYTHON_KEYRING_BACKEND", "keyringrc.cfg"])
def test_plaintext_keyring_chosen_explicitly_is_used(tmp_path, how):
    backend = "keyrings.alt.file.PlaintextKeyring"
    if how == "PYTHON_KEYRING_BACKEND":
        env = alt_env(tmp_path, PYTHON_KEYRING_BACKEND=backend)
    else:
        env = alt_env(tmp_path)
        rc = tmp_path / "xdg-config" / "python_keyring" / "keyringrc.cfg"
        rc.parent.mkdir(parents=True)
        rc.write_text(f"[backend]\ndefault-keyring={backend}\n")
    login = subprocess.run(
        andamio_command() + ["login", "--with-key"],
        input=STORE_KEY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert login.returncode == 0, login.stderr
    assert login.stdout == ""
    assert STORE_KEY not in login.stderr
    token = subprocess.run(
        andamio_command() + ["login", "--with-token"],
        input=DEV_JWT + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert token.returncode == 0, token.stderr
    stored = json.loads((tmp_path / "alt-store.json").read_text())
    assert stored == {
        "andamio-cli/default:api_key": STORE_KEY,
        "andamio-cli/default:dev_jwt": DEV_JWT,
    }
    status = subprocess.run(
        andamio_command() + ["status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["api_key_source"] == "keyring" and report["api_key"] == mask(STORE_KEY)
    assert STORE_KEY not in status.stdout + status.stderr
    assert not (tmp_path / "config" / "credentials.json").exists()


def test_is_insecure_classifies_backend_instances():
    """The chainer cases cannot be arranged through keyring's own discovery here."""
    from keyring.backends import fail, null

    from andamio_cli.credentials import _is_insecure

    def fake(module: str, name: str = "Keyring", **attrs):
        return type(name, (), {"__module__": module, **attrs})()

    alt = fake("keyrings.alt.file", "PlaintextKeyring")
    secret_service = fake("keyring.backends.SecretService")
    assert _is_insecure(fail.Keyring())
    assert _is_insecure(null.Keyring())
    assert _is_insecure(alt)
    assert _is_insecure(fake("keyrings.alt.Gnome", "Keyring"))
    assert _is_insecure(fake("keyring.backends.chainer", "ChainerBackend", backends=[]))
    assert _is_insecure(
        fake("keyring.backends.chainer", "ChainerBackend", backends=[alt, secret_service])
    )
    assert not _is_insecure(
        fake("keyring.backends.chainer", "ChainerBackend", backends=[secret_service, alt])
    )
    assert not _is_insecure(secret_service)
    assert not _is_insecure(fake("keyrings_alternative", "Keyring"))


# --- load and concurrency ----------------------------------------------------------------


LOAD_KEYS = [f"ant_pp_LOAD{n:02d}" + "x" * 34 for n in range(10)]


def assert_load_results(results, stored_key: str | None) -> None:
    """Every run exit 0 (or a clean store error), status parseable, the store holds one key."""
    masks = {mask(k) for k in LOAD_KEYS} | {mask(STORE_KEY)}
    for kind, code, stdout, stderr in results:
        assert "Traceback" not in stderr, stderr
        assert not any(k in stderr or k in stdout for k in LOAD_KEYS), stderr
        if code != 0:
            assert code == 3 and "did not answer" in stderr, (kind, code, stderr)
            continue
        if kind == "status":
            assert json.loads(stdout)["api_key"] in masks
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
"$PY" -c 'import keyring; print(keyring.get_password("andamio-cli", "default:api_key"))' \
  > "$OUT/direct.txt"
"""


def test_twenty_processes_share_the_real_keyring(tmp_path):
    tools = [shutil.which("dbus-run-session"), shutil.which("gnome-keyring-daemon")]
    if not all(tools):
        if REQUIRED:
            pytest.fail("dbus-run-session and gnome-keyring-daemon are required in CI")
        pytest.skip("gnome-keyring / dbus not installed")
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


def test_readme_reliability_table_is_current():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert reliability_markdown() in readme, (
        "README.md's Reliability table is stale: paste `python tests/test_reliability.py`"
    )


if __name__ == "__main__":
    print(reliability_markdown())
