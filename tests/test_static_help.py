"""The root help is printed from a packaged copy; it must match what Typer renders."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import pytest
from conftest import clean_env

from andamio_cli.app import main
from andamio_cli.argv import _packaged
from andamio_cli.commands.root import render_root_help


def test_packaged_help_is_current():
    assert _packaged("help.txt") == render_root_help(), (
        "andamio_cli/help.txt is stale: run `python scripts/gen_completions.py`"
    )


def test_help_names_every_command_and_global_option():
    text = _packaged("help.txt")
    for word in (
        "login",
        "logout",
        "status",
        "refresh",
        "token",
        "exec",
        "apikey",
        "completion",
        "sandbox",
        "--profile",
        "--network",
        "--base-url",
        "--output",
        "--json",
        "--quiet",
        "--no-color",
        "--debug",
        "--timeout",
        "--no-input",
        "--version",
        "Exit codes",
    ):
        assert word in text


@pytest.mark.parametrize("args", [["--help"], ["-h"], []], ids=["--help", "-h", "no args"])
def test_installed_cli_prints_the_packaged_help(tmp_path, args):
    result = subprocess.run(
        [sys.executable, "-m", "andamio_cli", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == _packaged("help.txt")
    assert result.stderr == ""


def test_typer_renders_the_same_help_on_a_wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--no-color", "--help"]) == 0
    assert out.getvalue() == _packaged("help.txt")
