"""`switch PROFILE`, the profile resolution order, and `status --all` (real CLI, file store)."""

from __future__ import annotations

import json

import pytest

API_KEY = "ant_pp_switch000000000000000000000000000000ab12"
CI_KEY = "ant_pp_switchci0000000000000000000000000000cd34"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsImFsaWFzIjoidW5pdCIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln"


def login(run_andamio, profile: str, key: str, jwt: str | None = JWT) -> None:
    result = run_andamio(["--profile", profile, "login", "--with-key"], stdin=key)
    assert result.returncode == 0, result.stderr
    if jwt:
        result = run_andamio(["--profile", profile, "login", "--with-token"], stdin=jwt)
        assert result.returncode == 0, result.stderr


def status_json(run_andamio, *args, env=None) -> dict:
    result = run_andamio([*args, "status", "--json"], env=env)
    assert result.returncode in (0, 3), result.stderr
    return json.loads(result.stdout)


def test_switch_makes_a_profile_the_default_one(run_andamio, tmp_path):
    login(run_andamio, "default", API_KEY)
    login(run_andamio, "ci", CI_KEY)
    assert status_json(run_andamio)["profile"] == "default"
    result = run_andamio(["switch", "ci"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Switched to profile ci (was default): commands use it unless --profile or "
        "ANDAMIO_PROFILE names another.\n"
    )
    config = json.loads((tmp_path / "e2e-config" / "config.json").read_text())
    assert config["active_profile"] == "ci"
    assert status_json(run_andamio)["api_key"]["masked"] == "ant_pp_…cd34"
    # an explicit --profile default, and ANDAMIO_PROFILE, still win
    assert status_json(run_andamio, "--profile", "default")["profile"] == "default"
    pinned = status_json(run_andamio, env={"ANDAMIO_PROFILE": "default"})
    assert pinned["profile"] == "default" and pinned["active"] is False
    back = run_andamio(["switch", "default", "--json"])
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout) == {"active_profile": "default", "previous": "ci"}
    config = json.loads((tmp_path / "e2e-config" / "config.json").read_text())
    assert "active_profile" not in config
    assert status_json(run_andamio)["profile"] == "default"


def test_switch_to_a_profile_with_nothing_stored_is_refused(run_andamio, tmp_path):
    login(run_andamio, "default", API_KEY)
    login(run_andamio, "ci", CI_KEY)
    result = run_andamio(["switch", "nosuch"])
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Error: profile nosuch has no stored credentials (profiles with credentials: ci, "
        "default)\nHint: log in first: `andamio --profile nosuch login`\n"
    )
    config = json.loads((tmp_path / "e2e-config" / "config.json").read_text())
    assert "active_profile" not in config


def test_switch_checks_the_profile_name(run_andamio):
    result = run_andamio(["switch", "../etc"])
    assert result.returncode == 4, result.stderr
    assert "invalid profile name '../etc'" in result.stderr


def test_switch_warns_when_ANDAMIO_PROFILE_still_wins(run_andamio):
    login(run_andamio, "ci", CI_KEY)
    result = run_andamio(["switch", "ci"], env={"ANDAMIO_PROFILE": "default"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith(
        "Warning: ANDAMIO_PROFILE=default is set in this shell and still takes precedence\n"
    )


def test_status_all_shows_every_profile_with_credentials(run_andamio):
    login(run_andamio, "default", API_KEY)
    login(run_andamio, "ci", CI_KEY, jwt=None)
    assert run_andamio(["switch", "ci"]).returncode == 0
    result = run_andamio(["status", "--all", "--json"])
    assert result.returncode == 3, result.stderr  # ci has no developer JWT
    reports = json.loads(result.stdout)
    assert [(r["profile"], r["active"], r["ready"]) for r in reports] == [
        ("ci", True, False),
        ("default", False, True),
    ]
    assert reports[0]["problems"] == ["no developer JWT and no refresh token"]
    text = run_andamio(["status", "--all"])
    assert text.returncode == 3, text.stderr
    blocks = text.stdout.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("Profile ci (active): ")
    assert blocks[0].splitlines()[-1] == (
        "Run `andamio login --web` (or `andamio login --skey FILE --alias A --address ADDR`)."
    )
    assert blocks[1].startswith("Profile default: ")
    assert "  ✓ API key        ant_pp_…ab12, credentials.json, plain text" in blocks[1]


def test_status_all_is_exit_0_when_every_profile_is_ready(run_andamio):
    login(run_andamio, "default", API_KEY)
    login(run_andamio, "ci", CI_KEY)
    result = run_andamio(["status", "--all", "--json"])
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert [(r["profile"], r["active"]) for r in reports] == [("ci", False), ("default", True)]
    logout = run_andamio(["--profile", "ci", "logout"])
    assert logout.returncode == 0, logout.stderr
    after = json.loads(run_andamio(["status", "--all", "--json"]).stdout)
    assert [r["profile"] for r in after] == ["default"]  # nothing stored for ci any more


def test_status_all_with_nothing_stored_shows_the_active_profile(run_andamio):
    result = run_andamio(["status", "--all", "--json"])
    assert result.returncode == 3, result.stderr
    reports = json.loads(result.stdout)
    assert [(r["profile"], r["active"], r["ready"]) for r in reports] == [("default", True, False)]


@pytest.mark.parametrize("how", [["--profile", "ci"], ["--profile=ci"]])
def test_fix_lines_name_the_profile_when_it_is_not_the_default_one(run_andamio, how):
    result = run_andamio([*how, "status"])
    assert result.returncode == 3, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "Run `andamio --profile ci login` on a terminal "
        "(or `andamio --profile ci login --with-key`, then `--web`)."
    )
