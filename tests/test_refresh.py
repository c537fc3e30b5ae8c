"""Token refresh: the installed CLI against the emulator."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import andamio_command, e2e_env
from login_support import (
    ENVELOPE_KEYS,
    REFRESH_PATH,
    base_env,
    login_with_key,
    login_with_token,
    post_json,
    routes,
    short_jwt,
    stored,
)

# --- refresh ---------------------------------------------------------------------------


def test_refresh_rotates_both_tokens_and_the_old_one_dies(sandbox, run_andamio, tmp_path):
    # a longer-lived JWT than the emulator issues, so the refreshed one differs even within a second
    old_jwt, old_refresh = sandbox.mint_jwt(sandbox.dev, ttl=7200), sandbox.dev.refresh_token
    login_with_token(run_andamio, sandbox, old_jwt, old_refresh)
    result = run_andamio(["refresh", "--json"], env=base_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    envelope = json.loads(result.stdout)
    assert set(envelope) == ENVELOPE_KEYS and envelope["alias"] == sandbox.dev.alias
    assert routes(sandbox) == ["token/refresh"]
    assert sandbox.requests[0].json == {"refresh_token": old_refresh}
    assert sandbox.requests[0].header("Authorization") is None
    saved = stored(tmp_path)
    assert saved["dev_jwt"] != old_jwt and saved["refresh_token"] != old_refresh
    assert sandbox.state.jwt_user(saved["dev_jwt"]) is not None
    for secret in (saved["dev_jwt"], saved["refresh_token"], old_refresh):
        assert secret not in result.stdout
    status, body = post_json(sandbox.url + REFRESH_PATH, {"refresh_token": old_refresh})
    assert status == 401 and b"invalid_refresh_token" in body


def test_expired_jwt_is_refreshed_once_before_the_call(sandbox, run_andamio, tmp_path):
    login_with_token(run_andamio, sandbox, short_jwt(sandbox), sandbox.dev.refresh_token)
    result = run_andamio(
        ["apikey", "usage", "--json"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "daily_quota_limit" in json.loads(result.stdout)
    assert routes(sandbox) == ["token/refresh", "usage/get"]
    new_jwt = stored(tmp_path)["dev_jwt"]
    assert sandbox.requests[1].header("Authorization") == f"Bearer {new_jwt}"
    again = run_andamio(
        ["apikey", "usage", "--json"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert "daily_quota_limit" in json.loads(again.stdout)
    assert routes(sandbox) == ["token/refresh", "usage/get", "usage/get"]


def test_concurrent_processes_spend_the_refresh_token_once(sandbox, run_andamio, tmp_path):
    login_with_token(run_andamio, sandbox, short_jwt(sandbox), sandbox.dev.refresh_token)
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url, ANDAMIO_API_KEY=sandbox.dev.api_key)
    procs = [
        subprocess.Popen(
            andamio_command() + ["apikey", "usage", "--json"],
            env=env,
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(6)
    ]
    results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    for (stdout, stderr), code in results:
        assert code == 0, stderr
        assert stderr == ""
        assert "daily_quota_limit" in json.loads(stdout)
    refreshes = [r for r in sandbox.requests if r.route == "token/refresh"]
    assert len(refreshes) == 1
    presented = [r.json["refresh_token"] for r in refreshes]
    assert len(presented) == len(set(presented))
    assert routes(sandbox).count("usage/get") == 6
    new_jwt = stored(tmp_path)["dev_jwt"]
    assert {r.header("Authorization") for r in sandbox.requests if r.route == "usage/get"} == {
        f"Bearer {new_jwt}"
    }


@pytest.mark.parametrize("kind", ["spent", "unknown"])
def test_rejected_refresh_token_clears_developer_credentials_only(
    sandbox, run_andamio, tmp_path, kind
):
    token = sandbox.dev.refresh_token
    if kind == "spent":
        assert post_json(sandbox.url + REFRESH_PATH, {"refresh_token": token})[0] == 200
    else:
        token = "rt_unknown0000000000000000000000000000000000"
    sandbox.clear_requests()
    login_with_key(run_andamio, sandbox)
    login_with_token(run_andamio, sandbox, short_jwt(sandbox), token)
    result = run_andamio(["apikey", "usage"], env=base_env(sandbox))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: the refresh token was rejected" in result.stderr
    assert "the developer credentials were cleared" in result.stderr
    assert "Hint: log in again" in result.stderr
    assert token not in result.stderr
    assert routes(sandbox) == ["token/refresh"]
    assert stored(tmp_path) == {"api_key": sandbox.dev.api_key}
    status = run_andamio(["status"], env=base_env(sandbox))
    assert status.returncode == 3
    assert status.stderr == ""
    assert "✓ API key        ant_pp_…" in status.stdout
    assert "✗ Developer JWT  missing" in status.stdout
    assert "✗ Refresh token  missing" in status.stdout


def test_refresh_answered_503_is_not_retried_and_keeps_credentials(sandbox, run_andamio, tmp_path):
    login_with_token(run_andamio, sandbox, sandbox.dev.jwt, sandbox.dev.refresh_token)
    before = stored(tmp_path)
    sandbox.add_faults("token/refresh", "503")
    result = run_andamio(["refresh"], env=base_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Error:" in result.stderr and "503" in result.stderr
    assert "cleared" not in result.stderr
    assert routes(sandbox) == ["token/refresh"]
    assert stored(tmp_path) == before
    # the token was not spent (the fault answered instead of the gateway): it still works
    again = run_andamio(["refresh"], env=base_env(sandbox))
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert "Refreshed the developer JWT" in again.stderr
    assert routes(sandbox) == ["token/refresh", "token/refresh"]


def test_refresh_from_env_token_is_persisted_and_not_presented_again(
    sandbox, run_andamio, tmp_path
):
    env_token = sandbox.dev.refresh_token
    env = base_env(sandbox, ANDAMIO_DEV_REFRESH_TOKEN=env_token)
    first = run_andamio(["refresh"], env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    assert "Refreshed the developer JWT" in first.stderr
    first_pair = stored(tmp_path)
    assert set(first_pair) == {"dev_jwt", "refresh_token"}
    assert first_pair["refresh_token"] != env_token
    second = run_andamio(["refresh"], env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    presented = [r.json["refresh_token"] for r in sandbox.requests if r.route == "token/refresh"]
    assert presented == [env_token, first_pair["refresh_token"]]
    assert stored(tmp_path)["refresh_token"] not in presented
    for secret in (env_token, *first_pair.values()):
        assert secret not in first.stderr + second.stderr


def test_env_refresh_token_for_another_url_is_not_spent_beside_stored_credentials(
    sandbox, run_andamio, tmp_path
):
    # The profile's stored key belongs to the sandbox as 127.0.0.1; the same sandbox reached
    # as localhost is another base URL. With the API key and refresh token both from the
    # environment, nothing stored is sent; but storing the refreshed pair would bind the
    # stored key to the other URL too, and send it there from then on.
    login_with_key(run_andamio, sandbox)
    before = stored(tmp_path)
    other = sandbox.url.replace("127.0.0.1", "localhost")
    sandbox.clear_requests()
    env_token = sandbox.dev.refresh_token
    env = {
        "ANDAMIO_BASE_URL": other,
        "ANDAMIO_API_KEY": sandbox.dev.api_key,
        "ANDAMIO_DEV_REFRESH_TOKEN": env_token,
    }
    result = run_andamio(["refresh"], env=env)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"Error: the stored credentials of profile default belong to {sandbox.url}, "
        f"not {other}; the refresh token from ANDAMIO_DEV_REFRESH_TOKEN was not spent\n"
    )
    assert env_token not in result.stderr and before["api_key"] not in result.stderr
    assert routes(sandbox) == []
    assert stored(tmp_path) == before
    # With nothing stored in the profile, the same token is spent and its pair stored.
    assert run_andamio(["logout"], env=base_env(sandbox)).returncode == 0
    fresh = run_andamio(["refresh"], env=env)
    assert fresh.returncode == 0, fresh.stderr
    assert routes(sandbox) == ["token/refresh"]
    assert set(stored(tmp_path)) == {"dev_jwt", "refresh_token"}
