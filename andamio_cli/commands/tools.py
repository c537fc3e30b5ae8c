"""`andamio token` and `andamio exec`: declarations only; the work is in `actions.tools`."""

from __future__ import annotations

import typer

from andamio_cli.errors import ExitStatus
from andamio_cli.helpstyle import examples

TOKEN_EXAMPLES = examples(
    "andamio token | sed 's/^/Authorization: Bearer /' | curl -H @- https://preprod.api.andamio.io/...",
    "andamio token --api-key",
    "andamio --profile work token",
)
EXEC_EXAMPLES = examples(
    "andamio exec npm run dev",
    "andamio --profile work exec make deploy",
    "andamio exec printenv ANDAMIO_BASE_URL",
)


def token(
    ctx: typer.Context,
    api_key: bool = typer.Option(False, "--api-key", help="Print the API key instead."),
) -> None:
    """Print the developer JWT (refreshed first if expired) alone on stdout, for other tools."""
    from andamio_cli.actions.tools import print_token

    print_token(ctx.obj, api_key=api_key)


EXEC_SETTINGS = {"allow_interspersed_args": False, "ignore_unknown_options": True}


def exec_(
    ctx: typer.Context,
    command: list[str] = typer.Argument(
        ..., metavar="COMMAND [ARG]...", help="The command to run, and its arguments."
    ),
) -> ExitStatus:
    """Run COMMAND with ANDAMIO_API_KEY, ANDAMIO_DEV_JWT and ANDAMIO_BASE_URL in its environment.

    Everything after `exec` belongs to COMMAND (put andamio's own options before `exec`).
    andamio exits with COMMAND's status (128+N when signal N ended it).
    """
    from andamio_cli.actions.tools import run_exec

    return run_exec(ctx.obj, command)
