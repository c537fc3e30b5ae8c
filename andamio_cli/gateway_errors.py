"""A failed request turned into the matching typed error: a non-2xx reply (the body code
decides), or a transport failure (no complete reply)."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

import httpx

from andamio_cli.errors import (
    AndamioError,
    AuthError,
    BadReplyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    TierLimitError,
    UnreachableError,
)
from andamio_cli.wire import DeadlineExceeded, loads

_CODE_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")
_PHRASES = {status.phrase.lower() for status in HTTPStatus}  # `Unauthorized`, `Not Found`
_GENERIC_RE = re.compile(r"^[A-Z][A-Za-z ]+: ")  # `Unauthorized: Invalid or missing credentials.`
CODE_ERRORS: dict[str, type[AndamioError]] = {
    "tier_limit_exceeded": TierLimitError,
    "rate_limit_exceeded": RateLimitedError,
    "quota_exceeded": RateLimitedError,
    "not_found": NotFoundError,
    "key_not_found": NotFoundError,
    "user_not_found": AuthError,
    "session_expired": AuthError,
    "session_already_used": AuthError,
    "signature_verification_failed": AuthError,
    "wallet_mismatch": AuthError,
    "invalid_refresh_token": AuthError,
    "unauthorized": AuthError,
    "forbidden": AuthError,
    "conflict": ConflictError,
    "validation_error": InvalidInputError,
    "invalid_request": InvalidInputError,
}
STATUS_ERRORS: dict[int, type[AndamioError]] = {
    400: InvalidInputError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidInputError,
    429: RateLimitedError,
}
HINTS: dict[type[AndamioError], str] = {
    AuthError: "check your credentials with `andamio status`, or log in again with `andamio login`",
    NotFoundError: "see your keys with `andamio apikey list`",
    RateLimitedError: "wait a moment and try again",
    TierLimitError: "delete a key (`andamio apikey list`, `andamio apikey delete NAME`) "
    "or upgrade your tier",
}


def _error_fields(body: Any) -> tuple[str | None, str | None]:
    """Message and code from any of the gateway's error body shapes."""
    if not isinstance(body, dict):
        return None, None
    nested: dict = body["error"] if isinstance(body.get("error"), dict) else {}
    flat_error = body.get("error") if isinstance(body.get("error"), str) else None
    code = nested.get("code") or body.get("code")
    if not code and flat_error and _CODE_RE.fullmatch(flat_error):
        code = flat_error
    message = nested.get("message") or body.get("message") or flat_error
    details = nested.get("details") or body.get("details")
    message = message if isinstance(message, str) and message.strip() else None
    if isinstance(details, str) and details.strip() and details not in (message, "string"):
        message = f"{message.rstrip('.')}: {details}" if message else details
    return message, code if isinstance(code, str) else None


def _error_class(status: int, code: str | None) -> type[AndamioError]:
    if code:
        code = code.lower()
        if code in CODE_ERRORS:
            return CODE_ERRORS[code]
        for fragment, cls in (
            ("not_found", NotFoundError),
            ("limit", RateLimitedError),
            ("conflict", ConflictError),
            ("already", ConflictError),
            ("invalid", InvalidInputError),
            ("expired", AuthError),
        ):
            if fragment in code:
                return cls
    return STATUS_ERRORS.get(status, AndamioError)


def describe(response: Any) -> str:
    """`HTTP 502, text/html` - the status and content type, for messages."""
    ctype = response.headers.get("content-type", "").split(";")[0].strip()[:80]
    return f"HTTP {response.status_code}, {ctype or 'no content type'}"


def error_from_response(response: Any) -> AndamioError:
    """Turn a non-2xx reply into the matching typed error (the body code decides)."""
    try:
        body = loads(response.content) if response.content else None
    except ValueError:
        body = None
    message, code = _error_fields(body)
    status = response.status_code
    detail = _detail(body)
    if not code and status == 429 and "tier_limit_exceeded" in (message or ""):
        code = "tier_limit_exceeded"  # v1 names it only in its details
    if code == "tier_limit_exceeded" and (detail or message):  # the advice is the hint's, once
        said = detail or message or ""
        message = detail = said.replace("tier_limit_exceeded: ", "").split(";")[0].strip()
    cls: type[AndamioError]
    if 300 <= status < 400:
        cls = BadReplyError
        where = response.headers.get("location", "elsewhere")
        message = f"the gateway redirected to {where[:200]}; redirects are not followed"
    else:
        cls = _error_class(status, code)
    if message is None:
        reason = "an empty body" if not response.content else "a body that is not a gateway error"
        message = f"the gateway answered with {reason}"
    if len(message) > 500:
        message = message[:500] + "…"
    error = cls(f"{message} ({describe(response)})", hint=HINTS.get(cls), status=status, code=code)
    error.detail = detail[:200] if detail else None
    return error


def _detail(body: Any) -> str | None:
    """The gateway's own words, short: its message, unless that is only the status's name
    (`Not Found: The requested resource could not be found.`), then its `details`."""
    if not isinstance(body, dict):
        return None
    nested = body["error"] if isinstance(body.get("error"), dict) else {}
    words = [
        nested.get("message") or body.get("message"),
        nested.get("details") or body.get("details"),
    ]
    said = [w.strip() for w in words if isinstance(w, str) and w.strip() not in ("", "string")]
    if said and (_GENERIC_RE.match(said[0]) or said[0].rstrip(".").lower() in _PHRASES):
        said.pop(0)
    return said[0] if said else None


def transport_error(
    exc: Exception, url: str, timeout: float, *, write: bool = False
) -> UnreachableError:
    """What a request that got no complete reply becomes: the host and port, the phase it
    stopped in, and for a write whether it may have been carried out."""
    parsed = httpx.URL(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    text = str(exc).lower()
    tls_hint = None
    phase = exc.args[0] if isinstance(exc, DeadlineExceeded) and exc.args else None
    if phase == "dns":
        message = f"cannot resolve the host {host} within {timeout:g} s"
    elif phase == "body":
        message = f"the reply from {where} did not complete within {timeout:g} s"
    elif isinstance(exc, (httpx.TimeoutException, DeadlineExceeded)):
        message = f"no answer within {timeout:g} s from {where}"
    elif "name or service" in text or "name resolution" in text or "nodename" in text:
        message = f"cannot resolve the host {host}"
    elif "certificate_verify_failed" in text or "certificate verify failed" in text:
        message = f"the TLS connection to {where} failed: its certificate is not trusted"
        tls_hint = (
            "if the gateway's CA is not in the system trust store, point SSL_CERT_FILE "
            "(or SSL_CERT_DIR) at it"
        )
    elif "ssl" in text or "certificate" in text:
        message = f"the TLS connection to {where} failed"
    elif isinstance(exc, httpx.ConnectError):
        message = f"cannot connect to {where} (connection refused or no route)"
    else:
        message = f"the connection to {where} broke before a complete reply"
    hint = tls_hint or "check the network, --network/--base-url, or --timeout"
    if write and phase != "dns" and not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        hint = (
            "the request may have reached the gateway and been carried out: check "
            "(`andamio apikey list`, `andamio status`) before repeating it"
        )
    return UnreachableError(message, hint=hint)
