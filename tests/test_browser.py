"""Tests for the browser login loopback listener."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from andamio_cli.auth.browser import app_base_for, browser_login
from andamio_cli.errors import AuthError
from andamio_cli.output import error_text

APP = "https://preprod.app.andamio.io"
JSON = "application/json"


class Login:
    """browser_login running in a thread, with the URL it tried to open."""

    def __init__(self, opened: bool = True, timeout: float = 30.0, app: str = APP) -> None:
        self.opened_urls: list[str] = []
        self.printed: list[str] = []
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.origin = app.rstrip("/")
        ready = threading.Event()

        def open_browser(url: str) -> bool:
            self.opened_urls.append(url)
            ready.set()
            return opened

        def run() -> None:
            try:
                self.result = browser_login(
                    app, open_browser=open_browser, on_url=self.printed.append, timeout=timeout
                )
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(30)
        self.url = self.opened_urls[0]
        query = parse_qs(urlsplit(self.url).query)
        self.redirect = urlsplit(query["redirect_uri"][0])
        self.state = query["state"][0]

    def request(
        self,
        method: str,
        body: bytes | None = None,
        headers: dict | None = None,
        path: str = "/callback",
    ):
        conn = http.client.HTTPConnection("127.0.0.1", self.redirect.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def post(self, payload, *, origin: str | None = "", ctype: str = JSON):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": ctype}
        if origin is not None:
            headers["Origin"] = origin or self.origin
        return self.request("POST", body, headers)

    def success(self, **extra) -> dict:
        payload = {
            "state": self.state,
            "dev_jwt": "jwt-abc",
            "dev_jwt_expires_at": "2026-11-23T11:00:00Z",
            "dev_refresh_token": "refresh-xyz",
            "dev_refresh_token_expires_at": "2026-12-23T10:00:00Z",
            "alias": "myalias",
            "address": "addr_test1qq",
        }
        payload.update(extra)
        return payload

    def join(self) -> None:
        self.thread.join(30)
        assert not self.thread.is_alive()


@pytest.fixture
def login():
    started: list[Login] = []

    def start(**kwargs) -> Login:
        started.append(Login(**kwargs))
        return started[-1]

    yield start
    for item in started:
        if item.thread.is_alive():
            item.post(item.success())
        item.join()


def assert_closed(port: int) -> None:
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_url_shape(login):
    lg = login()
    parts = urlsplit(lg.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{APP}/auth/dev-cli"
    assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{lg.redirect.port}%2Fcallback&state=" in lg.url
    assert lg.redirect.hostname == "127.0.0.1" and lg.redirect.path == "/callback"
    assert len(lg.state) == 43 and set(lg.state) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


def test_success_returns_fields_and_closes(login):
    lg = login()
    status, headers, body = lg.post(lg.success())
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == APP
    assert json.loads(body)["ok"] is True
    lg.join()
    assert lg.error is None
    assert lg.result == {
        "dev_jwt": "jwt-abc",
        "dev_jwt_expires_at": "2026-11-23T11:00:00Z",
        "dev_refresh_token": "refresh-xyz",
        "dev_refresh_token_expires_at": "2026-12-23T10:00:00Z",
        "alias": "myalias",
        "address": "addr_test1qq",
    }
    assert lg.printed == []
    assert_closed(lg.redirect.port)


def test_success_without_origin_header(login):
    lg = login()
    assert lg.post(lg.success(), origin=None, ctype="application/json; charset=utf-8")[0] == 200
    lg.join()
    assert lg.result["dev_jwt"] == "jwt-abc"


def test_browser_not_opened_prints_url(login):
    lg = login(opened=False)
    assert lg.printed == [lg.url]
    assert lg.post(lg.success())[0] == 200
    lg.join()
    assert lg.result["dev_jwt"] == "jwt-abc"


def test_browser_raising_prints_url():
    printed: list[str] = []
    done = threading.Event()
    out: dict = {}

    def boom(url: str) -> bool:
        raise RuntimeError("no display")

    def on_url(url: str) -> None:
        printed.append(url)
        done.set()

    def run() -> None:
        out["result"] = browser_login(APP, open_browser=boom, on_url=on_url, timeout=30)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert done.wait(30)
    query = parse_qs(urlsplit(printed[0]).query)
    port = urlsplit(query["redirect_uri"][0]).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/callback",
        json.dumps({"state": query["state"][0], "dev_jwt": "j"}),
        {"Content-Type": JSON},
    )
    assert conn.getresponse().status == 200
    conn.close()
    thread.join(30)
    assert out["result"]["dev_jwt"] == "j" and out["result"]["alias"] is None


def test_options_from_app_origin(login):
    lg = login()
    status, headers, body = lg.request(
        "OPTIONS", headers={"Origin": APP, "Access-Control-Request-Method": "POST"}
    )
    assert status == 204 and body == b""
    assert headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Access-Control-Allow-Private-Network" not in headers
    status, headers, _ = lg.request(
        "OPTIONS", headers={"Origin": APP, "Access-Control-Request-Private-Network": "true"}
    )
    assert status == 204 and headers["Access-Control-Allow-Private-Network"] == "true"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://preprod.app.andamio.io.evil.example",
        "null",
        "http://preprod.app.andamio.io",
    ],
)
def test_foreign_origin_forbidden(login, origin):
    lg = login()
    assert lg.request("OPTIONS", headers={"Origin": origin})[0] == 403
    assert lg.post(lg.success(), origin=origin)[0] == 403
    assert lg.thread.is_alive()


def test_options_without_origin_forbidden(login):
    assert login().request("OPTIONS")[0] == 403


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "FOO"])
def test_other_methods_not_allowed(login, method):
    status, headers, _ = login().request(method, headers={"Origin": APP})
    assert status == 405 and headers["Allow"] == "POST, OPTIONS"


def test_wrong_path_not_found(login):
    lg = login()
    assert (
        lg.request(
            "POST", json.dumps(lg.success()).encode(), {"Content-Type": JSON}, path="/other"
        )[0]
        == 404
    )
    assert lg.request("GET", path="/")[0] == 404
    assert lg.thread.is_alive()


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_wrong_content_type(login, ctype):
    lg = login()
    assert lg.post(lg.success(), ctype=ctype)[0] == 415


def test_body_too_large(login):
    lg = login()
    payload = json.dumps(lg.success(alias="a" * 70 * 1024)).encode()
    assert len(payload) > 64 * 1024
    status, headers, _ = lg.post(payload)
    assert status == 413
    assert lg.thread.is_alive()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"state"',
        b"\xff\xfe",
        json.dumps({"state": "x", "dev_jwt": 5}).encode(),
    ],
)
def test_bad_json(login, body):
    lg = login()
    assert lg.post(body)[0] == 400
    assert lg.thread.is_alive()


def test_unknown_field_rejected_even_with_right_state(login):
    lg = login()
    assert lg.post(lg.success(extra="x"))[0] == 400
    assert lg.thread.is_alive()
    assert lg.post(lg.success())[0] == 200
    lg.join()
    assert lg.result["dev_jwt"] == "jwt-abc"


def test_wrong_state_keeps_waiting(login):
    lg = login()
    assert lg.post(lg.success(state="wrong"))[0] == 400
    assert lg.post({"dev_jwt": "jwt-abc"})[0] == 400
    assert lg.post(lg.success(state="é" * 43))[0] == 400
    time.sleep(0.05)
    assert lg.thread.is_alive() and lg.result is None
    assert lg.post(lg.success())[0] == 200
    lg.join()
    assert lg.result["dev_jwt"] == "jwt-abc"


def test_missing_markers_become_none(login):
    lg = login()
    payload = lg.success(
        dev_refresh_token="null", dev_refresh_token_expires_at="undefined", alias="  ", address=None
    )
    assert lg.post(payload)[0] == 200
    lg.join()
    assert lg.result == {
        "dev_jwt": "jwt-abc",
        "dev_jwt_expires_at": "2026-11-23T11:00:00Z",
        "dev_refresh_token": None,
        "dev_refresh_token_expires_at": None,
        "alias": None,
        "address": None,
    }


def test_missing_jwt_fails(login):
    lg = login()
    assert lg.post(lg.success(dev_jwt="undefined"))[0] == 400
    lg.join()
    assert isinstance(lg.error, AuthError)
    assert lg.error.message == "the app did not send a developer JWT"


def test_error_callback(login):
    lg = login()
    assert lg.post({"state": lg.state, "error": "auth_failed\x1b[31m\n"})[0] == 200
    lg.join()
    assert isinstance(lg.error, AuthError) and lg.error.exit_code == 3
    assert lg.error.message == "browser login failed: auth_failed\x1b[31m"
    shown = error_text(lg.error, color=False)
    assert "\x1b" not in shown  # printed inert, never obeyed
    assert shown.startswith("Error: browser login failed: auth_failed\\x1b[31m\n")


def test_user_cancelled(login):
    lg = login()
    assert lg.post({"state": lg.state, "error": "user_cancelled"})[0] == 200
    lg.join()
    assert isinstance(lg.error, AuthError)
    assert lg.error.message == "browser login was cancelled"


def test_error_with_wrong_state_is_ignored(login):
    lg = login()
    assert lg.post({"state": "nope", "error": "user_cancelled"})[0] == 400
    assert lg.thread.is_alive()


def test_timeout():
    urls: list[str] = []
    start = time.monotonic()
    with pytest.raises(AuthError) as info:
        browser_login(APP, open_browser=lambda url: urls.append(url) or True, timeout=0.5)
    assert time.monotonic() - start < 5  # 10x the timeout: a loaded machine is slow
    assert info.value.message == "browser login timed out after 0.5 seconds"
    assert info.value.hint == "run `andamio login --web` again, or use --with-token / --skey"
    assert_closed(urlsplit(parse_qs(urlsplit(urls[0]).query)["redirect_uri"][0]).port)


def test_interrupt_closes_socket():
    urls: list[str] = []

    def interrupt(url: str) -> bool:
        urls.append(url)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        browser_login(APP, open_browser=interrupt, timeout=5)
    assert_closed(urlsplit(parse_qs(urlsplit(urls[0]).query)["redirect_uri"][0]).port)


def test_app_origin_with_port_and_path(login):
    lg = login(app="http://127.0.0.1:8765/")
    assert lg.url.startswith("http://127.0.0.1:8765/auth/dev-cli?")
    assert lg.request("OPTIONS", headers={"Origin": "http://127.0.0.1:8765"})[0] == 204
    assert lg.request("OPTIONS", headers={"Origin": "http://127.0.0.1"})[0] == 403


@pytest.mark.parametrize(
    "api, app",
    [
        ("https://preprod.api.andamio.io", "https://preprod.app.andamio.io"),
        ("https://api.andamio.io", "https://app.andamio.io"),
        ("https://mainnet.api.andamio.io", "https://mainnet.app.andamio.io"),
        ("https://preprod.api.andamio.io/", "https://preprod.app.andamio.io"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    ],
)
def test_app_base_for(api, app):
    assert app_base_for(api) == app
