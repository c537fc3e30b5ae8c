"""The installed CLI against the loopback emulator under gateway faults: one clear error,
nothing lost, nothing leaked, the right number of attempts.

`python tests/test_reliability.py` prints the fault table as Markdown (for the README).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import clean_env, run_cli
from reliability_support import (
    DNS_URL,
    MAYBE_DONE,
    PATHS,
    REFUSED,
    SEED_KEY,
    assert_no_secret,
    assert_one_error,
    closed_port,
    sandbox_secrets,
    seed_file_store,
    snapshot,
)

from andamio_cli.sandbox import Sandbox

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
    # The whole run, retries included, must end sooner: the fault is not waited out. Set many
    # times above the expected time, so a loaded machine cannot fail it (attempts are counted).
    seconds: float | None = None
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
    "connection refused": Fault(None, 5, "cannot connect to 127.0.0.1:", True, base_url=REFUSED),
    "reply slower than --timeout 1": Fault(
        "delay=30", 5, "no answer within 1 s from 127.0.0.1:", True, timeout="1", seconds=30.0
    ),
    "DNS failure": Fault(
        None,
        5,
        "cannot resolve the host nxdomain-test.andamio.io",
        True,
        base_url=DNS_URL,
        seconds=30.0,  # a failed lookup fails at once (about 2 s with the read retries)
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
        base_url = {None: sb.url, REFUSED: f"http://127.0.0.1:{closed_port()}"}.get(
            fault.base_url, fault.base_url
        )
        # stored for the URL the command uses (stored credentials go nowhere else)
        seed_file_store(config, sb, url=base_url)
        before = snapshot(config)
        if fault.spec:
            spec = fault.spec.format(evil=evil_url)
            sb.add_faults(command.route, ",".join([spec] * case.repeats))
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
        result = run_cli(options + args, env)
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
        assert out.seconds < fault.seconds, out.seconds
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


def test_readme_reliability_table_is_current():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert reliability_markdown() in readme, (
        "README.md's Reliability table is stale: paste `python tests/test_reliability.py`"
    )


if __name__ == "__main__":
    print(reliability_markdown())
