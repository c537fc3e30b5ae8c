"""A tiny HS256 JWT encoder and verifier for the sandbox gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from andamio_cli.auth.tokens import b64url_decode

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(signing_input: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode(payload: dict, secret: bytes) -> str:
    """Return a compact HS256 JWT for the payload."""
    head = _b64(json.dumps(_HEADER, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{head}.{body}"
    return f"{signing_input}.{_sign(signing_input, secret)}"


def decode(token: str, secret: bytes, now: float | None = None) -> dict | None:
    """Return the payload of a valid, unexpired HS256 JWT, else None."""
    try:
        head, body, sig = token.split(".")
        header = json.loads(b64url_decode(head))
        payload = json.loads(b64url_decode(body))
    except (ValueError, AttributeError):
        return None
    if (
        not isinstance(header, dict)
        or header.get("alg") != "HS256"
        or not isinstance(payload, dict)
    ):
        return None
    if not hmac.compare_digest(sig, _sign(f"{head}.{body}", secret)):
        return None
    exp = payload.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return None
    if (time.time() if now is None else now) >= exp:
        return None
    return payload
