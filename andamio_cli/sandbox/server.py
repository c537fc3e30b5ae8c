"""HTTP front of the sandbox: routing, request logging and injected faults."""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import sys
import time
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from andamio_cli.sandbox import routes_account as account
from andamio_cli.sandbox import routes_keys as keys
from andamio_cli.sandbox import routes_login as login

if TYPE_CHECKING:
    from andamio_cli.sandbox.emulator import Sandbox
from andamio_cli.sandbox.replies import Reply, RequestRecord, flat_error, html, ok, snake

MAX_BODY = 1024 * 1024
_V2_DEV = "/api/v2/apikey/developer/"
_V2_AUTH = "/api/v2/auth/developer/"
ROUTES = {
    _V2_DEV + "key/request": ("key/request", "POST", keys.key_request),
    _V2_DEV + "key/rotate": ("key/rotate", "POST", keys.key_rotate),
    _V2_DEV + "key/delete": ("key/delete", "POST", keys.key_delete),
    _V2_DEV + "profile/get": ("profile/get", "GET", keys.profile_get),
    _V2_DEV + "usage/get": ("usage/get", "GET", keys.usage_get),
    _V2_DEV + "account/delete": ("account/delete", "POST", account.account_delete),
    _V2_AUTH + "email-status": ("email-status", "GET", account.email_status),
    _V2_AUTH + "resend-verification": ("resend-verification", "POST", account.resend_verification),
    _V2_AUTH + "login/session": ("login/session", "POST", login.login_session),
    _V2_AUTH + "login/complete": ("login/complete", "POST", login.login_complete),
    _V2_AUTH + "token/refresh": ("token/refresh", "POST", login.token_refresh),
    _V2_AUTH + "account/login": ("account/login", "POST", login.account_login),
    "/api/v1/apikey/request": ("v1/request", "POST", keys.v1_request),
    "/api/v1/apikey/rotate": ("v1/rotate", "POST", keys.v1_rotate),
    "/auth/dev-cli": ("app/dev-cli", "GET", login.app_dev_cli),
}
ROUTE_NAMES = frozenset(name for name, _, _ in ROUTES.values()) | {"*"}
_SIMPLE_FAULTS = ("truncated", "empty", "not-json", "missing-fields", "drop", "reset")
_CUT_SAMPLE = {
    "user_id": "00000000-0000-4000-8000-000000000000",
    "alias": "sandbox-dev",
    "tier": "starter",
    "created_at": "2026-01-04T10:00:00Z",
    "note": "this reply was cut in the middle",
}


def parse_fault(spec: str) -> tuple:
    """Parse one fault spec; ValueError when it is not one the sandbox knows."""
    text = spec.strip()
    m = re.fullmatch(r"(\d{3})(?::retry-after(-date)?=(\d+))?", text)
    if m and 100 <= int(m[1]) <= 599:
        return (
            "status",
            int(m[1]),
            "date" if m[2] else ("seconds" if m[3] else None),
            int(m[3] or 0),
        )
    m = re.fullmatch(r"([45]\d\d)-html", text)
    if m:
        return ("html", int(m[1]))
    if text in _SIMPLE_FAULTS:
        return (text,)
    m = re.fullmatch(r"delay=(\d+(?:\.\d*)?|\.\d+)", text)
    if m:
        return ("delay", float(m[1]))
    if text.startswith("redirect=") and len(text) > len("redirect="):
        return ("redirect", text[len("redirect=") :])
    raise ValueError(f"unknown fault spec {spec!r}")


def fault_reply(fault: tuple) -> Reply:
    """The answer an injected fault gives instead of the gateway's."""
    kind = fault[0]
    if kind == "status":
        _, status, retry_kind, seconds = fault
        reply = snake(status, details="injected by the sandbox")
        if retry_kind == "seconds":
            reply.headers.append(("Retry-After", str(seconds)))
        elif retry_kind == "date":
            reply.headers.append(("Retry-After", formatdate(time.time() + seconds, usegmt=True)))
        return reply
    if kind == "html":
        return html(
            fault[1],
            f"<html><head><title>{fault[1]} Bad Gateway</title></head><body><center>"
            f"<h1>{fault[1]} Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
        )
    if kind == "truncated":
        whole = json.dumps(_CUT_SAMPLE).encode()
        return Reply(200, whole[: len(whole) // 2], "application/json")
    if kind == "empty":
        return Reply(200, b"", "application/json")
    if kind == "not-json":
        return Reply(200, b"OK", "text/plain; charset=utf-8")
    if kind == "missing-fields":
        return ok({})
    if kind == "redirect":
        return Reply(302, b"", None, [("Location", fault[1])])
    raise ValueError(f"fault {kind!r} has no reply")


class Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its Sandbox."""

    daemon_threads = True
    request_queue_size = 128
    sandbox: Sandbox | None = None
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:
        """With TLS, the handshake happens here, in the request's thread, not in accept()."""
        if self.ssl_context is not None:
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):  # a client that refused our certificate
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address) -> None:
        """Keep stderr clean: a client that went away is normal, anything else is recorded."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)) and self.sandbox is not None:
            self.sandbox.errors.append(traceback.format_exc())


class Server6(Server):
    """The IPv6 variant."""

    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    """Reads a request, logs it, applies a queued fault or routes it."""

    server: Server
    server_version = "andamio-sandbox"
    sys_version = ""
    protocol_version = "HTTP/1.0"

    def version_string(self) -> str:
        """The Server header."""
        return self.server_version

    def log_message(self, format, *args) -> None:
        """Stay silent: requests are recorded in Sandbox.requests instead."""

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        sb = self.server.sandbox
        assert sb is not None
        parts = urlsplit(self.path)
        entry = ROUTES.get(parts.path)
        route = entry[0] if entry else "unknown"
        try:
            body = self._read_body()
            bad = 413 if body is None else None
        except ValueError:
            body, bad = None, 400
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        rec = RequestRecord(
            self.command, parts.path, query, list(self.headers.items()), body or b"", parsed, route
        )
        sb._record(rec)
        if bad:
            self.close_connection = True
            return self._send(snake(bad, details=f"unreadable body or over {MAX_BODY} bytes"))
        fault = sb._next_fault(route)
        if fault and fault[0] in ("drop", "reset"):
            return self._abort(fault[0] == "reset")
        if fault and fault[0] == "delay":
            time.sleep(fault[1])
        elif fault:
            return self._send(fault_reply(fault))
        self._send(self._dispatch(sb, rec, entry))

    def _dispatch(self, sb, rec: RequestRecord, entry) -> Reply:
        if entry is None:
            return flat_error(404, "not_found", f"no route for {rec.method} {rec.path}")
        _, method, fn = entry
        if rec.method != method:
            reply = flat_error(405, "method_not_allowed", f"{rec.path} accepts {method} only")
            reply.headers.append(("Allow", method))
            return reply
        with sb.state.lock:
            try:
                reply = fn(sb, rec)
                sb.state.save()
            except Exception:
                sb.errors.append(traceback.format_exc())
                reply = snake(500)
        return reply

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and reply.body:
            self.wfile.write(reply.body)

    def _abort(self, reset: bool) -> None:
        self.close_connection = True
        conn = self.connection
        if reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.rfile.close()
        conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle
