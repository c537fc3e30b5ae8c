"""Legacy v1 key routes: Bearer token only, v1 name limits, both error cases, the v1 hosts.

The first half runs the CLI in-process against the strict MockTransport gateway; the second
half runs the installed CLI against the emulator over loopback HTTP.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from conftest import API_KEY, BASE, DEV_JWT, MemoryStore

from andamio_cli.errors import InvalidInputError
from andamio_cli.settings import V1_HOSTS, check_base_url

V1 = "/api/v1/apikey"
DEV = "/api/v2/apikey/developer"
V1_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2MS11c2VyIn0.djEtc2lnbmF0dXJlLXNlY3JldA"
ENV_API_KEY = "ant_pp_ENVKEY00000000000000000000000000000000"
NEW_KEY = "ant_pp_V1NEWKEY0000000000000000000000000000"
KEY_REPLY = {
    "api_key": NEW_KEY,
    "name": "legacy-key",
    "created_at": "2026-11-23T10:00:00Z",
    "expires_at": "2027-11-23T10:00:00Z",
    "expires_in_days": 365,
    "is_active": True,
}
CONFIRMATION = "API key expiration extended to 2027-01-01T00:00:00Z"
UUID = "0B6F1C2E-8D4A-4C5E-9F3A-2B1D7E6C5A40"
BOTH_HEADERS = "Provide either Authorization header or X-API-Key header, not both"
ROTATE_HINT = (
    "Hint: v1 extends a key only when it has expired or expires within 1 day; nothing was changed\n"
)
JWT_REFUSED_HINT = (
    "Hint: ANDAMIO_JWT was refused; set it to a valid v1 Bearer token, or unset "
    "it to use the stored developer JWT\n"
)
PROD_HOST, PREPROD_HOST = V1_HOSTS


def logged_in() -> MemoryStore:
    return MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)


def v1_unit_env(**extra) -> dict:
    """ANDAMIO_JWT for v1, plus an API key in the environment that v1 must not send."""
    return {"ANDAMIO_JWT": V1_JWT, "ANDAMIO_API_KEY": ENV_API_KEY, **extra}


def assert_bearer_only(request, token: str) -> None:
    assert request.headers.get_list("authorization") == [f"Bearer {token}"]
    assert "x-api-key" not in request.headers
    assert request.headers["accept"] == "application/json"


def write_profile_setting(config_dir, **values) -> None:
    path = config_dir / "config.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("profiles", {}).setdefault("default", {}).update(values)
    config_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


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
    result = cli(
        ["apikey", "request", "legacy-key", "--api", "v1", *extra],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
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
    result = cli(
        ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes", *extra],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == ""
    assert str(gateway.requests[0].url) == f"{BASE}{V1}/rotate"
    assert_bearer_only(gateway.requests[0], V1_JWT)
    assert gateway.body(0) == body


def test_rotate_json_output_is_the_confirmation_object(cli, gateway):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = cli(
        ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes", "--json"],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"confirmation": CONFIRMATION}
    assert result.stderr == ""


def test_rotate_uuid_is_sent_as_api_key_name_on_v1(cli, gateway):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = cli(
        ["apikey", "rotate", UUID, "--api", "v1", "--yes"],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == f"v1 has no key ids: {UUID} is sent as a key name.\n"
    assert gateway.body(0) == {"api_key_name": UUID}


def test_rotate_without_tty_still_needs_yes_on_v1(cli, gateway):
    result = cli(
        ["apikey", "rotate", "legacy-key", "--api", "v1"],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
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
    result = cli(args, env=v1_unit_env(), store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"
    assert gateway.requests == []


@pytest.mark.parametrize("token", ["two words", "caf\u00e9.jwt.value", "tab\tinside"])
def test_unusable_andamio_jwt_is_exit_4_and_sends_nothing(cli, gateway, token):
    result = cli(
        ["apikey", "request", "legacy-key", "--api", "v1"],
        env=v1_unit_env(ANDAMIO_JWT=token),
        store=logged_in(),
        transport=gateway.transport,
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
    result = cli(
        ["apikey", "request", "legacy-key"],
        env=v1_unit_env(ANDAMIO_API_VERSION="v1"),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == NEW_KEY + "\n"
    assert "shown once" in result.stderr
    assert_bearer_only(gateway.requests[0], V1_JWT)


def test_flag_beats_env_api_version(cli, gateway):
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = cli(
        ["apikey", "request", "legacy-key", "--api", "v2"],
        env=v1_unit_env(ANDAMIO_API_VERSION="v1"),
        store=logged_in(),
        transport=gateway.transport,
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
    write_profile_setting(tmp_path / "config", api_version="v1")
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
    result = cli(args, env=v1_unit_env(**env), store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert gateway.requests == []


# --- v1 error bodies: statusCode (request) and status_code (rotate) ---------------------------


def _camel(status, message):
    return {"statusCode": status, "message": message, "details": "string"}


def _snake(status, message):
    return {"status_code": status, "message": message, "details": "string"}


@pytest.mark.parametrize(
    "command,status,body,code,kind",
    [
        ("request", 400, _camel(400, "Bad Request: Invalid input."), 4, "invalid_input"),
        ("request", 401, _camel(401, "Unauthorized: Invalid or missing credentials."), 3, "auth"),
        (
            "request",
            403,
            _camel(403, "Forbidden: Insufficient permissions or tier access."),
            3,
            "auth",
        ),
        (
            "request",
            422,
            _camel(422, "Unprocessable Entity: Invalid request structure or data."),
            4,
            "invalid_input",
        ),
        (
            "request",
            429,
            _camel(429, "Too Many Requests: Rate limit or quota exceeded."),
            7,
            "rate_limited",
        ),
        (
            "request",
            500,
            _camel(500, "Internal Server Error: An unexpected error occurred."),
            1,
            "error",
        ),
        ("rotate", 400, _snake(400, "Bad Request: Invalid input."), 4, "invalid_input"),
        ("rotate", 401, _snake(401, "Unauthorized: Invalid or missing credentials."), 3, "auth"),
        (
            "rotate",
            404,
            _snake(404, "Not Found: The requested resource could not be found."),
            2,
            "not_found",
        ),
        (
            "rotate",
            409,
            _snake(
                409,
                "Conflict - The provided alias is already taken by another user. "
                "Please choose a different alias.",
            ),
            6,
            "conflict",
        ),
        (
            "rotate",
            429,
            _snake(429, "Too Many Requests: Rate limit or quota exceeded."),
            7,
            "rate_limited",
        ),
    ],
)
def test_v1_error_bodies_give_message_and_exit_code(
    cli, gateway, command, status, body, code, kind
):
    gateway.expect("POST", f"{V1}/{command}", status=status, json=body)
    args = ["apikey", command, "legacy-key", "--api", "v1", "--json"] + (
        ["--yes"] if command == "rotate" else []
    )
    result = cli(args, env=v1_unit_env(), store=logged_in(), transport=gateway.transport)
    assert result.exit_code == code
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == kind
    assert error["status"] == status
    assert error["message"] == f"{body['message']} (HTTP {status}, application/json)"
    assert len(gateway.requests) == 1


def test_v1_rotate_409_text_mode_explains_the_one_day_window(cli, gateway):
    gateway.expect("POST", f"{V1}/rotate", status=409, json=_snake(409, "Conflict"))
    result = cli(
        ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes"],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == "Error: Conflict (HTTP 409, application/json)\n" + ROTATE_HINT


def test_v1_401_with_andamio_jwt_names_it_in_the_hint(cli, gateway):
    gateway.expect(
        "POST",
        f"{V1}/request",
        status=401,
        json=_camel(401, "Unauthorized: Invalid or missing credentials."),
    )
    result = cli(
        ["apikey", "request", "legacy-key", "--api", "v1"],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Unauthorized: Invalid or missing credentials. "
        "(HTTP 401, application/json)\n" + JWT_REFUSED_HINT
    )
    assert V1_JWT not in result.stderr


# --- the base-URL allow-list and the v1 hosts --------------------------------------------------


@pytest.mark.parametrize(
    "url,expected",
    [
        (f"https://{PROD_HOST}", f"https://{PROD_HOST}"),
        (f"https://{PREPROD_HOST}", f"https://{PREPROD_HOST}"),
        (f"https://{PREPROD_HOST}/", f"https://{PREPROD_HOST}"),
        (f"https://{PROD_HOST.upper()}", f"https://{PROD_HOST.upper()}"),
    ],
)
def test_check_base_url_accepts_the_v1_hosts_over_https(url, expected):
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PROD_HOST}.evil.com",
        f"http://{PROD_HOST}",
        f"http://{PREPROD_HOST}",
        "https://other-308006323670.us-central1.run.app",
        "https://andamio-api-999999999999.us-central1.run.app",
        "https://andamio-api-308006323670.us-east1.run.app",
        f"https://evil.{PROD_HOST}",
        f"https://user@{PROD_HOST}",
        f"https://{PROD_HOST}.",
        f"ftp://{PROD_HOST}",
        f"https://{PROD_HOST}?next=x",
    ],
)
def test_check_base_url_rejects_look_alikes_of_the_v1_hosts(url):
    with pytest.raises(InvalidInputError) as caught:
        check_base_url(url)
    assert caught.value.message == f"base URL {url!r} is not allowed"
    assert caught.value.exit_code == 4


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PROD_HOST}.evil.com",
        f"http://{PREPROD_HOST}",
        "https://other-308006323670.us-central1.run.app",
    ],
)
def test_cli_with_a_rejected_url_sends_nothing(cli, gateway, url):
    result = cli(
        ["--base-url", url, "apikey", "request", "legacy-key", "--api", "v1"],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: base URL {url!r} is not allowed\n"
        "Hint: use https on andamio.io (or a subdomain) or on a legacy v1 host, "
        "a loopback address, or set ANDAMIO_ALLOW_ANY_URL=1\n"
    )
    assert gateway.requests == []


@pytest.mark.parametrize("host", V1_HOSTS)
def test_cli_sends_v1_calls_to_an_allowed_v1_host(cli, gateway, host):
    gateway.expect("POST", f"{V1}/rotate", json={"confirmation": CONFIRMATION})
    result = cli(
        [
            "--base-url",
            f"https://{host}/",
            "apikey",
            "rotate",
            "legacy-key",
            "--api",
            "v1",
            "--yes",
        ],
        env=v1_unit_env(),
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CONFIRMATION + "\n"
    assert result.stderr == ""
    assert str(gateway.requests[0].url) == f"https://{host}{V1}/rotate"


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
    assert (error["kind"], error["status"]) == ("rate_limited", 429)
    assert error["message"] == (
        "Too Many Requests: Rate limit or quota exceeded: "
        "tier_limit_exceeded: maximum API key limit (2) reached for "
        "your tier (HTTP 429, application/json)"
    )
    routes = [(r.route, r.json["api_key_name"]) for r in v1_records(sandbox)]
    assert routes.count(("v1/request", "second-v1")) == 1


def test_e2e_rotate_of_an_unknown_key_is_snake_case_404_exit_2(sandbox, run_andamio):
    result = run_andamio(
        ["apikey", "rotate", "no-such-key", "--api", "v1", "--yes"], env=e2e_env(sandbox)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Not Found: The requested resource could not be found: "
        "no API key with this name (HTTP 404, application/json)\n"
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
