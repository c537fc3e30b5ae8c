"""The root Typer app: the global options, and every top-level command (TOP_LEVEL), built
whole or one command at a time."""

from andamio_cli import __version__

# Every top-level command, in help order: name -> (module of andamio_cli.commands, the function
# or Typer sub-app it declares, the name of its examples epilog; None for a sub-app).
TOP_LEVEL = {
    "login": ("login", "login", "LOGIN_EXAMPLES"),
    "logout": ("login", "logout", "LOGOUT_EXAMPLES"),
    "status": ("status", "status", "STATUS_EXAMPLES"),
    "switch": ("status", "switch", "SWITCH_EXAMPLES"),
    "refresh": ("login", "refresh", "REFRESH_EXAMPLES"),
    "token": ("tools", "token", "TOKEN_EXAMPLES"),
    "exec": ("tools", "exec_", "EXEC_EXAMPLES"),
    "apikey": ("apikey", "apikey_app", None),
    "account": ("account", "account_app", None),
    "api": ("api", "api", "API_EXAMPLES"),
    "completion": ("completion", "completion", "COMPLETION_EXAMPLES"),
    "sandbox": ("sandbox", "sandbox", "SANDBOX_EXAMPLES"),
}


def build_command(only: str | None = None):
    """The app as the click command that runs, with the help conventions of `helpstyle`.

    `only` names the one top-level command the command line asks for: the others are then
    neither imported nor built, which is most of the work of building."""
    import typer.main

    from andamio_cli.helpstyle import finish

    return finish(typer.main.get_command(build_app(only)))


def render_root_help() -> str:
    """The root help as Typer renders it on a terminal of 80+ columns (for the packaged copy)."""
    command = build_command()
    with command.make_context("andamio", [], resilient_parsing=True, terminal_width=78) as ctx:
        return ctx.get_help() + "\n"


def build_app(only: str | None = None):
    """The Typer app: the root callback with the global options, and every command (or only
    the top-level command named `only`)."""
    from enum import Enum
    from importlib import import_module

    import typer

    from andamio_cli.errors import EXIT_CODES
    from andamio_cli.helpstyle import examples

    class Network(str, Enum):
        preprod = "preprod"
        mainnet = "mainnet"
        sandbox = "sandbox"

    class Format(str, Enum):
        text = "text"
        json = "json"
        csv = "csv"
        markdown = "markdown"

    def version_callback(ctx: typer.Context, value: bool) -> None:
        if value:
            ctx.obj.stdout.write(f"andamio {__version__}\n")
            raise typer.Exit(0)

    codes = ", ".join(f"{code} {words}" for code, words in EXIT_CODES)
    app = typer.Typer(
        name="andamio",
        help="Manage API keys and developer credentials for the Andamio gateway.",
        add_completion=False,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        epilog=f"Global options also work after the subcommand. Exit codes: {codes}.\n\n"
        + examples(
            "andamio login",
            "andamio apikey list",
            "andamio apikey request ci-deploy --expires-in-days 30 --save",
            "andamio --profile work status",
            "andamio apikey usage --json",
        ),
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        profile: str | None = typer.Option(
            None,
            "--profile",
            envvar="ANDAMIO_PROFILE",
            metavar="NAME",
            help="Stored credential set to use (default: the one chosen with `switch`, "
            "else default).",
        ),
        network: Network | None = typer.Option(
            None,
            "--network",
            envvar="ANDAMIO_NETWORK",
            help="preprod (default), mainnet or sandbox.",
        ),
        base_url: str | None = typer.Option(
            None,
            "--base-url",
            envvar="ANDAMIO_BASE_URL",
            metavar="URL",
            help="Gateway URL (andamio.io or loopback).",
        ),
        output: Format = typer.Option(
            Format.text, "-o", "--output", envvar="ANDAMIO_OUTPUT", help="Output format."
        ),
        json_: bool = typer.Option(False, "--json", help="Same as -o json."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="Only essential output."),
        no_color: bool = typer.Option(False, "--no-color", help="No colour (also NO_COLOR)."),
        debug: bool = typer.Option(
            False,
            "--debug",
            envvar="ANDAMIO_DEBUG",
            help="Redacted HTTP trace and tracebacks on stderr.",
        ),
        timeout: float = typer.Option(
            10.0,
            "--timeout",
            envvar="ANDAMIO_TIMEOUT",
            metavar="SECONDS",
            help="Seconds one request may take, body included.",
        ),
        no_input: bool = typer.Option(
            False, "--no-input", envvar="ANDAMIO_NO_INPUT", help="Never prompt."
        ),
        version: bool = typer.Option(
            False, "--version", is_eager=True, callback=version_callback, help="Show the version."
        ),
    ) -> None:
        from andamio_cli.context import Options

        options = Options(
            profile=profile,
            network=network.value if network else None,
            base_url=base_url,
            output="json" if json_ else output.value,
            quiet=quiet,
            color=not no_color,
            debug=debug,
            timeout=timeout,
            no_input=no_input,
        )
        ctx.obj = ctx.obj.make(options)

    for name, (module_name, attribute, epilog) in TOP_LEVEL.items():
        if only is not None and name != only:
            continue
        module = import_module(f"andamio_cli.commands.{module_name}")
        if epilog is None:
            app.add_typer(getattr(module, attribute), name=name)
        else:
            settings = module.EXEC_SETTINGS if name == "exec" else None
            app.command(name, epilog=getattr(module, epilog), context_settings=settings)(
                getattr(module, attribute)
            )
    return app
