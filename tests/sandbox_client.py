"""A raw HTTP client for the gateway emulator, and its route constants."""

from __future__ import annotations

import base64
import http.client
import json
import re
from datetime import datetime, timezone

from andamio_cli.auth.wallet import (
    sign_nonce,
)

DEV = "/api/v2/apikey/developer/"
AUTH = "/api/v2/auth/developer/"
KEY_FIELDS = {"api_key", "name", "created_at", "expires_at", "expires_in_days", "is_active"}
TOKEN_FIELDS = {"user_id", "alias", "tier", "jwt", "refresh_token"}
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UNAUTHORIZED = "Unauthorized: Invalid or missing credentials."


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


def open_session(sb, alias="sandbox-dev", address=None, headers=None):
    """POST login/session (with the seeded developer's API key unless headers are given)."""
    body = {"alias": alias, "wallet_address": address or sb.dev.address}
    if headers is None:
        headers = {"X-API-Key": sb.dev.api_key}
    return call(sb, "POST", AUTH + "login/session", body, headers)


def complete_session(sb, session_id, signature):
    """POST login/complete with the seeded developer's API key."""
    body = {"session_id": session_id, "signature": signature}
    return call(sb, "POST", AUTH + "login/complete", body, {"X-API-Key": sb.dev.api_key})


def login_tokens(sb, seed=None, address=None, alias="sandbox-dev"):
    s = open_session(sb, alias, address)
    assert s.status == 200, s.body
    sig = sign_nonce(seed or sb.dev.seed, s.json["nonce"])
    return s.json, complete_session(sb, s.json["session_id"], sig)
