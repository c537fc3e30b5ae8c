"""Developer account routes: email verification status, resending the mail, account deletion."""

from __future__ import annotations

import math

from andamio_cli.sandbox.replies import Reply, body_object, nested, ok, snake
from andamio_cli.sandbox.routes_keys import developer_route
from andamio_cli.sandbox.state import DAY
from andamio_cli.times import iso

RESEND_LIMIT = 5
RESEND_WINDOW = DAY
RESEND_COOLDOWN = 300


def _resend_window(user, now: float) -> tuple[int, int]:
    """(remaining attempts in the last 24 h, seconds until the next mail may be sent)."""
    recent = [t for t in user.verification_sends if t > now - RESEND_WINDOW]
    remaining = max(0, RESEND_LIMIT - len(recent))
    wait = 0.0
    if recent:
        wait = max(wait, recent[-1] + RESEND_COOLDOWN - now)
    if remaining == 0:
        wait = max(wait, recent[0] + RESEND_WINDOW - now)
    return remaining, math.ceil(wait)


@developer_route
def email_status(sb, req, user, key) -> Reply:
    """GET email-status: verified or not, and whether (and when) a new mail can be sent."""
    remaining, wait = _resend_window(user, sb.state.clock())
    sends = user.verification_sends
    return ok(
        {
            "email_verified": user.email_verified,
            "can_resend": not user.email_verified and wait == 0,
            "remaining_attempts": remaining,
            "verification_email_sent_at": iso(sends[-1]) if sends else None,
            "wait_duration_seconds": 0 if user.email_verified else wait,
        }
    )


@developer_route
def resend_verification(sb, req, user, key) -> Reply:
    """POST resend-verification: 409 when verified; 5 mails per 24 h, 5 minutes apart."""
    if body_object(req) is None:
        return snake(400, details="the request body must be a JSON object")
    if user.email_verified:
        return nested(409, "email_already_verified", "Email is already verified")
    now = sb.state.clock()
    remaining, wait = _resend_window(user, now)
    if wait > 0:
        reason = "resend cool-down" if remaining else "daily resend limit reached"
        reply = nested(
            429,
            "resend_limit_exceeded",
            f"Too many verification emails ({reason}); try again at {iso(now + wait)}",
        )
        reply.headers.append(("Retry-After", str(wait)))
        return reply
    user.verification_sends.append(now)
    remaining, wait = _resend_window(user, now)
    return ok(
        {
            "message": "Verification email sent",
            "next_resend_available_at": iso(now + wait),
            "remaining_attempts": remaining,
        }
    )


@developer_route
def account_delete(sb, req, user, key) -> Reply:
    """POST account/delete: remove the developer, its keys and refresh tokens."""
    if body_object(req) is None:
        return snake(400, details="the request body must be a JSON object")
    sb.state.delete_user(user.user_id)
    return ok({"message": "Developer account deleted successfully"})
