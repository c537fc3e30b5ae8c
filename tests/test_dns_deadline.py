"""--timeout bounds the host lookup too: getaddrinfo has no timeout of its own, so a DNS
server that never answers used to hold a request for as long as the resolver waited."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from andamio_cli.errors import UnreachableError
from andamio_cli.http import Gateway

HOST = "preprod.api.andamio.io"
USAGE = "/api/v2/apikey/developer/usage/get"


@pytest.fixture
def stuck_dns(monkeypatch):
    """getaddrinfo for HOST blocks (10 s at most, so a regression fails instead of hanging);
    every other name resolves as usual. Yields the list of lookups of HOST."""
    release = threading.Event()
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == HOST:
            lookups.append(host)
            release.wait(10)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield lookups
    release.set()


def test_a_read_gives_up_on_the_lookup_at_the_timeout_each_attempt(stuck_dns):
    gateway = Gateway(f"https://{HOST}", timeout=0.5, sleep=lambda seconds: None)
    started = time.monotonic()
    with pytest.raises(UnreachableError) as caught:
        gateway.request("GET", USAGE, read=True)
    assert time.monotonic() - started < 9  # 3 attempts of 0.5 s; a lookup alone takes 10 s
    assert caught.value.message == f"cannot resolve the host {HOST} within 0.5 s"
    assert caught.value.hint == "check the network, --network/--base-url, or --timeout"
    assert caught.value.exit_code == 5
    assert stuck_dns == [HOST] * 3  # reads are retried, each under its own deadline


def test_a_write_stuck_in_the_lookup_is_known_not_to_have_been_sent(stuck_dns):
    gateway = Gateway(f"https://{HOST}", timeout=0.5, sleep=lambda seconds: None)
    with pytest.raises(UnreachableError) as caught:
        gateway.request("POST", "/api/v2/apikey/developer/key/request", content=b"{}")
    assert caught.value.message == f"cannot resolve the host {HOST} within 0.5 s"
    # Nothing left this machine, so the hint is not "the request may have been carried out".
    assert caught.value.hint == "check the network, --network/--base-url, or --timeout"
    assert stuck_dns == [HOST]  # writes are never retried


def test_an_address_is_not_looked_up(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("getaddrinfo called for an address")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    from andamio_cli.wire import Deadline, resolve_within

    deadline = Deadline(5, [])
    try:
        resolve_within("127.0.0.1", 80, deadline)
        resolve_within("::1", 80, deadline)
    finally:
        deadline.cancel()
