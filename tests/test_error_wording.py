"""Errors lead with what the user typed and where things point; plumbing comes after, short."""

from __future__ import annotations

import json
import socket

import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore

DEV = "/api/v2/apikey/developer"
KEY_ID = "7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"


def env_creds(sb, **extra):
    return {
        "ANDAMIO_BASE_URL": sb.url,
        "ANDAMIO_API_KEY": sb.dev.api_key,
        "ANDAMIO_DEV_JWT": sb.dev.jwt,
        **extra,
    }


@pytest.mark.parametrize(
    "args,first_line",
    [
        (["apikey", "delete", "ci-old", "--yes"], 'Error: no key named "ci-old"'),
        (["apikey", "rotate", KEY_ID, "--yes"], f"Error: no key with id {KEY_ID}"),
        (["apikey", "rotate", "ci-old", "--yes", "--api", "v1"], 'Error: no key named "ci-old"'),
    ],
)
def test_unknown_key_names_what_was_typed(sandbox, run_andamio, args, first_line):
    env = env_creds(sandbox, ANDAMIO_JWT=sandbox.dev.jwt)
    result = run_andamio(args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error.startswith(first_line + " (") and error.endswith("; HTTP 404)")
    assert "Not Found" not in error and "application/json" not in error
    assert hint == "Hint: see your keys with `andamio apikey list`"


def test_unknown_key_in_json_mode(sandbox, run_andamio):
    result = run_andamio(["apikey", "delete", "ci-old", "--yes", "--json"], env=env_creds(sandbox))
    assert result.returncode == 2 and result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "not_found" and error["status"] == 404
    assert error["message"] == 'no key named "ci-old" (no API key with this name or id; HTTP 404)'


def test_refused_api_key_from_the_environment_names_the_variable(sandbox, run_andamio):
    env = env_creds(sandbox, ANDAMIO_API_KEY="ant_pp_wrong0000000000000000000000")
    result = run_andamio(["apikey", "list"], env=env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Error: ANDAMIO_API_KEY was refused (X-API-Key header missing, unknown, deleted or "
        "expired; HTTP 401)\n"
        "Hint: fix ANDAMIO_API_KEY, or unset it to use the API key stored for profile default\n"
    )


def test_refused_developer_jwt_from_the_environment_names_the_variable(sandbox, run_andamio):
    env = env_creds(sandbox, ANDAMIO_DEV_JWT="eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
    result = run_andamio(["apikey", "usage", "--json"], env=env)
    assert result.returncode == 3
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "auth" and error["status"] == 401
    assert (
        error["message"]
        == "ANDAMIO_DEV_JWT was refused (Invalid or expired Developer JWT; HTTP 401)"
    )
    assert error["hint"] == (
        "fix ANDAMIO_DEV_JWT, or unset it to use the developer JWT stored for profile default"
    )
    assert "login" not in error["hint"]


@pytest.mark.parametrize(
    "body,message,hint",
    [
        (
            {"message": "Invalid or expired Developer JWT"},
            "the developer JWT stored for profile default was refused "
            "(Invalid or expired Developer JWT; HTTP 401)",
            "run `andamio refresh`, or log in again with `andamio login --web`",
        ),
        (
            {"status_code": 401, "message": "Unauthorized", "details": "bad Authorization header"},
            "the developer JWT stored for profile default was refused "
            "(bad Authorization header; HTTP 401)",
            "run `andamio refresh`, or log in again with `andamio login --web`",
        ),
        (
            {
                "status_code": 401,
                "message": "Unauthorized: Invalid or missing credentials.",
                "details": "valid X-API-Key header required",
            },
            "the API key stored for profile default was refused "
            "(valid X-API-Key header required; HTTP 401)",
            "it may have expired or been deleted: store a valid one with "
            "`andamio login --with-key`",
        ),
        (
            {"status_code": 401, "message": "Unauthorized: Invalid or missing credentials."},
            "the API key stored for profile default was refused (HTTP 401)",
            "it may have expired or been deleted: store a valid one with "
            "`andamio login --with-key`",
        ),
    ],
)
def test_refused_stored_credential_says_which_and_what_to_do(cli, gateway, body, message, hint):
    gateway.expect("GET", f"{DEV}/profile/get", status=401, json=body)
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(["apikey", "list"], store=store, transport=gateway.transport)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\nHint: {hint}\n"


def test_a_403_is_left_as_the_gateway_said(cli, gateway):
    body = {"status_code": 403, "message": "Forbidden", "details": "different developers"}
    gateway.expect("GET", f"{DEV}/usage/get", status=403, json=body)
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(["apikey", "usage"], store=store, transport=gateway.transport)
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: Forbidden: different developers (HTTP 403")


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_tier_cap_is_its_own_kind_with_one_hint(sandbox, run_andamio, api):
    env = env_creds(sandbox, ANDAMIO_JWT=sandbox.dev.jwt)
    assert run_andamio(["apikey", "request", "fills-the-cap"], env=env).returncode == 0
    result = run_andamio(["apikey", "request", "one-too-many", "--api", api], env=env)
    assert result.returncode == 7
    assert result.stdout == ""
    assert result.stderr == (
        "Error: maximum API key limit (2) reached for your tier (HTTP 429, application/json)\n"
        "Hint: delete a key (`andamio apikey list`, `andamio apikey delete NAME`) "
        "or upgrade your tier\n"
    )
    as_json = run_andamio(["apikey", "request", "one-too-many", "--api", api, "--json"], env=env)
    error = json.loads(as_json.stderr)["error"]
    assert (error["kind"], error["code"], as_json.returncode) == (
        "tier_limit",
        "tier_limit_exceeded",
        7,
    )


def test_a_plain_429_stays_rate_limited(cli, gateway):
    for _ in range(3):
        gateway.expect("GET", f"{DEV}/usage/get", status=429, json={"message": "slow down"})
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(["apikey", "usage", "--json"], store=store, transport=gateway.transport)
    assert result.exit_code == 7
    error = json.loads(result.stderr)["error"]
    assert (error["kind"], error["hint"]) == ("rate_limited", "wait a moment and try again")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_names_host_and_port(run_andamio):
    port = _closed_port()
    env = {
        "ANDAMIO_BASE_URL": f"http://127.0.0.1:{port}",
        "ANDAMIO_API_KEY": API_KEY,
        "ANDAMIO_DEV_JWT": DEV_JWT,
    }
    result = run_andamio(["apikey", "usage"], env=env)
    assert result.returncode == 5
    assert result.stderr.splitlines()[0] == (
        f"Error: cannot connect to 127.0.0.1:{port} (connection refused or no route)"
    )
