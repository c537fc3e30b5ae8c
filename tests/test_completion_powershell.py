"""PowerShell completion of profile names. pwsh is not installed here (nor installable from
the registries this project reaches), so the script is checked as far as that allows: it
parses (tree-sitter's PowerShell grammar), it reads config.json itself with no Python and no
`andamio` at TAB time, from the directories the CLI writes to, and the names it would pick
out of that file are the ones bash offers."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import PureWindowsPath

import pytest
from test_completion_tools import HAND_WRITTEN
from test_completions import COMPLETIONS

from andamio_cli.completion_ps import PROFILE_NAME

SCRIPT = (COMPLETIONS / "andamio.ps1").read_text(encoding="utf-8")
BASH = COMPLETIONS / "andamio.bash"


def test_the_script_parses_as_powershell():
    tree_sitter = pytest.importorskip("tree_sitter")
    grammar = pytest.importorskip("tree_sitter_powershell")
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    assert not parser.parse(SCRIPT.encode()).root_node.has_error
    broken = SCRIPT.replace("foreach ($d in $dirs) {", "foreach ($d in $dirs {", 1)
    assert parser.parse(broken.encode()).root_node.has_error  # the check can fail


def test_profile_values_are_completed_from_config_json():
    # --profile (a global option, after any command) and `switch PROFILE` take a profile name
    assert "        '--profile' = 'profile'\n" in SCRIPT
    assert "        'andamio switch|0' = 'profile'\n" in SCRIPT
    # ... which the completer turns into the names read from config.json, before it gives up
    # on non-list specs (files and free values: PowerShell's own completion)
    resolve = (
        "    if ($spec -is [string] -and $spec -eq 'profile') { $spec = @(Get-AndamioProfile) }\n"
    )
    give_up = "    if ($spec -isnot [array]) { return }"
    assert SCRIPT.index(resolve) < SCRIPT.index(give_up)
    assert "    function Get-AndamioProfile {" in SCRIPT
    assert SCRIPT.index("    function Get-AndamioProfile {") < SCRIPT.index(resolve)


def test_the_names_are_read_without_running_anything():
    body = SCRIPT[SCRIPT.index("function Get-AndamioProfile") : SCRIPT.index("$words = @(")]
    assert "Get-Content -LiteralPath $file -Raw" in body and "ConvertFrom-Json" in body
    assert "$config.profiles.PSObject.Properties.Name" in body
    assert re.search(r"python|Start-Process|Invoke-Expression|\biex\b|&\s", SCRIPT, re.I) is None
    assert re.search(r"^\s*andamio\b", SCRIPT, re.M) is None  # never runs the CLI


@pytest.fixture
def win_dirs(monkeypatch):
    from platformdirs import windows

    monkeypatch.setattr(windows, "get_win_folder", windows.get_win_folder_from_env_vars)


def test_the_directories_are_where_the_cli_keeps_config_json(monkeypatch, win_dirs):
    """Each directory the script tries is platformdirs' answer on one system (what
    settings.config_dir uses when ANDAMIO_CONFIG_DIR is not set)."""
    from platformdirs.macos import MacOS
    from platformdirs.unix import Unix
    from platformdirs.windows import Windows

    monkeypatch.setenv("LOCALAPPDATA", r"C:\Users\ada\AppData\Local")
    monkeypatch.setenv("HOME", "/home/ada")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    windows = Windows("andamio-cli", appauthor=False).user_config_dir
    assert PureWindowsPath(windows) == PureWindowsPath(r"C:\Users\ada\AppData\Local\andamio-cli")
    assert "Join-Path $env:LOCALAPPDATA 'andamio-cli'" in SCRIPT
    assert Unix("andamio-cli", appauthor=False).user_config_dir == "/home/ada/.config/andamio-cli"
    assert "if (-not $xdg) { $xdg = Join-Path $HOME '.config' }" in SCRIPT
    assert "$dirs += Join-Path $xdg 'andamio-cli'" in SCRIPT
    monkeypatch.setenv("XDG_CONFIG_HOME", "/xdg")
    assert Unix("andamio-cli", appauthor=False).user_config_dir == "/xdg/andamio-cli"
    assert '$xdg = "$env:XDG_CONFIG_HOME".Trim()' in SCRIPT
    # (recent platformdirs honour XDG_CONFIG_HOME on macOS too: the script tries it first)
    monkeypatch.delenv("XDG_CONFIG_HOME")
    mac = MacOS("andamio-cli", appauthor=False).user_config_dir
    assert mac == "/home/ada/Library/Application Support/andamio-cli"
    assert SCRIPT.index("Join-Path $xdg 'andamio-cli'") < SCRIPT.index("'Library/Application")
    assert "Join-Path $HOME 'Library/Application Support/andamio-cli'" in SCRIPT
    # ANDAMIO_CONFIG_DIR, when set, is the only place (as for the CLI and the other shells)
    assert "if ($env:ANDAMIO_CONFIG_DIR) { $dirs = @($env:ANDAMIO_CONFIG_DIR) } else {" in SCRIPT


def bash_profiles(config_dir) -> list[str]:
    """What the bash script's _andamio_profiles prints for ANDAMIO_CONFIG_DIR=config_dir."""
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", f'source "{BASH}"; _andamio_profiles'],
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(config_dir),
            "ANDAMIO_CONFIG_DIR": str(config_dir),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def powershell_picks(config_json: str) -> list[str]:
    """The names Get-AndamioProfile outputs for this config.json, as PowerShell computes them:
    ConvertFrom-Json keeps the file's order of properties; -cmatch is a case-sensitive match
    of the script's own pattern."""
    assert f"$_ -cmatch '{PROFILE_NAME}'" in SCRIPT
    profiles = json.loads(config_json).get("profiles")
    if not isinstance(profiles, dict):
        return []
    return [name for name in profiles if re.search(PROFILE_NAME, name)]


def test_profiles_the_cli_stored_are_the_names_bash_offers_too(tmp_path, run_andamio):
    for name in ("default", "ci-bot", "work.2"):
        done = run_andamio(
            ["--profile", name, "login", "--with-key"], stdin="ant_pp_" + "k" * 40 + name
        )
        assert done.returncode == 0, done.stderr
    config = tmp_path / "e2e-config"
    picked = powershell_picks((config / "config.json").read_text(encoding="utf-8"))
    assert sorted(picked) == ["ci-bot", "default", "work.2"]
    assert picked == bash_profiles(config)


def test_only_profiles_count_in_a_hand_written_file(tmp_path):
    (tmp_path / "config.json").write_text(HAND_WRITTEN, encoding="utf-8")
    assert powershell_picks(HAND_WRITTEN) == ["default", "work.2"] == bash_profiles(tmp_path)
