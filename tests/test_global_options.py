"""GLOBAL_OPTIONS (which hoist_global_options re-parses by hand) matches the root command."""

from __future__ import annotations

import pytest

from andamio_cli.app import build_app
from andamio_cli.argv import GLOBAL_OPTIONS, hoist_global_options


def root_options() -> dict[str, bool]:
    """Every option name of the root Typer command -> whether it takes a value.

    Eager options (`--version`) act before any subcommand is parsed, so they are not hoisted;
    the help option is Click's own, not one of the command's parameters.
    """
    import typer.main

    command = typer.main.get_command(build_app())
    found: dict[str, bool] = {}
    for param in command.params:
        if param.param_type_name != "option" or param.is_eager:
            continue
        for name in [*param.opts, *param.secondary_opts]:
            found[name] = not getattr(param, "is_flag", False)
    return found


def test_global_options_table_matches_the_root_command():
    assert GLOBAL_OPTIONS == root_options()


def test_the_root_command_has_the_global_options_of_the_contract():
    # A guard on the comparison above: it must see real options, not an empty table.
    assert {"--profile", "--base-url", "-o", "--json", "--timeout"} <= set(root_options())
    assert root_options()["--timeout"] is True and root_options()["--json"] is False


@pytest.mark.parametrize("name", sorted(GLOBAL_OPTIONS))
def test_each_global_option_is_hoisted_with_its_value(name):
    given = [name, "VALUE"] if GLOBAL_OPTIONS[name] else [name]
    args = ["apikey", "usage", *given, "--", "--json"]
    assert hoist_global_options(args) == [*given, "apikey", "usage", "--", "--json"]
