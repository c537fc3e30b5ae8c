#!/usr/bin/env python3
"""Start-up benchmark for `andamio`, against `python -c pass` and two peer CLIs.

    python bench/startup.py [--runs N] [--peers-venv DIR] [--install-peers] [--json FILE]

It re-runs itself under dbus-run-session with an unlocked gnome-keyring-daemon of its own, for
the scenarios that read credentials from a real OS keyring (see bench/session.py).

Every scenario is a fresh process. Rounds are interleaved (one run of each scenario per
round, after warm-up rounds), so drift in machine load hits every scenario alike. Wall time
is time.perf_counter() around Popen .. os.wait4(); peak memory is the child's ru_maxrss.

Standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from session import SessionError, ensure_session, seed, start_keyring

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Targets from the issue.
PEER_RATIO = 0.3  # every andamio scenario: median <= 0.3 x median(hf --help)
STRETCH_RATIO = 0.25  # the stretch goal for the same ratio (reported, not a target)
TWIN_RATIO = 1.3  # a keyring scenario: median <= 1.3 x its file-store twin
BASELINE_RATIO = 5.0  # --version/--help/completion: median <= 5 x median(python -c pass)
PEAK_MIB = 35.0  # peak RSS of any andamio command
BASELINE_BOUND = ("andamio --version", "andamio --help", "andamio completion bash")
NOT_IMPORTED = ("httpx", "keyring", "jeepney")  # by the BASELINE_BOUND scenarios

PEERS = {  # executable -> distribution to install and to ask the version of
    "hf": "huggingface_hub",
    "llm": "llm",
}


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    name: str
    argv: list[str]
    env: dict[str, str]
    kind: str  # "baseline" | "andamio" | "peer"
    check: Callable[[bytes], str | None] | None = None  # stdout -> problem or None
    note: str = ""
    skip: str | None = None  # why it is not run ("not installed", ...)
    twin: str | None = None  # a keyring scenario: the name of its file-store twin
    cwd: str | None = None
    error: str | None = None  # first failure (the scenario is then dropped)
    wall: list[float] = field(default_factory=list)  # seconds, timed rounds only
    rss_kib: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.skip is None and self.error is None and bool(self.wall)


def _nonempty(out: bytes) -> str | None:
    return None if out.strip() else "empty stdout"


def _json_object(out: bytes) -> str | None:
    try:
        value = json.loads(out)
    except ValueError as exc:
        return f"stdout is not JSON ({exc})"
    return None if isinstance(value, dict) else "stdout is JSON but not an object"


def _version_line(out: bytes) -> str | None:
    return None if out.startswith(b"andamio ") else f"unexpected output {out[:60]!r}"


# --------------------------------------------------------------------------- running


# The children are not started by this process but by a small "spawner" (a fresh
# `python -I -S` that imports little). Why: Linux keeps a process's ru_maxrss across exec, and
# a child forked from a big parent starts with the parent's resident pages counted (with vfork,
# which subprocess uses by default, it is the parent's whole high-water mark). This process
# holds the in-process Sandbox (~35 MiB), so children started from here would all report at
# least that. The spawner forks (vfork off) from ~5 MiB of anonymous memory, which is below
# the smallest thing measured (`python -c pass`, ~9 MiB), so ru_maxrss is the child's own.
SPAWNER = r"""
import json, os, sys, time, threading, subprocess
subprocess._USE_VFORK = False  # fork, not vfork: see SPAWNER's comment in startup.py
inp, outp = sys.stdin.buffer, sys.stdout
for line in inp:
    job = json.loads(line)
    with open(job["out"], "wb") as out, open(job["err"], "wb") as err:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(job["argv"], env=job["env"], cwd=job["cwd"],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as exc:
            outp.write(json.dumps({"spawn_error": str(exc)}) + "\n")
            outp.flush()
            continue
        killer = threading.Timer(job["timeout"], proc.kill)
        killer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        elapsed = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: no second wait
    maxrss = ru.ru_maxrss // 1024 if sys.platform == "darwin" else ru.ru_maxrss  # -> KiB
    outp.write(json.dumps({"elapsed": elapsed, "maxrss_kib": maxrss, "code": code}) + "\n")
    outp.flush()
"""


class Spawner:
    """Runs commands in the spawner process: wall time (perf_counter around Popen..wait4),
    the child's ru_maxrss from os.wait4, and its exit code."""

    def __init__(self, python: str, tmp: Path) -> None:
        self.tmp = tmp
        self.proc = subprocess.Popen(
            [python, "-I", "-S", "-c", SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def run(self, sc: Scenario, timeout: float) -> tuple[float, int, int, bytes, bytes]:
        """(seconds, maxrss KiB, exit code, stdout, stderr) of one run of the scenario."""
        out, err = self.tmp / "stdout", self.tmp / "stderr"
        job = {
            "argv": sc.argv,
            "env": sc.env,
            "cwd": sc.cwd,
            "timeout": timeout,
            "out": str(out),
            "err": str(err),
        }
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the spawner process died")
        res = json.loads(line)
        if "spawn_error" in res:
            return 0.0, 0, 127, b"", res["spawn_error"].encode()
        return res["elapsed"], res["maxrss_kib"], res["code"], out.read_bytes(), err.read_bytes()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def attempt(spawner: Spawner, sc: Scenario, timeout: float, record: bool) -> None:
    elapsed, rss, code, out, err = spawner.run(sc, timeout)
    problem = None
    if code != 0:
        problem = f"exit code {code}" + (" (killed: timeout)" if code == -9 else "")
    elif sc.check is not None:
        problem = sc.check(out)
    if problem:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        sc.error = problem + ("; stderr: " + " / ".join(tail) if tail else "")
        return
    if record:
        sc.wall.append(elapsed)
        sc.rss_kib.append(rss)


def run_rounds(
    spawner: Spawner,
    scenarios: list[Scenario],
    runs: int,
    warmup: int,
    timeout: float,
    progress: bool,
) -> None:
    """Round-robin: each round runs every live scenario once; the start rotates per round."""
    total = warmup + runs
    for rnd in range(total):
        live = [sc for sc in scenarios if sc.skip is None and sc.error is None]
        if not live:
            return
        k = rnd % len(live)
        for sc in live[k:] + live[:k]:
            attempt(spawner, sc, timeout, record=rnd >= warmup)
        if progress:
            label = "warm-up" if rnd < warmup else "round"
            num = rnd + 1 if rnd < warmup else rnd - warmup + 1
            of = warmup if rnd < warmup else runs
            sys.stderr.write(f"\r{label} {num}/{of}   ")
            sys.stderr.flush()
    if progress:
        sys.stderr.write("\r" + " " * 30 + "\r")


# --------------------------------------------------------------------------- setup


def interpreter_of(script: Path) -> str | None:
    """The interpreter named by a console script's shebang, if it is a plain one."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline(4096)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode("utf-8", "replace").strip().split()
    if not parts:
        return None
    if os.path.basename(parts[0]) == "env" and len(parts) > 1:
        return shutil.which(parts[1])
    return parts[0]


def find_peer(name: str, venv: Path) -> str | None:
    for folder in ("bin", "Scripts"):
        candidate = venv / folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def peer_version(exe: str, dist: str) -> str:
    interp = interpreter_of(Path(exe))
    if not interp:
        return "?"
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    try:
        res = subprocess.run([interp, "-c", code], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return res.stdout.strip() or "?"


def install_peers(venv: Path) -> None:
    """Create the peers' venv (if needed) and pip install the peers into it."""
    py = venv / "bin" / "python"
    if not py.exists():
        sys.stderr.write(f"creating {venv} ...\n")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    sys.stderr.write(f"pip install {' '.join(PEERS.values())} into {venv} ...\n")
    subprocess.run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *PEERS.values(),
        ],
        check=True,
    )


def start_sandbox(tls: bool = False):
    """An in-process gateway emulator, or (None, reason)."""
    try:
        from andamio_cli.sandbox import Sandbox  # noqa: PLC0415
    except ImportError:
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        try:
            from andamio_cli.sandbox import Sandbox  # noqa: PLC0415
        except Exception as exc:  # noqa: BLE001
            return None, f"sandbox unavailable ({exc.__class__.__name__}: {exc})"
    except Exception as exc:  # noqa: BLE001 - a half-written module must not stop the bench
        return None, f"sandbox unavailable ({exc.__class__.__name__}: {exc})"
    try:
        return Sandbox(port=0, tls=tls).start(), None
    except Exception as exc:  # noqa: BLE001
        return None, f"sandbox did not start ({exc.__class__.__name__}: {exc})"


def clean_env(tmp: Path) -> dict[str, str]:
    """The environment shared by every scenario: no ANDAMIO_*, no profiling switches."""
    drop = (
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONTRACEMALLOC",
        "PYTHONDEVMODE",
        "PYTHONVERBOSE",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONINSPECT",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANDAMIO_") and k not in drop}
    return env


