"""Wallet login, browser login and token refresh: the installed CLI against the emulator."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import andamio_command

from andamio_cli.auth.wallet import (
    EXTENDED_SKEY_TYPE,
    SKEY_TYPE,
    base_address,
    key_hash,
    public_key,
    verify_cip8,
)
from andamio_cli.times import parse_time

ENVELOPE_KEYS = {"profile", "alias", "jwt_expires_at", "refresh_token_expires_at", "stored_in"}
REFRESH_PATH = "/api/v2/auth/developer/token/refresh"

# A fake browser: GETs the app URL (the emulator then POSTs the callback to the CLI's listener).
# With FAKE_BROWSER_HOSTILE=1 it first POSTs callbacks the listener must refuse, each of which
# would cancel the login if it were accepted. It records what it did in FAKE_BROWSER_LOG.
FAKE_BROWSER = r"""
import http.client, json, os, sys, urllib.request
from urllib.parse import parse_qs, urlsplit

url = sys.argv[1]
parts = urlsplit(url)
origin = f"{parts.scheme}://{parts.netloc}"
query = parse_qs(parts.query)
redirect, state = urlsplit(query["redirect_uri"][0]), query["state"][0]


def post(payload, ctype="application/json", from_origin=origin):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    conn = http.client.HTTPConnection(redirect.hostname, redirect.port, timeout=5)
    try:
        conn.request("POST", redirect.path, body=body,
                     headers={"Content-Type": ctype, "Origin": from_origin})
        return conn.getresponse().status
    except OSError as exc:
        return type(exc).__name__
    finally:
        conn.close()


statuses = []
if os.environ.get("FAKE_BROWSER_HOSTILE") == "1":
    cancel = {"state": state, "error": "user_cancelled"}
    statuses.append(post(dict(cancel, state="x" + state)))
    statuses.append(post(cancel, from_origin="https://evil.example"))
    statuses.append(post(cancel, ctype="text/plain"))
    statuses.append(post(dict(cancel, alias="a" * 70 * 1024)))
with open(os.environ["FAKE_BROWSER_LOG"], "w") as fh:
    json.dump({"url": url, "statuses": statuses}, fh)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(url, timeout=10) as resp:
    resp.read()
"""


# --- helpers ---------------------------------------------------------------------------


def routes(sb) -> list[str]:
    return [r.route for r in sb.requests]


def stored(tmp_path) -> dict:
    """The default profile's entry in the file credential store."""
    path = tmp_path / "e2e-config" / "credentials.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("profiles", {}).get("default", {})


def base_env(sb, **extra) -> dict:
    env = {"ANDAMIO_BASE_URL": sb.url}
    env.update(extra)
    return env


