"""`andamio apikey ...`: declarations only; the work is in `actions.apikey`."""

from __future__ import annotations

from enum import Enum

import typer


class ApiVersion(str, Enum):
    v1 = "v1"
    v2 = "v2"


DAYS_HELP = "Days until the key expires (an integer of at least 1)."
API_HELP = "Gateway API version (also ANDAMIO_API_VERSION)."


apikey_app = typer.Typer(
    help="Request, rotate, delete and inspect API keys.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@apikey_app.command()
def request(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., metavar="NAME", help="Name of the new key (3-64 characters; 3-100 on v1)."
    ),
    expires_in_days: int | None = typer.Option(
        None, "--expires-in-days", metavar="N", help=DAYS_HELP
    ),
    save: bool = typer.Option(False, "--save", help="Store it as the profile's API key."),
    api: ApiVersion | None = typer.Option(None, "--api", help=API_HELP),
) -> None:
    """Create a key; the raw key is printed once, alone on stdout."""
    from andamio_cli.actions import apikey as keys

    keys.request(ctx.obj, name, expires_in_days, save, api.value if api else None)


@apikey_app.command()
def rotate(
    ctx: typer.Context,
    name_or_id: str = typer.Argument(..., metavar="NAME_OR_ID", help="Key name, or its UUID."),
    expires_in_days: int | None = typer.Option(
        None, "--expires-in-days", metavar="N", help=DAYS_HELP
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    api: ApiVersion | None = typer.Option(None, "--api", help=API_HELP),
) -> None:
    """Rotate a key (a new secret, or an extended expiry, as the gateway decides)."""
    from andamio_cli.actions import apikey as keys

    keys.rotate(ctx.obj, name_or_id, expires_in_days, yes, api.value if api else None)


@apikey_app.command()
def delete(
    ctx: typer.Context,
    name_or_id: str = typer.Argument(..., metavar="NAME_OR_ID", help="Key name, or its UUID."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a key (and the local copy when it is the profile's key)."""
    from andamio_cli.actions import apikey as keys

    keys.delete(ctx.obj, name_or_id, yes)


@apikey_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List the profile's keys (secrets masked)."""
    from andamio_cli.actions import apikey_read

    apikey_read.list_keys(ctx.obj)


@apikey_app.command()
def profile(ctx: typer.Context) -> None:
    """Show the developer profile."""
    from andamio_cli.actions import apikey_read

    apikey_read.profile(ctx.obj)


@apikey_app.command()
def usage(ctx: typer.Context) -> None:
    """Show quota usage and rate-limit windows."""
    from andamio_cli.actions import apikey_read

    apikey_read.usage(ctx.obj)
