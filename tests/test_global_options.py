"""GLOBAL_OPTIONS (which hoist_global_options and first_word re-parse by hand) matches the root
command, and a top-level command built alone (as main() builds it) matches the whole tree."""

from __future__ import annotations

import pytest

from andamio_cli.argv import GLOBAL_OPTIONS, first_word, hoist_global_options
from andamio_cli.commands.root import TOP_LEVEL, build_app, build_command


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


@pytest.mark.parametrize("name", sorted(GLOBAL_OPTIONS))
def test_the_subcommand_is_found_after_each_global_option(name):
    given = [name, "apikey"] if GLOBAL_OPTIONS[name] else [name]  # a value that looks like one
    assert first_word([*given, "status", "--json"]) == "status"
    if GLOBAL_OPTIONS[name] and name.startswith("--"):
        assert first_word([f"{name}=apikey", "status"]) == "status"


@pytest.mark.parametrize(
    "args, word",
    [
        ([], None),
        (["--", "status"], None),
        (["--version"], None),
        (["-ojson", "apikey", "usage"], "apikey"),
        (["--profile"], None),  # the value is missing: Typer reports it
        (["--bogus", "status"], None),  # an unknown option first: Typer reports it
        (["statsu"], "statsu"),
    ],
)
def test_first_word(args, word):
    assert first_word(args) == word


def test_every_top_level_command_is_in_the_table():
    import typer.main

    full = typer.main.get_command(build_app())
    assert sorted(full.commands) == sorted(TOP_LEVEL)


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_a_command_built_alone_is_the_command_built_with_the_rest(name):
    """main() builds only the command the line names: its help, options and subcommands
    must be exactly what they are in the whole tree."""
    whole, alone = build_command(), build_command(name)
    assert list(alone.commands) == [name]
    with whole.make_context("andamio", [name], resilient_parsing=True) as ctx:
        sub = whole.commands[name]
        with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
            expected = sub.get_help(sub_ctx)
    with alone.make_context("andamio", [name], resilient_parsing=True) as ctx:
        sub = alone.commands[name]
        with sub.make_context(name, [], parent=ctx, resilient_parsing=True) as sub_ctx:
            assert sub.get_help(sub_ctx) == expected
    assert name in expected  # a real help text, not two empty ones
