"""How help reads: metavars are upper-case words or `a|b` choices (never `{NAME}`, `<str>`),
every command ends with an Examples section, and a mistyped command gets a sensible suggestion."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from typer.core import TyperArgument

# Words people type for a command that has another name here.
SYNONYMS = {
    "create": "request",
    "new": "request",
    "add": "request",
    "generate": "request",
    "remove": "delete",
    "rm": "delete",
    "del": "delete",
    "revoke": "delete",
    "ls": "list",
    "show": "list",
    "renew": "rotate",
    "extend": "rotate",
    "quota": "usage",
    "whoami": "status",
    "signin": "login",
    "signout": "logout",
}


def examples(*lines: str) -> str:
    """An `Examples:` epilog of real command lines, kept as written (no rewrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


class _PlainArgument(TyperArgument):
    """An argument shown as `NAME` in the usage line (Typer writes `{NAME}`)."""

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        text = super().make_metavar(ctx, usage=usage)
        return text[1:-1] if text.startswith("{") and text.endswith("}") else text


def finish(command: Any) -> Any:
    """Walk the command tree once: plain argument metavars, `a|b` for choices, upper-case
    words for other values, and no Typer suggestion (see `suggest`)."""
    stack = [command]
    while stack:
        cmd = stack.pop()
        for param in cmd.params:
            choices = getattr(param.type, "choices", None)
            takes_value = not getattr(param, "is_flag", False) and not getattr(
                param, "count", False
            )
            if param.metavar is None and takes_value:
                if choices:
                    param.metavar = "|".join(str(getattr(c, "value", c)) for c in choices)
                elif not isinstance(param, TyperArgument):
                    param.metavar = (param.name or "value").upper()
            if type(param) is TyperArgument:
                param.__class__ = _PlainArgument
        if hasattr(cmd, "suggest_commands"):
            cmd.suggest_commands = False
        stack.extend(getattr(cmd, "commands", {}).values())
    return command


def suggest(error: Any) -> tuple[str, str]:
    """(message, hint) for a usage error: `No such command 'create'. Did you mean 'request'?`."""
    message = error.format_message()
    ctx = getattr(error, "ctx", None)
    path = ctx.command_path if ctx is not None else "andamio"
    hint = f"run `{path} --help` for usage"
    commands = getattr(getattr(ctx, "command", None), "commands", None)
    if commands and message.startswith("No such command"):
        typed = message.split("'")[1] if message.count("'") >= 2 else ""
        wanted = SYNONYMS.get(typed.lower())
        matches = [wanted] if wanted in commands else get_close_matches(typed, commands, 1, 0.75)
        if matches:
            message = f"{message.rstrip('.')}. Did you mean '{matches[0]}'?"
    return message, hint
