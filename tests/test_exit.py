"""The `andamio` executable ends with a hard exit (app.run): everything written before it
still arrives, and the exit code is main()'s."""

from __future__ import annotations

import subprocess
import sys

from conftest import andamio_command, clean_env

# main() replaced by one that writes more than a pipe holds on both streams, each ending with
# a piece that stays in Python's buffer until something flushes it.
BIG = 1_000_000
FAKE_MAIN = f"""
import sys
import andamio_cli.app as app

def main():
    sys.stdout.write("x" * {BIG})
    sys.stdout.write("end")
    sys.stderr.write("y" * {BIG} + "\\n")
    sys.stderr.write("no newline")
    return 7

app.main = main
app.run()
raise SystemExit("run() returned")
"""


def test_run_flushes_both_streams_through_pipes_then_exits_with_mains_code():
    proc = subprocess.run(
        [sys.executable, "-c", FAKE_MAIN],
        env=clean_env(PYTHONUNBUFFERED=None),  # buffered, as for most users
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 7, proc.stderr[-300:]
    assert proc.stdout == b"x" * BIG + b"end"
    assert proc.stderr == b"y" * BIG + b"\nno newline"


def test_the_executable_and_python_m_both_exit_through_run(tmp_path):
    env = clean_env(ANDAMIO_CONFIG_DIR=str(tmp_path), ANDAMIO_CREDENTIAL_STORE="file")
    for command in (andamio_command(), [sys.executable, "-m", "andamio_cli"]):
        ok = subprocess.run([*command, "--version"], env=env, capture_output=True, timeout=60)
        assert (ok.returncode, ok.stderr) == (0, b""), command
        assert ok.stdout.startswith(b"andamio ")
        bad = subprocess.run(
            [*command, "apikey", "usage", "--bogus"], env=env, capture_output=True, timeout=60
        )
        assert bad.returncode == 4 and bad.stdout == b"", command
        assert b"No such option: --bogus" in bad.stderr
