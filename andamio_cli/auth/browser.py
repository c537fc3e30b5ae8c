"""Browser developer login: a one-shot loopback listener that receives the app's callback."""

from __future__ import annotations

import json
import os
import secrets
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

from andamio_cli.errors import AndamioError, AuthError, InvalidInputError

MAX_BODY = 64 * 1024
FIELDS = (
    "dev_jwt",
    "dev_jwt_expires_at",
    "dev_refresh_token",
    "dev_refresh_token_expires_at",
    "alias",
    "address",
)
KNOWN = frozenset(FIELDS) | {"state", "error"}
MISSING = frozenset({"", "undefined", "null"})
HINT = "run `andamio login --web` again, or use --with-token / --skey"
CONNECTION_LIMIT = 10.0  # seconds one connection to the listener may stay open
READ_TIMEOUT = 5.0  # seconds one read from a connection may wait
MAX_CONNECTIONS = 64  # open at once; beyond that the oldest is closed (one thread each)


def app_base_for(api_base: str) -> str:
    """App (browser) base from API base: the first '.api.' becomes '.app.'; otherwise '//api.'
    becomes '//app.'; otherwise (e.g. a loopback emulator) the API base itself."""
    base = api_base.rstrip("/")
    if ".api." in base:
        return base.replace(".api.", ".app.", 1)
    if "//api." in base:
        return base.replace("//api.", "//app.", 1)
    return base


