"""Login and refresh replies are checked field by field before anything is stored, and the
developer auth routes carry X-API-Key: the real CLI against a hostile loopback gateway and
against the emulator."""

from __future__ import annotations

import json
import os

import pytest
from conftest import API_KEY, DEV_JWT
from hostile_servers import HostileServer, andamio, assert_clean_error, by_path, fixed, header

from andamio_cli.credentials import FileStore
from andamio_cli.sandbox import Sandbox
from andamio_cli.settings import Settings

OLD_REFRESH = "rt_old_refresh_token_000000000000000000"
NEW_JWT = DEV_JWT.replace("c2lnbmF0dXJl", "bmV3c2lnbmF0")
NEW_REFRESH = "rt_new_refresh_token_111111111111111111"
GOOD = {
    "user_id": "u1",
    "alias": "unit",
    "tier": "pioneer",
    "jwt": {"token": NEW_JWT, "expires_at": "2099-01-01T00:00:00Z"},
    "refresh_token": {"token": NEW_REFRESH, "expires_at": "2099-02-01T00:00:00Z"},
}


def _with(path: str, value) -> bytes:
    reply = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    target = reply
    for part in parents:
        target = target[part]
    target[last] = value
    return json.dumps(reply).encode()


def _raw(path: str, literal: str) -> bytes:
    return _with(path, "@@").replace(b'"@@"', literal.encode())


BAD_REPLIES = {
    "jwt.expires_at in epoch milliseconds": _with("jwt.expires_at", 1796003600000),
    "jwt.expires_at epoch milliseconds as a string": _with("jwt.expires_at", "1796003600000"),
    "refresh_token.expires_at a number": _with("refresh_token.expires_at", 1798000000),
    "jwt.expires_at in year 9999": _with("jwt.expires_at", "9999-12-31T23:59:59-05:00"),
    "jwt.expires_at in year 1900": _with("jwt.expires_at", "1900-01-01T00:00:00Z"),
    "jwt.expires_at not a date": _with("jwt.expires_at", "2026-13-45T99:00:00Z"),
    "jwt.expires_at 1e999": _raw("jwt.expires_at", "1e999"),
    "jwt.expires_at NaN": _raw("jwt.expires_at", "NaN"),
    "refresh_token.expires_at -Infinity": _raw("refresh_token.expires_at", "-Infinity"),
    "jwt.token empty": _with("jwt.token", ""),
    "jwt.token with a newline": _with("jwt.token", NEW_JWT[:10] + "\n" + NEW_JWT[10:]),
    "refresh_token.token a number": _with("refresh_token.token", 12345),
    "refresh_token missing": json.dumps(
        {k: v for k, v in GOOD.items() if k != "refresh_token"}
    ).encode(),
    "alias an object": _with("alias", {"nested": True}),
}


def seed(tmp_path, url: str, *, jwt: str = DEV_JWT) -> str:
    """A file store holding an API key, a JWT and a refresh token for `url`; the config dir."""
    config = str(tmp_path / "config")
    store = FileStore(config)
    for secret, value in (("api_key", API_KEY), ("dev_jwt", jwt), ("refresh_token", OLD_REFRESH)):
        store.set("default", secret, value)
    Settings(config).update(
        "default", store="file", jwt_expires_at="2099-01-01T00:00:00Z", credentials_url=url
    )
    return config


def snapshot(config: str) -> dict:
    found = {}
    for name in ("credentials.json", "config.json"):
        with open(os.path.join(config, name), "rb") as fh:
            found[name] = fh.read()
    return found


def no_env_secrets() -> dict:
    return {"ANDAMIO_API_KEY": None, "ANDAMIO_DEV_JWT": None}


@pytest.mark.parametrize("name", BAD_REPLIES)
def test_a_bad_refresh_reply_stores_nothing_and_keeps_the_old_credentials(tmp_path, name):
    with HostileServer(fixed(BAD_REPLIES[name])) as server:
        config = seed(tmp_path, server.url)
        before = snapshot(config)
        run = andamio(tmp_path, server.url, ["refresh"], **no_env_secrets())
    assert_clean_error(run, 1, "HTTP 200, application/json")
    assert snapshot(config) == before
    assert len(server.requests) == 1
    assert header(server.requests[0], "X-API-Key") == API_KEY
    for secret in (OLD_REFRESH, NEW_JWT, NEW_REFRESH):
        assert secret not in run.stdout + run.stderr


