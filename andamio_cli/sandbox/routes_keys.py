"""Key management routes: v2 developer routes (X-API-Key + developer JWT) and legacy v1."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from andamio_cli.sandbox.replies import Reply, bearer, body_object, camel, nested, ok, snake
from andamio_cli.sandbox.state import DAY, TIER_KEY_CAP, TIER_QUOTA, new_key_secret
from andamio_cli.times import iso

MAX_DAYS = 36500
_V2_NAME = re.compile(r"[A-Za-z0-9 _.-]{3,64}")
_NAME_RULE = "api_key_name must be 3-64 characters: letters, digits, space, '_', '.', '-'"
_DAYS_RULE = "expires_in_days must be an integer >= 1"


def _days(body: dict, default: int) -> int | None:
    value = body.get("expires_in_days")
    if value is None:
        return default
    if type(value) is not int or not 1 <= value <= MAX_DAYS:
        return None
    return value


def unverified() -> Reply:
    """What key/request and key/rotate answer for a developer whose email is not verified."""
    return nested(
        403,
        "email_not_verified",
        "Email verification required",
        "verify the email address of this account before requesting or rotating keys",
    )


def _rate_headers(user, counters: dict, now: float) -> list:
    daily = TIER_QUOTA[user.tier][1]
    tomorrow = datetime.fromtimestamp(now, timezone.utc).date() + timedelta(days=1)
    reset = int(
        datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=timezone.utc).timestamp()
    )
    return [
        ("X-RateLimit-Limit", str(daily)),
        ("X-RateLimit-Remaining", str(max(0, daily - counters["daily"]))),
        ("X-RateLimit-Reset", str(reset)),
    ]


def _v2_auth(sb, req):
    auths = req.header_values("Authorization")
    keys = req.header_values("X-API-Key")
    if len(auths) > 1 or len(keys) > 1:
        return snake(400, details="send exactly one Authorization and one X-API-Key header")
    key = sb.state.key_by_secret(keys[0] if keys else None)
    if key is None:
        return snake(401, details="X-API-Key header missing, unknown, deleted or expired")
    token = bearer(auths[0]) if auths else None
    if token is None:
        return snake(
            401,
            "Authorization header with Developer JWT required",
            "send Authorization: Bearer <developer JWT>",
        )
    user = sb.state.jwt_user(token)
    if user is None:
        return snake(
            401, "Invalid or expired Developer JWT", "log in again or refresh the developer JWT"
        )
    if user.user_id != key.user_id:
        return snake(
            403, details="the developer JWT and the API key belong to different developers"
        )
    return user, key


def developer_route(fn):
    """Wrap a v2 developer route: check both credentials, count the call, add rate-limit headers."""

    def route(sb, req) -> Reply:
        auth = _v2_auth(sb, req)
        if isinstance(auth, Reply):
            return auth
        user, key = auth
        counters = sb.state.count_call(user.user_id)
        reply = fn(sb, req, user, key)
        reply.headers.extend(_rate_headers(user, counters, sb.state.clock()))
        return reply

    route.__doc__ = fn.__doc__
    return route


def _target(sb, user, body: dict, shape=snake):
    if "key_id" in body:
        try:
            key_id = str(uuid.UUID(body["key_id"]))
        except (TypeError, ValueError, AttributeError):
            return shape(422, details="key_id must be a UUID")
        found = sb.state.find_key(user.user_id, key_id=key_id)
    else:
        name = body["api_key_name"] if "api_key_name" in body else body.get("name")
        if not isinstance(name, str) or not 3 <= len(name) <= 64:
            return shape(422, details="api_key_name must be 3-64 characters (or pass key_id)")
        found = sb.state.find_key(user.user_id, name=name)
    return found or shape(404, details="no API key with this name or id")


@developer_route
def key_request(sb, req, user, key) -> Reply:
    """POST key/request: create a key under the tier cap (a verified email is required)."""
    if not user.email_verified:
        return unverified()
    body = body_object(req)
    if body is None:
        return snake(400, details="the request body must be a JSON object")
    name = body["api_key_name"] if "api_key_name" in body else body.get("name")
    if not isinstance(name, str) or not _V2_NAME.fullmatch(name):
        return snake(422, details=_NAME_RULE)
    days = _days(body, 365)
    if days is None:
        return snake(422, details=_DAYS_RULE)
    if sb.state.find_key(user.user_id, name=name):
        return snake(409, "Conflict: an API key with this name already exists.", name)
    cap = TIER_KEY_CAP[user.tier]
    if len(sb.state.keys_of(user.user_id)) >= cap:
        return nested(
            429,
            "tier_limit_exceeded",
            f"maximum API key limit ({cap}) reached for your tier; "
            "delete a key or upgrade your tier",
        )
    return ok(sb.state.add_key(user.user_id, name, days).view(sb.state.clock()))


@developer_route
def key_rotate(sb, req, user, key) -> Reply:
    """POST key/rotate: a new secret ("new-key" mode), or an extended expiry ("extend")."""
    if not user.email_verified:
        return unverified()
    body = body_object(req)
    if body is None:
        return snake(400, details="the request body must be a JSON object")
    found = _target(sb, user, body)
    if isinstance(found, Reply):
        return found
    days = _days(body, found.expires_in_days)
    if days is None:
        return snake(422, details=_DAYS_RULE)
    now = sb.state.clock()
    found.expires_in_days = days
    if sb.rotate_mode == "new-key":
        found.secret, found.created_at, found.expires_at = new_key_secret(), now, now + days * DAY
        return ok(found.view(sb.state.clock()))
    found.expires_at = max(now, found.expires_at) + days * DAY
    return ok({"confirmation": f"API key expiration extended to {iso(found.expires_at)}"})


@developer_route
def key_delete(sb, req, user, key) -> Reply:
    """POST key/delete: remove a key; its secret stops working at once."""
    body = body_object(req)
    if body is None:
        return snake(400, details="the request body must be a JSON object")
    found = _target(sb, user, body)
    if isinstance(found, Reply):
        return found
    sb.state.keys.remove(found)
    return ok({"confirmation": "API key deleted successfully"})


def _wrap(sb, obj: dict) -> dict:
    return {"data": obj} if sb.wrap_reads else obj


@developer_route
def profile_get(sb, req, user, key) -> Reply:
    """GET profile/get: the developer profile with raw keys (the client must mask them)."""
    keys = [k.view(sb.state.clock(), with_id=True) for k in sb.state.keys_of(user.user_id)]
    return ok(
        _wrap(
            sb,
            {
                "user_id": user.user_id,
                "alias": user.alias,
                "tier": user.tier,
                "created_at": iso(user.created_at),
                "active_keys": keys,
            },
        )
    )


@developer_route
def usage_get(sb, req, user, key) -> Reply:
    """GET usage/get: calls counted per developer against the tier's quota."""
    per_min, daily, monthly = TIER_QUOTA[user.tier]
    used = sb.state.usage[user.user_id]
    return ok(
        _wrap(
            sb,
            {
                "daily_quota_consumed": used["daily"],
                "daily_quota_limit": daily,
                "monthly_quota_consumed": used["monthly"],
                "monthly_quota_limit": monthly,
                "remaining_daily": max(0, daily - used["daily"]),
                "remaining_monthly": max(0, monthly - used["monthly"]),
                "subscription_tier": user.tier.capitalize(),
                "expiration": iso(key.expires_at),
                "rate_limit_windows": [
                    f"{per_min} req/min",
                    f"{daily} req/day",
                    f"{monthly} req/month",
                ],
            },
        )
    )


