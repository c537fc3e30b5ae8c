"""The gateway emulator over real loopback HTTP: v1 routes, persistence, the app page, `run`."""

from __future__ import annotations

import _thread
import http.client
import io
import json
import os
import re
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from sandbox_client import (
    AUTH,
    DEV,
    KEY_FIELDS,
    call,
    creds,
    parse_iso,
    profile,
    request_key,
)

from andamio_cli.auth.wallet import (
    load_skey,
)
from andamio_cli.sandbox import Sandbox, run

# --- v1 ----------------------------------------------------------------------------------------


def test_v1_refuses_both_headers(sb):
    for path, case in (
        ("/api/v1/apikey/request", "statusCode"),
        ("/api/v1/apikey/rotate", "status_code"),
    ):
        r = call(sb, "POST", path, {"api_key_name": "v1-key"}, creds(sb.dev))
        assert r.status == 400
        assert r.json[case] == 400
        assert (
            r.json["message"] == "Provide either Authorization header or X-API-Key header, not both"
        )


def test_v1_request_uses_camel_case_errors(sb):
    bearer = {"Authorization": f"Bearer {sb.dev.jwt}"}
    r = call(sb, "POST", "/api/v1/apikey/request", {"api_key_name": "no"}, bearer)
    assert r.status == 422 and set(r.json) == {"statusCode", "message", "details"}
    r = call(sb, "POST", "/api/v1/apikey/request", {"api_key_name": "v" * 100}, bearer)
    assert r.status == 200 and set(r.json) == KEY_FIELDS
    r = call(sb, "POST", "/api/v1/apikey/request", {"api_key_name": "another"}, bearer)
    assert (r.status, r.json["statusCode"]) == (429, 429)
    r = call(
        sb, "POST", "/api/v1/apikey/request", {"api_key_name": "x"}, {"X-API-Key": sb.dev.api_key}
    )
    assert (r.status, r.json["statusCode"]) == (401, 401)


def test_v1_rotate_conflict_extension_and_404(sb):
    bearer = {"Authorization": f"Bearer {sb.dev.jwt}"}
    r = call(sb, "POST", "/api/v1/apikey/rotate", {"api_key_name": "sandbox-default"}, bearer)
    assert (
        r.status == 409
        and r.json["status_code"] == 409
        and "not due for rotation" in r.json["message"]
    )
    soon = request_key(sb, sb.dev, "short-lived", expires_in_days=1).json
    r = call(sb, "POST", "/api/v1/apikey/rotate", {"api_key_name": "short-lived"}, bearer)
    assert r.status == 200, r.body
    extended = parse_iso(r.json["confirmation"].rsplit(" ", 1)[1])
    assert extended - parse_iso(soon["expires_at"]) == 30 * 86400
    r = call(sb, "POST", "/api/v1/apikey/rotate", {"api_key_name": "missing"}, bearer)
    assert (r.status, r.json["status_code"]) == (404, 404)


# --- persistence, app page, misc ---------------------------------------------------------------


def test_state_file_survives_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with Sandbox(state_file=state_file, workdir=tmp_path / "a") as first:
        extra = request_key(first, first.dev, "kept").json["api_key"]
        dev = first.dev
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    with Sandbox(state_file=state_file, workdir=tmp_path / "b") as second:
        assert (second.dev.user_id, second.dev.address, second.dev.api_key) == (
            dev.user_id,
            dev.address,
            dev.api_key,
        )
        assert load_skey(second.dev.skey_path) == dev.seed
        assert profile(second, dev, key=extra).status == 200
        r = call(second, "POST", AUTH + "token/refresh", {"refresh_token": dev.refresh_token})
        assert r.status == 200, r.body
        assert sorted(k["name"] for k in profile(second, second.dev).json["active_keys"]) == [
            "kept",
            "sandbox-default",
        ]


