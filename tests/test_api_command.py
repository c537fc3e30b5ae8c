"""`andamio api PATH` end to end against the emulator: methods, bodies, credentials, exit codes
by status, retries for GET only, -i, and input checks before anything is sent."""

from __future__ import annotations

import json

import pytest
from conftest import MemoryStore, creds_env

from andamio_cli.argv import hoist_global_options
from andamio_cli.settings import Settings

DEV = "/api/v2/apikey/developer/"
AUTH = "/api/v2/auth/developer/"


def test_get_by_default_prints_the_body_as_received(sandbox, run_andamio):
    result = run_andamio(["api", DEV + "profile/get"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (req,) = sandbox.requests
    assert (req.method, req.path, req.body) == ("GET", DEV + "profile/get", b"")
    assert req.header("X-API-Key") == sandbox.dev.api_key
    assert req.header("Authorization") == f"Bearer {sandbox.dev.jwt}"
    assert req.header("Content-Type") is None
    body = json.loads(result.stdout)
    assert body["alias"] == "sandbox-dev"
    # piped: the bytes as the gateway sent them (one line, the sandbox's separators)
    assert result.stdout == json.dumps(body)
    assert body["active_keys"][0]["api_key"] == sandbox.dev.api_key


def test_fields_make_a_post_with_a_json_object_of_strings(sandbox, run_andamio):
    args = ["api", DEV + "key/request", "-f", "api_key_name=via-api", "-f", "note=a=b"]
    result = run_andamio(args, env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    (req,) = sandbox.requests
    assert (req.method, req.json) == ("POST", {"api_key_name": "via-api", "note": "a=b"})
    assert req.header("Content-Type") == "application/json"
    reply = json.loads(result.stdout)
    assert reply["name"] == "via-api" and reply["api_key"].startswith("ant_pp_")
    assert result.stderr == ""


def test_field_values_stay_strings(sandbox, run_andamio):
    args = ["api", DEV + "key/request", "-f", "api_key_name=typed", "-f", "expires_in_days=5"]
    result = run_andamio(args, env=creds_env(sandbox))
    assert result.returncode == 4
    assert sandbox.requests[0].json == {"api_key_name": "typed", "expires_in_days": "5"}
    assert json.loads(result.stdout)["status_code"] == 422
    assert result.stderr.startswith("Error: Unprocessable Entity")


def test_input_file_is_sent_as_is(sandbox, run_andamio, tmp_path):
    body = b'{"api_key_name": "from-file",\n "expires_in_days": 3}\n'
    path = tmp_path / "body.json"
    path.write_bytes(body)
    result = run_andamio(["api", DEV + "key/request", "--input", str(path)], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    (req,) = sandbox.requests
    assert (req.method, req.body) == ("POST", body)
    assert json.loads(result.stdout)["expires_in_days"] == 3


def test_input_from_stdin(sandbox, run_andamio):
    stdin = '{"api_key_name": "from-stdin"}'
    result = run_andamio(
        ["api", DEV + "key/request", "--input", "-"], env=creds_env(sandbox), stdin=stdin
    )
    assert result.returncode == 0, result.stderr
    assert sandbox.requests[0].body == stdin.encode()


def test_method_override(sandbox, run_andamio):
    result = run_andamio(["api", "-X", "post", DEV + "account/delete"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    (req,) = sandbox.requests
    assert (req.method, req.body) == ("POST", b"")
    assert json.loads(result.stdout) == {"message": "Developer account deleted successfully"}


@pytest.mark.parametrize(
    "args,setup,code",
    [
        (["api", "/api/v2/no/such/route"], None, 2),
        (["api", DEV + "key/request", "-f", "api_key_name=sandbox-default"], None, 6),
        (["api", DEV + "key/request", "-f", "api_key_name=x"], None, 4),
        (["api", DEV + "key/request", "--input", "-"], "400", 4),
        (["api", DEV + "key/request", "-f", "api_key_name=unverified"], "unverified", 3),
        (["api", DEV + "key/request", "-f", "api_key_name=limited"], "429", 7),
        (["api", DEV + "key/request", "-f", "api_key_name=broken"], "500", 1),
        (["api", "-X", "PUT", DEV + "usage/get"], None, 1),
    ],
)
def test_exit_code_by_status_and_the_body_on_stdout(sandbox, run_andamio, args, setup, code):
    if setup == "unverified":
        sandbox.set_email_verified(sandbox.dev, False)
    elif setup:
        sandbox.add_faults("key/request", setup)
    stdin = "[1]" if "--input" in args else ""
    result = run_andamio(args, env=creds_env(sandbox), stdin=stdin)
    assert result.returncode == code, result.stderr
    body = json.loads(result.stdout)
    assert isinstance(body, dict) and body
    assert result.stderr.startswith("Error: ")
    assert len(sandbox.requests) == 1  # a write is never retried


def test_refused_api_key_is_exit_3(sandbox, run_andamio):
    env = creds_env(sandbox, ANDAMIO_API_KEY="ant_pp_" + "x" * 40)
    result = run_andamio(["api", DEV + "usage/get"], env=env)
    assert result.returncode == 3
    assert json.loads(result.stdout)["status_code"] == 401


def test_get_is_retried_and_a_post_is_not(sandbox, run_andamio):
    sandbox.add_faults("usage/get", "503,503")
    result = run_andamio(["api", DEV + "usage/get"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert [r.route for r in sandbox.requests] == ["usage/get"] * 3
    assert "daily_quota_limit" in json.loads(result.stdout)
    sandbox.clear_requests()
    sandbox.add_faults("account/delete", "503")
    result = run_andamio(["api", "-X", "POST", DEV + "account/delete"], env=creds_env(sandbox))
    assert result.returncode == 1
    assert [r.route for r in sandbox.requests] == ["account/delete"]
    assert sandbox.dev.user_id in sandbox.state.users


def test_include_prints_status_line_and_headers_first(sandbox, run_andamio):
    result = run_andamio(["api", "-i", AUTH + "email-status"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    head, _, body = result.stdout.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == "HTTP/1.0 200 OK"
    assert "Content-Type: application/json" in lines
    assert "Server: andamio-sandbox" in lines
    assert "X-RateLimit-Limit: 5000" in lines
    assert json.loads(body)["email_verified"] is True


def test_jwt_only_on_developer_routes(sandbox, run_andamio):
    result = run_andamio(["api", "/api/v1/apikey/request", "-f", "a=b"], env=creds_env(sandbox))
    assert result.returncode == 3  # v1 wants a Bearer token: the API key alone is refused
    (req,) = sandbox.requests
    assert req.header("X-API-Key") == sandbox.dev.api_key
    assert req.header("Authorization") is None


def test_expired_jwt_is_refreshed_first(sandbox, run_andamio):
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    assert run_andamio(["login", "--with-key"], env=env, stdin=sandbox.dev.api_key).returncode == 0
    expired = sandbox.mint_jwt(sandbox.dev, ttl=-30)
    tokens = f"{expired}\n{sandbox.dev.refresh_token}\n"
    assert run_andamio(["login", "--with-token"], env=env, stdin=tokens).returncode == 0
    sandbox.clear_requests()
    result = run_andamio(["api", DEV + "usage/get"], env=env)
    assert result.returncode == 0, result.stderr
    assert [r.route for r in sandbox.requests] == ["token/refresh", "usage/get"]
    assert sandbox.requests[1].header("Authorization") != f"Bearer {expired}"


@pytest.mark.parametrize(
    "args,stdin,message",
    [
        (["api", "https://evil.example/api/v2/x"], "", "PATH must start with /"),
        (["api", "//evil.example/api"], "", "PATH must start with /"),
        (["api", "api/v2/apikey/developer/usage/get"], "", "PATH must start with /"),
        (["api", "/api/v2/a b"], "", "printable ASCII"),
        (["api", "/x", "-f", "novalue"], "", "-f takes KEY=VALUE"),
        (["api", "/x", "-f", "=v"], "", "-f takes KEY=VALUE"),
        (["api", "/x", "-f", "a=1", "-f", "a=2"], "", "given twice"),
        (["api", "/x", "--input", "/nonexistent/body.json"], "", "cannot read --input"),
        (["api", "/x", "--input", "-"], "{not json", "is not JSON"),
        (["api", "/x", "--input", "-"], "", "is not JSON"),
        (["api", "/x", "--input", "-"], '{"a": NaN}', "is not JSON"),
        (["api", "/x", "--input", "-"], "[" + " " * (1024 * 1024) + "]", "larger than 1 MiB"),
        (["api", "/x", "--input", "-", "-f", "a=b"], "{}", "use one of them"),
        (["api", "/x", "-X", "GE T"], "", "-X takes an HTTP method"),
    ],
)
def test_bad_input_is_exit_4_and_nothing_is_sent(sandbox, run_andamio, args, stdin, message):
    result = run_andamio(args, env=creds_env(sandbox), stdin=stdin)
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert sandbox.requests == []


def test_no_api_key_is_exit_3_before_sending(sandbox, run_andamio):
    result = run_andamio(["api", DEV + "usage/get"], env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 3
    assert result.stdout == ""
    assert sandbox.requests == []


def test_debug_trace_is_redacted(sandbox, run_andamio):
    args = ["api", DEV + "key/request", "-f", "api_key_name=traced", "--debug"]
    result = run_andamio(args, env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    new_key = json.loads(result.stdout)["api_key"]
    assert "[debug] > POST" in result.stderr
    for secret in (new_key, sandbox.dev.api_key, sandbox.dev.jwt):
        assert secret not in result.stderr


def test_on_a_terminal_json_is_pretty_printed_and_inert(cli, sandbox, tmp_path):
    store = MemoryStore(api_key=sandbox.dev.api_key, dev_jwt=sandbox.dev.jwt)
    env = {"ANDAMIO_CONFIG_DIR": str(tmp_path / "tty")}
    Settings(env["ANDAMIO_CONFIG_DIR"]).update("default", credentials_url=sandbox.url)
    args = ["--base-url", sandbox.url, "api", AUTH + "email-status"]
    result = cli(args, env=env, store=store, tty=True)
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout
        == json.dumps(
            {
                "email_verified": True,
                "can_resend": False,
                "remaining_attempts": 5,
                "verification_email_sent_at": None,
                "wait_duration_seconds": 0,
            },
            indent=2,
        )
        + "\n"
    )


def test_on_a_terminal_other_bodies_are_inert(cli, sandbox, tmp_path):
    sandbox.add_faults("usage/get", "502-html")
    store = MemoryStore(api_key=sandbox.dev.api_key, dev_jwt=sandbox.dev.jwt)
    env = {"ANDAMIO_CONFIG_DIR": str(tmp_path / "tty")}
    Settings(env["ANDAMIO_CONFIG_DIR"]).update("default", credentials_url=sandbox.url)
    result = cli(
        ["--base-url", sandbox.url, "api", "-X", "POST", DEV + "usage/get"],
        env=env,
        store=store,
        tty=True,
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("<html>")


def test_api_options_are_not_hoisted():
    args = ["api", "/p", "-X", "POST", "-f", "a=b", "-i", "--input", "-", "-q", "--json"]
    assert hoist_global_options(args) == [
        "-q",
        "--json",
        "api",
        "/p",
        "-X",
        "POST",
        "-f",
        "a=b",
        "-i",
        "--input",
        "-",
    ]
    odd = ["api", "/p", "-f", "--debug", "-X", "-q"]
    assert hoist_global_options(odd) == odd
