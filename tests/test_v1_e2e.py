"""Legacy v1 key routes end to end: the installed CLI against the emulator over loopback."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from v1_support import (
    BOTH_HEADERS,
    JWT_REFUSED_HINT,
    ROTATE_HINT,
    V1,
    write_profile_setting,
)

# --- end to end: the installed CLI against the emulator ----------------------------------------


def e2e_env(sb, **extra) -> dict:
    """v1 token plus every v2 credential in the environment: v1 must send the Bearer token only."""
    env = {
        "ANDAMIO_BASE_URL": sb.url,
        "ANDAMIO_JWT": sb.dev.jwt,
        "ANDAMIO_API_KEY": sb.dev.api_key,
        "ANDAMIO_DEV_JWT": sb.dev.jwt,
    }
    env.update(extra)
    return env


def assert_sent_bearer_only(record, token: str) -> None:
    names = [name.lower() for name, _ in record.headers]
    assert "x-api-key" not in names
    assert record.header_values("Authorization") == [f"Bearer {token}"]


def v1_records(sb) -> list:
    return [r for r in sb.requests if r.route.startswith("v1/")]


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def post(sb, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    """One POST straight to the emulator (no CLI), returning status and JSON body."""
    request = urllib.request.Request(
        sb.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_e2e_request_then_rotate_extends_a_key_near_expiry(sandbox, run_andamio):
    env = e2e_env(sandbox)
    created = run_andamio(
        ["apikey", "request", "near-expiry", "--api", "v1", "--expires-in-days", "1", "--json"],
        env=env,
    )
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["name"] == "near-expiry" and key["expires_in_days"] == 1
    assert key["api_key"].startswith("ant_pp_")
    assert created.stderr == ""
    rotated = run_andamio(
        [
            "apikey",
            "rotate",
            "near-expiry",
            "--api",
            "v1",
            "--yes",
            "--expires-in-days",
            "7",
            "--debug",
        ],
        env=env,
    )
    assert rotated.returncode == 0, rotated.stderr
    extended = parse_iso(key["expires_at"]) + timedelta(days=7)
    assert rotated.stdout == f"API key expiration extended to {extended:%Y-%m-%dT%H:%M:%SZ}\n"
    assert "[debug] > POST" in rotated.stderr and "authorization: ***" in rotated.stderr.lower()
    for secret in (sandbox.dev.jwt, sandbox.dev.api_key, key["api_key"]):
        assert secret not in rotated.stderr
    requests = v1_records(sandbox)
    assert [r.route for r in requests] == ["v1/request", "v1/rotate"]
    assert requests[0].json == {"api_key_name": "near-expiry", "expires_in_days": 1}
    assert requests[1].json == {"api_key_name": "near-expiry", "expires_in_days": 7}
    for record in requests:
        assert_sent_bearer_only(record, sandbox.dev.jwt)
    again = run_andamio(["apikey", "rotate", "near-expiry", "--api", "v1", "--yes"], env=env)
    assert again.returncode == 6, again.stderr
    assert again.stdout == ""
    assert again.stderr.startswith("Error: Conflict: the API key is not due for rotation")


def test_e2e_rotate_of_a_fresh_key_is_conflict_exit_6(sandbox, run_andamio):
    before = sandbox.state.find_key(sandbox.dev.user_id, name="sandbox-default").expires_at
    result = run_andamio(
        ["apikey", "rotate", "sandbox-default", "--api", "v1", "--yes"], env=e2e_env(sandbox)
    )
    assert result.returncode == 6
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Conflict: the API key is not due for rotation; it can be rotated when expired "
        "or within 1 day of expiry: expires_at "
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(before))} (HTTP 409, application/json)\n"
        + ROTATE_HINT
    )
    (record,) = v1_records(sandbox)
    assert record.json == {"api_key_name": "sandbox-default"}
    assert_sent_bearer_only(record, sandbox.dev.jwt)
    assert sandbox.state.find_key(sandbox.dev.user_id, name="sandbox-default").expires_at == before


def test_e2e_request_errors_are_camel_case_and_parsed(sandbox, run_andamio):
    env = e2e_env(sandbox)
    duplicate = run_andamio(["apikey", "request", "sandbox-default", "--api", "v1"], env=env)
    assert duplicate.returncode == 4
    assert duplicate.stdout == ""
    assert duplicate.stderr == (
        "Error: Bad Request: Invalid input: an API key with this name "
        "already exists (HTTP 400, application/json)\n"
    )
    status, body = post(
        sandbox,
        f"{V1}/request",
        {"api_key_name": "sandbox-default"},
        {"Authorization": f"Bearer {sandbox.dev.jwt}"},
    )
    assert (status, body["statusCode"], "status_code" in body) == (400, 400, False)
    first = run_andamio(["apikey", "request", "first-v1", "--api", "v1"], env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("ant_pp_") and first.stdout.count("\n") == 1
    capped = run_andamio(["apikey", "request", "second-v1", "--api", "v1", "--json"], env=env)
    assert capped.returncode == 7
    assert capped.stdout == ""
    error = json.loads(capped.stderr)["error"]
    assert (error["kind"], error["status"]) == ("tier_limit", 429)
    assert error["message"] == (
        "maximum API key limit (2) reached for your tier (HTTP 429, application/json)"
    )
    assert "wait" not in error["hint"] and "upgrade your tier" in error["hint"]
    routes = [(r.route, r.json["api_key_name"]) for r in v1_records(sandbox)]
    assert routes.count(("v1/request", "second-v1")) == 1


def test_e2e_rotate_of_an_unknown_key_is_snake_case_404_exit_2(sandbox, run_andamio):
    result = run_andamio(
        ["apikey", "rotate", "no-such-key", "--api", "v1", "--yes"], env=e2e_env(sandbox)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        'Error: no key named "no-such-key" (no API key with this name; HTTP 404)\n'
        "Hint: see your keys with `andamio apikey list`\n"
    )
    status, body = post(
        sandbox,
        f"{V1}/rotate",
        {"api_key_name": "no-such-key"},
        {"Authorization": f"Bearer {sandbox.dev.jwt}"},
    )
    assert (status, body["status_code"], "statusCode" in body) == (404, 404, False)


@pytest.mark.parametrize("command", ["request", "rotate"])
def test_e2e_bad_andamio_jwt_is_401_exit_3(sandbox, run_andamio, command):
    bad = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.Zm9yZ2VkLXNpZ25hdHVyZQ"
    args = ["apikey", command, "sandbox-default", "--api", "v1", "--yes"][
        : 5 if command == "request" else 6
    ]
    result = run_andamio(args, env=e2e_env(sandbox, ANDAMIO_JWT=bad))
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Unauthorized: Invalid or missing credentials: "
        "Authorization: Bearer <JWT> missing, invalid or expired "
        "(HTTP 401, application/json)\n" + JWT_REFUSED_HINT
    )
    (record,) = v1_records(sandbox)
    assert_sent_bearer_only(record, bad)


def test_e2e_env_api_version_v1_uses_the_v1_route(sandbox, run_andamio):
    result = run_andamio(
        ["apikey", "request", "from-env-v1"], env=e2e_env(sandbox, ANDAMIO_API_VERSION="v1")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ant_pp_") and result.stdout.count("\n") == 1
    assert result.stderr.endswith("This key is shown once: store it now.\n")
    (record,) = sandbox.requests
    assert record.route == "v1/request"
    assert record.json == {"api_key_name": "from-env-v1"}
    assert_sent_bearer_only(record, sandbox.dev.jwt)


def test_e2e_invalid_env_api_version_is_exit_4_and_sends_nothing(sandbox, run_andamio):
    result = run_andamio(
        ["apikey", "request", "from-env-v3"], env=e2e_env(sandbox, ANDAMIO_API_VERSION="v3")
    )
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr == "Error: ANDAMIO_API_VERSION must be v1 or v2, not 'v3'\n"
    assert sandbox.requests == []


def test_e2e_profile_setting_and_stored_developer_jwt(sandbox, run_andamio, tmp_path):
    """Stored API key and developer JWT, `api_version: v1` in the profile: only the JWT is sent."""
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    assert run_andamio(["login", "--with-key"], env=env, stdin=sandbox.dev.api_key).returncode == 0
    login = run_andamio(["login", "--with-token"], env=env, stdin=sandbox.dev.jwt + "\n")
    assert login.returncode == 0, login.stderr
    write_profile_setting(tmp_path / "e2e-config", api_version="v1")
    sandbox.clear_requests()
    result = run_andamio(["apikey", "request", "from-profile", "--expires-in-days", "1"], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ant_pp_") and result.stdout.count("\n") == 1
    (record,) = sandbox.requests
    assert record.route == "v1/request"
    assert record.json == {"api_key_name": "from-profile", "expires_in_days": 1}
    assert_sent_bearer_only(record, sandbox.dev.jwt)
    rotated = run_andamio(["apikey", "rotate", "from-profile", "--yes"], env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.startswith("API key expiration extended to ")
    assert rotated.stderr == ""


@pytest.mark.parametrize(
    "path,field", [(f"{V1}/request", "statusCode"), (f"{V1}/rotate", "status_code")]
)
def test_e2e_emulator_rejects_both_headers_with_the_contract_message(sandbox, path, field):
    headers = {"Authorization": f"Bearer {sandbox.dev.jwt}", "X-API-Key": sandbox.dev.api_key}
    status, body = post(sandbox, path, {"api_key_name": "sandbox-default"}, headers)
    assert status == 400
    assert body[field] == 400
    assert body["message"] == BOTH_HEADERS


def test_e2e_cli_never_sends_both_headers_on_v1(sandbox, run_andamio):
    """Every credential is available; the emulator would answer 400 if the CLI sent both."""
    env = e2e_env(sandbox)
    runs = [
        run_andamio(
            ["apikey", "request", "both-check", "--api", "v1", "--expires-in-days", "1"], env=env
        ),
        run_andamio(["apikey", "rotate", "both-check", "--api", "v1", "--yes"], env=env),
        run_andamio(["apikey", "rotate", "sandbox-default", "--api", "v1", "--yes"], env=env),
    ]
    assert [r.returncode for r in runs] == [0, 0, 6], [r.stderr for r in runs]
    assert runs[0].stdout.startswith("ant_pp_")
    assert runs[1].stdout.startswith("API key expiration extended to ")
    assert runs[2].stdout == ""
    assert BOTH_HEADERS not in "".join(r.stderr for r in runs)
    records = v1_records(sandbox)
    assert len(records) == 3 == len(sandbox.requests)
    for record in records:
        assert_sent_bearer_only(record, sandbox.dev.jwt)