@pytest.fixture
def listener():
    got, done = [], threading.Event()

    class Catch(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append(
                (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/callback", got, done
    server.shutdown()
    server.server_close()


def test_app_page_posts_the_callback(sb, listener):
    url, got, done = listener
    r = call(sb, "GET", f"/auth/dev-cli?redirect_uri={quote(url, safe='')}&state=abc123")
    assert r.status == 200 and r.header("Content-Type").startswith("text/html")
    assert done.wait(30)
    headers, body = got[0]
    assert headers["Origin"] == sb.url and headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == {
        "state",
        "dev_jwt",
        "dev_jwt_expires_at",
        "dev_refresh_token",
        "dev_refresh_token_expires_at",
        "alias",
        "address",
    }
    assert (payload["state"], payload["alias"], payload["address"]) == (
        "abc123",
        "sandbox-dev",
        sb.dev.address,
    )
    assert profile(sb, sb.dev, jwt=payload["dev_jwt"]).status == 200
    deadline = time.monotonic() + 30  # the app thread records the answer after the listener saw it
    while not sb.callbacks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sb.callbacks == [(200, b"")]


def test_app_page_reports_errors_and_refuses_foreign_hosts(sb, listener):
    url, got, done = listener
    sb.browser_result = "user_cancelled"
    assert (
        call(sb, "GET", f"/auth/dev-cli?redirect_uri={quote(url, safe='')}&state=s1").status == 200
    )
    assert done.wait(30)
    assert json.loads(got[0][1]) == {"state": "s1", "error": "user_cancelled"}
    for bad in ("https://127.0.0.1:1/cb", "http://evil.example:80/cb", "http://127.0.0.1/cb"):
        r = call(sb, "GET", f"/auth/dev-cli?redirect_uri={quote(bad, safe='')}&state=s2")
        assert (r.status, r.json["error"]) == (400, "invalid_request")


def test_unknown_route_wrong_method_and_request_log(sb):
    r = call(sb, "GET", "/api/v2/nothing?x=1")
    assert (r.status, r.header("Content-Type"), r.json["error"]) == (
        404,
        "application/json",
        "not_found",
    )
    r = call(sb, "GET", DEV + "key/request")
    assert (r.status, r.header("Allow")) == (405, "POST")
    sb.clear_requests()
    request_key(sb, sb.dev, "logged")
    [rec] = sb.requests
    assert (rec.method, rec.path, rec.route, rec.query) == (
        "POST",
        DEV + "key/request",
        "key/request",
        {},
    )
    assert rec.json == {"api_key_name": "logged"} and rec.body == b'{"api_key_name": "logged"}'
    assert ("X-API-Key", sb.dev.api_key) in rec.headers


def test_run_prints_exports_and_stops_on_ctrl_c(tmp_path, sigint):
    err, seen = io.StringIO(), {}

    def poke():
        try:
            deadline = time.monotonic() + 30
            while "wallet:" not in err.getvalue() and time.monotonic() < deadline:
                time.sleep(0.02)
            lines = dict(re.findall(r"export (\w+)=(\S+)", err.getvalue()))
            port = int(lines["ANDAMIO_BASE_URL"].rsplit(":", 1)[1])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "GET",
                DEV + "profile/get",
                headers={
                    "X-API-Key": lines["ANDAMIO_API_KEY"],
                    "Authorization": f"Bearer {lines['ANDAMIO_DEV_JWT']}",
                },
            )
            seen["status"] = conn.getresponse().status
            conn.close()
        finally:
            _thread.interrupt_main()  # always: run() serves until interrupted

    threading.Thread(target=poke, daemon=True).start()
    assert run(port=0, faults=["usage/get=503"], err=err) == 0
    assert seen["status"] == 200
    assert re.search(
        r"^# wallet: andamio login --skey \S+ --alias sandbox-dev --address addr_test1\w+$",
        err.getvalue(),
        re.M,
    )


def test_run_busy_port_and_bad_fault(sb):
    err = io.StringIO()
    assert run(port=sb.port, err=err) == 5
    assert (
        err.getvalue().startswith("Error: cannot listen on 127.0.0.1:")
        and err.getvalue().count("\n") == 1
    )
    err = io.StringIO()
    assert run(port=0, faults=["profile/get"], err=err) == 4
