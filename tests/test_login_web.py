"""Browser login (--web, and bare login on a terminal): the installed CLI against the emulator."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import andamio_command, e2e_env
from login_support import (
    ENVELOPE_KEYS,
    base_env,
    post_json,
    routes,
    stored,
)

# A fake browser: GETs the app URL (the emulator then POSTs the callback to the CLI's listener).
# With FAKE_BROWSER_HOSTILE=1 it first POSTs callbacks the listener must refuse, each of which
# would cancel the login if it were accepted. It records what it did in FAKE_BROWSER_LOG.
FAKE_BROWSER = r"""
import http.client, json, os, sys, urllib.request
from urllib.parse import parse_qs, urlsplit

url = sys.argv[1]
parts = urlsplit(url)
origin = f"{parts.scheme}://{parts.netloc}"
query = parse_qs(parts.query)
redirect, state = urlsplit(query["redirect_uri"][0]), query["state"][0]


def post(payload, ctype="application/json", from_origin=origin):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    conn = http.client.HTTPConnection(redirect.hostname, redirect.port, timeout=5)
    try:
        conn.request("POST", redirect.path, body=body,
                     headers={"Content-Type": ctype, "Origin": from_origin})
        return conn.getresponse().status
    except OSError as exc:
        return type(exc).__name__
    finally:
        conn.close()


statuses = []
if os.environ.get("FAKE_BROWSER_HOSTILE") == "1":
    cancel = {"state": state, "error": "user_cancelled"}
    statuses.append(post(dict(cancel, state="x" + state)))
    statuses.append(post(cancel, from_origin="https://evil.example"))
    statuses.append(post(cancel, ctype="text/plain"))
    statuses.append(post(dict(cancel, alias="a" * 70 * 1024)))
with open(os.environ["FAKE_BROWSER_LOG"], "w") as fh:
    json.dump({"url": url, "statuses": statuses}, fh)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(url, timeout=10) as resp:
    resp.read()
