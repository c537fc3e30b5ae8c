"""The emulator's developer account routes (email verification, account deletion) and the
rotate modes, over real loopback HTTP."""

from __future__ import annotations

import time

import pytest
from sandbox_client import AUTH, DEV, ISO_Z, KEY_FIELDS, call, creds, profile, request_key

from andamio_cli.sandbox import Sandbox
from andamio_cli.times import parse_time

STATUS_FIELDS = {
    "email_verified",
    "can_resend",
    "remaining_attempts",
    "verification_email_sent_at",
    "wait_duration_seconds",
}


def email_status(sb, dev):
    return call(sb, "GET", AUTH + "email-status", headers=creds(dev))


def resend(sb, dev, body=None):
    return call(sb, "POST", AUTH + "resend-verification", {} if body is None else body, creds(dev))


def test_email_status_of_a_verified_developer(sb):
    r = email_status(sb, sb.dev)
    assert r.status == 200, r.body
    assert r.json == {
        "email_verified": True,
        "can_resend": False,
        "remaining_attempts": 5,
        "verification_email_sent_at": None,
        "wait_duration_seconds": 0,
    }
    assert r.header("X-RateLimit-Limit") == "5000"


@pytest.mark.parametrize("route", ["email-status", "resend-verification"])
def test_account_routes_need_both_credentials(sb, route):
    method = "GET" if route == "email-status" else "POST"
    body = None if method == "GET" else {}
    only_key = {"X-API-Key": sb.dev.api_key}
    only_jwt = {"Authorization": f"Bearer {sb.dev.jwt}"}
    for headers in (only_key, only_jwt, {}):
        r = call(sb, method, AUTH + route, body, headers)
        assert r.status == 401, (headers.keys(), r.body)
    other_method = "POST" if method == "GET" else "GET"
    assert call(sb, other_method, AUTH + route, body, creds(sb.dev)).status == 405


def test_resend_for_a_verified_developer_is_409(sb):
    r = resend(sb, sb.dev)
    assert r.status == 409
    assert r.json == {
        "error": {
            "code": "email_already_verified",
            "message": "Email is already verified",
            "details": "",
        }
    }


def test_resend_counts_down_and_cools_down(sb):
    sb.set_email_verified(sb.dev, False)
    before = email_status(sb, sb.dev).json
    assert before == {
        "email_verified": False,
        "can_resend": True,
        "remaining_attempts": 5,
        "verification_email_sent_at": None,
        "wait_duration_seconds": 0,
    }
    r = resend(sb, sb.dev)
    assert r.status == 200, r.body
    assert set(r.json) == {"message", "next_resend_available_at", "remaining_attempts"}
    assert r.json["remaining_attempts"] == 4
    next_at = parse_time(r.json["next_resend_available_at"])
    assert next_at is not None and 250 < next_at - time.time() <= 301
    status = email_status(sb, sb.dev).json
    assert status["can_resend"] is False and status["remaining_attempts"] == 4
    assert 250 < status["wait_duration_seconds"] <= 300
    assert ISO_Z.fullmatch(status["verification_email_sent_at"])
    again = resend(sb, sb.dev)
    assert again.status == 429
    assert again.json["error"]["code"] == "resend_limit_exceeded"
    assert "resend cool-down" in again.json["error"]["message"]
    assert 250 < int(again.header("Retry-After")) <= 300


def test_five_mails_a_day_then_429_until_the_oldest_leaves_the_window(sb):
    sb.set_email_verified(sb.dev, False)
    now = time.time()
    user = sb.state.users[sb.dev.user_id]
    user.verification_sends = [now - 20 * 3600 + i * 600 for i in range(4)] + [now - 3600]
    status = email_status(sb, sb.dev).json
    assert (status["can_resend"], status["remaining_attempts"]) == (False, 0)
    assert 4 * 3600 - 60 < status["wait_duration_seconds"] <= 4 * 3600
    r = resend(sb, sb.dev)
    assert r.status == 429 and "daily resend limit" in r.json["error"]["message"]
    assert 4 * 3600 - 60 < int(r.header("Retry-After")) <= 4 * 3600
    user.verification_sends = [now - 25 * 3600] + [now - 3600 * (5 - i) for i in range(4)]
    r = resend(sb, sb.dev)
    assert r.status == 200 and r.json["remaining_attempts"] == 0


