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


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options found after the subcommand to the front (`apikey usage --json`)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    command_seen = False
    while i < len(args):
        arg = args[i]
        if arg == "--" or arg == "exec" and not command_seen:
            rest.extend(args[i:])  # everything after `exec` belongs to the command it runs
            break
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if arg in VALUE_OPTIONS:
            rest.extend(args[i : i + 2])
            i += 2
            continue
        if name in GLOBAL_OPTIONS:
            front.append(arg)
            if GLOBAL_OPTIONS[name] and "=" not in arg and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            front.append(arg)
        else:
            command_seen = command_seen or not arg.startswith("-")
            rest.append(arg)
        i += 1
    return front + rest


def first_word(args: list[str]) -> str | None:
    """The subcommand of hoisted `args`: the first word that is not a global option or the
    value of one (None when an option comes first, or nothing does)."""
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in GLOBAL_OPTIONS:
            i += 2 if GLOBAL_OPTIONS[name] and "=" not in arg else 1
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            i += 1
        else:
            return None if arg.startswith("-") else arg
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
