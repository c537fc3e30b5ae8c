"""`andamio api PATH`: declarations only; the work is in `actions.api_request`."""

from __future__ import annotations

from typing import List

import typer

from andamio_cli.helpstyle import examples

API_EXAMPLES = examples(
    "andamio api /api/v2/apikey/developer/usage/get",
    "andamio api /api/v2/apikey/developer/key/request -f api_key_name=ci-deploy",
    "andamio api -i /api/v2/apikey/developer/key/rotate --input body.json",
    "andamio api -X POST /api/v2/auth/developer/resend-verification",
)


def api(
    ctx: typer.Context,
    path: str = typer.Argument(
        ..., metavar="PATH", help="Route on the gateway, starting with / (not a URL)."
    ),
    method: str | None = typer.Option(
        None,
        "-X",
        "--method",
        metavar="METHOD",
        help="HTTP method (GET, or POST with a body).",
    ),
    field: List[str] = typer.Option(
        [],
        "-f",
        "--field",
        metavar="KEY=VALUE",
        help="A string field of the JSON body (repeatable).",
    ),
    input_file: str | None = typer.Option(
        None,
        "--input",
        metavar="FILE",
        help="Send a JSON file as the body (- for stdin).",
    ),
    include: bool = typer.Option(
        False, "-i", "--include", help="Print the status line and reply headers first."
    ),
) -> None:
    """Send an authenticated request to any gateway route and print the reply."""
    from andamio_cli.actions import api_request

    api_request.call(ctx.obj, path, method, field, input_file, include)
