"""Start-up stays lean: what each fast command imports (not timed; see bench/startup.py).

Each test runs `python -X importtime -m andamio_cli ...` in a subprocess and reads the module
names from the importtime report on stderr. A failure lists the offending modules and the
chain of imports that brought each one in.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import API_KEY, DEV_JWT, clean_env  # DEV_JWT expires in 2100

# Never needed to print help, the version or a completion script.
HEAVY = (
    "httpx",
    "httpcore",
    "keyring",
    "rich",
    "cryptography",
    "cbor2",
    "platformdirs",
    "filelock",
    "andamio_cli.sandbox",
    "andamio_cli.http",
    "andamio_cli.credentials",
)


def _env(tmp_path, **extra: str) -> dict:
    return clean_env(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        ANDAMIO_CREDENTIAL_STORE="file",
        ANDAMIO_NO_INPUT="1",
        NO_COLOR="1",
        **extra,
    )


def _importtime(tmp_path, *args: str, **env: str) -> list[tuple[int, str]]:
    """Run the CLI under -X importtime; return (depth, module) in the report's order."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "andamio_cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = [line for line in proc.stderr.splitlines() if line.startswith("import time:")]
    rest = "\n".join(
        line for line in proc.stderr.splitlines() if not line.startswith("import time:")
    )
    assert proc.returncode == 0, f"andamio {' '.join(args)} exited {proc.returncode}:\n{rest}"
    assert report, "no -X importtime report on stderr"
    rows = []
    for line in report[1:]:  # the first line is the column header
        name = line.rsplit("|", 1)[1]
        stripped = name.lstrip(" ")
        rows.append(((len(name) - len(stripped) - 1) // 2, stripped.strip()))
    return rows


def _chain(rows: list[tuple[int, str]], index: int) -> str:
    """`top <- ... <- module`: importtime prints children before their parent, one level
    deeper, so the importer of row i is the next row below it with a smaller depth."""
    depth, name = rows[index]
    chain = [name]
    for d, n in rows[index + 1 :]:
        if d < depth:
            chain.append(n)
            depth = d
            if d == 0:
                break
    return " <- ".join(chain)


def _banned(name: str, banned) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def _offenders(rows, banned) -> tuple[list[str], list[str]]:
    """(offending module names, import chains of the outermost ones)."""
    names, chains = [], []
    for i, (_, name) in enumerate(rows):
        if _banned(name, banned):
            names.append(name)
            chain = _chain(rows, i)
            if not any(_banned(n, banned) for n in chain.split(" <- ")[1:]):
                chains.append(chain)
    return names, chains


def _check(args, rows, banned) -> None:
    names, chains = _offenders(rows, banned)
    assert not names, (
        f"`andamio {' '.join(args)}` imported {len(names)} module(s) it should not: "
        + ", ".join(sorted(names))
        + "\nbrought in by (module <- importer <- ... <- top-level import):\n  "
        + "\n  ".join(chains)
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("completion", "bash"),
        ("apikey", "--help"),
        ("status", "--help"),
    ],
    ids=lambda a: " ".join(a),
)
def test_no_heavy_imports(tmp_path, args):
    _check(args, _importtime(tmp_path, *args), HEAVY)


@pytest.mark.parametrize(
    "args", [("--version",), ("--help",), ("completion", "bash")], ids=lambda a: " ".join(a)
)
def test_fast_path_skips_typer(tmp_path, args):
    _check(args, _importtime(tmp_path, *args), ("typer", "click"))


def test_status_with_env_credentials_stays_offline_and_light(tmp_path):
    args = ("status",)
    rows = _importtime(tmp_path, *args, ANDAMIO_API_KEY=API_KEY, ANDAMIO_DEV_JWT=DEV_JWT)
    _check(args, rows, ("httpx", "httpcore", "cryptography"))


def test_chain_parsing():
    # Children come first, one level deeper; the importer follows them.
    rows = [(2, "httpcore"), (1, "httpx"), (1, "json"), (0, "andamio_cli.http")]
    assert _chain(rows, 0) == "httpcore <- httpx <- andamio_cli.http"
    assert _offenders(rows, ("httpx", "httpcore")) == (
        ["httpcore", "httpx"],
        ["httpx <- andamio_cli.http"],
    )
    assert _offenders(rows, ("andamio_cli.h",)) == ([], [])
    with pytest.raises(AssertionError, match="imported 2 module.*httpcore, httpx"):
        _check(("x",), rows, ("httpx", "httpcore"))
