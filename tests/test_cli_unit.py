"""The CLI in-process against a strict MockTransport: wire format, output, exit codes."""

from __future__ import annotations

import json

import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore

DEV = "/api/v2/apikey/developer"
NEW_KEY = "ant_pp_NEWKEY000000000000000000000000000000"
KEY_REPLY = {
    "api_key": NEW_KEY,
    "name": "ci-key",
    "created_at": "2026-11-23T10:00:00Z",
    "expires_at": "2027-11-23T10:00:00Z",
    "expires_in_days": 365,
    "is_active": True,
}
UUID = "0b6f1c2e-8d4a-4c5e-9f3a-2b1d7e6c5a40"


def logged_in() -> MemoryStore:
    return MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)


def assert_dev_headers(request) -> None:
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers.get_list("authorization") == [f"Bearer {DEV_JWT}"]
    assert request.headers["accept"] == "application/json"


def test_request_sends_both_credentials_and_prints_key_alone(cli, gateway):
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = cli(
        ["apikey", "request", "ci-key", "--expires-in-days", "30"],
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == NEW_KEY + "\n"
    assert NEW_KEY not in result.stderr
    assert "shown once" in result.stderr
    request = gateway.requests[0]
    assert_dev_headers(request)
    assert request.headers["content-type"] == "application/json"
    assert gateway.body(0) == {"api_key_name": "ci-key", "expires_in_days": 30}


def test_request_omits_expiry_when_not_given_and_json_output(cli, gateway):
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = cli(
        ["apikey", "request", "ci-key", "--json"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == KEY_REPLY
    assert result.stderr == ""
    assert gateway.body(0) == {"api_key_name": "ci-key"}


def test_request_save_stores_key_and_name(cli, gateway):
    store = logged_in()
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = cli(
        ["apikey", "request", "ci-key", "--save"], store=store, transport=gateway.transport
    )
    assert result.exit_code == 0, result.stderr
    assert store.data[("default", "api_key")] == NEW_KEY
    assert result.stdout == NEW_KEY + "\n"


class FailingStore(MemoryStore):
    def set(self, profile, secret, value):
        from andamio_cli.errors import StoreUnavailableError

        raise StoreUnavailableError("the OS keyring failed (LockedException)")


def test_request_save_prints_key_even_when_storing_fails(cli, gateway):
    store = FailingStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = cli(
        ["apikey", "request", "ci-key", "--save"], store=store, transport=gateway.transport
    )
    assert result.exit_code == 3
    assert result.stdout == NEW_KEY + "\n"
    assert "NOT saved" in result.stderr
    assert NEW_KEY not in result.stderr


@pytest.mark.parametrize("reply", [{}, {"api_key": ""}, {"name": "x", "api_key": None}])
def test_request_reply_without_key_is_an_error(cli, gateway, reply):
    store = logged_in()
    gateway.expect("POST", f"{DEV}/key/request", json=reply)
    result = cli(
        ["apikey", "request", "ci-key", "--save"], store=store, transport=gateway.transport
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "api_key" in result.stderr
    assert store.data[("default", "api_key")] == API_KEY


@pytest.mark.parametrize(
    "args",
    [
        ["apikey", "request", "ab"],
        ["apikey", "request", "x" * 65],
        ["apikey", "request", "ok-name", "--expires-in-days", "0"],
        ["apikey", "request", "ok-name", "--expires-in-days", "soon"],
        ["apikey", "request", "bad\x1bname"],
        ["apikey", "rotate", "0b6f1c2e-8d4a-4c5e-9f3a-2b1d7e6c5a4", "--yes"],
        ["apikey", "delete", "xy", "--yes"],
        ["--base-url", "https://evilandamio.io", "apikey", "usage"],
        ["--timeout", "0", "apikey", "usage"],
        ["apikey", "bogus"],
    ],
)
def test_invalid_input_is_exit_4_and_sends_nothing(cli, gateway, args):
    result = cli(args, store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert gateway.requests == []


def test_rotate_uuid_is_sent_as_key_id(cli, gateway):
    # the stored key's name and id are unknown: one read of the key list says it is not this one
    gateway.expect("GET", f"{DEV}/profile/get", json=PROFILE)
    gateway.expect(
        "POST",
        f"{DEV}/key/rotate",
        json={"confirmation": "API key expiration extended to 2027-01-01T00:00:00Z"},
    )
    result = cli(
        ["apikey", "rotate", UUID.upper(), "--yes"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 0, result.stderr
    assert gateway.body(1) == {"key_id": UUID}
    assert result.stdout == "API key expiration extended to 2027-01-01T00:00:00Z\n"


def test_rotate_without_tty_needs_yes(cli, gateway):
    result = cli(["apikey", "rotate", "ci-key"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 4
    assert "--yes" in result.stderr
    assert gateway.requests == []


def test_rotate_returning_new_key_replaces_stored_key_of_that_name(cli, gateway, tmp_path):
    store = logged_in()
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    assert (
        cli(
            ["apikey", "request", "ci-key", "--save"], store=store, transport=gateway.transport
        ).exit_code
        == 0
    )
    rotated = dict(KEY_REPLY, api_key="ant_pp_ROTATED0000000000000000000000000000000")
    gateway.expect("POST", f"{DEV}/key/rotate", json=rotated)
    result = cli(["apikey", "rotate", "ci-key", "--yes"], store=store, transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == rotated["api_key"] + "\n"
    assert store.data[("default", "api_key")] == rotated["api_key"]
    assert gateway.body(1) == {"api_key_name": "ci-key"}


def test_delete_on_terminal_asks_and_no_means_nothing_changed(cli, gateway):
    gateway.expect("GET", f"{DEV}/profile/get", json=PROFILE)
    result = cli(
        ["apikey", "delete", "ci-key"],
        store=logged_in(),
        transport=gateway.transport,
        stdin="n\n",
        tty=True,
    )
    assert result.exit_code == 1
    assert "Delete key ci-key?" in result.stderr
    assert result.stderr.endswith("Cancelled; nothing was changed.\n")
    assert [r.method for r in gateway.requests] == ["GET"]


def test_delete_json_envelope(cli, gateway):
    gateway.expect("GET", f"{DEV}/profile/get", json=PROFILE)
    gateway.expect(
        "POST", f"{DEV}/key/delete", json={"confirmation": "API key deleted successfully"}
    )
    result = cli(
        ["apikey", "delete", "ci-key", "--yes", "-o", "json"],
        store=logged_in(),
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "deleted": True,
        "confirmation": "API key deleted successfully",
    }
    assert gateway.body(1) == {"api_key_name": "ci-key"}


PROFILE = {
    "user_id": "u1",
    "alias": "unit",
    "tier": "pioneer",
    "created_at": "2026-01-04T10:00:00Z",
    "active_keys": [
        {
            "api_key": "ant_pp_RAWSECRET00000000000000000000000000wxyz",
            "name": "ci\x1b[31m",
            "created_at": "2026-01-04T10:00:00Z",
            "expires_at": "2099-01-01T00:00:00Z",
            "expires_in_days": 365,
            "is_active": True,
        }
    ],
}


def test_list_masks_keys_and_neutralises_escapes(cli, gateway):
    gateway.expect("GET", f"{DEV}/profile/get", json=PROFILE)
    result = cli(["apikey", "list"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    assert "RAWSECRET" not in result.stdout
    assert "ant_pp_…wxyz" in result.stdout
    assert "\x1b" not in result.stdout
    assert "ci\\x1b[31m" in result.stdout
    assert_dev_headers(gateway.requests[0])


def test_list_json_is_an_array_with_masked_keys(cli, gateway):
    gateway.expect("GET", f"{DEV}/profile/get", json={"data": PROFILE})
    result = cli(["apikey", "list", "--json"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)
    assert [i["api_key"] for i in items] == ["ant_pp_…wxyz"]
    assert items[0]["is_active"] is True and items[0]["days_left"] > 20000


def test_usage_json_is_the_gateway_body_unwrapped(cli, gateway):
    usage = {"daily_quota_consumed": 50, "daily_quota_limit": 1000, "remaining_daily": 950}
    gateway.expect("GET", f"{DEV}/usage/get", json={"data": usage})
    result = cli(["apikey", "usage", "--json"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == usage


@pytest.mark.parametrize(
    "fmt,expected",
    [
        (
            "csv",
            "tier,expiration,daily_used,daily_limit,daily_remaining,"
            "monthly_used,monthly_limit,monthly_remaining,rate_limits\n"
            ",,50,1000,950,,,,\n",
        ),
        (
            "markdown",
            "| tier | expiration | daily_used | daily_limit | daily_remaining | "
            "monthly_used | monthly_limit | monthly_remaining | rate_limits |\n"
            "|---|---|---|---|---|---|---|---|---|\n"
            "|  |  | 50 | 1000 | 950 |  |  |  |  |\n",
        ),
    ],
)
def test_usage_csv_and_markdown(cli, gateway, fmt, expected):
    usage = {"daily_quota_consumed": 50, "daily_quota_limit": 1000, "remaining_daily": 950}
    gateway.expect("GET", f"{DEV}/usage/get", json=usage)
    result = cli(["apikey", "usage", "-o", fmt], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_plain_text_when_piped_has_no_escape_codes(cli, gateway):
    gateway.expect("GET", f"{DEV}/profile/get", json=PROFILE)
    result = cli(["apikey", "profile"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == ["user_id\tu1", "alias\tunit", "tier\tpioneer"]


@pytest.mark.parametrize(
    "status,body,code",
    [
        (401, {"status_code": 401, "message": "Unauthorized: Invalid or missing credentials."}, 3),
        (403, {"statusCode": 403, "message": "Forbidden"}, 3),
        (404, {"error": {"code": "not_found", "message": "no such key"}}, 2),
        (409, {"code": "conflict", "message": "exists"}, 6),
        (400, {"error": "tier_limit_exceeded", "message": "tier cap reached"}, 7),
        (422, {"message": "Unprocessable"}, 4),
        (500, {"status_code": 500, "message": "Internal Server Error"}, 1),
    ],
)
def test_error_shapes_map_to_exit_codes(cli, gateway, status, body, code):
    gateway.expect("POST", f"{DEV}/key/request", status=status, json=body)
    result = cli(["apikey", "request", "ci-key"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert f"HTTP {status}" in result.stderr


def test_json_mode_error_is_one_object_on_stderr(cli, gateway):
    gateway.expect(
        "POST",
        f"{DEV}/key/request",
        status=429,
        json={"error": {"code": "tier_limit_exceeded", "message": "max keys"}},
    )
    result = cli(
        ["apikey", "request", "ci-key", "--json"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 7
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "tier_limit" and error["code"] == "tier_limit_exceeded"
    assert error["status"] == 429
    assert error["hint"] == (
        "delete a key (`andamio apikey list`, `andamio apikey delete NAME`) or upgrade your tier"
    )


def test_missing_api_key_is_exit_3_and_sends_nothing(cli, gateway):
    result = cli(
        ["apikey", "usage"], store=MemoryStore(dev_jwt=DEV_JWT), transport=gateway.transport
    )
    assert result.exit_code == 3
    assert "ANDAMIO_API_KEY" in result.stderr
    assert gateway.requests == []


def test_env_credentials_beat_the_store(cli, gateway):
    gateway.expect("GET", f"{DEV}/usage/get", json={})
    env_key = "ant_pp_FROMENV0000000000000000000000000000000"
    result = cli(
        ["apikey", "usage"],
        store=logged_in(),
        env={"ANDAMIO_API_KEY": env_key},
        transport=gateway.transport,
    )
    assert result.exit_code == 0, result.stderr
    assert gateway.requests[0].headers["x-api-key"] == env_key


def test_debug_trace_is_redacted(cli, gateway):
    gateway.expect("POST", f"{DEV}/key/request", json=KEY_REPLY)
    result = cli(
        ["--debug", "apikey", "request", "ci-key"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 0, result.stderr
    assert "[debug] > POST https://preprod.api.andamio.io" in result.stderr
    assert "x-api-key: ***" in result.stderr.lower()
    for secret in (API_KEY, DEV_JWT, NEW_KEY):
        assert secret not in result.stderr
    assert result.stdout == NEW_KEY + "\n"


def test_login_with_key_and_token_then_status(cli):
    store = MemoryStore()
    result = cli(["login", "--with-key"], stdin=API_KEY + "\n", store=store)
    assert result.exit_code == 0, result.stderr
    assert store.data[("default", "api_key")] == API_KEY
    result = cli(
        ["login", "--with-token", "--json"],
        stdin=f"{DEV_JWT}\nrt_refresh_token_1234\n",
        store=store,
    )
    assert result.exit_code == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert envelope == {
        "profile": "default",
        "alias": "unit",
        "jwt_expires_at": "2100-01-01T00:00:00Z",
        "refresh_token_expires_at": None,
        "stored_in": "keyring",
    }
    assert store.data[("default", "refresh_token")] == "rt_refresh_token_1234"
    status = cli(["status", "--json"], store=store)
    assert status.exit_code == 0, status.stderr
    fields = json.loads(status.stdout)
    assert fields["api_key"]["masked"] == "ant_pp_…retK"
    assert fields["api_key"]["source"] == "keyring"
    assert fields["ready"] is True and fields["dev_jwt"]["seconds_left"] > 0
    assert fields["problems"] == [] and fields["store"] == "keyring"
    assert API_KEY not in status.stdout and DEV_JWT not in status.stdout


def test_login_without_flags_and_without_terminal_fails_at_once(cli):
    result = cli(["login"], store=MemoryStore())
    assert result.exit_code == 4
    for name in ("--with-key", "--with-token", "--skey", "ANDAMIO_API_KEY"):
        assert name in result.stderr


def test_status_without_credentials_is_exit_3(cli):
    result = cli(["status"], store=MemoryStore())
    assert result.exit_code == 3
    assert "Not ready: no API key; no developer JWT and no refresh token." in result.stdout
    assert result.stderr == ""


def test_logout_is_idempotent(cli):
    store = logged_in()
    first = cli(["logout", "--json"], store=store)
    assert first.exit_code == 0 and json.loads(first.stdout) == {"cleared": True}
    assert store.data == {}
    second = cli(["logout", "--json"], store=store)
    assert second.exit_code == 0 and json.loads(second.stdout) == {"cleared": False}


def test_output_options_work_after_the_subcommand(cli, gateway):
    gateway.expect("GET", f"{DEV}/usage/get", json={"subscription_tier": "Free"})
    result = cli(
        ["apikey", "usage", "-q", "--output=json"], store=logged_in(), transport=gateway.transport
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"subscription_tier": "Free"}


def test_version():
    import contextlib
    import io

    from andamio_cli import __version__
    from andamio_cli.app import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--version"]) == 0
    assert out.getvalue() == f"andamio {__version__}\n"
