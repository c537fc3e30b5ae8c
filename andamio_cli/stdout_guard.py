"""The process's stdout as every command writes it: the first failure to write it is kept, so
that main() can say what happened (closed, full, a reader that went away) instead of
`unexpected error`. Loaded on the fast path too: nothing heavy here."""

import errno

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class _Recorder:
    """Writes to `stream`, noting in `guard` the first write or flush that fails."""

    def __init__(self, stream: "Any", guard: "StdoutGuard") -> None:
        self._stream = stream
        self._guard = guard

    def write(self, data: "Any") -> int:
        try:
            return self._stream.write(data)
        except (OSError, ValueError) as exc:
            self._guard.failure = self._guard.failure or exc
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError) as exc:
            self._guard.failure = self._guard.failure or exc
            raise

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._stream, name)


class StdoutGuard(_Recorder):
    """stdout (a text stream, or None when the process started with file descriptor 1
    closed): writes that fail are recorded in `failure`; with no stream at all, writing
    fails and flushing (nothing was written) does not."""

    def __init__(self, stream: "Any") -> None:
        super().__init__(stream, self)
        self.failure: BaseException | None = None

    @property
    def closed(self) -> bool:
        return self._stream is None or bool(getattr(self._stream, "closed", False))

    @property
    def buffer(self) -> "Any":
        """The binary stream under the text one (`api` writes bodies as received), guarded."""
        raw = getattr(self._stream, "buffer", None)
        return None if raw is None else _Recorder(raw, self)

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def write(self, data: "Any") -> int:
        if self._stream is None:
            self.failure = self.failure or ValueError("standard output is closed")
            raise self.failure
        return super().write(data)

    def flush(self) -> None:
        if self._stream is not None:
            super().flush()

    def __getattr__(self, name: str) -> "Any":
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)

    def settled(self, code: int, report: "Callable[[Any], int]", text: str = "") -> int:
        """`code` once `text` and everything before it is written; else `unwritable()`."""
        try:
            if text:
                self.write(text)
            self.flush()
        except (OSError, ValueError):
            return self.unwritable(report)
        return code

    def unwritable(self, report: "Callable[[Any], int]") -> int:
        """Exit 1 for output that could not be written: quietly when its reader went away (as
        other Unix tools), else `report` gets the error that says what happened."""
        failure = self.failure or BrokenPipeError()
        if not isinstance(failure, BrokenPipeError):
            report(unwritable_error(failure))
        return 1


def why(exc: BaseException) -> str:
    """What went wrong with standard output, as the end of `standard output …`."""
    if isinstance(exc, BrokenPipeError):
        return "was closed by the program reading it"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "is full (no space left)"
    if isinstance(exc, OSError) and exc.errno != errno.EBADF and exc.strerror:
        return f"failed ({exc.strerror})"
    return "is closed"


def unwritable_error(exc: BaseException):
    """The error for output that could not be written (a reader that went away is the
    caller's to keep quiet)."""
    from andamio_cli.errors import AndamioError

    what = why(exc)
    hints = {
        "is closed": "run the command again with standard output open (e.g. redirected to a file)",
        "is full (no space left)": "free some space, or send the output somewhere else",
    }
    return AndamioError(
        f"the output could not be written: standard output {what}", hint=hints.get(what)
    )