def _v1_auth(sb, req, shape):
    auths = req.header_values("Authorization")
    if auths and req.header_values("X-API-Key"):
        return shape(400, "Provide either Authorization header or X-API-Key header, not both")
    if len(auths) > 1:
        return shape(400, details="send exactly one Authorization header")
    token = bearer(auths[0]) if auths else None
    user = sb.state.jwt_user(token) if token else None
    if user is None:
        return shape(401, details="Authorization: Bearer <JWT> missing, invalid or expired")
    sb.state.count_call(user.user_id)
    return user


def _v1_input(sb, req, shape, max_name: int, default_days: int):
    """(user, name, days) of a v1 call, or the error Reply in the route's own shape."""
    user = _v1_auth(sb, req, shape)
    if isinstance(user, Reply):
        return user
    body = body_object(req)
    if body is None:
        return shape(400, details="the request body must be a JSON object")
    name = body.get("api_key_name")
    if not isinstance(name, str) or not 3 <= len(name) <= max_name:
        return shape(422, details=f"api_key_name must be 3-{max_name} characters")
    days = _days(body, default_days)
    if days is None:
        return shape(422, details=_DAYS_RULE)
    return user, name, days


def v1_request(sb, req) -> Reply:
    """POST /api/v1/apikey/request: errors in camelCase; a duplicate name is a 400."""
    checked = _v1_input(sb, req, camel, 100, 365)
    if isinstance(checked, Reply):
        return checked
    user, name, days = checked
    if sb.state.find_key(user.user_id, name=name):
        return camel(400, details="an API key with this name already exists")
    cap = TIER_KEY_CAP[user.tier]
    if len(sb.state.keys_of(user.user_id)) >= cap:
        return camel(
            429, details=f"tier_limit_exceeded: maximum API key limit ({cap}) reached for your tier"
        )
    return ok(sb.state.add_key(user.user_id, name, days).view(sb.state.clock()))


def v1_rotate(sb, req) -> Reply:
    """POST /api/v1/apikey/rotate: extends only an expired key or one within 1 day of expiry."""
    checked = _v1_input(sb, req, snake, 64, 30)
    if isinstance(checked, Reply):
        return checked
    user, name, days = checked
    found = sb.state.find_key(user.user_id, name=name)
    if found is None:
        return snake(404, details="no API key with this name")
    now = sb.state.clock()
    if found.expires_at - now > DAY:
        return snake(
            409,
            "Conflict: the API key is not due for rotation; it can be rotated when expired "
            "or within 1 day of expiry.",
            f"expires_at {iso(found.expires_at)}",
        )
    found.expires_at = max(now, found.expires_at) + days * DAY
    found.expires_in_days = days
    return ok({"confirmation": f"API key expiration extended to {iso(found.expires_at)}"})