def stored_scenarios(andamio: str, a_env: dict, tmp: Path, sandbox, problem) -> list[Scenario]:
    """`status --json` and `apikey usage --json` with the credentials stored by `login` in the
    file store and in the real keyring (the keyring one's twin is the file-store one)."""
    out = []
    for store in ("file store", "keyring"):
        cfg = tmp / f"config-{store.replace(' ', '-')}"
        cfg.mkdir()
        env = dict(a_env, ANDAMIO_CONFIG_DIR=str(cfg))
        if store == "keyring":
            env.pop("ANDAMIO_CREDENTIAL_STORE")
        if sandbox is not None:
            env["ANDAMIO_BASE_URL"] = sandbox.url
            dev = sandbox.dev
            seed(andamio, env, dev.api_key, dev.jwt, dev.refresh_token)
        twin = store == "keyring"
        for name, args, check in (
            ("status --json", ["status", "--json"], _json_object),
            ("apikey usage --json", ["apikey", "usage", "--json"], _json_object),
        ):
            out.append(
                Scenario(
                    f"andamio {name} ({store})",
                    [andamio, *args],
                    env,
                    "andamio",
                    check=check,
                    note=f"credentials in the {store}, stored by `andamio login`",
                    skip=problem,
                    twin=f"andamio {name} (file store)" if twin else None,
                )
            )
    return out


