"""`andamio account ...`: declarations only; the work is in `actions.account`."""

from __future__ import annotations

import typer

from andamio_cli.helpstyle import examples

account_app = typer.Typer(
    help="The developer account: email verification, deleting the account.",
    no_args_is_help=True,
    rich_markup_mode=None,
    epilog=examples("andamio account status", "andamio account resend-verification"),
)


@account_app.command(
    epilog=examples("andamio account status", "andamio account status --json"),
)
def status(ctx: typer.Context) -> None:
    """Is the email verified; can a new mail be sent, and when."""
    from andamio_cli.actions import account

    account.status(ctx.obj)


@account_app.command(
    "resend-verification",
    epilog=examples(
        "andamio account resend-verification", "andamio account resend-verification --json"
    ),
)
def resend_verification(ctx: typer.Context) -> None:
    """Send the verification mail again (never retried)."""
    from andamio_cli.actions import account

    account.resend_verification(ctx.obj)


@account_app.command(
    epilog=examples(
        "andamio account delete          # asks you to type the account's alias",
        "andamio account delete --yes    # scripts: no question",
    ),
)
def delete(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete the developer account for good, and its stored credentials."""
    from andamio_cli.actions import account

    account.delete(ctx.obj, yes)