"""


@pytest.fixture
def fake_browser(tmp_path):
    """Write the fake browser; return (env for the CLI, path of its log)."""
    script = tmp_path / "fake-browser"
    script.write_text(f"#!{sys.executable}\n" + FAKE_BROWSER)
    script.chmod(0o700)
    log = tmp_path / "fake-browser.json"
    env = {
        "BROWSER": str(script),
        "FAKE_BROWSER_LOG": str(log),
        "DISPLAY": None,
        "WAYLAND_DISPLAY": None,
        "TERM": None,
    }
    return env, log


# --- browser login ---------------------------------------------------------------------


def test_web_login_stores_jwt_and_refresh_token(sandbox, run_andamio, fake_browser, tmp_path):
    env, log = fake_browser
    result = run_andamio(["login", "--web"], env=base_env(sandbox, **env))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"Logged in as {sandbox.dev.alias}" in result.stderr
    opened = json.loads(log.read_text())
    state = parse_qs(urlsplit(opened["url"]).query)["state"][0]
    assert len(state) >= 43
    assert state not in result.stderr and "state=" not in result.stderr
    assert "Open this URL" not in result.stderr
    assert routes(sandbox) == ["app/dev-cli"]
    assert sandbox.callbacks and sandbox.callbacks[-1][0] == 200
    saved = stored(tmp_path)
    assert set(saved) == {"dev_jwt", "refresh_token"}
    assert sandbox.state.jwt_user(saved["dev_jwt"]).alias == sandbox.dev.alias
    status = run_andamio(
        ["status", "--json"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert status.returncode == 0, status.stderr
    assert status.stderr == ""
    fields = json.loads(status.stdout)
    assert fields["dev_jwt"]["source"] == "file" and fields["refresh_token"]["source"] == "file"
    assert fields["dev_jwt"]["expires_at"] and 3500 < fields["dev_jwt"]["seconds_left"] <= 3600
    for secret in (saved["dev_jwt"], saved["refresh_token"]):
        assert secret not in result.stderr and secret not in status.stdout


def test_web_login_cancelled_in_the_browser(sandbox, run_andamio, fake_browser, tmp_path):
    env, _ = fake_browser
    sandbox.browser_result = "user_cancelled"
    result = run_andamio(["login", "--web"], env=base_env(sandbox, **env))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: browser login was cancelled" in result.stderr
    assert "Hint:" in result.stderr
    assert stored(tmp_path) == {}


def test_web_login_survives_hostile_callbacks(sandbox, run_andamio, fake_browser, tmp_path):
    env, log = fake_browser
    result = run_andamio(
        ["login", "--web", "--json"], env=base_env(sandbox, FAKE_BROWSER_HOSTILE="1", **env)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert set(json.loads(result.stdout)) == ENVELOPE_KEYS
    # wrong state, foreign Origin, text/plain, oversized body: each refused, login kept waiting
    assert json.loads(log.read_text())["statuses"] == [400, 403, 415, 413]
    assert set(stored(tmp_path)) == {"dev_jwt", "refresh_token"}


def test_web_login_prints_the_url_when_no_browser_opens(sandbox, fake_browser, tmp_path):
    env = e2e_env(
        tmp_path,
        ANDAMIO_BASE_URL=sandbox.url,
        BROWSER="false",
        DISPLAY=None,
        WAYLAND_DISPLAY=None,
        TERM=None,
    )
    proc = subprocess.Popen(
        andamio_command() + ["login", "--web"],
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(30, proc.kill)
    watchdog.start()
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "/auth/dev-cli?" in line:
                break
        assert lines and "/auth/dev-cli?" in lines[-1], "".join(lines)
        url = lines[-1].strip()
        assert url.startswith(f"{sandbox.url}/auth/dev-cli?"), "".join(lines)
        query = parse_qs(urlsplit(url).query)
        redirect, state = query["redirect_uri"][0], query["state"][0]
        assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
        jwt = sandbox.mint_jwt(sandbox.dev)
        status, _ = post_json(
            redirect,
            {
                "state": state,
                "dev_jwt": jwt,
                "alias": sandbox.dev.alias,
                "dev_jwt_expires_at": "undefined",
            },
            headers={"Origin": sandbox.url},
        )
        assert status == 200
        stdout, rest = proc.communicate(timeout=20)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    stderr = "".join(lines) + rest
    assert proc.returncode == 0, stderr
    assert stdout == ""
    assert "Open this URL in a browser to log in:" in stderr
    assert f"Logged in as {sandbox.dev.alias}" in stderr
    assert jwt not in stderr
    assert stored(tmp_path) == {"dev_jwt": jwt}
    assert sandbox.requests == []


def test_bare_login_on_a_terminal_prompts_for_the_key_then_runs_the_browser_login(
    sandbox, fake_browser, tmp_path
):
    browser_env, log = fake_browser
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url, **browser_env)
    master, slave = pty.openpty()
    # a new session has no controlling terminal, so getpass reads the pty on stdin (echo off)
    proc = subprocess.Popen(
        andamio_command() + ["login"],
        env=env,
        stdin=slave,
        stderr=slave,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    os.close(slave)
    screen = b""
    sent = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            if not sent and b"API key (input hidden): " in screen:
                os.write(master, sandbox.dev.api_key.encode() + b"\n")
                sent = True
            if proc.poll() is not None and not ready:
                break
        if proc.poll() is None:  # still waiting for input it never got
            proc.kill()
        stdout = proc.stdout.read()
        proc.wait(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = screen.decode(errors="replace")
    assert proc.returncode == 0, text
    assert stdout == b""
    assert sent, text
    assert "Waiting for the browser login" in text
    assert f"Logged in as {sandbox.dev.alias}" in text
    assert sandbox.dev.api_key not in text  # the prompt does not echo
    assert log.exists()
    saved = stored(tmp_path)
    assert set(saved) == {"api_key", "dev_jwt", "refresh_token"}
    assert saved["api_key"] == sandbox.dev.api_key
    # the new JWT is confirmed with the key just stored before it is stored itself
    assert routes(sandbox) == ["app/dev-cli", "profile/get"]