def test_resend_refuses_a_body_that_is_not_an_object(sb):
    sb.set_email_verified(sb.dev, False)
    assert resend(sb, sb.dev, [1]).status == 400


@pytest.mark.parametrize("route", ["key/request", "key/rotate"])
def test_unverified_developer_cannot_request_or_rotate(sb, route):
    sb.set_email_verified(sb.dev, False)
    r = call(sb, "POST", DEV + route, {"api_key_name": "sandbox-default"}, creds(sb.dev))
    assert r.status == 403
    assert r.json["error"]["code"] == "email_not_verified"
    assert r.json["error"]["message"] == "Email verification required"
    sb.set_email_verified(sb.dev, True)
    assert request_key(sb, sb.dev, "after-verify").status == 200


def test_unverified_state_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    with Sandbox(workdir=tmp_path / "a", state_file=state) as first:
        first.set_email_verified(first.dev, False)
        assert resend(first, first.dev).status == 200
    with Sandbox(workdir=tmp_path / "b", state_file=state) as second:
        status = email_status(second, second.dev).json
        assert (status["email_verified"], status["remaining_attempts"]) == (False, 4)


def test_account_delete_takes_an_empty_object_only(sb):
    other = sb.mint_developer("leaver", "growth")
    r = call(sb, "POST", DEV + "account/delete", [1], creds(other))
    assert r.status == 400
    assert profile(sb, other).status == 200
    r = call(sb, "POST", DEV + "account/delete", {}, creds(other))
    assert (r.status, r.json) == (200, {"message": "Developer account deleted successfully"})
    assert profile(sb, other).status == 401


def test_rotate_defaults_to_a_new_key_and_the_old_one_dies(sb):
    assert Sandbox().rotate_mode == "new-key"
    old = request_key(sb, sb.dev, "swap-me").json
    r = call(sb, "POST", DEV + "key/rotate", {"api_key_name": "swap-me"}, creds(sb.dev))
    assert r.status == 200 and set(r.json) == KEY_FIELDS
    assert r.json["api_key"] != old["api_key"]
    assert profile(sb, sb.dev, key=old["api_key"]).status == 401
    assert profile(sb, sb.dev, key=r.json["api_key"]).status == 200


def test_rotate_extend_mode_keeps_the_secret(tmp_path):
    with Sandbox(workdir=tmp_path, rotate_mode="extend") as sb:
        old = request_key(sb, sb.dev, "keep-me").json
        r = call(sb, "POST", DEV + "key/rotate", {"api_key_name": "keep-me"}, creds(sb.dev))
        assert r.status == 200
        assert r.json["confirmation"].startswith("API key expiration extended to ")
        assert profile(sb, sb.dev, key=old["api_key"]).status == 200


def test_unknown_rotate_mode_is_refused():
    with pytest.raises(ValueError, match="new-key, extend"):
        Sandbox(rotate_mode="renew")


def test_after_the_cool_down_another_mail_can_be_sent(sb):
    sb.set_email_verified(sb.dev, False)
    assert resend(sb, sb.dev).status == 200
    assert resend(sb, sb.dev).status == 429
    sb.advance(301)
    status = email_status(sb, sb.dev).json
    assert (status["can_resend"], status["wait_duration_seconds"]) == (True, 0)
    r = resend(sb, sb.dev)
    assert (r.status, r.json["remaining_attempts"]) == (200, 3)


def test_the_daily_window_rolls(sb):
    sb.set_email_verified(sb.dev, False)
    for _ in range(5):
        assert resend(sb, sb.dev).status == 200
        sb.advance(301)
    r = resend(sb, sb.dev)
    assert r.status == 429 and "daily resend limit" in r.json["error"]["message"]
    sb.advance(86400 - 5 * 301 + 1)
    jwt = sb.mint_jwt(sb.dev)  # the seeded one has expired by now
    r = call(sb, "POST", AUTH + "resend-verification", {}, creds(sb.dev, jwt))
    assert (r.status, r.json["remaining_attempts"]) == (200, 0)
