"""The command line before Typer sees it: the fast path (`--version`, the root help,
`completion SHELL` from packaged files) and global options moved in front of the subcommand."""

import os

from andamio_cli import __version__

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy still reads this block
if TYPE_CHECKING:
    from typing import TextIO

SHELLS = ("bash", "zsh", "fish", "powershell")
COMPLETION_FILES = {
    "bash": "andamio.bash",
    "zsh": "_andamio",
    "fish": "andamio.fish",
    "powershell": "andamio.ps1",
}
# Global options: name -> takes a value. They are accepted anywhere before `--`.
GLOBAL_OPTIONS = {
    "--profile": True,
    "--network": True,
    "--base-url": True,
    "-o": True,
    "--output": True,
    "--timeout": True,
    "--json": False,
    "-q": False,
    "--quiet": False,
    "--no-color": False,
    "--debug": False,
    "--no-input": False,
}
# Options of subcommands whose value is kept with them, even when it looks like a global option.
VALUE_OPTIONS = frozenset({"-X", "--method", "-f", "--field", "--input"})


def _global_width(args: list[str], i: int) -> int:
    """How many words the global option at args[i] spans (itself and its value), else 0."""
    arg = args[i]
    name = arg.split("=", 1)[0] if arg.startswith("--") else arg
    if name in GLOBAL_OPTIONS:
        return 2 if GLOBAL_OPTIONS[name] and "=" not in arg and i + 1 < len(args) else 1
    if arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
        return 1
    return 0


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options found after the subcommand to the front (`apikey usage --json`)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    command_seen = False
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "exec" and not command_seen:
            # Global options right after `exec` are andamio's (`exec --profile work -- cmd`);
            # from the first other word on, everything belongs to the command it runs.
            i += 1
            while i < len(args) and (width := _global_width(args, i)):
                front.extend(args[i : i + width])
                i += width
            rest.extend(["exec", *args[i:]])
            break
        if arg in VALUE_OPTIONS:
            rest.extend(args[i : i + 2])
            i += 2
            continue
        width = _global_width(args, i)
        if width:
            front.extend(args[i : i + width])
            i += width
            continue
        command_seen = command_seen or not arg.startswith("-")
        rest.append(arg)
        i += 1
    return front + rest


def first_word(args: list[str]) -> str | None:
    """The subcommand of hoisted `args`: the first word that is not a global option or the
    value of one (None when an option comes first, or nothing does)."""
    i = 0
    while i < len(args):
        width = _global_width(args, i)
        if not width:
            return None if args[i].startswith("-") else args[i]
        i += width
    return None


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


def fast_path(args: list[str], out: "TextIO") -> int | None:
    """`--version`, the root help and `completion SHELL` answered without loading Typer."""
    if args == ["--version"]:
        out.write(f"andamio {__version__}\n")
        return 0
    text = None
    if args in ([], ["--help"], ["-h"]):
        text = _packaged("help.txt")
    elif len(args) == 2 and args[0] == "completion" and args[1] in SHELLS:
        text = _packaged(f"completions/{COMPLETION_FILES[args[1]]}")
    if text is None:
        return None
    out.write(text)
    return 0
