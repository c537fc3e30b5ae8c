"""Legacy v1 key routes in-process against the strict MockTransport gateway: Bearer token
only, exact bodies, v1 name limits, choosing v1.
"""

from __future__ import annotations

import json

import pytest
from conftest import API_KEY, BASE, DEV_JWT, MemoryStore
from v1_support import (
    CONFIRMATION,
    DEV,
    ENV_API_KEY,
    KEY_REPLY,
    NEW_KEY,
    UUID,
    V1,
    V1_JWT,
    assert_bearer_only,
    logged_in,
    v1_cli,
    v1_unit_env,
    write_profile_setting,
)

# --- wire format: Bearer only, exact bodies -------------------------------------------------


@pytest.mark.parametrize(
    "extra,body",
    [
        ([], {"api_key_name": "legacy-key"}),
        (["--expires-in-days", "7"], {"api_key_name": "legacy-key", "expires_in_days": 7}),
    ],
)
def test_request_sends_bearer_only_and_exact_body(cli, gateway, extra, body):
    gateway.expect("POST", f"{V1}/request", json=KEY_REPLY)
    result = v1_cli(cli, gateway, ["apikey", "request", "legacy-key", "--api", "v1", *extra])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == NEW_KEY + "\n"
    assert result.stderr.endswith("This key is shown once: store it now.\n")
    assert NEW_KEY not in result.stderr and V1_JWT not in result.stderr
    request = gateway.requests[0]
    assert str(request.url) == f"{BASE}{V1}/request"
    assert_bearer_only(request, V1_JWT)
    assert request.headers["content-type"] == "application/json"
    assert gateway.body(0) == body


def test_stored_developer_jwt_is_the_bearer_without_andamio_jwt(cli, gateway):
    gateway.expect("POST", f"{V1}/request", json=KEY_REPLY)
    result = cli(
        ["apikey", "request", "legacy-key", "--api", "v1", "--json"],
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == KEY_REPLY
    assert result.stderr == ""
    assert_bearer_only(gateway.requests[0], DEV_JWT)


@pytest.mark.parametrize(
    "extra,body",
    [
        ([], {"api_key_name": "legacy-key"}),
        (["--expires-in-days", "30"], {"api_key_name": "legacy-key", "expires_in_days": 30}),
    ],
)
def test_rotate_sends_bearer_only_and_prints_confirmation_on_stdout(cli, gateway, extra, body):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = v1_cli(
        cli, gateway, ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes", *extra]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == ""
    assert str(gateway.requests[0].url) == f"{BASE}{V1}/rotate"
    assert_bearer_only(gateway.requests[0], V1_JWT)
    assert gateway.body(0) == body


def test_rotate_json_output_is_the_confirmation_object(cli, gateway):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = v1_cli(
        cli, gateway, ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"confirmation": CONFIRMATION}
    assert result.stderr == ""


def test_rotate_uuid_is_sent_as_api_key_name_on_v1(cli, gateway):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = v1_cli(cli, gateway, ["apikey", "rotate", UUID, "--api", "v1", "--yes"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == f"v1 has no key ids: {UUID} is sent as a key name.\n"
    assert gateway.body(0) == {"api_key_name": UUID}


def test_rotate_without_tty_still_needs_yes_on_v1(cli, gateway):
    result = v1_cli(cli, gateway, ["apikey", "rotate", "legacy-key", "--api", "v1"])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        "Error: confirmation needed, and there is no terminal to ask\nHint: pass --yes to confirm\n"
    )
    assert gateway.requests == []


# --- local validation: v1 name limits, nothing sent -----------------------------------------


@pytest.mark.parametrize("command,length", [("request", 100), ("rotate", 64)])
def test_v1_name_at_the_upper_limit_is_sent(cli, gateway, command, length):
    name = "k" * length
    reply = KEY_REPLY if command == "request" else {"confirmation": CONFIRMATION}
    gateway.expect("POST", f"{V1}/{command}", json=reply)
    result = cli(
        ["apikey", command, name, "--api", "v1", "--yes"][: 5 if command == "request" else 6],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (NEW_KEY if command == "request" else CONFIRMATION) + "\n"
    assert NEW_KEY not in result.stderr
    assert gateway.body(0) == {"api_key_name": name}


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["apikey", "request", "k" * 101, "--api", "v1"],
            "key name must be 3-100 characters long (got 101)",
        ),
        (
            ["apikey", "request", "ab", "--api", "v1"],
            "key name must be 3-100 characters long (got 2)",
        ),
        (
            ["apikey", "rotate", "k" * 65, "--api", "v1", "--yes"],
            "key name must be 3-64 characters long (got 65)",
        ),
        (
            ["apikey", "rotate", "ab", "--api", "v1", "--yes"],
            "key name must be 3-64 characters long (got 2)",
        ),
        (["apikey", "request", "k" * 65], "key name must be 3-64 characters long (got 65)"),
        (
            ["apikey", "request", "legacy-key", "--api", "v1", "--expires-in-days", "0"],
            "--expires-in-days must be at least 1 (got 0)",
        ),
        (
            ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes", "--expires-in-days", "-1"],
            "--expires-in-days must be at least 1 (got -1)",
        ),
    ],
)
def test_v1_invalid_input_is_exit_4_and_sends_nothing(cli, gateway, args, message):
    result = v1_cli(cli, gateway, args)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"
    assert gateway.requests == []


@pytest.mark.parametrize("token", ["two words", "caf\u00e9.jwt.value", "tab\tinside"])
def test_unusable_andamio_jwt_is_exit_4_and_sends_nothing(cli, gateway, token):
    result = v1_cli(
        cli, gateway, ["apikey", "request", "legacy-key", "--api", "v1"], ANDAMIO_JWT=token
    )
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        "Error: ANDAMIO_JWT is not a usable Bearer token "
        "(expected printable ASCII without spaces)\n"
    )
    assert gateway.requests == []


