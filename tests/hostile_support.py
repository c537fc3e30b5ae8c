"""A recording MockTransport gateway and the contract checks for the hostile-input tests."""

from __future__ import annotations

import ipaddress
import json
import re

import httpx
from conftest import API_KEY, DEV_JWT, MemoryStore
from hypothesis import HealthCheck, settings

from andamio_cli.settings import V1_HOSTS

DEV = "/api/v2/apikey/developer"
AUTH = "/api/v2/auth/developer"
REFRESH = "rt_hostile_refresh_token_0000000000000"
NEW_KEY = "ant_pp_HOSTILENEWKEY000000000000000000000000"
NEW_JWT = DEV_JWT.replace("c2lnbmF0dXJl", "bmV3c2lnbmF0")
KEY_REPLY = {
    "api_key": NEW_KEY,
    "name": "good-name",
    "created_at": "2026-11-23T10:00:00Z",
    "expires_at": "2027-11-23T10:00:00Z",
    "expires_in_days": 365,
    "is_active": True,
}
GOOD = {
    ("POST", f"{DEV}/key/request"): KEY_REPLY,
    ("POST", f"{DEV}/key/rotate"): {"confirmation": "API key expiration extended to 2027-11-23"},
    ("POST", f"{DEV}/key/delete"): {"confirmation": "API key deleted successfully"},
    ("GET", f"{DEV}/profile/get"): {
        "user_id": "u1",
        "alias": "unit",
        "tier": "pioneer",
        "created_at": "2026-01-04T10:00:00Z",
        "active_keys": [{**KEY_REPLY, "api_key": API_KEY}],
    },
    ("GET", f"{DEV}/usage/get"): {
        "daily_quota_consumed": 5,
        "daily_quota_limit": 100,
        "subscription_tier": "Free",
    },
    ("POST", f"{AUTH}/token/refresh"): {
        "alias": "unit",
        "jwt": {"token": NEW_JWT, "expires_at": "2099-01-01T00:00:00Z"},
        "refresh_token": {"token": REFRESH + "2", "expires_at": "2099-02-01T00:00:00Z"},
    },
}
COMMANDS = {
    "request": (["apikey", "request", "good-name"], ("POST", f"{DEV}/key/request")),
    "rotate": (["apikey", "rotate", "good-name", "--yes"], ("POST", f"{DEV}/key/rotate")),
    "delete": (["apikey", "delete", "good-name", "--yes"], ("POST", f"{DEV}/key/delete")),
    "list": (["apikey", "list"], ("GET", f"{DEV}/profile/get")),
    "profile": (["apikey", "profile"], ("GET", f"{DEV}/profile/get")),
    "usage": (["apikey", "usage"], ("GET", f"{DEV}/usage/get")),
    "refresh": (["refresh"], ("POST", f"{AUTH}/token/refresh")),
}
CONTRACT_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 130}
# What a terminal may obey (tab and newline are layout, and stay).
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x1b[31mRED\x9b31m\u202eevil"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Recorder:
    """A MockTransport that records every request and answers with `reply(request)`."""

    def __init__(self, reply=None) -> None:
        self.requests: list[httpx.Request] = []
        self.reply = reply or good_reply

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)

    def body(self, index: int = 0):
        return json.loads(self.requests[index].content)


def good_reply(request: httpx.Request) -> httpx.Response:
    body = GOOD.get((request.method, request.url.path))
    if body is None:
        return httpx.Response(599, json={"message": "no such route in this test"})
    return httpx.Response(200, json=body)


def store() -> MemoryStore:
    return MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT, refresh_token=REFRESH)


def run(cli, args, reply=None, *, env=None, tty=False, creds=None):
    recorder = Recorder(reply)
    result = cli(
        args,
        store=creds or store(),
        transport=httpx.MockTransport(recorder.handler),
        env=env,
        tty=tty,
    )
    return result, recorder


def allowed(url: httpx.URL) -> bool:
    """The contract's allow-list, written out independently of settings.check_base_url."""
    host = url.host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    if host == "localhost":
        return True
    return url.scheme == "https" and (
        host == "andamio.io" or host.endswith(".andamio.io") or host in V1_HOSTS
    )


def assert_contract(result, recorder) -> None:
    """Exit code from the table, no traceback, known constant routes, allowed hosts only."""
    assert result.exit_code in CONTRACT_CODES, result
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr, result.stderr
    for request in recorder.requests:
        assert (request.method, request.url.path) in GOOD, request.url
        assert request.url.query == b""
        assert allowed(request.url), request.url
    if result.exit_code != 0:
        assert result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, result.stderr


def assert_inert(text: str, where: str) -> None:
    found = TERMINAL_CONTROLS.findall(text)
    assert not found, f"terminal controls {found!r} on {where}: {text!r}"
