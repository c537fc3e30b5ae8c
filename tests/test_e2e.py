"""The installed CLI as a subprocess against the emulator over loopback HTTP."""

from __future__ import annotations

import json
import socket

import pytest
from conftest import creds_env


def routes(sb):
    return [r.route for r in sb.requests]


def test_request_prints_raw_key_only_on_stdout(sandbox, run_andamio):
    result = run_andamio(["apikey", "request", "e2e-key", "--debug"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    new_key = result.stdout.strip()
    assert new_key.startswith("ant_pp_") and result.stdout == new_key + "\n"
    assert "[debug] > POST" in result.stderr
    for secret in (new_key, sandbox.dev.api_key, sandbox.dev.jwt):
        assert secret not in result.stderr
    request = sandbox.requests[-1]
    names = [name.lower() for name, _ in request.headers]
    assert names.count("authorization") == 1 and names.count("x-api-key") == 1
    assert request.json == {"api_key_name": "e2e-key"}


def test_new_key_note_writes_booleans_as_json_does(sandbox, run_andamio):
    result = run_andamio(["apikey", "request", "note-key"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    note = next(line for line in result.stderr.splitlines() if line.startswith("New key ("))
    assert note.startswith("New key (name=note-key, created_at=")
    assert note.endswith(", is_active=true).")
    assert "True" not in result.stderr


def test_login_store_and_use_with_file_store(sandbox, run_andamio, tmp_path):
    env = {"ANDAMIO_BASE_URL": sandbox.url}
    assert run_andamio(["login", "--with-key"], env=env, stdin=sandbox.dev.api_key).returncode == 0
    token_input = f"{sandbox.dev.jwt}\n{sandbox.dev.refresh_token}\n"
    login = run_andamio(["login", "--with-token", "--json"], env=env, stdin=token_input)
    assert login.returncode == 0, login.stderr
    envelope = json.loads(login.stdout)
    assert envelope["stored_in"] == "file" and envelope["profile"] == "default"
    assert sandbox.dev.jwt not in login.stdout
    usage = run_andamio(["apikey", "usage", "--json"], env=env)
    assert usage.returncode == 0, usage.stderr
    assert "daily_quota_limit" in json.loads(usage.stdout)
    settings = (tmp_path / "e2e-config" / "config.json").read_text()
    for secret in (sandbox.dev.api_key, sandbox.dev.jwt, sandbox.dev.refresh_token):
        assert secret not in settings


@pytest.mark.parametrize(
    "args,env",
    [
        (["apikey", "request", "ab"], {}),
        (["apikey", "request", "good-name", "--expires-in-days", "-3"], {}),
        (["apikey", "delete", "some-key"], {}),
        (["apikey", "usage"], {"ANDAMIO_BASE_URL": "https://andamio.io.evil.com"}),
        (["apikey", "usage"], {"ANDAMIO_BASE_URL": "https://andamio.io@evil.com"}),
        (["--base-url", "http://evilandamio.io", "apikey", "usage"], {}),
    ],
)
def test_invalid_input_sends_nothing(sandbox, run_andamio, args, env):
    result = run_andamio(args, env=creds_env(sandbox, **env))
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert sandbox.requests == []


def test_exit_codes_per_error_class(sandbox, run_andamio):
    env = creds_env(sandbox)
    wrong = run_andamio(
        ["apikey", "usage"], env=creds_env(sandbox, ANDAMIO_API_KEY="ant_pp_wrong00000000")
    )
    assert wrong.returncode == 3, wrong.stderr
    assert "HTTP 401" in wrong.stderr
    missing = run_andamio(["apikey", "delete", "no-such-key", "--yes"], env=env)
    assert missing.returncode == 2, missing.stderr
    invalid = run_andamio(["apikey", "request", "bad/name"], env=env)
    assert invalid.returncode == 4, invalid.stderr
    assert "HTTP 422" in invalid.stderr
    first = run_andamio(["apikey", "request", "first-extra"], env=env)
    assert first.returncode == 0, first.stderr
    capped = run_andamio(["apikey", "request", "second-extra", "--json"], env=env)
    assert capped.returncode == 7, capped.stderr
    assert json.loads(capped.stderr)["error"]["code"] == "tier_limit_exceeded"
    sandbox.add_faults("usage/get", "500,500,500")
    server = run_andamio(["apikey", "usage"], env=env)
    assert server.returncode == 1, server.stderr
    assert "HTTP 500" in server.stderr


def test_unreachable_is_exit_5(run_andamio, sandbox):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = creds_env(sandbox, ANDAMIO_BASE_URL=f"http://127.0.0.1:{port}")
    result = run_andamio(["apikey", "request", "nowhere"], env=env)
    assert result.returncode == 5, result.stderr
    assert "127.0.0.1" in result.stderr


def test_post_answered_503_is_sent_once(sandbox, run_andamio):
    sandbox.add_faults("key/request", "503")
    result = run_andamio(["apikey", "request", "once-only"], env=creds_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert routes(sandbox).count("key/request") == 1


def test_get_answered_429_retry_after_succeeds_on_second_try(sandbox, run_andamio):
    sandbox.add_faults("usage/get", "429:retry-after=1")
    result = run_andamio(["apikey", "usage", "--json"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert routes(sandbox).count("usage/get") == 2


def test_tripwire_no_secret_leaks_in_a_full_session(sandbox, run_andamio, tmp_path):
    """Every stream of a whole session, with --debug and failures, is scanned for secrets."""
    dev = sandbox.dev
    env = {"ANDAMIO_BASE_URL": sandbox.url, "ANDAMIO_DEBUG": "1"}
    session = [
        (["login", "--with-key"], dev.api_key),
        (["login", "--with-token"], f"{dev.jwt}\n{dev.refresh_token}\n"),
        (["status"], ""),
        (["status", "--json"], ""),
        (["apikey", "profile"], ""),
        (["apikey", "list", "--json"], ""),
        (["apikey", "usage", "-o", "csv"], ""),
        (["apikey", "request", "trip-key", "--json"], ""),
        (["apikey", "request", "trip-key-2"], ""),  # over the tier cap: an error
        (["apikey", "rotate", "trip-key", "--yes"], ""),
        (["refresh", "--json"], ""),
        (["apikey", "delete", "trip-key", "--yes"], ""),
        (["apikey", "delete", "trip-key", "--yes"], ""),  # now unknown: an error
        (["logout"], ""),
    ]
    outputs = []
    new_keys = []
    for args, stdin in session:
        result = run_andamio(args, env=env, stdin=stdin)
        outputs.append((args, result))
        if args[:2] == ["apikey", "request"] and result.returncode == 0:
            new_keys.append(json.loads(result.stdout)["api_key"])
    assert [r.returncode for _, r in outputs] == [0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 2, 0]
    secrets = [dev.api_key, dev.jwt, dev.refresh_token, *new_keys]
    for request in sandbox.requests:
        for name, value in request.headers:
            if name.lower() in ("authorization", "x-api-key"):
                secrets.append(value.removeprefix("Bearer "))
        if request.route == "token/refresh":
            secrets.append(request.json["refresh_token"])
    for args, result in outputs:
        for secret in secrets:
            assert secret not in result.stderr, f"secret on stderr of {args}"
            if args[:2] != ["apikey", "request"]:
                assert secret not in result.stdout, f"secret on stdout of {args}"
    settings = (tmp_path / "e2e-config" / "config.json").read_text()
    assert not any(secret in settings for secret in secrets)