def test_no_v1_token_is_exit_3_naming_andamio_jwt(cli, gateway):
    result = cli(
        ["apikey", "request", "legacy-key", "--api", "v1"],
        env={"ANDAMIO_API_KEY": ENV_API_KEY},
        store=MemoryStore(api_key=API_KEY),
        transport=gateway.transport,
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Error: no usable developer JWT and no refresh token\n"
        "Hint: set ANDAMIO_JWT to your v1 Bearer token, or store a developer JWT with "
        "`andamio login`\n"
    )
    assert gateway.requests == []


# --- choosing v1: flag, environment, profile setting ------------------------------------------


def test_env_api_version_v1_selects_v1(cli, gateway):
    gateway.expect("POST", f"{V1}/request", json=KEY_REPLY)
    result = v1_cli(cli, gateway, ["apikey", "request", "legacy-key"], ANDAMIO_API_VERSION="v1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == NEW_KEY + "\n"
    assert "shown once" in result.stderr
    assert_bearer_only(gateway.requests[0], V1_JWT)


def test_flag_beats_env_api_version(cli, gateway):
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = v1_cli(
        cli, gateway, ["apikey", "request", "legacy-key", "--api", "v2"], ANDAMIO_API_VERSION="v1"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == NEW_KEY + "\n"
    assert "shown once" in result.stderr
    request = gateway.requests[0]
    assert request.headers["x-api-key"] == ENV_API_KEY
    assert request.headers.get_list("authorization") == [f"Bearer {DEV_JWT}"]


def test_profile_setting_api_version_v1_selects_v1(cli, gateway, tmp_path):
    write_profile_setting(tmp_path / "config", api_version="v1")
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = cli(
        ["apikey", "rotate", "legacy-key", "--yes"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == ""
    assert_bearer_only(gateway.requests[0], DEV_JWT)


def test_env_api_version_beats_profile_setting(cli, gateway, tmp_path):
    write_profile_setting(tmp_path / "config", api_version="v1", key_name="other-key")
    gateway.expect("POST", f"{DEV}/key/rotate", json={"confirmation": CONFIRMATION})
    result = cli(
        ["apikey", "rotate", "legacy-key", "--yes"],
        env={"ANDAMIO_API_VERSION": "v2"},
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == ""
    assert gateway.requests[0].headers["x-api-key"] == API_KEY


def test_invalid_profile_setting_is_exit_4_naming_the_file(cli, gateway, tmp_path):
    write_profile_setting(tmp_path / "config", api_version="v3")
    result = cli(
        ["apikey", "request", "legacy-key"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 4
    assert result.stdout == ""
    path = tmp_path / "config" / "config.json"
    assert result.stderr == (
        f"Error: the setting api_version of profile default in {path} must be v1 or v2, not 'v3'\n"
    )
    assert gateway.requests == []


@pytest.mark.parametrize(
    "args,env,message",
    [
        (
            ["apikey", "request", "legacy-key"],
            {"ANDAMIO_API_VERSION": "v3"},
            "Error: ANDAMIO_API_VERSION must be v1 or v2, not 'v3'\n",
        ),
        (
            ["apikey", "rotate", "legacy-key", "--yes"],
            {"ANDAMIO_API_VERSION": "V1"},
            "Error: ANDAMIO_API_VERSION must be v1 or v2, not 'V1'\n",
        ),
        (
            ["apikey", "request", "legacy-key", "--api", "v3"],
            {},
            "Error: Invalid value for '--api': 'v3' is not one of 'v1', 'v2'.\n",
        ),
    ],
)
def test_invalid_api_version_is_exit_4_and_sends_nothing(cli, gateway, args, env, message):
    result = v1_cli(cli, gateway, args, **env)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert gateway.requests == []
