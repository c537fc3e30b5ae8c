"""`status` end to end against the emulator: the saved key's expiry, warnings, the fix line."""

from __future__ import annotations

import json
import re

from login_support import base_env, stored, wallet_args


def test_a_key_saved_from_the_gateway_shows_its_expiry_and_a_warning(
    sandbox, run_andamio, tmp_path
):
    env = base_env(sandbox)
    login = run_andamio(["login", "--with-key"], env=env, stdin=sandbox.dev.api_key)
    assert login.returncode == 0, login.stderr
    assert "Next: log in as a developer with `andamio login --web`" in login.stderr
    before = run_andamio(["status"], env=env)
    assert before.returncode == 3, before.stderr
    assert before.stdout.splitlines()[-1] == (
        "Run `andamio login --web` (or `andamio login --skey FILE --alias A --address ADDR`)."
    )
    wallet = run_andamio(wallet_args(sandbox), env=env)
    assert wallet.returncode == 0, wallet.stderr
    request = run_andamio(
        ["apikey", "request", "laptop", "--expires-in-days", "10", "--save"], env=env
    )
    assert request.returncode == 0, request.stderr
    new_key = request.stdout.strip()
    assert stored(tmp_path)["api_key"] == new_key
    result = run_andamio(["status"], env=env)
    assert result.returncode == 0, result.stderr
    key_line = result.stdout.splitlines()[1]
    assert re.fullmatch(
        r"  ! API key        ant_pp_…\S{4}, credentials\.json, plain text, expires in (9|10) days",
        key_line,
    ), key_line
    assert re.fullmatch(
        r"Warning: the API key of profile default expires in (9|10) days; "
        r"replace it with `andamio apikey rotate laptop`\n",
        result.stderr,
    ), result.stderr
    report = json.loads(run_andamio(["status", "--json"], env=env).stdout)
    assert report["key_name"] == "laptop" and report["api_key"]["state"] == "expiring"
    assert report["ready"] is True and report["problems"] == []
    assert new_key not in result.stdout + result.stderr
    logout = run_andamio(["logout"], env=env)
    assert logout.returncode == 0, logout.stderr
    assert logout.stderr == (
        "Removed the API key, developer JWT and refresh token of profile default from "
        "credentials.json.\n"
    )
    after = json.loads(run_andamio(["status", "--json"], env=env).stdout)
    assert after["api_key"]["expires_at"] is None and after["key_name"] is None
