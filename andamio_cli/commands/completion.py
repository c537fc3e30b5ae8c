"""`andamio completion SHELL`: print a static completion script generated from this app."""

from __future__ import annotations

from enum import Enum

import typer

from andamio_cli.helpstyle import examples

COMPLETION_EXAMPLES = examples(
    "andamio completion bash > ~/.local/share/bash-completion/completions/andamio",
    'andamio completion zsh > "${fpath[1]}/_andamio"',
    "andamio completion fish > ~/.config/fish/completions/andamio.fish",
    "andamio completion powershell >> $PROFILE",
)


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


def completion(ctx: typer.Context, shell: Shell = typer.Argument(..., help="Shell.")) -> None:
    """Print a completion script for bash, zsh, fish or powershell."""
    from andamio_cli.commands.root import build_command
    from andamio_cli.completion_gen import render

    # The whole tree: main() built only this command.
    ctx.obj.stdout.write(render(shell.value, build_command()))
