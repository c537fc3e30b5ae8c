"""The error family: each error knows its kind, exit code and an optional hint."""

from __future__ import annotations


class AndamioError(Exception):
    """Base of every error the CLI reports without a traceback."""

    kind = "error"
    exit_code = 1
    detail: str | None = None  # the gateway's own words, short, for messages that lead with ours

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        self.code = code


class CancelledError(AndamioError):
    """The user answered no: the message alone, no `Error:` prefix."""

    kind = "cancelled"


class NotFoundError(AndamioError):
    kind = "not_found"
    exit_code = 2


class AuthError(AndamioError):
    kind = "auth"
    exit_code = 3


class StoreUnavailableError(AuthError):
    """The credential store cannot be used (no keyring, locked, hung, unwritable)."""


class InvalidInputError(AndamioError):
    kind = "invalid_input"
    exit_code = 4


class UnreachableError(AndamioError):
    kind = "unreachable"
    exit_code = 5


class ConflictError(AndamioError):
    kind = "conflict"
    exit_code = 6


class RateLimitedError(AndamioError):
    kind = "rate_limited"
    exit_code = 7


class TierLimitError(RateLimitedError):
    """The tier's key cap is reached: permanent, never retried."""

    kind = "tier_limit"


class AttentionError(AndamioError):
    """Nothing failed, but something needs the user's attention (`apikey check`)."""

    kind = "attention"
    exit_code = 8


class CommandNotExecutableError(AndamioError):
    """`exec`: the command exists but cannot be run (as a shell's 126)."""

    kind = "not_executable"
    exit_code = 126


class CommandNotFoundError(AndamioError):
    """`exec`: no such command (as a shell's 127)."""

    kind = "command_not_found"
    exit_code = 127


class BadReplyError(AndamioError):
    """The gateway answered, but not with what the contract promises."""


class ExitStatus(int):
    """A status passed through as it is (`exec` returns its child's): main adds no message."""


EXIT_INTERRUPTED = 130
# Exit codes and their meaning in words: the help epilog and the README are made from this.
EXIT_CODES = (
    (0, "ok"),
    (1, "error"),
    (NotFoundError.exit_code, "not found"),
    (AuthError.exit_code, "auth"),
    (InvalidInputError.exit_code, "invalid input"),
    (UnreachableError.exit_code, "unreachable"),
    (ConflictError.exit_code, "conflict"),
    (RateLimitedError.exit_code, "rate limited"),
    (AttentionError.exit_code, "attention (apikey check)"),
    (CommandNotExecutableError.exit_code, "not executable (exec)"),
    (CommandNotFoundError.exit_code, "command not found (exec)"),
    (EXIT_INTERRUPTED, "interrupted"),
)