def build_scenarios(
    args, tmp: Path, sandbox, sandbox_problem, tls_sandbox, tls_problem
) -> list[Scenario]:
    base = clean_env(tmp)
    andamio = str(args.andamio)
    python = args.python

    cfg = tmp / "andamio-config"
    cfg.mkdir()
    a_env = dict(
        base,
        ANDAMIO_CONFIG_DIR=str(cfg),
        ANDAMIO_CREDENTIAL_STORE="file",
        ANDAMIO_NO_INPUT="1",
        NO_COLOR="1",
    )
    # status: offline; a key plus an unexpired (unsigned; status never verifies) JWT.
    status_env = dict(
        a_env,
        ANDAMIO_API_KEY="ant_pp_benchbenchbenchbench0001",
        ANDAMIO_DEV_JWT="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiJiZW5jaCIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln",
    )
    if sandbox is not None:
        status_env["ANDAMIO_API_KEY"] = sandbox.dev.api_key
        status_env["ANDAMIO_DEV_JWT"] = sandbox.dev.jwt
    usage_env = dict(status_env)
    if sandbox is not None:
        usage_env["ANDAMIO_BASE_URL"] = sandbox.url

    scenarios = [
        Scenario("python -c pass", [python, "-c", "pass"], dict(base), "baseline", note=python),
        Scenario(
            "andamio --version", [andamio, "--version"], a_env, "andamio", check=_version_line
        ),
        Scenario("andamio --help", [andamio, "--help"], a_env, "andamio", check=_nonempty),
        Scenario(
            "andamio completion bash",
            [andamio, "completion", "bash"],
            a_env,
            "andamio",
            check=_nonempty,
        ),
        Scenario(
            "andamio status",
            [andamio, "status"],
            status_env,
            "andamio",
            check=_nonempty,
            note="env credentials, offline",
        ),
        Scenario(
            "andamio token",
            [andamio, "token"],
            status_env,
            "andamio",
            check=_nonempty,
            note="env credentials, offline (the JWT has not expired)",
        ),
        Scenario(
            "andamio apikey usage --json",
            [andamio, "apikey", "usage", "--json"],
            usage_env,
            "andamio",
            check=_json_object,
            note="in-process Sandbox",
            skip=sandbox_problem,
        ),
    ]
    scenarios += stored_scenarios(andamio, a_env, tmp, sandbox, sandbox_problem)
    https_env = dict(status_env)
    if tls_sandbox is not None:
        https_env.update(
            ANDAMIO_API_KEY=tls_sandbox.dev.api_key,
            ANDAMIO_DEV_JWT=tls_sandbox.dev.jwt,
            ANDAMIO_BASE_URL=tls_sandbox.url,
            SSL_CERT_FILE=tls_sandbox.ca_file,
        )
    https_env.pop("SSL_CERT_DIR", None)
    scenarios.append(
        Scenario(
            "andamio apikey usage --json (https)",
            [andamio, "apikey", "usage", "--json"],
            https_env,
            "andamio",
            check=_json_object,
            note="in-process Sandbox(tls=True), SSL_CERT_FILE = its CA",
            skip=tls_problem,
        )
    )

    hf = find_peer("hf", args.peers_venv)
    hf_home = tmp / "hf-home"
    hf_env = dict(
        base,
        HF_HOME=str(hf_home),
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_UPDATE_CHECK="1",
        NO_COLOR="1",
    )
    scenarios.append(
        Scenario(
            "hf --help",
            [hf or "hf", "--help"],
            hf_env,
            "peer",
            check=_nonempty,
            note=hf or "",
            skip=None if hf else "not installed",
        )
    )

    llm = find_peer("llm", args.peers_venv)
    llm_home = tmp / "llm-home"
    llm_home.mkdir()
    scenarios.append(
        Scenario(
            "llm keys list",
            [llm or "llm", "keys", "list"],
            dict(base, LLM_USER_PATH=str(llm_home)),
            "peer",
            note=llm or "",
            skip=None if llm else "not installed",
        )
    )
    for sc in scenarios:
        sc.cwd = str(tmp)
    if args.only:
        wanted = [w.lower() for w in args.only]
        for sc in scenarios:
            if (
                sc.kind != "baseline"
                and sc.name != "hf --help"
                and not any(w in sc.name.lower() for w in wanted)
            ):
                sc.skip = "not selected (--only)"
    return scenarios