@pytest.mark.parametrize(
    "name", ["jwt.expires_at in epoch milliseconds", "jwt.expires_at NaN", "jwt.token empty"]
)
def test_a_bad_refresh_before_a_call_stores_nothing_and_sends_nothing_more(tmp_path, name):
    expired = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsImV4cCI6MTAwMDAwMDAwMH0.c2lnbmF0dXJlLXg"
    routes = {"/token/refresh": fixed(BAD_REPLIES[name])}
    with HostileServer(by_path(routes)) as server:
        config = seed(tmp_path, server.url, jwt=expired)
        Settings(config).update("default", jwt_expires_at="2001-09-09T01:46:40Z")
        before = snapshot(config)
        run = andamio(tmp_path, server.url, ["apikey", "usage"], **no_env_secrets())
    assert_clean_error(run, 1, "HTTP 200, application/json")
    assert snapshot(config) == before
    assert len(server.requests) == 1  # the usage call never went out


def test_a_good_refresh_reply_is_stored_and_carried_the_api_key(tmp_path):
    with HostileServer(fixed(json.dumps(GOOD).encode())) as server:
        config = seed(tmp_path, server.url)
        run = andamio(tmp_path, server.url, ["refresh", "--json"], **no_env_secrets())
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert json.loads(run.stdout)["jwt_expires_at"] == "2099-01-01T00:00:00Z"
    assert header(server.requests[0], "X-API-Key") == API_KEY
    stored = json.loads(snapshot(config)["credentials.json"])["profiles"]["default"]
    assert stored["dev_jwt"] == NEW_JWT and stored["refresh_token"] == NEW_REFRESH


@pytest.mark.parametrize("name", ["jwt.expires_at in epoch milliseconds", "jwt.token empty"])
def test_a_bad_wallet_login_reply_stores_nothing(tmp_path, name):
    session = {"session_id": "s1", "nonce": "n" * 32, "expires_at": "2099-01-01T00:00:00Z"}
    routes = {
        "/login/session": fixed(json.dumps(session).encode()),
        "/login/complete": fixed(BAD_REPLIES[name]),
    }
    with (
        Sandbox(port=0, workdir=str(tmp_path / "wallet")) as sb,
        HostileServer(by_path(routes)) as server,
    ):
        config = seed(tmp_path, server.url)
        before = snapshot(config)
        dev = sb.dev
        args = ["login", "--skey", dev.skey_path, "--alias", dev.alias, "--address", dev.address]
        run = andamio(tmp_path, server.url, args, **no_env_secrets())
    assert_clean_error(run, 1, "HTTP 200, application/json")
    assert snapshot(config) == before
    assert [header(r, "X-API-Key") for r in server.requests] == [API_KEY, API_KEY]


# --- the emulator accepts X-API-Key on the auth routes ----------------------------------------


@pytest.mark.parametrize("from_env", [False, True])
def test_refresh_against_the_sandbox_carries_x_api_key_and_works(tmp_path, from_env):
    with Sandbox(port=0, workdir=str(tmp_path / "sandbox")) as sb:
        config = str(tmp_path / "config")
        store = FileStore(config)
        store.set("default", "dev_jwt", sb.dev.jwt)
        store.set("default", "refresh_token", sb.dev.refresh_token)
        if not from_env:
            store.set("default", "api_key", sb.dev.api_key)
        Settings(config).update("default", store="file", credentials_url=sb.url)
        env = {"ANDAMIO_API_KEY": sb.dev.api_key if from_env else None, "ANDAMIO_DEV_JWT": None}
        run = andamio(tmp_path, sb.url, ["refresh", "--json"], **env)
        assert run.code == 0, run.stderr
        assert run.stderr == ""
        assert json.loads(run.stdout)["alias"] == sb.dev.alias
        assert [r.route for r in sb.requests] == ["token/refresh"]
        assert sb.requests[0].header("X-API-Key") == sb.dev.api_key
        stored = json.loads(snapshot(config)["credentials.json"])["profiles"]["default"]
        assert stored["refresh_token"] != sb.dev.refresh_token
        assert sb.state.jwt_user(stored["dev_jwt"]) is not None
        for secret in (sb.dev.api_key, stored["dev_jwt"], stored["refresh_token"]):
            assert secret not in run.stdout + run.stderr
