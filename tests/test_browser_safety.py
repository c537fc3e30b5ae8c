"""Browser login hardening: a clean browser environment, a time limit the browser cannot
stretch, the Host check, idle connections, and the JWT confirmed with the gateway."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import andamio_command, e2e_env

from andamio_cli.auth.browser import browser_login
from andamio_cli.errors import AuthError

SECRET_VARS = ("ANDAMIO_API_KEY", "ANDAMIO_DEV_JWT", "ANDAMIO_DEV_REFRESH_TOKEN", "ANDAMIO_JWT")

# A fake browser. It records its pid and environment, then, as FAKE_MODE says: "app" GETs the
# app URL (the emulator then POSTs the callback), "post" POSTs FAKE_JWT itself to the callback
# (another local process that read the URL), "idle" does nothing. Then it sleeps FAKE_STAY s.
FAKE_BROWSER = r"""
import http.client, json, os, sys, time, urllib.request
from urllib.parse import parse_qs, urlsplit

url = sys.argv[1]
with open(os.environ["FAKE_LOG"], "w") as fh:
    json.dump({"pid": os.getpid(), "env": dict(os.environ), "url": url}, fh)
mode = os.environ["FAKE_MODE"]
if mode == "app":
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        resp.read()
elif mode == "post":
    query = parse_qs(urlsplit(url).query)
    redirect = urlsplit(query["redirect_uri"][0])
    body = json.dumps({"state": query["state"][0], "dev_jwt": os.environ["FAKE_JWT"]})
    conn = http.client.HTTPConnection(redirect.hostname, redirect.port, timeout=10)
    conn.request("POST", redirect.path, body=body, headers={"Content-Type": "application/json"})
    conn.getresponse().read()
