"""`andamio sandbox --demo`: start the emulator and walk through the CLI against it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from typing import TextIO


def _steps(dev) -> list[tuple[list[str], str]]:
    return [
        (["login", "--with-key"], dev.api_key),
        (["login", "--skey", dev.skey_path, "--alias", dev.alias, "--address", dev.address], ""),
        (["status"], ""),
        (["apikey", "profile"], ""),
        (["apikey", "usage"], ""),
        (["apikey", "request", "demo-key", "--expires-in-days", "30"], ""),
        (["apikey", "list"], ""),
        (["apikey", "rotate", "demo-key", "--yes"], ""),
        (["apikey", "delete", "demo-key", "--yes"], ""),
        (["apikey", "usage", "--json"], ""),
        (["refresh"], ""),
        (["logout"], ""),
    ]


def run_demo(out: TextIO = sys.stdout) -> int:
    """Run the tour; return 0 when every step succeeded."""
    from andamio_cli.sandbox import Sandbox

    with (
        tempfile.TemporaryDirectory(prefix="andamio-demo-") as tmp,
        Sandbox(port=0, workdir=tmp) as sb,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANDAMIO_")}
        env.update(
            ANDAMIO_BASE_URL=sb.url,
            ANDAMIO_CONFIG_DIR=os.path.join(tmp, "config"),
            ANDAMIO_CREDENTIAL_STORE="file",
            NO_COLOR="1",
        )
        out.write(f"# andamio sandbox listening on {sb.url} (demo credentials, file store)\n")
        for args, stdin in _steps(sb.dev):
            shown = " ".join(shlex.quote(a) for a in args)
            shown = shown.replace(sb.dev.skey_path or "", "wallet.skey")
            piped = 'printf %s "$SANDBOX_KEY" | ' if stdin else ""
            out.write(f"\n$ {piped}andamio {shown}\n")
            out.flush()
            result = subprocess.run(
                [sys.executable, "-m", "andamio_cli", *args],
                input=stdin,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            out.write(result.stdout)
            out.write("".join(f"  (stderr) {line}\n" for line in result.stderr.splitlines()))
            if result.returncode != 0:
                out.write(f"# step failed with exit code {result.returncode}\n")
                return 1
        out.write("\n# demo finished: every step succeeded\n")
    return 0
