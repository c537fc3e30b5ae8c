"""Completion of profile names (from config.json, no Python) and of `exec COMMAND`, in real
bash, zsh and fish."""

from __future__ import annotations

import pytest
from test_completions import bash_complete, fish_complete, zsh_complete

COMPLETERS = {"bash": bash_complete, "zsh": zsh_complete, "fish": fish_complete}
# A config.json written by hand: other top-level objects and nested settings are not profiles.
HAND_WRITTEN = """{
  "active_profile": "work",
  "profiles": {
    "default": {
      "network": "preprod",
      "nested": {
        "x": 1
      }
    },
    "work.2": {
      "store": "file"
    }
  },
  "zother": {
    "notaprofile": {}
  }
}
"""


def complete(shell: str, line: str, cwd=None) -> list[str]:
    return sorted(COMPLETERS[shell](line, cwd))


@pytest.fixture
def profiles(tmp_path, run_andamio, monkeypatch):
    """Two profiles stored by the real CLI; the shells see its config dir."""
    for name in ("default", "ci-bot"):
        done = run_andamio(
            ["--profile", name, "login", "--with-key"], stdin="ant_pp_" + "k" * 40 + name
        )
        assert done.returncode == 0, done.stderr
    monkeypatch.setenv("ANDAMIO_CONFIG_DIR", str(tmp_path / "e2e-config"))
    return ["ci-bot", "default"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_profile_names_complete_from_the_settings(shell, profiles):
    assert complete(shell, "andamio --profile ") == profiles
    assert complete(shell, "andamio apikey list --profile c") == ["ci-bot"]
    assert complete(shell, "andamio --json token --profile d") == ["default"]
    assert complete(shell, "andamio switch ") == profiles
    assert complete(shell, "andamio switch c") == ["ci-bot"]


def test_bash_completes_profile_after_equals(profiles):
    assert bash_complete("andamio --profile=c") == ["ci-bot"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_only_profiles_count_in_a_hand_written_file(shell, tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text(HAND_WRITTEN)
    monkeypatch.setenv("ANDAMIO_CONFIG_DIR", str(tmp_path))
    assert complete(shell, "andamio --profile ") == ["default", "work.2"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_no_settings_no_profiles(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("ANDAMIO_CONFIG_DIR", str(tmp_path / "missing"))
    assert complete(shell, "andamio --profile ") == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_default_config_dir_is_xdg_config_home(shell, tmp_path, monkeypatch):
    (tmp_path / "andamio-cli").mkdir()
    (tmp_path / "andamio-cli" / "config.json").write_text(HAND_WRITTEN)
    monkeypatch.delenv("ANDAMIO_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert complete(shell, "andamio --profile w") == ["work.2"]


@pytest.fixture
def tool_on_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "mytool-xyz"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    work = tmp_path / "work"
    work.mkdir()
    (work / "wallet.skey").write_text("{}")
    return work


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_exec_completes_a_command_then_files(shell, tool_on_path):
    assert complete(shell, "andamio exec mytool-x", tool_on_path) == ["mytool-xyz"]
    assert complete(shell, "andamio exec mytool-xyz wal", tool_on_path) == ["wallet.skey"]
    assert complete(shell, "andamio --profile p exec mytool-x", tool_on_path) == ["mytool-xyz"]
