"""`andamio sandbox`: run the local gateway emulator (imported only when it runs)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List

import typer

from andamio_cli.helpstyle import examples

SANDBOX_EXAMPLES = examples(
    "andamio sandbox                  # prints the export lines to paste elsewhere",
    "andamio sandbox --demo",
    "andamio sandbox --port 9000 --state sandbox.json",
    "andamio sandbox --fault 'usage/get=429:retry-after=1,502-html'",
    "andamio sandbox --rotate extend",
)


class RotateMode(str, Enum):
    new_key = "new-key"
    extend = "extend"


def sandbox(
    port: int = typer.Option(8765, "--port", metavar="PORT", help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", metavar="HOST", help="Address to listen on."),
    state: Path | None = typer.Option(
        None,
        "--state",
        metavar="FILE",
        dir_okay=False,
        help="Keep the emulator's state in this file.",
    ),
    fault: List[str] = typer.Option(
        [],
        "--fault",
        metavar="ROUTE=SPEC",
        help="Queue faults, e.g. usage/get=429:retry-after=1,drop.",
    ),
    rotate: RotateMode = typer.Option(
        RotateMode.new_key,
        "--rotate",
        help="What key/rotate does: issue a new key (the old one stops working at once), "
        "or extend the expiry of the same key.",
    ),
    tls: bool = typer.Option(
        False,
        "--tls",
        help="Serve https with a throw-away CA; prints the SSL_CERT_FILE line to use it.",
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Start it, run a tour of the CLI against it, and stop."
    ),
) -> None:
    """Run a local emulator of the Andamio gateway (for trying things and for tests)."""
    if demo:
        from andamio_cli.sandbox.demo import run_demo

        raise typer.Exit(run_demo())
    from andamio_cli.sandbox import run

    raise typer.Exit(
        run(
            host=host,
            port=port,
            state_file=str(state) if state else None,
            faults=fault,
            rotate_mode=rotate.value,
            tls=tls,
        )
    )