def _origin(app_base: str) -> str:
    """The exact browser Origin (scheme://host[:port]) of an app base URL."""
    parts = urlsplit(app_base)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise InvalidInputError(f"not an http(s) app URL: {app_base!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def _present(value: str | None) -> str | None:
    """The stripped value, or None when it is absent, blank, 'undefined' or 'null'."""
    return None if value is None or value.strip().lower() in MISSING else value.strip()


def _span(seconds: float) -> str:
    """A timeout in words: whole minutes when it is one, else seconds."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} minute" + ("s" if seconds != 60 else "")
    return f"{seconds:g} second" + ("s" if seconds != 1 else "")


def _hang_up(sock: socket.socket) -> None:
    """End a connection; its handler thread then finishes."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Server(ThreadingHTTPServer):
    """Loopback server holding the login's state and outcome."""

    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128

    def __init__(self, origin: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.origin = origin
        self.host = f"127.0.0.1:{self.server_port}"
        self.state: str | None = secrets.token_urlsafe(32)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.outcome: dict | AndamioError | None = None
        self.opened: dict[socket.socket, float] = {}

    def process_request(self, request, client_address) -> None:
        with self.lock:
            self.opened[request] = time.monotonic()
            excess = list(self.opened)[: max(0, len(self.opened) - MAX_CONNECTIONS)]
            for sock in excess:
                del self.opened[sock]
        for sock in excess:
            _hang_up(sock)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.lock:
            self.opened.pop(request, None)
        super().shutdown_request(request)

    def service_actions(self) -> None:
        """Between polls: end connections that have been open longer than the limit."""
        now = time.monotonic()
        with self.lock:
            stale = [s for s, since in self.opened.items() if now - since > CONNECTION_LIMIT]
            for sock in stale:
                del self.opened[sock]
        for sock in stale:
            _hang_up(sock)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup HTTPServer does."""
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)

    def handle_error(self, request, client_address) -> None:
        pass

    def take_state(self, got: object) -> bool:
        """True once, for the first request carrying the right state."""
        with self.lock:
            expected = self.state
            if (
                isinstance(got, str)
                and expected is not None
                and secrets.compare_digest(got.encode(), expected.encode())
            ):
                self.state = None
                return True
            return False

    def finish(self, outcome: dict | AndamioError) -> None:
        """Record the outcome and wake the waiting caller."""
        self.outcome = outcome
        self.done.set()


class _Handler(BaseHTTPRequestHandler):
    """Applies the listener rules to each request."""

    server: _Server
    timeout = READ_TIMEOUT

    def log_message(self, format: str, *args: object) -> None:
        pass

    def __getattr__(self, name: str):
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _reply(self, status: int, body: dict | None = None, headers: tuple = ()) -> None:
        """Send a response with the app's CORS origin and an optional JSON body."""
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Access-Control-Allow-Origin", self.server.origin)
        self.send_header("Cache-Control", "no-store")
        for key, value in headers:
            self.send_header(key, value)
        if status != 204:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _fail(self, status: int, message: str) -> None:
        self._reply(status, {"error": message})

    def _path_ok(self) -> bool:
        """True for /callback; otherwise answer 404."""
        if self.path.split("?", 1)[0] == "/callback":
            return True
        self._fail(404, "not found")
        return False

    def _host_ok(self) -> bool:
        """True only for `Host: 127.0.0.1:<port>` (no DNS rebinding); otherwise answer 403."""
        if self.headers.get_all("Host") == [self.server.host]:
            return True
        self._fail(403, "host not allowed")
        return False

    def _origin_ok(self, required: bool) -> bool:
        """True for the app's origin (or none, when allowed); otherwise answer 403."""
        origin = self.headers.get("Origin")
        if origin == self.server.origin or (origin is None and not required):
            return True
        self._fail(403, "origin not allowed")
        return False

    def _not_allowed(self) -> None:
        """Answer 405 to any method but POST and OPTIONS."""
        if self._path_ok():
            self._reply(405, {"error": "method not allowed"}, (("Allow", "POST, OPTIONS"),))

    def do_OPTIONS(self) -> None:
        """CORS preflight for the app origin only."""
        if not (self._path_ok() and self._host_ok() and self._origin_ok(required=True)):
            return
        headers = [
            ("Access-Control-Allow-Methods", "POST, OPTIONS"),
            ("Access-Control-Allow-Headers", "Content-Type"),
            ("Access-Control-Max-Age", "600"),
        ]
        if (self.headers.get("Access-Control-Request-Private-Network") or "").lower() == "true":
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        self._reply(204, headers=tuple(headers))

    def do_POST(self) -> None:
        """Validate the callback and, for the right state, record the outcome."""
        if not (self._path_ok() and self._host_ok() and self._origin_ok(required=False)):
            return
        if self.headers.get_content_type() != "application/json":
            return self._fail(415, "expected application/json")
        length = self.headers.get("Content-Length", "")
        size = int(length) if length.isdecimal() else -1
        if size < 0:
            return self._fail(411 if not length else 400, "a valid Content-Length is required")
        if size > MAX_BODY:
            return self._fail(413, "body too large")
        try:
            data = json.loads(self.rfile.read(size).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._fail(400, "invalid JSON")
        if not isinstance(data, dict) or not KNOWN.issuperset(data):
            return self._fail(400, "expected a JSON object with known fields")
        if not all(v is None or isinstance(v, str) for v in data.values()):
            return self._fail(400, "field values must be strings")
        if not self.server.take_state(data.get("state")):
            return self._fail(400, "state mismatch")
        values = {key: _present(data.get(key)) for key in (*FIELDS, "error")}
        if values["error"]:
            error = values["error"][:200]
            message = (
                "browser login was cancelled"
                if error == "user_cancelled"
                else f"browser login failed: {error}"
            )
            outcome: dict | AndamioError = AuthError(message, hint=HINT, code=error)
            status, body = 200, {"ok": False, "message": "Login failed. You can close this window."}
        elif not values["dev_jwt"]:
            outcome = AuthError("the app did not send a developer JWT", hint=HINT)
            status, body = 400, {"error": "missing dev_jwt"}
        else:
            outcome = {key: values[key] for key in FIELDS}
            status, body = 200, {"ok": True, "message": "You can close this window."}
        try:
            self._reply(status, body)
        finally:
            self.server.finish(outcome)


def browser_login(
    app_base: str,
    *,
    env: dict | None = None,
    open_browser: Callable[[str], bool] | None = None,
    on_url: Callable[[str], None] = lambda url: None,
    timeout: float = 300.0,
) -> dict:
    """Run the one-shot loopback listener and return the callback's success fields.

    The browser runs as its own process with a clean environment and is never waited for:
    the time limit holds whatever it does."""
    deadline = time.monotonic() + timeout
    app_base = app_base.rstrip("/")
    origin = _origin(app_base)
    try:
        server = _Server(origin)
    except OSError as exc:
        raise AndamioError(f"could not listen on 127.0.0.1: {exc.strerror or exc}") from None
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    try:
        thread.start()
        redirect = quote(f"http://127.0.0.1:{server.server_address[1]}/callback", safe="")
        url = f"{app_base}/auth/dev-cli?redirect_uri={redirect}&state={server.state}"
        launcher = None
        if open_browser is not None:
            try:
                shown = not open_browser(url)
            except Exception:
                shown = True
        else:
            from andamio_cli.auth.launch import Launcher

            launcher = Launcher(url, dict(os.environ if env is None else env))
            shown = launcher.failed()
        if shown:
            on_url(url)
        while not server.done.wait(max(0.0, min(0.1, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise AuthError(f"browser login timed out after {_span(timeout)}", hint=HINT)
            if not shown and launcher is not None and launcher.failed():
                shown = True
                on_url(url)
        outcome = server.outcome
        if isinstance(outcome, AndamioError):
            raise outcome
        assert outcome is not None  # set before `done`
        return outcome
    finally:
        if thread.ident is not None:
            server.shutdown()
        server.server_close()
