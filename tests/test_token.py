"""`andamio token`: the installed CLI against the emulator, and what it imports."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest
from conftest import e2e_env

PROFILE_PATH = "/api/v2/apikey/developer/profile/get"


def routes(sb) -> list[str]:
    return [r.route for r in sb.requests]


def login(run_andamio, sb, jwt: str, refresh_token: str | None = None) -> None:
    """Store the sandbox's API key and the given JWT (and refresh token) in the file store."""
    env = {"ANDAMIO_BASE_URL": sb.url}
    key = run_andamio(["login", "--with-key"], env=env, stdin=sb.dev.api_key)
    assert key.returncode == 0, key.stderr
    lines = jwt + ("\n" + refresh_token if refresh_token else "") + "\n"
    token = run_andamio(["login", "--with-token"], env=env, stdin=lines)
    assert token.returncode == 0, token.stderr
    sb.clear_requests()


def test_token_prints_the_stored_jwt_and_sends_nothing(sandbox, run_andamio):
    login(run_andamio, sandbox, sandbox.dev.jwt, sandbox.dev.refresh_token)
    result = run_andamio(["token"], env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 0, result.stderr
    assert result.stdout == sandbox.dev.jwt + "\n"
    assert result.stderr == ""
    assert sandbox.requests == []


def test_token_api_key_prints_the_api_key(sandbox, run_andamio):
    login(run_andamio, sandbox, sandbox.dev.jwt)
    result = run_andamio(["token", "--api-key"], env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 0, result.stderr
    assert result.stdout == sandbox.dev.api_key + "\n"
    assert result.stderr == ""
    assert sandbox.requests == []


def test_token_works_for_curl_style_use(sandbox, run_andamio):
    """`curl -H "Authorization: Bearer $(andamio token)" -H "X-API-Key: $(andamio token
    --api-key)"`: the printed values open the gateway."""
    login(run_andamio, sandbox, sandbox.dev.jwt)
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    jwt = run_andamio(["token"], env=env).stdout.rstrip("\n")
    key = run_andamio(["token", "--api-key"], env=env).stdout.rstrip("\n")
    request = urllib.request.Request(
        sandbox.url + PROFILE_PATH, headers={"Authorization": f"Bearer {jwt}", "X-API-Key": key}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as reply:
        assert reply.status == 200
        assert json.loads(reply.read())["alias"] == sandbox.dev.alias


def test_expired_jwt_is_refreshed_once_then_reused(sandbox, run_andamio):
    old = sandbox.mint_jwt(sandbox.dev, ttl=30)  # inside the CLI's 60 s margin: expired
    login(run_andamio, sandbox, old, sandbox.dev.refresh_token)
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    first = run_andamio(["token"], env=env)
    assert first.returncode == 0, first.stderr
    new = first.stdout.rstrip("\n")
    assert first.stdout == new + "\n" and new != old
    assert sandbox.state.jwt_user(new).alias == sandbox.dev.alias
    assert routes(sandbox) == ["token/refresh"]
    for secret in (old, new, sandbox.dev.refresh_token, sandbox.dev.api_key):
        assert secret not in first.stderr
    again = run_andamio(["token"], env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert routes(sandbox) == ["token/refresh"]  # nothing more was sent


def test_env_jwt_is_printed_as_given(sandbox, run_andamio):
    result = run_andamio(
        ["token"], env={"ANDAMIO_BASE_URL": sandbox.url, "ANDAMIO_DEV_JWT": sandbox.dev.jwt}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == sandbox.dev.jwt + "\n"
    assert sandbox.requests == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["token"], "no usable developer JWT and no refresh token"),
        (["token", "--api-key"], "no API key for profile default"),
    ],
)
def test_no_credential_is_exit_3_with_a_hint(sandbox, run_andamio, args, message):
    result = run_andamio(args, env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert f"Error: {message}\n" in result.stderr
    assert "Hint: " in result.stderr
    assert sandbox.requests == []


def test_token_json_error_on_stderr(sandbox, run_andamio):
    result = run_andamio(["token", "--json"], env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 3
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["kind"] == "auth"


def test_token_does_not_import_the_http_stack(tmp_path, sandbox, run_andamio):
    """With a valid stored JWT, `token` is offline and as light as `status`."""
    login(run_andamio, sandbox, sandbox.dev.jwt)
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url)
    for args in (["token"], ["token", "--api-key"]):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "andamio_cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout in (sandbox.dev.jwt + "\n", sandbox.dev.api_key + "\n")
        modules = {
            line.rsplit("|", 1)[1].strip()
            for line in done.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert "andamio_cli.auth.tokens" in modules  # the report is real
        heavy = sorted(
            m for m in modules if m.split(".")[0] in ("httpx", "httpcore", "rich", "cryptography")
        )
        assert heavy == [], f"`andamio {' '.join(args)}` imported {heavy}"
