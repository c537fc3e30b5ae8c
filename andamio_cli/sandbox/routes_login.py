"""Developer login routes: wallet (CIP-8) login, token refresh, and the emulated app page."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from andamio_cli.auth.wallet import payment_credential, verify_cip8
from andamio_cli.errors import InvalidInputError
from andamio_cli.sandbox.replies import (
    Reply,
    body_object,
    flat_code,
    flat_error,
    html,
    nested,
    ok,
    snake,
)
from andamio_cli.times import iso

_LOOPBACK = ("127.0.0.1", "localhost")
_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Andamio sandbox</title></head>'
    "<body><p>{}</p></body></html>"
)
_MESSAGES = {
    "signature_verification_failed": (
        "the CIP-8 signature does not verify against the session nonce"
    ),
    "wallet_mismatch": "the signing key is not the payment key of the session's wallet address",
}


def token_body(sb, user) -> dict:
    """Mint a developer JWT and refresh token; the login/complete and refresh body."""
    token, exp = sb.state.mint_jwt(user, sb.jwt_ttl)
    refresh, refresh_exp = sb.state.mint_refresh(user)
    return {
        "user_id": user.user_id,
        "alias": user.alias,
        "tier": user.tier,
        "jwt": {"token": token, "expires_at": iso(exp)},
        "refresh_token": {"token": refresh, "expires_at": iso(refresh_exp)},
    }


def _api_key_user(sb, req):
    keys = req.header_values("X-API-Key")
    key = sb.state.key_by_secret(keys[0]) if len(keys) == 1 else None
    if key is None:
        return snake(401, details="X-API-Key header missing, unknown, deleted or expired")
    sb.state.count_call(key.user_id)
    return key


def login_session(sb, req) -> Reply:
    """POST login/session: open a 5-minute session with a nonce to sign."""
    key = _api_key_user(sb, req)
    if isinstance(key, Reply):
        return key
    body = body_object(req)
    if body is None:
        return flat_code(400, "invalid_request", "the request body must be a JSON object")
    alias, address = body.get("alias"), body.get("wallet_address")
    if not isinstance(alias, str) or not 1 <= len(alias) <= 32:
        return flat_code(422, "invalid_request", "alias must be 1-32 characters")
    if not isinstance(address, str) or not 103 <= len(address) <= 108:
        return flat_code(422, "invalid_request", "wallet_address must be 103-108 characters")
    try:
        payment_credential(address)
    except InvalidInputError as exc:
        return flat_code(
            422, "invalid_request", f"wallet_address is not a base address: {exc.message}"
        )
    sess = sb.state.new_session(alias, address, sb.session_ttl)
    return ok(
        {"session_id": sess.session_id, "nonce": sess.nonce, "expires_at": iso(sess.expires_at)}
    )


def login_complete(sb, req) -> Reply:
    """POST login/complete: check the CIP-8 signature once per session and issue tokens."""
    key = _api_key_user(sb, req)
    if isinstance(key, Reply):
        return key
    body = body_object(req)
    if body is None:
        return flat_code(400, "invalid_request", "the request body must be a JSON object")
    sig = body.get("signature")
    if (
        not isinstance(body.get("session_id"), str)
        or not isinstance(sig, dict)
        or not isinstance(sig.get("signature"), str)
        or not isinstance(sig.get("key"), str)
    ):
        return flat_code(
            422, "invalid_request", "expected session_id and signature {signature, key}"
        )
    sess = sb.state.sessions.get(body["session_id"])
    if sess is not None and sess.used:
        return flat_code(
            401, "session_already_used", "this login session was already used; start a new one"
        )
    if sess is None or sess.expires_at <= sb.state.clock():
        return flat_code(
            401, "session_expired", "login session not found or expired; start a new one"
        )
    sess.used = True
    code = verify_cip8(sig["signature"], sig["key"], sess.nonce, sess.address)
    if code:
        return flat_code(401, code, _MESSAGES.get(code, code))
    user = sb.state.user_by_address(sess.address)
    if user is None:
        return flat_code(404, "user_not_found", "no developer is registered for this wallet")
    if user.alias != sess.alias:
        return flat_code(401, "wallet_mismatch", "this wallet is registered to a different alias")
    return ok(token_body(sb, user))


def token_refresh(sb, req) -> Reply:
    """POST token/refresh: trade a single-use refresh token for a new pair."""
    body = body_object(req)
    if body is None or not isinstance(body.get("refresh_token"), str):
        return nested(422, "invalid_request", 'expected {"refresh_token": string}')
    user = sb.state.spend_refresh(body["refresh_token"])
    if user is None:
        return nested(
            401,
            "invalid_refresh_token",
            "refresh token is invalid, expired, revoked or already used",
        )
    return ok(token_body(sb, user))


def account_login(sb, req) -> Reply:
    """POST account/login: retired, always 410 Gone."""
    return flat_error(
        410, "gone", "this route was retired; use /api/v2/auth/developer/login/session"
    )


def _post_callback(sb, url: str, payload: dict) -> None:
    data = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Origin": sb.url}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as resp:
            result = (resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        result = (exc.code, exc.read())
    except OSError as exc:
        result = (None, repr(exc).encode())
    sb.callbacks.append(result)


def app_dev_cli(sb, req) -> Reply:
    """GET /auth/dev-cli: the app page; posts the login result to the CLI's loopback listener."""
    redirect, state = req.query.get("redirect_uri", ""), req.query.get("state", "")
    parts = urlsplit(redirect)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or not port:
        return flat_error(
            400, "invalid_request", "redirect_uri must be an http URL on 127.0.0.1 or localhost"
        )
    if not state:
        return flat_error(400, "invalid_request", "state is required")
    user = sb.state.users.get(sb.state.seeded_user_id)
    if sb.browser_result == "success" and user is not None:
        token, exp = sb.state.mint_jwt(user, sb.jwt_ttl)
        refresh, refresh_exp = sb.state.mint_refresh(user)
        payload = {
            "state": state,
            "dev_jwt": token,
            "dev_jwt_expires_at": iso(exp),
            "dev_refresh_token": refresh,
            "dev_refresh_token_expires_at": iso(refresh_exp),
            "alias": user.alias,
            "address": user.address,
        }
        text = "Signed in to the Andamio sandbox. You can close this tab."
    else:
        payload = {
            "state": state,
            "error": sb.browser_result if sb.browser_result != "success" else "auth_failed",
        }
        text = "Sign-in failed. You can close this tab."
    threading.Thread(target=_post_callback, args=(sb, redirect, payload), daemon=True).start()
    return html(200, _PAGE.format(text))
