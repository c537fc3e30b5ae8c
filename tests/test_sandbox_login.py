"""The gateway emulator over real loopback HTTP: wallet login and refresh."""

from __future__ import annotations

import time
import uuid

import pytest
from sandbox_client import (
    AUTH,
    ISO_Z,
    TOKEN_FIELDS,
    UNAUTHORIZED,
    call,
    complete_session,
    login_tokens,
    open_session,
    parse_iso,
    profile,
)

from andamio_cli.auth.wallet import (
    base_address,
    key_hash,
    public_key,
    sign_nonce,
)

# --- wallet login and refresh ------------------------------------------------------------------


def test_wallet_login_full_flow(sb):
    now = time.time()
    sb.state.clock = lambda: now
    session, r = login_tokens(sb)
    assert set(session) == {"session_id", "nonce", "expires_at"}
    assert 299 < parse_iso(session["expires_at"]) - now <= 300
    assert r.status == 200, r.body
    body = r.json
    assert set(body) == TOKEN_FIELDS
    assert (body["user_id"], body["alias"], body["tier"]) == (
        sb.dev.user_id,
        "sandbox-dev",
        "starter",
    )
    assert set(body["jwt"]) == set(body["refresh_token"]) == {"token", "expires_at"}
    assert ISO_Z.fullmatch(body["jwt"]["expires_at"]) and body["refresh_token"]["token"].startswith(
        "rt_"
    )
    assert 30 * 86400 - 1 < parse_iso(body["refresh_token"]["expires_at"]) - now <= 30 * 86400
    assert profile(sb, sb.dev, jwt=body["jwt"]["token"]).status == 200
    again = complete_session(sb, session["session_id"], sign_nonce(sb.dev.seed, session["nonce"]))
    assert (again.status, again.json["code"]) == (401, "session_already_used")


def test_wallet_login_rejects_wrong_key_and_wrong_address(sb):
    other_seed = bytes(range(32))
    _, r = login_tokens(sb, seed=other_seed)
    assert (r.status, r.json["code"]) == (401, "wallet_mismatch")
    other_address = base_address(key_hash(public_key(other_seed)), bytes(28))
    _, r = login_tokens(sb, address=other_address)
    assert (r.status, r.json["code"]) == (401, "wallet_mismatch")
    _, r = login_tokens(sb, seed=other_seed, address=other_address)
    assert (r.status, r.json["code"]) == (404, "user_not_found")
    _, r = login_tokens(sb, alias="someone-else")
    assert (r.status, r.json["code"]) == (401, "wallet_mismatch")


def test_wallet_login_rejects_a_bad_signature(sb):
    s = open_session(sb).json
    sig = sign_nonce(sb.dev.seed, s["nonce"] + "x")
    r = complete_session(sb, s["session_id"], sig)
    assert r.status == 401 and set(r.json) == {"code", "message"}
    assert r.json["code"] == "signature_verification_failed"


def test_expired_or_unknown_session_is_refused(sb):
    s = open_session(sb).json
    sb.advance(sb.session_ttl)
    sig = sign_nonce(sb.dev.seed, s["nonce"])
    for sid in (s["session_id"], str(uuid.uuid4())):
        r = complete_session(sb, sid, sig)
        assert (r.status, r.json["code"]) == (401, "session_expired")


@pytest.mark.parametrize(
    "body",
    [
        {"alias": "", "wallet_address": None},
        {"alias": "a" * 33, "wallet_address": None},
        {"alias": "sandbox-dev", "wallet_address": "addr_test1short"},
        {"alias": "sandbox-dev", "wallet_address": "addr_test1" + "q" * 98},
    ],
)
def test_login_session_validates_input(sb, body):
    body = dict(body, wallet_address=body["wallet_address"] or sb.dev.address)
    r = call(sb, "POST", AUTH + "login/session", body, {"X-API-Key": sb.dev.api_key})
    assert (r.status, r.json["code"]) == (422, "invalid_request")


def test_login_session_needs_an_api_key_and_old_route_is_gone(sb):
    r = open_session(sb, headers={})  # no API key
    assert (r.status, r.json["message"]) == (401, UNAUTHORIZED)
    r = call(sb, "POST", AUTH + "account/login", {})
    assert (r.status, r.json["error"]) == (410, "gone")


def test_refresh_rotates_and_spent_token_is_refused(sb):
    old = sb.dev.refresh_token
    r = call(sb, "POST", AUTH + "token/refresh", {"refresh_token": old})
    assert r.status == 200 and set(r.json) == TOKEN_FIELDS
    new = r.json["refresh_token"]["token"]
    assert new != old and profile(sb, sb.dev, jwt=r.json["jwt"]["token"]).status == 200
    again = call(sb, "POST", AUTH + "token/refresh", {"refresh_token": old})
    assert again.status == 401
    assert again.json["error"]["code"] == "invalid_refresh_token"
    assert call(sb, "POST", AUTH + "token/refresh", {"refresh_token": new}).status == 200
