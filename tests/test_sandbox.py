"""The gateway emulator over real loopback HTTP."""

from __future__ import annotations

import _thread
import base64
import http.client
import io
import json
import os
import re
import stat
import threading
import time
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from andamio_cli.auth.wallet import (
    base_address,
    key_hash,
    load_skey,
    payment_credential,
    public_key,
    sign_nonce,
)
from andamio_cli.sandbox import Sandbox, run

DEV = "/api/v2/apikey/developer/"
AUTH = "/api/v2/auth/developer/"
KEY_FIELDS = {"api_key", "name", "created_at", "expires_at", "expires_in_days", "is_active"}
TOKEN_FIELDS = {"user_id", "alias", "tier", "jwt", "refresh_token"}
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UNAUTHORIZED = "Unauthorized: Invalid or missing credentials."


@pytest.fixture
def sb(tmp_path):
    with Sandbox(workdir=tmp_path) as sandbox:
        yield sandbox
    assert sandbox.errors == []


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)


def call(sb, method, path, body=None, headers=(), timeout=5):
    """One request on a fresh connection; headers: a dict, or a list of pairs (repeats allowed)."""
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
        data = (
            None
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        if data is not None:
            pairs += [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        for name, value in pairs:
            conn.putheader(name, value)
        conn.endheaders(data)
        r = conn.getresponse()
        return Resp(r.status, r.headers, r.read())
    finally:
        conn.close()


def creds(dev, jwt=None):
    return {"X-API-Key": dev.api_key, "Authorization": f"Bearer {jwt or dev.jwt}"}


def jwt_payload(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def parse_iso(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def request_key(sb, dev, name, **extra):
    return call(sb, "POST", DEV + "key/request", {"api_key_name": name, **extra}, creds(dev))


def profile(sb, dev, jwt=None, key=None):
    headers = creds(dev, jwt)
    if key:
        headers["X-API-Key"] = key
    return call(sb, "GET", DEV + "profile/get", headers=headers)


def login_tokens(sb, seed=None, address=None, alias="sandbox-dev"):
    s = call(
        sb,
        "POST",
        AUTH + "login/session",
        {"alias": alias, "wallet_address": address or sb.dev.address},
        {"X-API-Key": sb.dev.api_key},
    )
    assert s.status == 200, s.body
    sig = sign_nonce(seed or sb.dev.seed, s.json["nonce"])
    return s.json, call(
        sb,
        "POST",
        AUTH + "login/complete",
        {"session_id": s.json["session_id"], "signature": sig},
        {"X-API-Key": sb.dev.api_key},
    )


# --- seeding, credentials ----------------------------------------------------------------------


def test_seeded_developer_has_key_wallet_and_jwt(sb):
    dev = sb.dev
    assert (dev.alias, dev.tier) == ("sandbox-dev", "starter")
    assert re.fullmatch(r"ant_pp_[A-Za-z0-9]{40}", dev.api_key)
    assert dev.refresh_token.startswith("rt_")
    assert stat.S_IMODE(os.stat(dev.skey_path).st_mode) == 0o600
    assert os.path.dirname(dev.skey_path) == str(sb.workdir)
    envelope = json.loads(open(dev.skey_path).read())
    assert envelope["type"] == "PaymentSigningKeyShelley_ed25519"
    assert load_skey(dev.skey_path) == dev.seed
    assert dev.address.startswith("addr_test1") and 103 <= len(dev.address) <= 108
    assert payment_credential(dev.address) == key_hash(public_key(dev.seed))
    claims = jwt_payload(dev.jwt)
    assert set(claims) == {"sub", "alias", "typ", "iat", "exp", "jti"}
    assert (claims["sub"], claims["alias"], claims["typ"]) == (
        dev.user_id,
        "sandbox-dev",
        "developer",
    )
    assert 3600 <= claims["exp"] - claims["iat"] <= 3601
    assert sb.url == f"http://127.0.0.1:{sb.port}"


def test_api_key_alone_is_401_naming_the_jwt(sb):
    r = call(sb, "GET", DEV + "profile/get", headers={"X-API-Key": sb.dev.api_key})
    assert r.status == 401
    assert r.header("Content-Type") == "application/json"
    assert r.json["status_code"] == 401
    assert r.json["message"] == "Authorization header with Developer JWT required"


def test_jwt_alone_is_401_flat_snake_case(sb):
    r = call(sb, "GET", DEV + "profile/get", headers={"Authorization": f"Bearer {sb.dev.jwt}"})
    assert r.status == 401
    assert set(r.json) == {"status_code", "message", "details"}
    assert (r.json["status_code"], r.json["message"]) == (401, UNAUTHORIZED)


def test_bad_jwt_and_foreign_jwt_are_refused(sb):
    forged = sb.dev.jwt[:-2] + ("AA" if not sb.dev.jwt.endswith("AA") else "BB")
    r = profile(sb, sb.dev, jwt=forged)
    assert (r.status, r.json["message"]) == (401, "Invalid or expired Developer JWT")
    other = sb.mint_developer("other", "pioneer")
    r = profile(sb, sb.dev, jwt=other.jwt)
    assert (r.status, r.json["status_code"]) == (403, 403)


def test_two_authorization_headers_are_400(sb):
    auth = ("Authorization", f"Bearer {sb.dev.jwt}")
    r = call(sb, "GET", DEV + "profile/get", headers=[("X-API-Key", sb.dev.api_key), auth, auth])
    assert (r.status, r.json["status_code"]) == (400, 400)


def test_jwt_expires_after_jwt_ttl(sb):
    sb.jwt_ttl = 1
    token = sb.mint_jwt(sb.dev)
    exp = jwt_payload(token)["exp"]
    assert 0.9 <= exp - time.time() <= 2.0
    assert profile(sb, sb.dev, jwt=token).status == 200
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    r = profile(sb, sb.dev, jwt=token)
    assert (r.status, r.json["message"]) == (401, "Invalid or expired Developer JWT")


# --- key management --------------------------------------------------------------------------


def test_request_key_shape_and_new_key_works(sb):
    r = request_key(sb, sb.dev, "ci key.1")
    assert r.status == 200, r.body
    assert r.header("Content-Type") == "application/json"
    body = r.json
    assert set(body) == KEY_FIELDS
    assert (
        re.fullmatch(r"ant_pp_[A-Za-z0-9]{40}", body["api_key"])
        and body["api_key"] != sb.dev.api_key
    )
    assert (body["name"], body["expires_in_days"], body["is_active"]) == ("ci key.1", 365, True)
    assert ISO_Z.fullmatch(body["created_at"]) and ISO_Z.fullmatch(body["expires_at"])
    assert parse_iso(body["expires_at"]) - parse_iso(body["created_at"]) == 365 * 86400
    assert profile(sb, sb.dev, key=body["api_key"]).status == 200


def test_request_accepts_guide_name_field_and_expiry(sb):
    r = call(
        sb, "POST", DEV + "key/request", {"name": "from-guide", "expires_in_days": 7}, creds(sb.dev)
    )
    assert r.status == 200, r.body
    assert (r.json["name"], r.json["expires_in_days"]) == ("from-guide", 7)
    assert parse_iso(r.json["expires_at"]) - parse_iso(r.json["created_at"]) == 7 * 86400


def test_tier_cap_is_429_nested_and_duplicate_is_409(sb):
    assert request_key(sb, sb.dev, "second").status == 200
    dup = request_key(sb, sb.dev, "second")
    assert (dup.status, dup.json["status_code"]) == (409, 409)
    r = request_key(sb, sb.dev, "third")
    assert r.status == 429
    assert set(r.json) == {"error"}
    assert r.json["error"]["code"] == "tier_limit_exceeded"
    assert r.json["error"]["message"].startswith("maximum API key limit (2) reached for your tier;")
    assert r.json["error"]["details"] == ""
    assert r.header("Retry-After") is None


def test_pioneer_developer_is_capped_at_one(sb):
    other = sb.mint_developer("pioneer-dev", "pioneer")
    r = request_key(sb, other, "more")
    assert (r.status, r.json["error"]["code"]) == (429, "tier_limit_exceeded")
    assert "(1)" in r.json["error"]["message"]
    with pytest.raises(ValueError):
        sb.mint_developer("pioneer-dev", "pioneer")
    with pytest.raises(ValueError):
        sb.mint_developer("x", "platinum")


@pytest.mark.parametrize(
    "body",
    [
        {"api_key_name": "ab"},
        {"api_key_name": "x" * 65},
        {"api_key_name": "bad/name"},
        {"api_key_name": 123},
        {},
        {"api_key_name": "okay", "expires_in_days": 0},
        {"api_key_name": "okay", "expires_in_days": True},
        {"api_key_name": "okay", "expires_in_days": "5"},
        {"api_key_name": "okay", "expires_in_days": 1.5},
    ],
)
def test_invalid_request_input_is_422(sb, body):
    r = call(sb, "POST", DEV + "key/request", body, creds(sb.dev))
    assert (r.status, r.json["status_code"]) == (422, 422)
    assert r.json["message"] == "Unprocessable Entity: Invalid request structure or data."


def test_non_json_body_is_400(sb):
    r = call(sb, "POST", DEV + "key/request", b"{nope", creds(sb.dev))
    assert (r.status, r.json["status_code"]) == (400, 400)


def test_rotate_extends_by_name_and_by_id(sb):
    created = request_key(sb, sb.dev, "rot-me", expires_in_days=10).json
    r = call(
        sb,
        "POST",
        DEV + "key/rotate",
        {"api_key_name": "rot-me", "expires_in_days": 5},
        creds(sb.dev),
    )
    assert r.status == 200, r.body
    expected = parse_iso(created["expires_at"]) + 5 * 86400
    assert r.json == {
        "confirmation": "API key expiration extended to "
        + f"{datetime.fromtimestamp(expected, timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
    }
    key_id = next(k["id"] for k in profile(sb, sb.dev).json["active_keys"] if k["name"] == "rot-me")
    r = call(sb, "POST", DEV + "key/rotate", {"key_id": key_id.upper()}, creds(sb.dev))
    assert r.status == 200 and r.json["confirmation"].startswith("API key expiration extended to ")
    assert profile(sb, sb.dev, key=created["api_key"]).status == 200


def test_rotate_and_delete_unknown_key_are_404(sb):
    for route in ("key/rotate", "key/delete"):
        for body in ({"api_key_name": "nope-key"}, {"key_id": str(uuid.uuid4())}):
            r = call(sb, "POST", DEV + route, body, creds(sb.dev))
            assert (r.status, r.json["status_code"]) == (404, 404), (route, body)
        r = call(sb, "POST", DEV + route, {"key_id": "not-a-uuid"}, creds(sb.dev))
        assert r.status == 422


def test_rotate_new_key_mode_invalidates_old_secret(sb):
    sb.rotate_mode = "new-key"
    old = request_key(sb, sb.dev, "swap-me").json
    r = call(sb, "POST", DEV + "key/rotate", {"api_key_name": "swap-me"}, creds(sb.dev))
    assert r.status == 200
    assert set(r.json) == KEY_FIELDS
    assert r.json["name"] == "swap-me" and r.json["api_key"] != old["api_key"]
    assert profile(sb, sb.dev, key=old["api_key"]).status == 401
    assert profile(sb, sb.dev, key=r.json["api_key"]).status == 200


def test_delete_key_makes_it_unusable(sb):
    new = request_key(sb, sb.dev, "doomed").json
    r = call(sb, "POST", DEV + "key/delete", {"api_key_name": "doomed"}, creds(sb.dev))
    assert (r.status, r.json) == (200, {"confirmation": "API key deleted successfully"})
    r = profile(sb, sb.dev, key=new["api_key"])
    assert (r.status, r.json["message"]) == (401, UNAUTHORIZED)
    assert [k["name"] for k in profile(sb, sb.dev).json["active_keys"]] == ["sandbox-default"]
    assert (
        call(sb, "POST", DEV + "key/delete", {"api_key_name": "doomed"}, creds(sb.dev)).status
        == 404
    )


def test_profile_shape_raw_keys_and_v1_wrapping(sb):
    r = profile(sb, sb.dev)
    assert r.status == 200 and r.header("Content-Type") == "application/json"
    body = r.json
    assert set(body) == {"user_id", "alias", "tier", "created_at", "active_keys"}
    assert (body["user_id"], body["alias"], body["tier"]) == (
        sb.dev.user_id,
        "sandbox-dev",
        "starter",
    )
    [key] = body["active_keys"]
    assert set(key) == KEY_FIELDS | {"id"}
    assert key["api_key"] == sb.dev.api_key and key["id"] == sb.dev.key_id
    assert str(uuid.UUID(key["id"])) == key["id"]
    sb.wrap_reads = True
    assert profile(sb, sb.dev).json == {"data": body}
    assert set(call(sb, "GET", DEV + "usage/get", headers=creds(sb.dev)).json) == {"data"}


def test_usage_counts_calls_and_sends_rate_limit_headers(sb):
    for _ in range(3):
        profile(sb, sb.dev)
    r = call(sb, "GET", DEV + "usage/get", headers=creds(sb.dev))
    assert r.status == 200
    u = r.json
    assert (u["daily_quota_consumed"], u["monthly_quota_consumed"]) == (4, 4)
    assert (u["daily_quota_limit"], u["monthly_quota_limit"]) == (5000, 100000)
    assert (u["remaining_daily"], u["remaining_monthly"]) == (4996, 99996)
    assert u["subscription_tier"] == "Starter" and ISO_Z.fullmatch(u["expiration"])
    assert u["rate_limit_windows"] == ["300 req/min", "5000 req/day", "100000 req/month"]
    assert (r.header("X-RateLimit-Limit"), r.header("X-RateLimit-Remaining")) == ("5000", "4996")
    assert 0 < int(r.header("X-RateLimit-Reset")) - time.time() <= 86400


def test_account_delete_revokes_everything(sb):
    other = sb.mint_developer("leaver", "growth")
    r = call(sb, "POST", DEV + "account/delete", {}, creds(other))
    assert r.status == 200 and "message" in r.json
    assert profile(sb, other).status == 401
    assert (
        call(sb, "POST", AUTH + "token/refresh", {"refresh_token": other.refresh_token}).status
        == 401
    )


def test_concurrent_requests_respect_the_cap(sb):
    barrier = threading.Barrier(10)
    statuses = []

    def worker(i):
        barrier.wait()
        statuses.append(request_key(sb, sb.dev, f"race-{i}").status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [429] * 9
    assert len(profile(sb, sb.dev).json["active_keys"]) == 2


# --- wallet login and refresh ------------------------------------------------------------------


def test_wallet_login_full_flow(sb):
    session, r = login_tokens(sb)
    assert set(session) == {"session_id", "nonce", "expires_at"}
    assert 299 <= parse_iso(session["expires_at"]) - time.time() <= 300
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
    assert 29 * 86400 < parse_iso(body["refresh_token"]["expires_at"]) - time.time() <= 30 * 86400
    assert profile(sb, sb.dev, jwt=body["jwt"]["token"]).status == 200
    again = call(
        sb,
        "POST",
        AUTH + "login/complete",
        {
            "session_id": session["session_id"],
            "signature": sign_nonce(sb.dev.seed, session["nonce"]),
        },
        {"X-API-Key": sb.dev.api_key},
    )
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
    s = call(
        sb,
        "POST",
        AUTH + "login/session",
        {"alias": "sandbox-dev", "wallet_address": sb.dev.address},
        {"X-API-Key": sb.dev.api_key},
    ).json
    sig = sign_nonce(sb.dev.seed, s["nonce"] + "x")
    r = call(
        sb,
        "POST",
        AUTH + "login/complete",
        {"session_id": s["session_id"], "signature": sig},
        {"X-API-Key": sb.dev.api_key},
    )
    assert r.status == 401 and set(r.json) == {"code", "message"}
    assert r.json["code"] == "signature_verification_failed"


def test_expired_or_unknown_session_is_refused(sb):
    sb.session_ttl = 0.2
    s = call(
        sb,
        "POST",
        AUTH + "login/session",
        {"alias": "sandbox-dev", "wallet_address": sb.dev.address},
        {"X-API-Key": sb.dev.api_key},
    ).json
    time.sleep(0.3)
    sig = sign_nonce(sb.dev.seed, s["nonce"])
    for sid in (s["session_id"], str(uuid.uuid4())):
        r = call(
            sb,
            "POST",
            AUTH + "login/complete",
            {"session_id": sid, "signature": sig},
            {"X-API-Key": sb.dev.api_key},
        )
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
    r = call(
        sb,
        "POST",
        AUTH + "login/session",
        {"alias": "sandbox-dev", "wallet_address": sb.dev.address},
    )
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
    r = call(sb, "GET", "/nowhere")
    assert r.status == 503
    ahead = parsedate_to_datetime(r.header("Retry-After")).timestamp() - time.time()
    assert 28 <= ahead <= 31
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


# --- v1 ----------------------------------------------------------------------------------------


def test_v1_refuses_both_headers(sb):
    for path, case in (
        ("/api/v1/apikey/request", "statusCode"),
        ("/api/v1/apikey/rotate", "status_code"),
    ):
        r = call(sb, "POST", path, {"api_key_name": "v1-key"}, creds(sb.dev))
        assert r.status == 400
        assert r.json[case] == 400
        assert (
            r.json["message"] == "Provide either Authorization header or X-API-Key header, not both"
        )


def test_v1_request_uses_camel_case_errors(sb):
    bearer = {"Authorization": f"Bearer {sb.dev.jwt}"}
    r = call(sb, "POST", "/api/v1/apikey/request", {"api_key_name": "no"}, bearer)
    assert r.status == 422 and set(r.json) == {"statusCode", "message", "details"}
    r = call(sb, "POST", "/api/v1/apikey/request", {"api_key_name": "v" * 100}, bearer)
    assert r.status == 200 and set(r.json) == KEY_FIELDS
    r = call(sb, "POST", "/api/v1/apikey/request", {"api_key_name": "another"}, bearer)
    assert (r.status, r.json["statusCode"]) == (429, 429)
    r = call(
        sb, "POST", "/api/v1/apikey/request", {"api_key_name": "x"}, {"X-API-Key": sb.dev.api_key}
    )
    assert (r.status, r.json["statusCode"]) == (401, 401)


def test_v1_rotate_conflict_extension_and_404(sb):
    bearer = {"Authorization": f"Bearer {sb.dev.jwt}"}
    r = call(sb, "POST", "/api/v1/apikey/rotate", {"api_key_name": "sandbox-default"}, bearer)
    assert (
        r.status == 409
        and r.json["status_code"] == 409
        and "not due for rotation" in r.json["message"]
    )
    soon = request_key(sb, sb.dev, "short-lived", expires_in_days=1).json
    r = call(sb, "POST", "/api/v1/apikey/rotate", {"api_key_name": "short-lived"}, bearer)
    assert r.status == 200, r.body
    extended = parse_iso(r.json["confirmation"].rsplit(" ", 1)[1])
    assert extended - parse_iso(soon["expires_at"]) == 30 * 86400
    r = call(sb, "POST", "/api/v1/apikey/rotate", {"api_key_name": "missing"}, bearer)
    assert (r.status, r.json["status_code"]) == (404, 404)


# --- persistence, app page, misc ---------------------------------------------------------------


def test_state_file_survives_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with Sandbox(state_file=state_file, workdir=tmp_path / "a") as first:
        extra = request_key(first, first.dev, "kept").json["api_key"]
        dev = first.dev
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    with Sandbox(state_file=state_file, workdir=tmp_path / "b") as second:
        assert (second.dev.user_id, second.dev.address, second.dev.api_key) == (
            dev.user_id,
            dev.address,
            dev.api_key,
        )
        assert load_skey(second.dev.skey_path) == dev.seed
        assert profile(second, dev, key=extra).status == 200
        r = call(second, "POST", AUTH + "token/refresh", {"refresh_token": dev.refresh_token})
        assert r.status == 200, r.body
        assert sorted(k["name"] for k in profile(second, second.dev).json["active_keys"]) == [
            "kept",
            "sandbox-default",
        ]


@pytest.fixture
def listener():
    got, done = [], threading.Event()

    class Catch(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(
                (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/callback", got, done
    server.shutdown()
    server.server_close()


def test_app_page_posts_the_callback(sb, listener):
    url, got, done = listener
    r = call(sb, "GET", f"/auth/dev-cli?redirect_uri={quote(url, safe='')}&state=abc123")
    assert r.status == 200 and r.header("Content-Type").startswith("text/html")
    assert done.wait(5)
    headers, body = got[0]
    assert headers["Origin"] == sb.url and headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == {
        "state",
        "dev_jwt",
        "dev_jwt_expires_at",
        "dev_refresh_token",
        "dev_refresh_token_expires_at",
        "alias",
        "address",
    }
    assert (payload["state"], payload["alias"], payload["address"]) == (
        "abc123",
        "sandbox-dev",
        sb.dev.address,
    )
    assert profile(sb, sb.dev, jwt=payload["dev_jwt"]).status == 200
    deadline = time.monotonic() + 5  # the app thread records the answer after the listener saw it
    while not sb.callbacks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sb.callbacks == [(200, b"")]


def test_app_page_reports_errors_and_refuses_foreign_hosts(sb, listener):
    url, got, done = listener
    sb.browser_result = "user_cancelled"
    assert (
        call(sb, "GET", f"/auth/dev-cli?redirect_uri={quote(url, safe='')}&state=s1").status == 200
    )
    assert done.wait(5)
    assert json.loads(got[0][1]) == {"state": "s1", "error": "user_cancelled"}
    for bad in ("https://127.0.0.1:1/cb", "http://evil.example:80/cb", "http://127.0.0.1/cb"):
        r = call(sb, "GET", f"/auth/dev-cli?redirect_uri={quote(bad, safe='')}&state=s2")
        assert (r.status, r.json["error"]) == (400, "invalid_request")


def test_unknown_route_wrong_method_and_request_log(sb):
    r = call(sb, "GET", "/api/v2/nothing?x=1")
    assert (r.status, r.header("Content-Type"), r.json["error"]) == (
        404,
        "application/json",
        "not_found",
    )
    r = call(sb, "GET", DEV + "key/request")
    assert (r.status, r.header("Allow")) == (405, "POST")
    sb.clear_requests()
    request_key(sb, sb.dev, "logged")
    [rec] = sb.requests
    assert (rec.method, rec.path, rec.route, rec.query) == (
        "POST",
        DEV + "key/request",
        "key/request",
        {},
    )
    assert rec.json == {"api_key_name": "logged"} and rec.body == b'{"api_key_name": "logged"}'
    assert ("X-API-Key", sb.dev.api_key) in rec.headers


def test_run_prints_exports_and_stops_on_ctrl_c(tmp_path):
    err, seen = io.StringIO(), {}

    def poke():
        for _ in range(100):
            if "wallet:" in err.getvalue():
                break
            time.sleep(0.02)
        lines = dict(re.findall(r"export (\w+)=(\S+)", err.getvalue()))
        port = int(lines["ANDAMIO_BASE_URL"].rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(
            "GET",
            DEV + "profile/get",
            headers={
                "X-API-Key": lines["ANDAMIO_API_KEY"],
                "Authorization": f"Bearer {lines['ANDAMIO_DEV_JWT']}",
            },
        )
        seen["status"] = conn.getresponse().status
        conn.close()
        _thread.interrupt_main()

    threading.Thread(target=poke, daemon=True).start()
    assert run(port=0, faults=["usage/get=503"], err=err) == 0
    assert seen["status"] == 200
    assert re.search(
        r"^# wallet: andamio login --skey \S+ --alias sandbox-dev --address addr_test1\w+$",
        err.getvalue(),
        re.M,
    )


def test_run_busy_port_and_bad_fault(sb):
    err = io.StringIO()
    assert run(port=sb.port, err=err) == 5
    assert (
        err.getvalue().startswith("Error: cannot listen on 127.0.0.1:")
        and err.getvalue().count("\n") == 1
    )
    err = io.StringIO()
    assert run(port=0, faults=["profile/get"], err=err) == 4
