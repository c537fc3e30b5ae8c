"""`andamio login`, `logout`, `refresh`: declarations only; the work is in `actions.login`."""

from __future__ import annotations

from pathlib import Path

import typer

from andamio_cli.helpstyle import examples

LOGIN_EXAMPLES = examples(
    "andamio login                 # on a terminal: the key prompt, then the browser",
    'printf %s "$ANDAMIO_API_KEY" | andamio login --with-key',
    "andamio login --with-token < token.txt",
    "andamio login --skey payment.skey --alias my-alias --address addr1q...",
    "andamio --profile work login --web",
)
LOGOUT_EXAMPLES = examples(
    "andamio logout", "andamio --profile work logout", "andamio logout --all"
)
REFRESH_EXAMPLES = examples("andamio refresh", "andamio refresh --json")


def login(
    ctx: typer.Context,
    with_key: bool = typer.Option(False, "--with-key", help="Read an API key from standard input."),
    with_token: bool = typer.Option(
        False,
        "--with-token",
        help="Read a developer JWT from standard input (line 2: refresh token).",
    ),
    skey: Path | None = typer.Option(
        None,
        "--skey",
        metavar="FILE",
        dir_okay=False,
        help="Wallet login with a cardano-cli .skey file.",
    ),
    alias: str | None = typer.Option(
        None, "--alias", metavar="ALIAS", help="Developer alias (--skey)."
    ),
    address: str | None = typer.Option(
        None, "--address", metavar="ADDR", help="Wallet base address (--skey)."
    ),
    web: bool = typer.Option(False, "--web", help="Log in through the browser."),
    insecure_storage: bool = typer.Option(
        False,
        "--insecure-storage",
        help="Store secrets in a plain-text 0600 file instead of the OS keyring.",
    ),
) -> None:
    """Store an API key and a developer JWT for the profile."""
    from andamio_cli.actions.login import run_login

    run_login(
        ctx.obj,
        with_key=with_key,
        with_token=with_token,
        skey=skey,
        alias=alias,
        address=address,
        web=web,
        insecure=insecure_storage,
    )


def logout(
    ctx: typer.Context,
    all_profiles: bool = typer.Option(False, "--all", help="Every profile."),
) -> None:
    """Remove stored credentials (nothing is sent to the gateway)."""
    from andamio_cli.actions.logout import run_logout

    run_logout(ctx.obj, all_profiles=all_profiles)


def refresh(ctx: typer.Context) -> None:
    """Trade the refresh token for a new developer JWT and refresh token."""
    from andamio_cli.actions.login import emit_login
    from andamio_cli.auth.tokens import refresh as do_refresh

    do_refresh(ctx.obj, force=True)
    emit_login(ctx.obj, "Refreshed the developer JWT")
