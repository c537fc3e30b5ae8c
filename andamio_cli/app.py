"""Root Typer app, global options, and main(): the one place that maps errors to exit codes."""

import os
import sys

from andamio_cli import __version__
from andamio_cli.argv import fast_path, hoist_global_options

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    from andamio_cli.context import AppContext, Options
    from andamio_cli.errors import AndamioError


def build_command():
    """The app as the click command that runs, with the help conventions of `helpstyle`."""
    import typer.main

    from andamio_cli.helpstyle import finish

    return finish(typer.main.get_command(build_app()))


def render_root_help() -> str:
    """The root help as Typer renders it on a terminal of 80+ columns (for the packaged copy)."""
    command = build_command()
    with command.make_context("andamio", [], resilient_parsing=True, terminal_width=78) as ctx:
        return ctx.get_help() + "\n"


def build_app():
    """The Typer app: the root callback with the global options, and every command."""
    from enum import Enum

    import typer

    from andamio_cli.commands import account, apikey, completion, login, sandbox, status, tools
    from andamio_cli.commands import api as api_command
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

    app.command(epilog=login.LOGIN_EXAMPLES)(login.login)
    app.command(epilog=login.LOGOUT_EXAMPLES)(login.logout)
    app.command(epilog=status.STATUS_EXAMPLES)(status.status)
    app.command(epilog=status.SWITCH_EXAMPLES)(status.switch)
    app.command(epilog=login.REFRESH_EXAMPLES)(login.refresh)
    app.command(epilog=tools.TOKEN_EXAMPLES)(tools.token)
    app.command("exec", context_settings=tools.EXEC_SETTINGS, epilog=tools.EXEC_EXAMPLES)(
        tools.exec_
    )
    app.add_typer(apikey.apikey_app, name="apikey")
    app.add_typer(account.account_app, name="account")
    app.command("api", epilog=api_command.API_EXAMPLES)(api_command.api)
    app.command(epilog=completion.COMPLETION_EXAMPLES)(completion.completion)
    app.command(epilog=sandbox.SANDBOX_EXAMPLES)(sandbox.sandbox)
    return app


class Runner:
    """What `main()` hands Typer as `obj`: it makes the AppContext and keeps it for errors."""

    def __init__(
        self, factory: "Callable[[Options], AppContext] | None", stdout: "TextIO", stderr: "TextIO"
    ) -> None:
        self.factory = factory
        self.stdout = stdout
        self.stderr = stderr
        self.context: AppContext | None = None

    def make(self, options: "Options") -> "AppContext":
        from andamio_cli.context import AppContext

        if self.factory is not None:
            self.context = self.factory(options)
        else:
            self.context = AppContext(options, stdout=self.stdout, stderr=self.stderr)
        return self.context


def _wants_json(args: list[str]) -> bool:
    if "--json" in args or "-ojson" in args or "--output=json" in args:
        return True
    for i, arg in enumerate(args[:-1]):
        if arg in ("-o", "--output") and args[i + 1] == "json":
            return True
    return os.environ.get("ANDAMIO_OUTPUT") == "json" and "-o" not in args


def _report(
    error: "AndamioError", args: list[str], run: Runner, trace_of: BaseException | None = None
) -> int:
    from andamio_cli.errors import CancelledError
    from andamio_cli.output import error_json, error_text, inert

    ctx = run.context
    if ctx is not None and ctx.sent_credentials:
        from andamio_cli.actions.apikey import explain_refusal

        explain_refusal(ctx, error)
    if isinstance(error, CancelledError):
        text = error.message + "\n"
    elif ctx is not None and ctx.options.output == "json" or ctx is None and _wants_json(args):
        text = error_json(error)
    else:
        text = error_text(error, color=bool(ctx and ctx.color and ctx.stderr_tty))
    if trace_of is not None:
        import traceback

        trace = "".join(traceback.format_exception(trace_of))
        text = "".join(inert(line) + "\n" for line in trace.splitlines()) + text
    if ctx is not None:
        ctx.err(text)
    else:
        run.stderr.write(text)
    return error.exit_code


def main(
    argv: list[str] | None = None,
    *,
    context_factory: "Callable[[Options], AppContext] | None" = None,
    stdout: "TextIO | None" = None,
    stderr: "TextIO | None" = None,
) -> int:
    """Run the CLI; return the exit code. Tests inject the context factory and the streams."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    fast = fast_path(args, out)
    if fast is not None:
        return fast
    args = hoist_global_options(args)
    run = Runner(context_factory, out, err)
    debug = "--debug" in args or os.environ.get("ANDAMIO_DEBUG") in ("1", "true")

    import typer

    from andamio_cli.errors import EXIT_INTERRUPTED, AndamioError, ExitStatus, InvalidInputError

    try:
        command = build_command()
        result = command.main(args=args, prog_name="andamio", standalone_mode=False, obj=run)
        if result == EXIT_INTERRUPTED and not isinstance(result, ExitStatus):
            # Typer turns Ctrl-C into a silent 130
            err.write("Interrupted.\n")
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # Typer's usage errors (its vendored click's)
        if type(exc).__name__ == "NoArgsIsHelpError":
            out.write(exc.format_message() + "\n")
            return 0
        from andamio_cli.helpstyle import suggest

        message, hint = suggest(exc)
        return _report(InvalidInputError(message, hint=hint), args, run)
    except AndamioError as exc:
        return _report(exc, args, run, exc if debug else None)
    except (KeyboardInterrupt, typer.Abort):
        err.write("Interrupted.\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - the last rung: no traceback unless --debug
        error = AndamioError(
            f"unexpected error ({exc.__class__.__name__})",
            hint="run again with --debug for details",
        )
        return _report(error, args, run, exc if debug else None)
    finally:
        if run.context is not None:
            run.context.close()
        _settle_stdout(out)


def _settle_stdout(out: "TextIO | None") -> None:
    """Flush stdout now; if it cannot take the data (closed pipe, full disk), point it at
    /dev/null so that Python's own flush at exit does not print a traceback."""
    if out is None:
        return
    try:
        out.flush()
    except (OSError, ValueError):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