time.sleep(float(os.environ["FAKE_STAY"]))
"""


@pytest.fixture
def fake_browser(tmp_path):
    """(env for the CLI, a function reading the browser's log); kills the browser afterwards."""
    script = tmp_path / "fake-browser"
    script.write_text(f"#!{sys.executable}\n" + FAKE_BROWSER)
    script.chmod(0o700)
    log = tmp_path / "fake-browser.json"
    env = {"BROWSER": str(script), "FAKE_LOG": str(log), "FAKE_STAY": "0", "FAKE_MODE": "app"}

    def read_log() -> dict:
        return json.loads(log.read_text())

    yield env, read_log
    if log.exists():
        try:
            os.kill(read_log()["pid"], signal.SIGKILL)
        except (ProcessLookupError, ValueError, KeyError):
            pass


def run_cli(args, env, stdin="") -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        andamio_command() + args,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, time.monotonic() - started


def stored(tmp_path) -> dict:
    path = tmp_path / "e2e-config" / "credentials.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("profiles", {}).get("default", {})


def test_browser_gets_no_secret_and_is_not_waited_for(sandbox, tmp_path, fake_browser):
    browser_env, read_log = fake_browser
    secrets = {
        "ANDAMIO_API_KEY": sandbox.dev.api_key,
        "ANDAMIO_DEV_JWT": sandbox.mint_jwt(sandbox.dev),
        "ANDAMIO_DEV_REFRESH_TOKEN": "rt_" + "r" * 40,
        "ANDAMIO_JWT": "v1-bearer-" + "j" * 30,
    }
    env = e2e_env(
        tmp_path, ANDAMIO_BASE_URL=sandbox.url, **{**browser_env, **secrets, "FAKE_STAY": "20"}
    )
    result, elapsed = run_cli(["login", "--web"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"Logged in as {sandbox.dev.alias}" in result.stderr
    assert elapsed < 15, "the CLI waited for the browser to exit"
    seen = read_log()["env"]
    assert not [k for k in seen if k.startswith("ANDAMIO_")], sorted(seen)
    for value in secrets.values():
        assert value not in json.dumps(seen)
        assert value not in result.stderr
    # the new JWT was confirmed with the API key before it was stored
    assert [r.route for r in sandbox.requests] == ["app/dev-cli", "profile/get"]
    assert sandbox.state.jwt_user(stored(tmp_path)["dev_jwt"]).alias == sandbox.dev.alias


@pytest.mark.parametrize("key_from", ["env", "store"])
def test_someone_elses_jwt_is_refused_and_nothing_stored(sandbox, tmp_path, fake_browser, key_from):
    browser_env, _ = fake_browser
    other = sandbox.mint_developer("intruder")
    env = e2e_env(
        tmp_path,
        ANDAMIO_BASE_URL=sandbox.url,
        **{**browser_env, "FAKE_MODE": "post", "FAKE_JWT": other.jwt},
    )
    if key_from == "env":
        env["ANDAMIO_API_KEY"] = sandbox.dev.api_key
    else:
        login, _ = run_cli(["login", "--with-key"], env, stdin=sandbox.dev.api_key)
        assert login.returncode == 0, login.stderr
    before = stored(tmp_path)
    sandbox.clear_requests()
    result, _ = run_cli(["login", "--web"], env)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Waiting for the browser login (up to 5 minutes)…\n"
        "Error: the developer JWT from the browser login does not belong to the developer of "
        "this profile's API key; nothing was stored\n"
    ), result.stderr
    assert other.jwt not in result.stderr and sandbox.dev.api_key not in result.stderr
    assert stored(tmp_path) == before
    assert "dev_jwt" not in before
    assert [r.route for r in sandbox.requests] == ["profile/get"]


def test_without_an_api_key_the_jwt_is_stored_unconfirmed(sandbox, tmp_path, fake_browser):
    browser_env, _ = fake_browser
    result, _ = run_cli(
        ["login", "--web"], e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url, **browser_env)
    )
    assert result.returncode == 0, result.stderr
    assert [r.route for r in sandbox.requests] == ["app/dev-cli"]
    assert set(stored(tmp_path)) == {"dev_jwt", "refresh_token"}


def test_time_limit_holds_while_the_browser_stays_open(tmp_path, fake_browser):
    browser_env, read_log = fake_browser
    env = {**os.environ, **browser_env, "FAKE_MODE": "idle", "FAKE_STAY": "420"}
    started = time.monotonic()
    with pytest.raises(AuthError) as info:
        browser_login("https://preprod.app.andamio.io", env=env, timeout=2)
    assert time.monotonic() - started < 20
    assert info.value.message == "browser login timed out after 2 seconds"
    os.kill(read_log()["pid"], 0)  # the browser is still running: it was never waited for


def test_a_browser_that_fails_shows_the_url(tmp_path):
    shown: list[str] = []
    env = {"PATH": os.environ["PATH"], "BROWSER": os.pathsep.join(["/nonexistent/x", "false"])}
    with pytest.raises(AuthError):
        browser_login("https://preprod.app.andamio.io", env=env, on_url=shown.append, timeout=3)
    assert len(shown) == 1 and shown[0].startswith("https://preprod.app.andamio.io/auth/dev-cli?")


class Listener:
    """browser_login in a thread, with the URL it would have opened."""

    def __init__(self) -> None:
        self.result: dict | None = None
        self.error: BaseException | None = None
        urls: list[str] = []
        ready = threading.Event()

        def opened(url: str) -> bool:
            urls.append(url)
            ready.set()
            return True

        def run() -> None:
            try:
                self.result = browser_login(APP, open_browser=opened, timeout=60)
            except BaseException as exc:  # noqa: BLE001 - inspected by the test
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(10)
        query = parse_qs(urlsplit(urls[0]).query)
        self.port = urlsplit(query["redirect_uri"][0]).port
        self.state = query["state"][0]

    def post(self, host: str | None = None, timeout: float = 10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        body = json.dumps({"state": self.state, "dev_jwt": "a.b.c"}).encode()
        try:
            conn.putrequest("POST", "/callback", skip_host=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


APP = "https://preprod.app.andamio.io"


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "127.0.0.1", "evil.example:{port}", "127.0.0.1:1"]
)
def test_callback_needs_the_exact_loopback_host(host):
    listener = Listener()
    status, body = listener.post(host.format(port=listener.port))
    assert status == 403 and json.loads(body) == {"error": "host not allowed"}
    assert listener.thread.is_alive()  # still waiting: the state was not spent
    status, _ = listener.post()
    assert status == 200
    listener.thread.join(10)
    assert listener.result is not None and listener.result["dev_jwt"] == "a.b.c"


def test_listener_survives_hundreds_of_idle_connections():
    listener = Listener()
    idle = []
    try:
        for _ in range(300):
            idle.append(socket.create_connection(("127.0.0.1", listener.port), timeout=10))
        status, _ = listener.post(timeout=30)
        assert status == 200
        listener.thread.join(30)
        assert listener.result is not None and listener.result["dev_jwt"] == "a.b.c"
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize("trickle", [False, True])
def test_a_slow_connection_is_closed_by_the_listener(trickle):
    listener = Listener()
    try:
        sock = socket.create_connection(("127.0.0.1", listener.port), timeout=2)
        sock.sendall(b"POST /callback HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < 60:
            if trickle:  # a header byte now and then: each read is quick, the whole is not
                try:
                    sock.sendall(b"X")
                except OSError:
                    closed = True
                    break
            try:
                closed = sock.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
        assert closed, "the listener kept a slow connection open for a minute"
        assert time.monotonic() - started < 45
        sock.close()
        assert listener.post()[0] == 200
    finally:
        listener.thread.join(10)
