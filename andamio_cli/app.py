"""main(): the one place that maps errors to exit codes, and run(), the executable."""

import gc
import os
import sys

from andamio_cli.argv import fast_path, first_word, hoist_global_options
from andamio_cli.stdout_guard import StdoutGuard

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

    from andamio_cli.context import AppContext, Options
    from andamio_cli.errors import AndamioError


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
    guard = StdoutGuard(stdout or sys.stdout)  # notes a failure to write stdout
    out: TextIO = guard  # type: ignore[assignment]
    err = stderr or sys.stderr
    args = list(sys.argv[1:] if argv is None else argv)
    run = Runner(context_factory, out, err)

    def report(error: "AndamioError") -> int:  # for an error about stdout itself
        return _report(error, args, run)

    try:
        fast = fast_path(args, out)
    except (OSError, ValueError):
        return guard.unwritable(report)
    if fast is not None:
        return guard.settled(fast, report)
    args = hoist_global_options(args)
    debug = "--debug" in args or os.environ.get("ANDAMIO_DEBUG") in ("1", "true")

    # The cyclic garbage collector is paused for the run. Start-up creates tens of thousands
    # of long-lived objects (the imports) and next to no cyclic garbage, and collecting them
    # took ~7 ms of a ~130 ms command. A long-running server (`sandbox`) turns it back on.
    collecting = gc.isenabled()
    gc.disable()

    import typer

    from andamio_cli.errors import EXIT_INTERRUPTED, AndamioError, ExitStatus, InvalidInputError

    real_stdout = sys.stdout
    if stdout is None:  # Typer's help and usage text go to sys.stdout: through the guard too
        sys.stdout = out
    from andamio_cli.commands.root import TOP_LEVEL, build_command

    try:
        named = first_word(args)
        command = build_command(named if named in TOP_LEVEL else None)
        result = command.main(args=args, prog_name="andamio", standalone_mode=False, obj=run)
        if result == EXIT_INTERRUPTED and not isinstance(result, ExitStatus):
            # Typer turns Ctrl-C into a silent 130
            err.write("Interrupted.\n")
        return guard.settled(result if isinstance(result, int) else 0, report)
    except typer.Exit as exc:
        return guard.settled(exc.exit_code, report)
    except typer.TyperException as exc:  # Typer's usage errors (its vendored click's)
        if type(exc).__name__ == "NoArgsIsHelpError":
            return guard.settled(0, report, exc.format_message() + "\n")
        from andamio_cli.helpstyle import suggest

        message, hint = suggest(exc)
        return _report(InvalidInputError(message, hint=hint), args, run)
    except AndamioError as exc:
        return _report(exc, args, run, exc if debug else None)
    except (KeyboardInterrupt, typer.Abort):
        err.write("Interrupted.\n")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last rung: no traceback unless --debug
        if guard.failure is not None or isinstance(exc, BrokenPipeError):
            return guard.unwritable(report)
        error = AndamioError(
            f"unexpected error ({exc.__class__.__name__})",
            hint="run again with --debug for details",
        )
        return _report(error, args, run, exc if debug else None)
    finally:
        if run.context is not None:
            run.context.close()
        sys.stdout = real_stdout
        _settle_stdout(guard)
        if collecting:
            gc.enable()


def run() -> None:
    """The `andamio` executable: main(), then a hard exit, as mypy does.

    By then stdout is settled, stderr is flushed below, and every file andamio writes has
    been closed (writes are atomic replaces inside `with` blocks; locks are released). What
    a normal exit adds is tearing the interpreter down object by object, which took ~25 ms
    of a ~120 ms `apikey usage`."""
    code = main()
    _settle_stdout(sys.stdout)
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # None, closed or full
        pass
    os._exit(code)


def _settle_stdout(out: "TextIO | StdoutGuard | None") -> None:
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
