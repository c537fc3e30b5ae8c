"""`andamio status`: declaration only; the work is in `actions.status`."""

from __future__ import annotations

import typer


def status(ctx: typer.Context) -> None:
    """Show where each credential comes from and when it expires (offline)."""
    from andamio_cli.actions.status import run_status

    run_status(ctx.obj)
