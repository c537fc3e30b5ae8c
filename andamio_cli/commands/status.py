"""`andamio status` and `switch`: declarations only; the work is in `actions.status`."""

from __future__ import annotations

import typer

from andamio_cli.helpstyle import examples

STATUS_EXAMPLES = examples(
    "andamio status",
    "andamio status --all",
    "andamio status --json | jq .ready",
    "andamio --profile work status",
)
SWITCH_EXAMPLES = examples("andamio switch work", "andamio switch default")


def status(
    ctx: typer.Context,
    all_profiles: bool = typer.Option(False, "--all", help="Every profile that has credentials."),
) -> int:
    """Show where each credential comes from and when it expires (offline).

    Exit 0 when the profile can call the gateway (an API key, and a usable developer JWT or
    a refresh token), else 3.
    """
    from andamio_cli.actions.status import run_status

    return run_status(ctx.obj, all_profiles=all_profiles)


def switch(
    ctx: typer.Context,
    profile: str = typer.Argument(..., metavar="PROFILE", help="A profile that has credentials."),
) -> None:
    """Use PROFILE when neither --profile nor ANDAMIO_PROFILE names one."""
    from andamio_cli.actions.switch import run_switch

    run_switch(ctx.obj, profile)
