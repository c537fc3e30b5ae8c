"""The gateway emulator over real loopback HTTP: injected faults."""

from __future__ import annotations

import http.client
import json
import time
from email.utils import parsedate_to_datetime

import pytest
from sandbox_client import (
    DEV,
    call,
    creds,
    profile,
    request_key,
)

# --- faults ------------------------------------------------------------------------------------


def test_fault_queue_is_consumed_in_order(sb):
    sb.add_faults("profile/get", "503,429:retry-after=1")
    first, second, third = (profile(sb, sb.dev) for _ in range(3))
    assert (first.status, first.header("Content-Type"), first.json["status_code"]) == (
        503,
        "application/json",
        503,
    )
    assert (second.status, second.header("Retry-After")) == (429, "1")
    assert third.status == 200 and third.json["alias"] == "sandbox-dev"
    assert [r.route for r in sb.requests] == ["profile/get"] * 3


def test_drop_and_reset_break_the_connection(sb, capfd):
    sb.add_faults("usage/get", "drop,reset")
    with pytest.raises(http.client.RemoteDisconnected):
        call(sb, "GET", DEV + "usage/get", headers=creds(sb.dev))
    with pytest.raises(ConnectionResetError) as info:
        call(sb, "GET", DEV + "usage/get", headers=creds(sb.dev))
    assert not isinstance(info.value, http.client.RemoteDisconnected)
    assert call(sb, "GET", DEV + "usage/get", headers=creds(sb.dev)).status == 200
    assert len(sb.requests) == 3
    assert capfd.readouterr() == ("", "")


def test_body_faults_and_no_side_effects(sb):
    sb.add_faults(
        "key/request",
        "truncated,502-html,empty,not-json,missing-fields,redirect=http://127.0.0.1:9/x",
    )
    r = request_key(sb, sb.dev, "never")
    assert (r.status, r.header("Content-Type")) == (200, "application/json")
    assert int(r.header("Content-Length")) == len(r.body) > 0
    with pytest.raises(ValueError):
        json.loads(r.body)
    r = request_key(sb, sb.dev, "never")
    assert (
        r.status == 502 and r.header("Content-Type").startswith("text/html") and b"<html>" in r.body
    )
    r = request_key(sb, sb.dev, "never")
    assert (r.status, r.body) == (200, b"")
    r = request_key(sb, sb.dev, "never")
    assert (r.status, r.header("Content-Type")) == (200, "text/plain; charset=utf-8")
    assert request_key(sb, sb.dev, "never").json == {}
    r = request_key(sb, sb.dev, "never")
    assert (r.status, r.header("Location")) == (302, "http://127.0.0.1:9/x")
    assert [k["name"] for k in profile(sb, sb.dev).json["active_keys"]] == ["sandbox-default"]


def test_delay_retry_after_date_and_wildcard(sb):
    sb.add_faults("*", "delay=0.5,503:retry-after-date=30,delay=1")
    start = time.monotonic()
    assert profile(sb, sb.dev).status == 200
    assert time.monotonic() - start >= 0.5
    before = time.time()
    r = call(sb, "GET", "/nowhere")
    after = time.time()
    assert r.status == 503
    date = parsedate_to_datetime(r.header("Retry-After")).timestamp()  # whole seconds
    assert before + 29 < date <= after + 30
    with pytest.raises(TimeoutError):
        call(sb, "GET", "/nowhere", timeout=0.2)
    time.sleep(1)
    assert call(sb, "GET", "/nowhere").status == 404


def test_bad_fault_specs_are_rejected(sb):
    for route, spec in [
        ("profile/get", "999"),
        ("profile/get", "explode"),
        ("profile/get", "delay=x"),
        ("nowhere", "503"),
        ("profile/get", ""),
    ]:
        with pytest.raises(ValueError):
            sb.add_faults(route, spec)
    sb.add_faults("profile/get", "500")
    sb.clear_faults()
    assert profile(sb, sb.dev).status == 200