def popen_env(tmp_path, sb, **extra) -> dict:
    """The environment run_andamio gives the CLI, for processes started with Popen."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANDAMIO_", "PYTHON_KEYRING")) and k != "NO_COLOR"
    }
    env.update(
        {
            "ANDAMIO_CONFIG_DIR": str(tmp_path / "e2e-config"),
            "ANDAMIO_CREDENTIAL_STORE": "file",
            "ANDAMIO_BASE_URL": sb.url,
        }
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def wallet_args(sb, skey=None, alias=None, address=None) -> list[str]:
    return [
        "login",
        "--skey",
        str(skey or sb.dev.skey_path),
        "--alias",
        alias or sb.dev.alias,
        "--address",
        address or sb.dev.address,
    ]


def key_material(sb) -> list[str]:
    seed = sb.dev.seed.hex()
    return [seed, seed.upper(), "5820" + seed]


def write_skey(path, kind=SKEY_TYPE, cbor_hex=None, mode=0o600) -> str:
    cbor_hex = cbor_hex or "5820" + os.urandom(32).hex()
    path.write_text(json.dumps({"type": kind, "description": "test key", "cborHex": cbor_hex}))
    os.chmod(path, mode)
    return str(path)


def post_json(url: str, payload: dict, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def login_with_token(run_andamio, sb, jwt, refresh_token, **env) -> None:
    result = run_andamio(
        ["login", "--with-token"], env=base_env(sb, **env), stdin=f"{jwt}\n{refresh_token}\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def login_with_key(run_andamio, sb) -> None:
    result = run_andamio(["login", "--with-key"], env=base_env(sb), stdin=sb.dev.api_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def short_jwt(sb) -> str:
    """A valid JWT with less than tokens.MARGIN seconds left: the CLI treats it as expired."""
    return sb.mint_jwt(sb.dev, ttl=30)


@pytest.fixture
def fake_browser(tmp_path):
    """Write the fake browser; return (env for the CLI, path of its log)."""
    script = tmp_path / "fake-browser"
    script.write_text(f"#!{sys.executable}\n" + FAKE_BROWSER)
    script.chmod(0o700)
    log = tmp_path / "fake-browser.json"
    env = {
        "BROWSER": str(script),
        "FAKE_BROWSER_LOG": str(log),
        "DISPLAY": None,
        "WAYLAND_DISPLAY": None,
        "TERM": None,
    }
    return env, log


# --- wallet login ----------------------------------------------------------------------


def test_wallet_login_signs_the_nonce_and_stores_the_tokens(sandbox, run_andamio, tmp_path):
    result = run_andamio(
        wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"Logged in as {sandbox.dev.alias}" in result.stderr
    assert "Warning" not in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    session_req, complete_req = sandbox.requests
    assert session_req.json == {"alias": sandbox.dev.alias, "wallet_address": sandbox.dev.address}
    assert session_req.header("X-API-Key") == sandbox.dev.api_key
    assert complete_req.header("X-API-Key") == sandbox.dev.api_key
    assert set(complete_req.json) == {"session_id", "signature"}
    session = sandbox.state.sessions[complete_req.json["session_id"]]
    assert session.used
    sig = complete_req.json["signature"]
    assert verify_cip8(sig["signature"], sig["key"], session.nonce, sandbox.dev.address) is None
    saved = stored(tmp_path)
    assert set(saved) == {"dev_jwt", "refresh_token"}
    assert sandbox.state.jwt_user(saved["dev_jwt"]).alias == sandbox.dev.alias
    assert saved["refresh_token"] in sandbox.state.refresh
    for secret in (
        *key_material(sandbox),
        saved["dev_jwt"],
        saved["refresh_token"],
        sandbox.dev.api_key,
    ):
        assert secret not in result.stderr


def test_wallet_login_json_envelope_has_exactly_the_contract_keys(sandbox, run_andamio, tmp_path):
    result = run_andamio(
        wallet_args(sandbox) + ["--json"],
        env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    envelope = json.loads(result.stdout)
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["profile"] == "default"
    assert envelope["alias"] == sandbox.dev.alias
    assert envelope["stored_in"] == "file"
    assert 3400 < parse_time(envelope["jwt_expires_at"]) - time.time() <= 3601
    assert parse_time(envelope["refresh_token_expires_at"]) - time.time() > 29 * 86400
    saved = stored(tmp_path)
    for secret in (saved["dev_jwt"], saved["refresh_token"], *key_material(sandbox)):
        assert secret not in result.stdout


def test_wallet_login_with_debug_never_shows_key_material_or_tokens(sandbox, run_andamio, tmp_path):
    result = run_andamio(
        wallet_args(sandbox) + ["--debug"],
        env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "[debug] > POST" in result.stderr and "login/complete" in result.stderr
    saved = stored(tmp_path)
    skey_text = open(sandbox.dev.skey_path).read()
    cbor_hex = json.loads(skey_text)["cborHex"]
    for secret in (
        *key_material(sandbox),
        cbor_hex,
        saved["dev_jwt"],
        saved["refresh_token"],
        sandbox.dev.api_key,
    ):
        assert secret not in result.stderr
        assert secret not in result.stdout


def test_world_readable_skey_logs_in_with_a_warning(sandbox, run_andamio, tmp_path):
    loose = tmp_path / "loose.skey"
    loose.write_text(open(sandbox.dev.skey_path).read())
    loose.chmod(0o644)
    result = run_andamio(
        wallet_args(sandbox, skey=loose), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Warning:" in result.stderr and "readable by other users" in result.stderr
    assert f"chmod 600 {loose}" in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    assert set(stored(tmp_path)) == {"dev_jwt", "refresh_token"}
    for secret in key_material(sandbox):
        assert secret not in result.stderr


def _bad_wallet_cases(sb, tmp_path):
    other = write_skey(tmp_path / "other.skey")
    good = sb.dev.address
    flipped = good[:-1] + ("q" if good[-1] != "q" else "p")
    return {
        "missing file": (
            wallet_args(sb, skey=tmp_path / "nope.skey"),
            "signing key file not found",
        ),
        "wrong type": (
            wallet_args(
                sb, skey=write_skey(tmp_path / "stake.skey", kind="StakeSigningKeyShelley_ed25519")
            ),
            "wrong signing key type",
        ),
        "extended key": (
            wallet_args(
                sb,
                skey=write_skey(
                    tmp_path / "ext.skey",
                    kind=EXTENDED_SKEY_TYPE,
                    cbor_hex="5880" + os.urandom(64).hex(),
                ),
            ),
            "extended (BIP32) signing keys are not supported",
        ),
        "alias too long": (wallet_args(sb, alias="a" * 33), "alias must be 1-32 characters"),
        "address too short": (wallet_args(sb, address=good[:90]), "103-108 characters (got 90)"),
        "bad checksum": (wallet_args(sb, address=flipped), "not valid bech32"),
        "foreign key": (wallet_args(sb, skey=other), "does not belong to this address"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "wrong type",
        "extended key",
        "alias too long",
        "address too short",
        "bad checksum",
        "foreign key",
    ],
)
def test_wallet_input_errors_are_exit_4_and_send_nothing(sandbox, run_andamio, tmp_path, case):
    args, message = _bad_wallet_cases(sandbox, tmp_path)[case]
    result = run_andamio(args, env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key))
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert sandbox.requests == []
    assert stored(tmp_path) == {}
    for secret in key_material(sandbox):
        assert secret not in result.stderr


def test_unregistered_wallet_is_refused_by_the_gateway(sandbox, run_andamio, tmp_path):
    """A key matching its own (unregistered) address passes local checks; the gateway refuses."""
    seed = os.urandom(32)
    skey = write_skey(tmp_path / "stranger.skey", cbor_hex="5820" + seed.hex())
    address = base_address(key_hash(public_key(seed)), os.urandom(28))
    result = run_andamio(
        wallet_args(sandbox, skey=skey, address=address),
        env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: no developer is registered for this wallet (HTTP 404" in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    assert stored(tmp_path) == {}
    assert seed.hex() not in result.stderr


def test_wallet_login_needs_an_api_key(sandbox, run_andamio, tmp_path):
    result = run_andamio(wallet_args(sandbox), env=base_env(sandbox))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: wallet login needs an API key" in result.stderr
    assert "--with-key" in result.stderr and "ANDAMIO_API_KEY" in result.stderr
    assert sandbox.requests == []
    assert stored(tmp_path) == {}


def test_expired_session_is_not_completed(sandbox, run_andamio, tmp_path):
    sandbox.session_ttl = -5
    result = run_andamio(
        wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: the login session expired" in result.stderr
    assert routes(sandbox) == ["login/session"]
    assert "login/complete" not in routes(sandbox)
    assert stored(tmp_path) == {}


def test_complete_reply_without_tokens_stores_nothing(sandbox, run_andamio, tmp_path):
    login_with_key(run_andamio, sandbox)
    sandbox.add_faults("login/complete", "missing-fields")
    result = run_andamio(wallet_args(sandbox), env=base_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert (
        "Error: the gateway's reply (HTTP 200, application/json) has no `jwt.token`"
        in result.stderr
    )
    assert "nothing was stored" in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    assert set(stored(tmp_path)) == {"api_key"}
    status = run_andamio(["status", "--json"], env=base_env(sandbox))
    assert status.returncode == 3, status.stderr
    assert status.stdout == ""
    error = json.loads(status.stderr)["error"]
    assert error["kind"] == "auth"
    assert "no usable developer JWT and no refresh token" in error["message"]
    text = run_andamio(["status"], env=base_env(sandbox))
    assert text.returncode == 3, text.stderr
    assert "Error: profile default is not ready" in text.stderr
    assert text.stdout == ""
    assert "api_key_source: file" in text.stderr
    assert "dev_jwt_source: none" in text.stderr and "refresh_token_source: none" in text.stderr


# --- status ----------------------------------------------------------------------------


def test_status_shows_jwt_expiry_and_seconds_left(sandbox, run_andamio):
    login = run_andamio(
        wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert login.returncode == 0, login.stderr
    result = run_andamio(
        ["status", "--json"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    status = json.loads(result.stdout)
    assert status["dev_jwt_source"] == "file" and status["refresh_token_source"] == "file"
    left = status["dev_jwt_seconds_left"]
    assert isinstance(left, int) and 3500 < left <= 3600
    expires = parse_time(status["dev_jwt_expires_at"])
    assert abs(expires - (time.time() + left)) < 5
    assert 29 * 86400 < status["refresh_token_seconds_left"] <= 30 * 86400
    assert status["alias"] == sandbox.dev.alias and status["ready"] is True
    text = run_andamio(["status"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key))
    assert text.returncode == 0, text.stderr
    assert text.stderr == ""
    assert status["dev_jwt_expires_at"] in text.stdout
    assert "dev_jwt_seconds_left" in text.stdout


# --- browser login ---------------------------------------------------------------------


def test_web_login_stores_jwt_and_refresh_token(sandbox, run_andamio, fake_browser, tmp_path):
    env, log = fake_browser
    result = run_andamio(["login", "--web"], env=base_env(sandbox, **env))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"Logged in as {sandbox.dev.alias}" in result.stderr
    opened = json.loads(log.read_text())
    state = parse_qs(urlsplit(opened["url"]).query)["state"][0]
    assert len(state) >= 43
    assert state not in result.stderr and "state=" not in result.stderr
    assert "Open this URL" not in result.stderr
    assert routes(sandbox) == ["app/dev-cli"]
    assert sandbox.callbacks and sandbox.callbacks[-1][0] == 200
    saved = stored(tmp_path)
    assert set(saved) == {"dev_jwt", "refresh_token"}
    assert sandbox.state.jwt_user(saved["dev_jwt"]).alias == sandbox.dev.alias
    status = run_andamio(
        ["status", "--json"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert status.returncode == 0, status.stderr
    assert status.stderr == ""
    fields = json.loads(status.stdout)
    assert fields["dev_jwt_source"] == "file" and fields["refresh_token_source"] == "file"
    assert fields["dev_jwt_expires_at"] and 3500 < fields["dev_jwt_seconds_left"] <= 3600
    for secret in (saved["dev_jwt"], saved["refresh_token"]):
        assert secret not in result.stderr and secret not in status.stdout


def test_web_login_cancelled_in_the_browser(sandbox, run_andamio, fake_browser, tmp_path):
    env, _ = fake_browser
    sandbox.browser_result = "user_cancelled"
    result = run_andamio(["login", "--web"], env=base_env(sandbox, **env))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: browser login was cancelled" in result.stderr
    assert "Hint:" in result.stderr
    assert stored(tmp_path) == {}


def test_web_login_survives_hostile_callbacks(sandbox, run_andamio, fake_browser, tmp_path):
    env, log = fake_browser
    result = run_andamio(
        ["login", "--web", "--json"], env=base_env(sandbox, FAKE_BROWSER_HOSTILE="1", **env)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert set(json.loads(result.stdout)) == ENVELOPE_KEYS
    # wrong state, foreign Origin, text/plain, oversized body: each refused, login kept waiting
    assert json.loads(log.read_text())["statuses"] == [400, 403, 415, 413]
    assert set(stored(tmp_path)) == {"dev_jwt", "refresh_token"}


def test_web_login_prints_the_url_when_no_browser_opens(sandbox, fake_browser, tmp_path):
    env = popen_env(
        tmp_path, sandbox, BROWSER="false", DISPLAY=None, WAYLAND_DISPLAY=None, TERM=None
    )
    proc = subprocess.Popen(
        andamio_command() + ["login", "--web"],
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(30, proc.kill)
    watchdog.start()
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "/auth/dev-cli?" in line:
                break
        assert lines and "/auth/dev-cli?" in lines[-1], "".join(lines)
        url = lines[-1].strip()
        assert url.startswith(f"{sandbox.url}/auth/dev-cli?"), "".join(lines)
        query = parse_qs(urlsplit(url).query)
        redirect, state = query["redirect_uri"][0], query["state"][0]
        assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
        jwt = sandbox.mint_jwt(sandbox.dev)
        status, _ = post_json(
            redirect,
            {
                "state": state,
                "dev_jwt": jwt,
                "alias": sandbox.dev.alias,
                "dev_jwt_expires_at": "undefined",
            },
            headers={"Origin": sandbox.url},
        )
        assert status == 200
        stdout, rest = proc.communicate(timeout=20)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stderr = "".join(lines) + rest
    assert proc.returncode == 0, stderr
    assert stdout == ""
    assert "Open this URL in a browser to log in:" in stderr
    assert f"Logged in as {sandbox.dev.alias}" in stderr
    assert jwt not in stderr
    assert stored(tmp_path) == {"dev_jwt": jwt}
    assert sandbox.requests == []


def test_bare_login_on_a_terminal_prompts_for_the_key_then_runs_the_browser_login(
    sandbox, fake_browser, tmp_path
):
    browser_env, log = fake_browser
    env = popen_env(tmp_path, sandbox, **browser_env)
    master, slave = pty.openpty()
    # a new session has no controlling terminal, so getpass reads the pty on stdin (echo off)
    proc = subprocess.Popen(
        andamio_command() + ["login"],
        env=env,
        stdin=slave,
        stderr=slave,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    os.close(slave)
    screen = b""
    sent = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            if not sent and b"API key (input hidden): " in screen:
                os.write(master, sandbox.dev.api_key.encode() + b"\n")
                sent = True
            if proc.poll() is not None and not ready:
                break
        if proc.poll() is None:  # still waiting for input it never got
            proc.kill()
        stdout = proc.stdout.read()
        proc.wait(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = screen.decode(errors="replace")
    assert proc.returncode == 0, text
    assert stdout == b""
    assert sent, text
    assert "Waiting for the browser login" in text
    assert f"Logged in as {sandbox.dev.alias}" in text
    assert sandbox.dev.api_key not in text  # the prompt does not echo
    assert log.exists()
    saved = stored(tmp_path)
    assert set(saved) == {"api_key", "dev_jwt", "refresh_token"}
    assert saved["api_key"] == sandbox.dev.api_key
    assert routes(sandbox) == ["app/dev-cli"]


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
    env = popen_env(tmp_path, sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
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
    assert status.stdout == ""
    assert "api_key_source: file" in status.stderr
    assert "dev_jwt_source: none" in status.stderr and "refresh_token_source: none" in status.stderr


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
