"""Root Typer app, global options, and main(): the one place that maps errors to exit codes."""


import os
import sys

from andamio_cli import __version__

SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETION_FILES = {"bash": "andamio.bash", "zsh": "_andamio", "fish": "andamio.fish",
                    "powershell": "andamio.ps1"}
# Global options: name -> takes a value. They are accepted anywhere before `--`.
GLOBAL_OPTIONS = {
    "--profile": True, "--network": True, "--base-url": True, "-o": True, "--output": True,
    "--timeout": True, "--json": False, "-q": False, "--quiet": False, "--no-color": False,
    "--debug": False, "--no-input": False,
}


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options found after the subcommand to the front (`apikey usage --json`)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in GLOBAL_OPTIONS:
            front.append(arg)
            if GLOBAL_OPTIONS[name] and "=" not in arg and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _packaged(name: str) -> str | None:
    """A generated file shipped in the package (or, in a source tree, at the repo root)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for path in (os.path.join(here, name), os.path.join(here, "..", name)):
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            continue
    return None


def _fast_path(args: list[str]) -> int | None:
    """`--version`, the root help and `completion SHELL` answered without loading Typer."""
    if args == ["--version"]:
        sys.stdout.write(f"andamio {__version__}\n")
        return 0
    text = None
    if args in ([], ["--help"], ["-h"]):
        text = _packaged("help.txt")
    elif len(args) == 2 and args[0] == "completion" and args[1] in SHELLS:
        text = _packaged(f"completions/{COMPLETION_FILES[args[1]]}")
    if text is None:
        return None
    sys.stdout.write(text)
    return 0


def render_root_help() -> str:
    """The root help as Typer renders it on a terminal of 80+ columns (for the packaged copy)."""
    import typer.main

    command = typer.main.get_command(_build_app())
    with command.make_context("andamio", [], resilient_parsing=True, terminal_width=78) as ctx:
        return ctx.get_help() + "\n"


def _build_app():
    from enum import Enum
    from typing import Optional

    import typer

    from andamio_cli.commands import apikey, auth, completion, sandbox

    class Network(str, Enum):
        preprod = "preprod"
        mainnet = "mainnet"
        sandbox = "sandbox"

    class Format(str, Enum):
        text = "text"
        json = "json"
        csv = "csv"
        markdown = "markdown"

    def version_callback(value: bool) -> None:
        if value:
            sys.stdout.write(f"andamio {__version__}\n")
            raise typer.Exit(0)

    app = typer.Typer(
        name="andamio",
        help="Manage API keys and developer credentials for the Andamio gateway.",
        add_completion=False,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        epilog="Global options also work after the subcommand. Exit codes: 0 ok, 1 error, "
        "2 not found, 3 auth, 4 invalid input, 5 unreachable, 6 conflict, 7 rate limited, "
        "130 interrupted.",
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        profile: str = typer.Option("default", "--profile", envvar="ANDAMIO_PROFILE", metavar="NAME",
                                    help="Stored credential set to use."),
        network: Optional[Network] = typer.Option(None, "--network", envvar="ANDAMIO_NETWORK",
                                                  help="preprod (default), mainnet or sandbox."),
        base_url: Optional[str] = typer.Option(None, "--base-url", envvar="ANDAMIO_BASE_URL", metavar="URL",
                                               help="Gateway URL (andamio.io or loopback)."),
        output: Format = typer.Option(Format.text, "-o", "--output", envvar="ANDAMIO_OUTPUT",
                                      help="Output format."),
        json_: bool = typer.Option(False, "--json", help="Same as -o json."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="Only essential output."),
        no_color: bool = typer.Option(False, "--no-color", help="No colour (also NO_COLOR)."),
        debug: bool = typer.Option(False, "--debug", envvar="ANDAMIO_DEBUG",
                                   help="Redacted HTTP trace and tracebacks on stderr."),
        timeout: float = typer.Option(10.0, "--timeout", envvar="ANDAMIO_TIMEOUT", metavar="SECONDS",
                                      help="Per-request timeout in seconds."),
        no_input: bool = typer.Option(False, "--no-input", envvar="ANDAMIO_NO_INPUT",
                                      help="Never prompt."),
        version: bool = typer.Option(False, "--version", is_eager=True,
                                     callback=version_callback, help="Show the version."),
    ) -> None:
        from andamio_cli.context import Options

        options = Options(
            profile=profile, network=network.value if network else None, base_url=base_url,
            output="json" if json_ else output.value, quiet=quiet, color=not no_color,
            debug=debug, timeout=timeout, no_input=no_input,
        )
        ctx.obj = _RUN.make_context(options)

    auth.register(app)
    apikey_app = typer.Typer(help="Request, rotate, delete and inspect API keys.",
                             no_args_is_help=True, rich_markup_mode=None)
    apikey.register(apikey_app)
    app.add_typer(apikey_app, name="apikey")
    completion.register(app)
    sandbox.register(app)
    return app


class _Run:
    """The context factory for this process and the context it made (for error output)."""

    def __init__(self) -> None:
        self.factory = None
        self.context = None

    def make_context(self, options):
        from andamio_cli.context import AppContext

        self.context = (self.factory or AppContext)(options)
        return self.context


_RUN = _Run()


def _wants_json(args: list[str]) -> bool:
    if "--json" in args or "-ojson" in args or "--output=json" in args:
        return True
    for i, arg in enumerate(args[:-1]):
        if arg in ("-o", "--output") and args[i + 1] == "json":
            return True
    return os.environ.get("ANDAMIO_OUTPUT") == "json" and "-o" not in args


def _report(error, args: list[str], trace_of: BaseException | None = None) -> int:
    from andamio_cli.output import error_json, error_text, inert

    ctx = _RUN.context
    if ctx is not None and ctx.options.output == "json" or ctx is None and _wants_json(args):
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
        sys.stderr.write(text)
    return error.exit_code


def main(argv: list[str] | None = None, *, context_factory=None) -> int:
    """Run the CLI; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    fast = _fast_path(args)
    if fast is not None:
        return fast
    args = hoist_global_options(args)
    _RUN.factory, _RUN.context = context_factory, None
    debug = "--debug" in args or os.environ.get("ANDAMIO_DEBUG") in ("1", "true")

    import typer

    from andamio_cli.errors import EXIT_INTERRUPTED, AndamioError, InvalidInputError

    try:
        result = _build_app()(args=args, prog_name="andamio", standalone_mode=False)
        if result == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into a silent 130
            sys.stderr.write("Interrupted.\n")
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # Typer's usage errors (its vendored click's)
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.stdout.write(exc.format_message() + "\n")
            return 0
        hint = "run `andamio --help` (or `andamio COMMAND --help`) for usage"
        return _report(InvalidInputError(exc.format_message(), hint=hint), args)
    except AndamioError as exc:
        return _report(exc, args, exc if debug else None)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("Interrupted.\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - the last rung: no traceback unless --debug
        error = AndamioError(f"unexpected error ({exc.__class__.__name__})",
                             hint="run again with --debug for details")
        return _report(error, args, exc if debug else None)
    finally:
        if _RUN.context is not None:
            _RUN.context.close()