# --------------------------------------------------------------------------- report


def p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def summarize(sc: Scenario) -> dict:
    if not sc.ok:
        return {}
    return {
        "median_ms": statistics.median(sc.wall) * 1000,
        "p90_ms": p90(sc.wall) * 1000,
        "min_ms": min(sc.wall) * 1000,
        "peak_mib": max(sc.rss_kib) / 1024,
        "median_rss_mib": statistics.median(sc.rss_kib) / 1024,
    }


def forbidden_imports(sc: Scenario) -> list[str] | str:
    """The NOT_IMPORTED modules one run of the scenario imports (python -X importtime)."""
    env = dict(sc.env, PYTHONPROFILEIMPORTTIME="1")
    try:
        res = subprocess.run(
            sc.argv, env=env, cwd=sc.cwd, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not run it ({exc})"
    names = set()
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    if not names:
        return "no import trace"
    return sorted(names & set(NOT_IMPORTED))


def evaluate(scenarios: list[Scenario], stats: dict, imports: dict) -> list[dict]:
    """Each target: scenario, what, limit, value, verdict (PASS/FAIL/SKIP)."""
    by_name = {sc.name: sc for sc in scenarios}
    base = stats.get("python -c pass", {}).get("median_ms")
    hf = stats.get("hf --help", {}).get("median_ms")
    hf_sc = by_name["hf --help"]
    results = []
    for sc in scenarios:
        if sc.kind != "andamio" or (sc.skip and sc.skip.startswith("not selected")):
            continue
        st = stats.get(sc.name, {})
        broken = sc.error or sc.skip

        def add(what, limit, value, unit, ok, reason=None, broken=broken, sc=sc, text=None):
            if broken:
                verdict, shown = "FAIL", f"not measured: {broken}"
            elif reason:
                verdict, shown = "SKIP", reason
            else:
                verdict = "PASS" if ok else "FAIL"
                shown = text or f"{value:.2f}{unit}"
            results.append(
                {
                    "scenario": sc.name,
                    "target": what,
                    "limit": limit,
                    "value": None if broken or reason else value,
                    "verdict": verdict,
                    "shown": shown,
                }
            )

        med = st.get("median_ms")
        if hf:
            ratio = med / hf if med is not None else None
            stretch = (
                "" if ratio is None or ratio > STRETCH_RATIO else f"; stretch {STRETCH_RATIO}x met"
            )
            add(
                f"<= {PEER_RATIO}x hf --help",
                PEER_RATIO,
                ratio,
                "x" + stretch,
                ratio is not None and ratio <= PEER_RATIO,
            )
        else:
            add(
                f"<= {PEER_RATIO}x hf --help",
                PEER_RATIO,
                None,
                "x",
                False,
                reason=f"hf --help {hf_sc.skip or hf_sc.error or 'not measured'}",
            )
        if sc.name in BASELINE_BOUND:
            if base:
                ratio = med / base if med is not None else None
                add(
                    f"<= {BASELINE_RATIO:g}x python -c pass",
                    BASELINE_RATIO,
                    ratio,
                    "x",
                    ratio is not None and ratio <= BASELINE_RATIO,
                )
            else:
                add(
                    f"<= {BASELINE_RATIO:g}x python -c pass",
                    BASELINE_RATIO,
                    None,
                    "x",
                    False,
                    reason="baseline not measured",
                )
        if sc.twin:
            twin_med = stats.get(sc.twin, {}).get("median_ms")
            ratio = med / twin_med if med is not None and twin_med else None
            add(
                f"<= {TWIN_RATIO}x {sc.twin}",
                TWIN_RATIO,
                ratio,
                "x",
                ratio is not None and ratio <= TWIN_RATIO,
                reason=None if twin_med else f"{sc.twin} not measured",
            )
        if sc.name in imports:
            found = imports[sc.name]
            add(
                f"imports none of {', '.join(NOT_IMPORTED)}",
                0,
                None if isinstance(found, str) else len(found),
                "",
                found == [],
                text=found if isinstance(found, str) else f"imported: {', '.join(found) or 'none'}",
            )
        peak = st.get("peak_mib")
        add(
            f"peak RSS <= {PEAK_MIB:g} MiB",
            PEAK_MIB,
            peak,
            " MiB",
            peak is not None and peak <= PEAK_MIB,
        )
    return results


def render(scenarios: list[Scenario], stats: dict, targets: list[dict], meta: dict) -> str:
    base = stats.get("python -c pass", {}).get("median_ms")
    hf = stats.get("hf --help", {}).get("median_ms")
    lines = [
        f"Runs: {meta['runs']} timed (+{meta['warmup']} warm-up), interleaved; "
        f"python {meta['python_version']} ({meta['python']}); {meta['platform']}; "
        f"{meta['cpus']} CPUs",
        "",
        "| scenario | median ms | p90 ms | peak MiB | × python -c pass | × hf --help |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for sc in scenarios:
        if sc.skip and sc.skip.startswith("not selected"):
            continue
        st = stats.get(sc.name)
        if not st:
            if sc.skip:
                why = sc.skip
            elif sc.error:
                why = f"FAILED: {sc.error}"
            else:
                why = "no data"
            lines.append(f"| `{sc.name}` | {why.replace('|', '/')} | | | | |")
            continue
        xb = f"{st['median_ms'] / base:.2f}" if base else "–"
        xh = f"{st['median_ms'] / hf:.2f}" if hf else "–"
        lines.append(
            f"| `{sc.name}` | {st['median_ms']:.1f} | {st['p90_ms']:.1f} | "
            f"{st['peak_mib']:.1f} | {xb} | {xh} |"
        )
    peers = [f"{n} {v}" for n, v in meta["peer_versions"].items() if v]
    if peers:
        lines += ["", "Peers: " + ", ".join(peers)]
    lines += ["", "Targets:"]
    for t in targets:
        lines.append(f"{t['verdict']}  {t['scenario']}: {t['target']} ({t['shown']})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=20, help="timed rounds (default 20)")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up rounds (default 2)")
    ap.add_argument(
        "--andamio",
        type=Path,
        default=Path(sys.executable).parent / "andamio",
        help="andamio executable (default: next to this interpreter)",
    )
    ap.add_argument(
        "--python",
        default=None,
        help="interpreter for the `python -c pass` baseline "
        "(default: the andamio script's shebang, else this interpreter)",
    )
    ap.add_argument(
        "--peers-venv",
        type=Path,
        default=HERE / ".peers",
        help="venv holding hf and llm (default bench/.peers); PATH is also searched",
    )
    ap.add_argument(
        "--install-peers",
        action="store_true",
        help="create --peers-venv and pip install huggingface_hub and llm into it",
    )
    ap.add_argument(
        "--only",
        action="append",
        metavar="TEXT",
        help="run only andamio/peer scenarios whose name contains TEXT "
        "(repeatable; the baseline and hf --help always run)",
    )
    ap.add_argument("--timeout", type=float, default=60.0, help="per-run timeout, seconds")
    ap.add_argument("--json", type=Path, metavar="FILE", help="save raw results as JSON")
    ap.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a target is missed or an andamio scenario fails",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        ensure_session([str(Path(__file__).resolve()), *(sys.argv[1:] if argv is None else argv)])
    except SessionError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if not (args.andamio.is_file() and os.access(args.andamio, os.X_OK)):
        found = shutil.which("andamio")
        if args.andamio == Path(sys.executable).parent / "andamio" and found:
            args.andamio = Path(found)
        else:
            sys.stderr.write(f"andamio not found at {args.andamio} (use --andamio PATH)\n")
            return 2
    args.python = args.python or interpreter_of(args.andamio) or sys.executable
    if args.install_peers:
        try:
            install_peers(args.peers_venv)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.stderr.write(f"installing peers failed: {exc}\n")

    with tempfile.TemporaryDirectory(prefix="andamio-bench-") as tmpdir:
        tmp = Path(tmpdir)
        sandbox, sandbox_problem = start_sandbox()
        tls_sandbox, tls_problem = start_sandbox(tls=True)
        try:
            try:
                start_keyring(tmpdir)
                scenarios = build_scenarios(
                    args, tmp, sandbox, sandbox_problem, tls_sandbox, tls_problem
                )
            except SessionError as exc:
                sys.stderr.write(f"error: {exc}\n")
                return 2
            imports = {
                sc.name: forbidden_imports(sc)
                for sc in scenarios
                if sc.name in BASELINE_BOUND and sc.skip is None
            }
            spawner = Spawner(sys.executable, tmp)
            try:
                run_rounds(
                    spawner,
                    scenarios,
                    args.runs,
                    args.warmup,
                    args.timeout,
                    progress=not args.quiet and sys.stderr.isatty(),
                )
            finally:
                spawner.close()
        finally:
            for sb in (sandbox, tls_sandbox):
                if sb is not None:
                    sb.stop()

    stats = {sc.name: summarize(sc) for sc in scenarios}
    stats = {k: v for k, v in stats.items() if v}
    targets = evaluate(scenarios, stats, imports)
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": args.runs,
        "warmup": args.warmup,
        "python": args.python,
        "python_version": platform.python_version(),
        "andamio": str(args.andamio),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "peer_versions": {
            sc.argv[0] and Path(sc.argv[0]).name: peer_version(
                sc.argv[0], PEERS[Path(sc.argv[0]).name]
            )
            for sc in scenarios
            if sc.kind == "peer" and sc.skip is None
        },
    }
    if args.python != sys.executable:
        res = subprocess.run(
            [args.python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
        )
        meta["python_version"] = res.stdout.strip() or meta["python_version"]
    print(render(scenarios, stats, targets, meta))

    if args.json:
        payload = {
            "meta": meta,
            "targets": targets,
            "scenarios": [
                {
                    "name": sc.name,
                    "kind": sc.kind,
                    "argv": sc.argv,
                    "note": sc.note,
                    "skip": sc.skip,
                    "error": sc.error,
                    "wall_ms": [w * 1000 for w in sc.wall],
                    "maxrss_kib": sc.rss_kib,
                    **stats.get(sc.name, {}),
                }
                for sc in scenarios
            ],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")

    failed = any(t["verdict"] == "FAIL" for t in targets)
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
