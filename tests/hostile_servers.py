"""Small hostile HTTP servers on loopback for the network-hardening tests.

Each server answers every connection with a `respond(server, conn, head)` function in its own
thread; every loop is bounded and the server stops by itself after `lifetime` seconds, so a
test that fails cannot leave one running.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Callable

from conftest import API_KEY, DEV_JWT, andamio_command, clean_env

MiB = 1024 * 1024


class HostileServer:
    """A loopback HTTP/1.1 server that records what it received and counts what it sent."""

    def __init__(self, respond: Callable, *, lifetime: float = 90.0) -> None:
        self.respond = respond
        self.requests: list[bytes] = []  # request heads (and bodies), as received
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._until = time.monotonic() + lifetime
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._serve, daemon=True).start()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._until

    def _serve(self) -> None:
        try:
            while self.alive:
                try:
                    conn, _ = self._sock.accept()
                except OSError:
                    continue
                threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        finally:
            self._sock.close()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            head = self._read_request(conn)
            if head is None:
                return
            with self._lock:
                self.requests.append(head)
            self.respond(self, conn, head)
        except OSError:
            pass  # the client went away: that is what the tests want
        finally:
            conn.close()

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = min(int(value.strip()), 65536)
        while len(body) < length:
            chunk = conn.recv(4096)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        with self._lock:
            self.sent += len(data)

    def pause(self, seconds: float) -> bool:
        """Sleep unless stopped; False once the server should stop."""
        return not self._stop.wait(seconds) and self.alive


def head(status: int = 200, ctype: str = "application/json", **extra: str) -> bytes:
    """A status line and headers (`extra` names use `_` for `-`)."""
    lines = [f"HTTP/1.1 {status} Whatever", f"Content-Type: {ctype}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- responders ------------------------------------------------------------------------------


def fixed(body: bytes, status: int = 200, ctype: str = "application/json", **extra: str):
    """The same complete reply every time."""

    def respond(server, conn, _head):
        server.send(conn, head(status, ctype, Content_Length=str(len(body)), **extra) + body)

    return respond


def trickle_head(interval: float = 0.5):
    """A status line, then one header byte per `interval`, never ending the headers."""

    def respond(server, conn, _head):
        server.send(conn, b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while server.pause(interval):
            server.send(conn, b"a")

    return respond


def trickle_body(length: int, interval: float = 0.5, *, chunked: bool = False, status=200):
    """Complete headers, then one body byte (or one 1-byte chunk) per `interval`."""

    def respond(server, conn, _head):
        if chunked:
            server.send(conn, head(status, Transfer_Encoding="chunked"))
        else:
            server.send(conn, head(status, Content_Length=str(length)))
        server.send(conn, b"1\r\n{\r\n" if chunked else b"{")
        while server.pause(interval):
            server.send(conn, b"1\r\n \r\n" if chunked else b" ")

    return respond


def huge(size: int | None, status: int = 200, ctype: str = "application/json"):
    """A body of `size` bytes sent as fast as the client reads (size None: endless, chunked)."""
    block = b"<p>" + b"x" * (64 * 1024 - 3)

    def respond(server, conn, _head):
        if size is None:
            server.send(conn, head(status, ctype, Transfer_Encoding="chunked"))
            frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
            while server.alive:
                server.send(conn, frame)
            return
        server.send(conn, head(status, ctype, Content_Length=str(size)))
        left = size
        while left > 0 and server.alive:
            piece = block[: min(left, len(block))]
            server.send(conn, piece)
            left -= len(piece)

    return respond


def unannounced(size: int, status: int = 200, ctype: str = "application/json"):
    """A body with neither Content-Length nor chunking: it ends when the connection closes."""
    block = b" " * (64 * 1024)

    def respond(server, conn, _head):
        server.send(conn, head(status, ctype))
        left = size
        while left > 0 and server.alive:
            server.send(conn, block)
            left -= len(block)

    return respond


def gzip_bomb(decoded: int, status: int = 200):
    """`decoded` bytes of zeros, gzip-compressed on the fly (about 1000:1), sent chunked."""

    def respond(server, conn, _head):
        server.send(conn, head(status, Content_Encoding="gzip", Transfer_Encoding="chunked"))
        packer = zlib.compressobj(1, zlib.DEFLATED, 31)
        zeros = bytes(MiB)
        for _ in range(decoded // MiB):
            if not server.alive:
                return
            data = packer.compress(zeros)
            if data:
                server.send(conn, f"{len(data):x}\r\n".encode() + data + b"\r\n")
        data = packer.flush()
        server.send(conn, f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n")

    return respond


def recording_proxy():
    """A proxy that forwards nothing: it records the request and answers 502."""
    return fixed(b"<html>proxy</html>", status=502, ctype="text/html")


def by_path(routes: dict, default=None):
    """The responder of the first route whose path ends the request line's path."""

    def respond(server, conn, request_head):
        path = request_head.split(b" ", 2)[1].decode("latin-1")
        for suffix, responder in routes.items():
            if path.endswith(suffix):
                return responder(server, conn, request_head)
        return (default or fixed(b'{"message": "no such route"}', status=404))(
            server, conn, request_head
        )

    return respond


def header(request: bytes, name: str) -> str | None:
    """A header's value in a recorded request (None when absent)."""
    for line in request.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower().encode():
            return value.strip().decode("latin-1")
    return None


# --- the real CLI against them ----------------------------------------------------------

SECRETS = (API_KEY, DEV_JWT)
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
# Runs a command as its child, then writes the child's peak RSS (KiB) to $RSS_OUT.
RSS_WRAPPER = (
    "import os, resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "with open(os.environ['RSS_OUT'], 'w') as fh:\n"
    "    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    rss_kib: int | None = None


def hostile_env(tmp_path, **extra) -> dict:
    """A clean environment (no proxies either) with env credentials and a file store."""
    values: dict = {var: None for name in PROXY_VARS for var in (name, name.lower())}
    values.update(
        ANDAMIO_CONFIG_DIR=str(tmp_path / "config"),
        ANDAMIO_CREDENTIAL_STORE="file",
        ANDAMIO_API_KEY=API_KEY,
        ANDAMIO_DEV_JWT=DEV_JWT,
    )
    values.update(extra)
    return clean_env(**values)


def andamio(tmp_path, url, args, *, rss=False, timeout=120, **env_extra) -> Run:
    """The real CLI as a subprocess against `url` (optionally measuring its peak RSS)."""
    env = hostile_env(tmp_path, ANDAMIO_BASE_URL=url, **env_extra)
    command = andamio_command() + list(args)
    rss_out = tmp_path / "rss.txt"
    if rss:
        env["RSS_OUT"] = str(rss_out)
        command = [sys.executable, "-c", RSS_WRAPPER, *command]
    started = time.monotonic()
    result = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    rss_kib = int(rss_out.read_text()) if rss else None
    return Run(result.returncode, result.stdout, result.stderr, seconds, rss_kib)


def assert_clean_error(run: Run, code: int, *fragments: str) -> None:
    """Exit `code`, nothing on stdout, one `Error:` line holding every fragment, no leak."""
    assert run.code == code, run.stderr
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, run.stderr
    assert all(line.startswith(("Error: ", "Hint: ", "Warning: ")) for line in lines), run.stderr
    for fragment in fragments:
        assert fragment in errors[0], run.stderr
    assert "unexpected error" not in run.stderr and "Traceback" not in run.stderr
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr
