"""The one request path: headers, timeout, retries for reads, replies turned into errors."""

from __future__ import annotations

import json
import random
import re
import time
from http import HTTPStatus
from typing import Any, Callable

import httpx

from andamio_cli import __version__
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
from andamio_cli.redact import SECRET_HEADERS, redact_text

ATTEMPTS = 3
MAX_RETRY_AFTER = 10.0
RETRY_STATUSES = {408, 425, 429, 502, 503, 504}
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


def describe(response: httpx.Response) -> str:
    """`HTTP 502, text/html` - the status and content type, for messages."""
    ctype = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    return f"HTTP {response.status_code}, {ctype}"


def error_from_response(response: httpx.Response) -> AndamioError:
    """Turn a non-2xx reply into the matching typed error (the body code decides)."""
    try:
        body = json.loads(response.content) if response.content else None
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


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _transport_error(
    exc: httpx.TransportError, url: str, timeout: float, *, write: bool = False
) -> UnreachableError:
    parsed = httpx.URL(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    text = str(exc).lower()
    if isinstance(exc, httpx.TimeoutException):
        message = f"no answer within {timeout:g} s from {where}"
    elif "name or service" in text or "name resolution" in text or "nodename" in text:
        message = f"cannot resolve the host {host}"
    elif "ssl" in text or "certificate" in text:
        message = f"the TLS connection to {where} failed"
    elif isinstance(exc, httpx.ConnectError):
        message = f"cannot connect to {where} (connection refused or no route)"
    else:
        message = f"the connection to {where} broke before a complete reply"
    hint = "check the network, --network/--base-url, or --timeout"
    if write and not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        hint = (
            "the request may have reached the gateway and been carried out: check "
            "(`andamio apikey list`, `andamio status`) before repeating it"
        )
    return UnreachableError(message, hint=hint)


class Gateway:
    """An httpx client bound to one base URL, with the one request path."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        trace: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._trace = trace
        self._sleep = sleep
        self.last_reply = "no reply yet"
        self._client = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": f"andamio-cli/{__version__}"},
        )

    def close(self) -> None:
        self._client.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        api_key: str | None = None,
        bearer: str | None = None,
        body: dict | None = None,
        read: bool = False,
    ) -> dict:
        """Send one request (reads are retried) and return the JSON object it answered."""
        headers = {}
        if api_key:
            headers["X-API-Key"] = api_key
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body).encode()
        attempts = ATTEMPTS if read else 1
        for attempt in range(1, attempts + 1):
            request = self._client.build_request(method, path, headers=headers, content=content)
            self._trace_request(request)
            started = time.monotonic()
            try:
                response = self._client.send(request)
            except httpx.TransportError as exc:
                self._log(f"< {exc.__class__.__name__} after {time.monotonic() - started:.2f} s")
                if attempt < attempts:
                    self._sleep(self._backoff(attempt))
                    continue
                raise _transport_error(
                    exc, str(request.url), self.timeout, write=not read
                ) from None
            self._trace_response(response, time.monotonic() - started)
            if 200 <= response.status_code < 300:
                self.last_reply = describe(response)
                return self._json(response)
            error = error_from_response(response)
            delay = self._retry_delay(response, error, attempt) if attempt < attempts else None
            if delay is None:
                raise error
            self._log(f"  retrying in {delay:.2f} s")
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, response: httpx.Response, error: AndamioError, attempt: int):
        if response.status_code not in RETRY_STATUSES or error.code == "tier_limit_exceeded":
            return None
        wait = _retry_after(response)
        if wait is None:
            return self._backoff(attempt)
        return wait if wait <= MAX_RETRY_AFTER else None

    @staticmethod
    def _backoff(attempt: int) -> float:
        return 0.5 * 2 ** (attempt - 1) + random.uniform(0, 0.25)

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            what = "an empty reply" if not response.content else "a reply that is not a JSON object"
            raise BadReplyError(
                f"the gateway sent {what} ({describe(response)})",
                hint="try again later; use --debug to see the exchange",
                status=response.status_code,
            )
        return data

    def _log(self, line: str) -> None:
        if self._trace:
            self._trace(line)

    def _trace_request(self, request: httpx.Request) -> None:
        if not self._trace:
            return
        self._log(f"> {request.method} {request.url}")
        self._trace_headers(">", request.headers)
        if request.content:
            self._log(f"> {redact_text(request.content.decode('utf-8', 'replace'))}")

    def _trace_response(self, response: httpx.Response, seconds: float) -> None:
        if not self._trace:
            return
        self._log(f"< HTTP {response.status_code} ({seconds:.2f} s)")
        self._trace_headers("<", response.headers)
        if response.content:
            text = response.content.decode("utf-8", "replace")
            self._log(f"< {redact_text(text)[:2000]}")

    def _trace_headers(self, arrow: str, headers: httpx.Headers) -> None:
        for name, value in headers.multi_items():
            shown = "***" if name.lower() in SECRET_HEADERS else value
            self._log(f"{arrow} {name}: {shown}")
