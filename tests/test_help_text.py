"""Every command's --help: plain upper-case metavars, and an Examples section of real lines."""

from __future__ import annotations

import re
import shlex

import pytest
import typer.main

from andamio_cli.argv import GLOBAL_OPTIONS
from andamio_cli.commands.root import build_app
from andamio_cli.helpstyle import finish


def _tree():
    root = finish(typer.main.get_command(build_app()))
    found = []
    stack = [((), root)]
    while stack:
        path, command = stack.pop()
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            stack.append(((*path, name), sub))
    return root, sorted(found, key=lambda item: item[0])


ROOT, COMMANDS = _tree()
PATHS = [" ".join(path) for path, _ in COMMANDS]


@pytest.mark.parametrize("path", PATHS)
def test_help_ends_with_examples_of_real_command_lines(cli, path):
    result = cli([*path.split(), "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    head, _, tail = text.rpartition("\n  Examples:\n")
    assert head, f"`andamio {path} --help` has no Examples section"
    lines = [line.strip() for line in tail.strip("\n").splitlines()]
    assert lines and all(line for line in lines), tail  # the section ends the help
    for line in lines:
        _check_example(line, path)


def _check_example(line: str, path: str) -> None:
    """The line runs `andamio` with commands and options that exist."""
    words = shlex.split(line, comments=True)
    start = words.index("andamio") if "andamio" in words else -1
    if start < 0:
        start = next(i for i, w in enumerate(words) if w.endswith("$(andamio"))
        words[start] = "andamio"
    assert words[start] == "andamio", line
    command, options, used = ROOT, set(GLOBAL_OPTIONS), []
    for word in words[start + 1 :]:
        if word in ("|", ">", ">>", "<", "&&", "||") or word.endswith(")"):
            break
        sub = getattr(command, "commands", {}).get(word)
        if sub is not None and not word.startswith("-"):
            command = sub
            used.append(word)
        options |= {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        if word.startswith("-") and word not in ("-",):
            assert word.split("=")[0] in options, f"{line!r}: unknown option {word}"
    assert " ".join(used).startswith(path), f"{line!r} is not an example of `andamio {path}`"


@pytest.mark.parametrize("path", PATHS)
def test_metavars_are_plain_words_or_choices(cli, path):
    result = cli([*path.split(), "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    text = result.stdout.rpartition("\n  Examples:\n")[0]  # examples may hold shell syntax
    for bad in ("{", "}", "<str>", "<int>", "<float>", "<path>", "<file>", ":<"):
        assert bad not in text, (bad, text)
    for metavar in re.findall(r"^\s+(?:-\w, )?--[\w-]+ (\S+)", text, re.M):
        assert re.fullmatch(r"[A-Z][A-Z_=]*|[a-z0-9-]+(\|[a-z0-9-]+)+", metavar), metavar


def test_usage_line_shows_arguments_as_words(cli):
    result = cli(["apikey", "request", "--help"])
    assert result.stdout.splitlines()[0] == "Usage: andamio apikey request [OPTIONS] NAME"
    result = cli(["completion", "--help"])
    assert "Usage: andamio completion [OPTIONS] bash|zsh|fish|powershell" in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["apikey", "create", "x"], "Error: No such command 'create'. Did you mean 'request'?\n"),
        (["apikey", "lst"], "Error: No such command 'lst'. Did you mean 'list'?\n"),
        (["apikey", "frobnicate"], "Error: No such command 'frobnicate'.\n"),
        (["stauts"], "Error: No such command 'stauts'. Did you mean 'status'?\n"),
    ],
)
def test_unknown_command_suggestions(cli, args, message):
    result = cli(args)
    assert result.exit_code == 4
    assert result.stdout == ""
    path = "andamio apikey" if args[0] == "apikey" else "andamio"
    assert result.stderr == message + f"Hint: run `{path} --help` for usage\n"
    assert "rotate" not in result.stderr
