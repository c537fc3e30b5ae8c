"""Request records, replies and the gateway's error body shapes.

Which route answers with which error shape:
- flat snake_case ``{"status_code", "message", "details"}``: every v2 developer route
  (``/api/v2/apikey/developer/*``) except the tier cap, v1 rotate, API-key checks on the
  login routes, and injected ``NNN`` faults;
- flat camelCase ``{"statusCode", "message", "details"}``: v1 request;
- nested ``{"error": {"code", "message", "details"}}``: the v2 tier cap (``tier_limit_exceeded``)
  and token refresh (``invalid_refresh_token``);
- flat code ``{"code", "message"}``: wallet login session and complete;
- flat error string ``{"error", "message"}``: unknown routes, wrong methods, the retired
  account/login route (410) and the emulated app page.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from http import HTTPStatus

MESSAGES = {
    400: "Bad Request: Invalid input.",
    401: "Unauthorized: Invalid or missing credentials.",
    403: "Forbidden: Insufficient permissions or tier access.",
    404: "Not Found: The requested resource could not be found.",
    409: "Conflict: The request conflicts with the current state of the resource.",
    422: "Unprocessable Entity: Invalid request structure or data.",
    429: "Too Many Requests: Rate limit or quota exceeded.",
    500: "Internal Server Error: An unexpected error occurred.",
}


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox received it."""

    method: str
    path: str
    query: dict
    headers: list
    body: bytes
    json: object
    route: str

    def header_values(self, name: str) -> list:
        """All values of a header, case-insensitively."""
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        values = self.header_values(name)
        return values[0] if values else None


@dataclass
class Reply:
    """An HTTP answer: status, headers and body."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: list = field(default_factory=list)


def message_for(status: int) -> str:
    """The gateway's standard message for a status code."""
    if status in MESSAGES:
        return MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def ok(obj: object, status: int = 200, headers: list | None = None) -> Reply:
    """A JSON reply."""
    return Reply(status, _json.dumps(obj).encode(), "application/json", list(headers or []))


def snake(status: int, message: str | None = None, details: str = "") -> Reply:
    """Flat snake_case error body."""
    return ok(
        {"status_code": status, "message": message or message_for(status), "details": details},
        status,
    )


def camel(status: int, message: str | None = None, details: str = "") -> Reply:
    """Flat camelCase error body (v1 request)."""
    return ok(
        {"statusCode": status, "message": message or message_for(status), "details": details},
        status,
    )


def nested(status: int, code: str, message: str, details: str = "") -> Reply:
    """Nested error body."""
    return ok({"error": {"code": code, "message": message, "details": details}}, status)


def flat_code(status: int, code: str, message: str) -> Reply:
    """Flat body with a code field."""
    return ok({"code": code, "message": message}, status)


def flat_error(status: int, error: str, message: str) -> Reply:
    """Flat body with an error string."""
    return ok({"error": error, "message": message}, status)


def html(status: int, text: str) -> Reply:
    """A small HTML page."""
    return Reply(status, text.encode(), "text/html; charset=utf-8")


def body_object(req: RequestRecord) -> dict | None:
    """The request's JSON object ({} for an empty body), or None when it is not one."""
    if not req.body.strip():
        return {}
    return req.json if isinstance(req.json, dict) else None


def bearer(value: str | None) -> str | None:
    """The token of a `Bearer <token>` header value."""
    scheme, _, token = (value or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
