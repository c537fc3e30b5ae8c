"""`andamio apikey ...`: declarations only; the work is in `actions.apikey`."""

from __future__ import annotations

from enum import Enum

import typer

from andamio_cli.helpstyle import examples
from andamio_cli.times import EXPIRY_WARNING_DAYS


class ApiVersion(str, Enum):
    v1 = "v1"
    v2 = "v2"


DAYS_HELP = "Days until the key expires (an integer of at least 1)."
API_HELP = "Gateway API version (also ANDAMIO_API_VERSION)."


apikey_app = typer.Typer(
    help="Request, rotate, delete and inspect API keys.",
    no_args_is_help=True,
    rich_markup_mode=None,
    epilog=examples(
        "andamio apikey list",
        "andamio apikey request ci-deploy --expires-in-days 30 --save",
        "andamio apikey rotate ci-deploy --yes",
        "andamio apikey usage --json",
    ),
)


@apikey_app.command(
    epilog=examples(
        "andamio apikey request my-app",
        "andamio apikey request ci-deploy --expires-in-days 30 --save",
        "key=$(andamio apikey request ci-deploy --expires-in-days 30)",
        "andamio apikey request legacy-app --api v1",
    ),
)
def request(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., metavar="NAME", help="Name of the new key (3-64 characters; 3-100 on v1)."
    ),
    expires_in_days: int | None = typer.Option(
        None, "--expires-in-days", metavar="DAYS", help=DAYS_HELP
    ),
    save: bool = typer.Option(False, "--save", help="Store it as the profile's API key."),
    api: ApiVersion | None = typer.Option(None, "--api", help=API_HELP),
) -> None:
    """Create a key; the raw key is printed once, alone on stdout."""
    from andamio_cli.actions import apikey as keys

    keys.request(ctx.obj, name, expires_in_days, save, api.value if api else None)


@apikey_app.command(
    epilog=examples(
        "andamio apikey rotate my-app             # asks first",
        "andamio apikey rotate my-app --expires-in-days 90 --yes",
        "andamio apikey rotate 7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f --yes",
    ),
)
def rotate(
    ctx: typer.Context,
    name_or_id: str = typer.Argument(..., metavar="NAME_OR_ID", help="Key name, or its UUID."),
    expires_in_days: int | None = typer.Option(
        None, "--expires-in-days", metavar="DAYS", help=DAYS_HELP
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    api: ApiVersion | None = typer.Option(None, "--api", help=API_HELP),
) -> None:
    """Rotate a key (a new secret, or an extended expiry, as the gateway decides)."""
    from andamio_cli.actions import apikey as keys

    keys.rotate(ctx.obj, name_or_id, expires_in_days, yes, api.value if api else None)


@apikey_app.command(
    epilog=examples(
        "andamio apikey delete old-key            # asks first",
        "andamio apikey delete old-key --yes",
        "andamio apikey delete 7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f --yes",
    ),
)
def delete(
    ctx: typer.Context,
    name_or_id: str = typer.Argument(..., metavar="NAME_OR_ID", help="Key name, or its UUID."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a key (and the local copy when it is the profile's key)."""
    from andamio_cli.actions import apikey as keys

    keys.delete(ctx.obj, name_or_id, yes)


@apikey_app.command(
    "list",
    epilog=examples(
        "andamio apikey list",
        "andamio apikey list -q                   # names only, one per line",
        "andamio apikey list -o csv > keys.csv",
        "andamio apikey list --json | jq -r '.[].name'",
    ),
)
def list_keys(ctx: typer.Context) -> None:
    """List the profile's keys (secrets masked)."""
    from andamio_cli.actions import apikey_read

    apikey_read.list_keys(ctx.obj)


@apikey_app.command(
    epilog=examples(
        "andamio apikey profile",
        "andamio apikey profile -q                # the alias",
        "andamio apikey profile --json",
    ),
)
def profile(ctx: typer.Context) -> None:
    """Show the developer profile."""
    from andamio_cli.actions import apikey_read

    apikey_read.profile(ctx.obj)


@apikey_app.command(
    epilog=examples(
        "andamio apikey usage",
        "andamio apikey usage -q                  # the remaining daily quota",
        "andamio apikey usage -o csv",
    ),
)
def usage(ctx: typer.Context) -> None:
    """Show quota usage and rate-limit windows."""
    from andamio_cli.actions import apikey_read

    apikey_read.usage(ctx.obj)


@apikey_app.command(
    epilog=examples(
        "andamio apikey check                     # exit 8 when a key expires within 14 days",
        "andamio apikey check --within 7",
        "andamio apikey check --within 0 --json   # expired keys only",
    ),
)
def check(
    ctx: typer.Context,
    within: int = typer.Option(
        EXPIRY_WARNING_DAYS,
        "--within",
        metavar="DAYS",
        help="Warn about keys that expire within DAYS days (0: expired keys only).",
    ),
) -> None:
    """Show keys that have expired or expire soon; exit 8 when there are any (for CI)."""
    from andamio_cli.actions.check import run_check

    run_check(ctx.obj, within)
