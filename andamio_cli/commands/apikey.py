"""`andamio apikey ...`: declarations only; the work is in `andamio_cli.keys`."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer


class ApiVersion(str, Enum):
    v1 = "v1"
    v2 = "v2"


DAYS_HELP = "Days until the key expires (an integer of at least 1)."
API_HELP = "Gateway API version (also ANDAMIO_API_VERSION)."


def register(app: typer.Typer) -> None:
    @app.command()
    def request(
        ctx: typer.Context,
        name: str = typer.Argument(..., metavar="NAME",
                                   help="Name of the new key (3-64 characters; 3-100 on v1)."),
        expires_in_days: Optional[int] = typer.Option(None, "--expires-in-days", metavar="N",
                                                       help=DAYS_HELP),
        save: bool = typer.Option(False, "--save", help="Store it as the profile's API key."),
        api: Optional[ApiVersion] = typer.Option(None, "--api", help=API_HELP),
    ) -> None:
        """Create a key; the raw key is printed once, alone on stdout."""
        from andamio_cli import keys

        keys.request(ctx.obj, name, expires_in_days, save, api.value if api else None)

    @app.command()
    def rotate(
        ctx: typer.Context,
        name_or_id: str = typer.Argument(..., metavar="NAME_OR_ID",
                                         help="Key name, or its UUID."),
        expires_in_days: Optional[int] = typer.Option(None, "--expires-in-days", metavar="N",
                                                       help=DAYS_HELP),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
        api: Optional[ApiVersion] = typer.Option(None, "--api", help=API_HELP),
    ) -> None:
        """Rotate a key (a new secret, or an extended expiry, as the gateway decides)."""
        from andamio_cli import keys

        keys.rotate(ctx.obj, name_or_id, expires_in_days, yes, api.value if api else None)

    @app.command()
    def delete(
        ctx: typer.Context,
        name_or_id: str = typer.Argument(..., metavar="NAME_OR_ID",
                                         help="Key name, or its UUID."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Delete a key (and the local copy when it is the profile's key)."""
        from andamio_cli import keys

        keys.delete(ctx.obj, name_or_id, yes)

    @app.command("list")
    def list_keys(ctx: typer.Context) -> None:
        """List the profile's keys (secrets masked)."""
        from andamio_cli import keys

        keys.list_keys(ctx.obj)

    @app.command()
    def profile(ctx: typer.Context) -> None:
        """Show the developer profile."""
        from andamio_cli import keys

        keys.profile(ctx.obj)

    @app.command()
    def usage(ctx: typer.Context) -> None:
        """Show quota usage and rate-limit windows."""
        from andamio_cli import keys

        keys.usage(ctx.obj)
