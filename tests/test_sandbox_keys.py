"""The gateway emulator over real loopback HTTP: seeding, credentials, key management."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest
from sandbox_client import (
    AUTH,
    DEV,
    ISO_Z,
    KEY_FIELDS,
    UNAUTHORIZED,
    call,
    creds,
    jwt_payload,
    parse_iso,
    profile,
    request_key,
)

from andamio_cli.auth.wallet import (
    key_hash,
    load_skey,
    payment_credential,
    public_key,
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
    now = time.time()
    sb.state.clock = lambda: now
    token = sb.mint_jwt(sb.dev)
    exp = jwt_payload(token)["exp"]
    assert exp == math.ceil(now + sb.jwt_ttl)
    assert profile(sb, sb.dev, jwt=token).status == 200
    sb.advance(exp - now - 1)
    assert profile(sb, sb.dev, jwt=token).status == 200
    sb.advance(1)
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
    sb.rotate_mode = "extend"
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
