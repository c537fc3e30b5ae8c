"""Reading a gateway reply safely: a whole-request deadline, a size cap after decoding, and
JSON parsed only as far as RFC 8259 and the CLI can take it."""

from __future__ import annotations

import ipaddress
import json
import math
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any, Iterable

MAX_BODY = 1024 * 1024  # a reply body may be this large once decoded; one byte more is refused
MAX_DEPTH = 64  # gateway replies are a few levels deep
MAX_INT = 2**63
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Reply:
    """A reply read to the end (at most MAX_BODY bytes after decoding)."""

    status_code: int
    headers: Any  # httpx.Headers
    content: bytes
    http_version: str = "HTTP/1.1"
    reason_phrase: str = ""


class TooLarge(Exception):
    """The body is larger than the cap."""


class BadEncoding(Exception):
    """The body is in an encoding that was not asked for and cannot be decoded here."""


class DeadlineExceeded(Exception):
    """The whole request did not finish in time."""


class Deadline:
    """A monotonic deadline for one attempt that also interrupts a blocked socket read.

    httpx's timeouts bound each read, not the request: a gateway that trickles a byte at a
    time would never trip them. At the deadline a timer shuts down every socket this client
    opened (recorded through httpcore's trace hook), so a blocked read returns at once.
    """

    def __init__(self, seconds: float, sockets: list) -> None:
        self.at = time.monotonic() + seconds
        self.fired = False
        self._sockets = sockets
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        for sock in list(self._sockets):
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except (OSError, TypeError, ValueError):
                pass

    def passed(self) -> bool:
        return self.fired or time.monotonic() >= self.at

    def cancel(self) -> None:
        self._timer.cancel()


def resolve_within(host: str, port: int, deadline: Deadline) -> None:
    """Look `host` up before httpx does, within the deadline: getaddrinfo has no timeout of
    its own, and a DNS server that never answers would otherwise hold the request long past
    it. Raises DeadlineExceeded("dns"); a failed lookup is left for httpx to report."""
    try:
        ipaddress.ip_address(host)
        return  # an address: nothing to look up
    except ValueError:
        pass
    done = threading.Event()

    def look_up() -> None:
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            pass
        finally:
            done.set()

    threading.Thread(target=look_up, name="dns-lookup", daemon=True).start()
    if not done.wait(max(0.0, deadline.at - time.monotonic())):
        raise DeadlineExceeded("dns")


def record_sockets(sockets: list):
    """An httpcore trace hook that keeps the sockets of new connections in `sockets`."""

    def trace(event: str, info: dict) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                sockets[:] = [s for s in sockets if s.fileno() != -1]
                sockets.append(sock)

    return trace


def _decoder(encoding: str):
    """Decode `Content-Encoding` in bounded steps: at most `room` bytes out per chunk."""
    names = [part.strip().lower() for part in encoding.split(",") if part.strip()]
    names = [name for name in names if name != "identity"]
    if not names:
        return lambda data, room: data
    if len(names) > 1 or names[0] not in ("gzip", "x-gzip", "deflate"):
        raise BadEncoding(encoding.strip()[:40])
    inflate = zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in names[0] else 32))

    def decode(data: bytes, room: int) -> bytes:
        try:
            return inflate.decompress(data, max(room, 1))
        except zlib.error:
            raise BadEncoding(names[0]) from None

    return decode


def read_body(
    chunks: Iterable[bytes],
    deadline: Deadline,
    *,
    length: str = "",
    encoding: str = "",
    limit: int = MAX_BODY,
) -> bytes:
    """The decoded body from raw `chunks` (`length` and `encoding` from the headers), refused
    past `limit` bytes or past the deadline."""
    length = length.strip()
    if length.isascii() and length.isdigit() and int(length) > limit:
        raise TooLarge()
    decode = _decoder(encoding)
    body = bytearray()
    for chunk in chunks:
        # A decoder never returns more than the room left plus one byte: that byte says "too big".
        body += decode(chunk, limit + 1 - len(body))
        if len(body) > limit:
            raise TooLarge()
        if deadline.passed():
            raise DeadlineExceeded()
    return bytes(body)


# --- JSON ----------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20 or abs(value := int(text)) >= MAX_INT:
        raise ValueError("integer out of range")
    return value


def loads(content: bytes | str) -> Any:
    """Parse JSON strictly; ValueError for NaN/Infinity, numbers out of range, lone
    surrogates, nesting deeper than MAX_DEPTH, or anything that is not JSON."""
    try:
        value = json.loads(
            content,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValueError("a lone surrogate in a string")
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise ValueError("nested too deeply")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return value
