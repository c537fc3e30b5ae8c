"""The one request path: headers, a whole-request deadline, a body cap, retries for reads,
tracing; `call()` interprets the JSON on top of it."""

from __future__ import annotations

import json
import os
import random
import re
import ssl
import time
from typing import Callable

import httpx

from andamio_cli import __version__
from andamio_cli.errors import BadReplyError, InvalidInputError
from andamio_cli.gateway_errors import describe, error_from_response, transport_error
from andamio_cli.proxies import proxy_for
from andamio_cli.redact import is_secret_name, redact_text
from andamio_cli.wire import (
    MAX_BODY,
    BadEncoding,
    Deadline,
    DeadlineExceeded,
    Reply,
    TooLarge,
    loads,
    read_body,
    record_sockets,
    resolve_within,
)

ATTEMPTS = 3
MAX_RETRY_AFTER = 10.0
RETRY_STATUSES = {408, 425, 429, 502, 503, 504}
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
_NO_ENV_PROXY = {"all://": None, "http://": None, "https://": None}


def make_client(
    base_url: str,
    *,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
    proxy: str | None = None,
) -> httpx.Client:
    """The httpx client: no redirects, identity encoding, and only the proxy we chose
    (`proxy_for`); httpx's own reading of *_PROXY is switched off by the mounts."""
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
        verify=ssl_context(base_url),
        proxy=proxy,
        mounts=None if proxy else _NO_ENV_PROXY,
        headers={
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "User-Agent": f"andamio-cli/{__version__}",
        },
    )


def _retry_after(reply: Reply) -> float | None:
    value = reply.headers.get("retry-after", "").strip()
    if not value:
        return None
    if re.fullmatch(r"[0-9]{1,9}", value):  # str.isdigit() also accepts '²'
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _check_headers(headers: dict) -> None:
    for name, value in headers.items():
        if not _HEADER_VALUE.fullmatch(value):
            raise InvalidInputError(
                f"the {name} header would carry a newline or another character that HTTP "
                "headers cannot; nothing was sent",
                hint="check the credential for stray characters (copy it again)",
            )


def _read(response: httpx.Response, deadline: Deadline) -> bytes:
    """The body of a streamed response, bounded (see wire.read_body)."""
    if response.is_stream_consumed:  # built in memory (a MockTransport): already decoded
        return read_body([response.content], deadline)
    return read_body(
        response.iter_raw(),
        deadline,
        length=response.headers.get("content-length", ""),
        encoding=response.headers.get("content-encoding", ""),
    )


def ssl_context(base_url: str) -> ssl.SSLContext:
    """How https is verified: SSL_CERT_FILE / SSL_CERT_DIR when set, else the OS trust store
    (truststore, as pip does), so a CA installed in the system works. An http base URL gets a
    context with no trust anchors at all (nothing to load; it can verify nothing)."""
    if not base_url.lower().startswith("https:"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


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
        env: dict | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._trace = trace
        self._sleep = sleep
        self.last_reply = "no reply yet"
        self._sockets: list = []
        proxy = None if transport is not None else proxy_for(base_url, env or {})
        # The host is looked up under the deadline first, unless a proxy looks it up (or a
        # test transport stands in for the network).
        self._look_up = transport is None and proxy is None
        self._client = make_client(base_url, timeout=timeout, transport=transport, proxy=proxy)

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict | None = None,
        content: bytes | None = None,
        read: bool = False,
    ) -> Reply:
        """Send one request (reads are retried) and return the last reply, whatever its
        status. Each attempt is bounded by the timeout, body included, and by MAX_BODY."""
        headers = dict(headers or {})
        _check_headers(headers)
        attempts = ATTEMPTS if read else 1
        for attempt in range(1, attempts + 1):
            request = self._client.build_request(method, path, headers=headers, content=content)
            request.extensions["trace"] = record_sockets(self._sockets)
            self._trace_request(request)
            started = time.monotonic()
            try:
                reply = self._attempt(request)
            except (httpx.TransportError, DeadlineExceeded) as exc:
                self._log(f"< {exc.__class__.__name__} after {time.monotonic() - started:.2f} s")
                if attempt < attempts:
                    self._sleep(self._backoff(attempt))
                    continue
                raise transport_error(exc, str(request.url), self.timeout, write=not read) from None
            self._trace_body(reply, time.monotonic() - started)
            self.last_reply = describe(reply)
            delay = self._retry_delay(reply, attempt) if attempt < attempts else None
            if delay is None:
                return reply
            self._log(f"  retrying in {delay:.2f} s")
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, request: httpx.Request) -> Reply:
        deadline = Deadline(self.timeout, self._sockets)
        phase = "head"
        try:
            if self._look_up:
                phase = "dns"
                url = request.url
                resolve_within(
                    url.host, url.port or (443 if url.scheme == "https" else 80), deadline
                )
                phase = "head"
            response = self._client.send(request, stream=True)
            phase = "body"
            try:
                self._trace_head(response)
                content = _read(response, deadline)
            except TooLarge:
                raise BadReplyError(
                    f"the gateway's reply is larger than {MAX_BODY // 1024 // 1024} MiB "
                    f"({describe(response)}); it was not read to the end",
                    hint="try again later; use --debug to see the exchange",
                    status=response.status_code,
                ) from None
            except BadEncoding as exc:
                raise BadReplyError(
                    f"the gateway's reply is in an encoding that was not asked for "
                    f"({str(exc)!r}, {describe(response)})",
                    hint="try again later; use --debug to see the exchange",
                    status=response.status_code,
                ) from None
            finally:
                response.close()
        except httpx.TransportError:
            if deadline.fired:
                raise DeadlineExceeded(phase) from None
            raise
        except DeadlineExceeded:
            raise DeadlineExceeded(phase) from None
        finally:
            deadline.cancel()
        return Reply(
            response.status_code,
            response.headers,
            content,
            response.http_version,
            response.reason_phrase,
        )

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
        reply = self.request(method, path, headers=headers, content=content, read=read)
        if 200 <= reply.status_code < 300:
            return self._json(reply)
        raise error_from_response(reply)

    def _retry_delay(self, reply: Reply, attempt: int) -> float | None:
        if reply.status_code not in RETRY_STATUSES:
            return None
        if error_from_response(reply).code == "tier_limit_exceeded":
            return None
        wait = _retry_after(reply)
        if wait is None:
            return self._backoff(attempt)
        return wait if wait <= MAX_RETRY_AFTER else None

    @staticmethod
    def _backoff(attempt: int) -> float:
        return 0.5 * 2 ** (attempt - 1) + random.uniform(0, 0.25)

    @staticmethod
    def _json(reply: Reply) -> dict:
        try:
            data = loads(reply.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            what = "an empty reply" if not reply.content else "a reply that is not a JSON object"
            raise BadReplyError(
                f"the gateway sent {what} ({describe(reply)})",
                hint="try again later; use --debug to see the exchange",
                status=reply.status_code,
            )
        return data

    # --- the --debug trace ---------------------------------------------------------------

    def _log(self, line: str) -> None:
        if self._trace:
            self._trace(line)

    def _trace_request(self, request: httpx.Request) -> None:
        if not self._trace:
            return
        self._log(f"> {request.method} {request.url}")
        self._trace_headers(">", request.headers)
        if request.content:
            self._log(f"> {redact_text(request.content.decode('utf-8', 'replace'))[:2000]}")

    def _trace_head(self, response: httpx.Response) -> None:
        if not self._trace:
            return
        self._log(f"< HTTP {response.status_code}")
        self._trace_headers("<", response.headers)

    def _trace_body(self, reply: Reply, seconds: float) -> None:
        if not self._trace:
            return
        self._log(f"< {len(reply.content)} bytes in {seconds:.2f} s")
        if reply.content:
            text = reply.content[:20000].decode("utf-8", "replace")
            self._log(f"< {redact_text(text)[:2000]}")

    def _trace_headers(self, arrow: str, headers: httpx.Headers) -> None:
        for name, value in headers.multi_items():
            shown = "***" if is_secret_name(name) else value[:500]
            self._log(f"{arrow} {name}: {shown}")
