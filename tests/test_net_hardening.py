"""The installed CLI against hostile gateways on loopback: trickling, huge, compressed and
malformed replies, proxies from the environment, hostile JSON, and unsafe options.

Each case asserts the exit code, stdout and stderr separately, that no secret leaks, and a
bound on time (several times the expected duration) and, where it matters, on peak memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from conftest import API_KEY, DEV_JWT
from hostile_servers import (
    SECRETS,
    HostileServer,
    MiB,
    andamio,
    assert_clean_error,
    fixed,
    gzip_bomb,
    huge,
    recording_proxy,
    trickle_body,
    trickle_head,
    unannounced,
)

from andamio_cli.credentials import FileStore
from andamio_cli.settings import Settings

USAGE = ["apikey", "usage"]
REQUEST = ["apikey", "request", "net-key"]
RSS_LIMIT_KIB = 200 * 1024


# --- the hostile-gateway table (also the README's) ------------------------------------------


@dataclass(frozen=True)
class Hostile:
    respond: Callable  # the server's responder
    exit: int
    names: str  # a fragment of the one `Error:` line
    read_requests: int  # requests `apikey usage` sends (reads are retried)
    seconds: float  # a read must end sooner (several times what it needs); writes: a third
    memory: bool = False  # peak RSS measured and bounded


TOO_BIG_200 = "larger than 1 MiB (HTTP 200, application/json)"
NOT_JSON = "not a JSON object (HTTP 200, application/json)"
HOSTILE_JSON = {
    "JSON nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "JSON nested 990 deep": b'{"a":' + b"[" * 990 + b"]" * 990 + b"}",
    "JSON NaN": b'{"daily_quota_consumed": NaN}',
    "JSON -Infinity": b'{"daily_quota_limit": -Infinity}',
    "JSON 1e999": b'{"daily_quota_limit": 1e999}',
    "JSON integer of 400 digits": b'{"daily_quota_limit": 1' + b"0" * 400 + b"}",
    "JSON lone surrogate (escaped)": b'{"subscription_tier": "\\ud800"}',
    "JSON lone surrogate (raw bytes)": b'{"subscription_tier": "\xed\xa0\x80"}',
    "invalid UTF-8": b'{"subscription_tier": "\xff\xfe"}',
}
HOSTILE = {
    "headers trickled, a byte per 0.5 s": Hostile(
        trickle_head(0.5), 5, "no answer within 2 s from 127.0.0.1:", 3, 40
    ),
    "body trickled (Content-Length 1000)": Hostile(
        trickle_body(1000, 0.5), 5, "did not complete within 2 s", 3, 40
    ),
    "chunked body trickled": Hostile(
        trickle_body(0, 0.5, chunked=True), 5, "did not complete within 2 s", 3, 40
    ),
    "Content-Length 100000000, a byte per 0.5 s": Hostile(
        trickle_body(100_000_000, 0.5), 1, TOO_BIG_200, 1, 20
    ),
    "1 GiB body with Content-Length": Hostile(huge(1024 * MiB), 1, TOO_BIG_200, 1, 30, True),
    "1 GiB body without a length": Hostile(unannounced(1024 * MiB), 1, TOO_BIG_200, 1, 30, True),
    "endless chunked body": Hostile(huge(None), 1, TOO_BIG_200, 1, 30, True),
    "gzip bomb (1 GiB of zeros), not asked for": Hostile(
        gzip_bomb(1024 * MiB), 1, TOO_BIG_200, 1, 30, True
    ),
    "512 MB HTML 503": Hostile(
        huge(512 * MiB, 503, "text/html"), 1, "larger than 1 MiB (HTTP 503, text/html)", 1, 30, True
    ),
    "512 MB HTML 503 without a length": Hostile(
        unannounced(512 * MiB, 503, "text/html"),
        1,
        "larger than 1 MiB (HTTP 503, text/html)",
        1,
        30,
        True,
    ),
    "brotli body, not asked for": Hostile(
        fixed(b"\x00\x01garbage", Content_Encoding="br"),
        1,
        "encoding that was not asked for",
        1,
        20,
    ),
    **{name: Hostile(fixed(body), 1, NOT_JSON, 1, 20) for name, body in HOSTILE_JSON.items()},
    "503 with Retry-After: \xb2 (a superscript two)": Hostile(
        fixed(b'{"message": "busy"}', status=503, Retry_After="\xb2"),
        1,
        "HTTP 503, application/json",
        3,
        30,
    ),
}


@pytest.mark.parametrize("command", ["read", "write"])
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_gateway_gives_one_clean_error_in_bounded_time_and_memory(tmp_path, name, command):
    case = HOSTILE[name]
    args = ["--timeout", "2", *(USAGE if command == "read" else REQUEST)]
    with HostileServer(case.respond) as server:
        run = andamio(tmp_path, server.url, args, rss=case.memory)
    assert_clean_error(run, case.exit, case.names)
    if command == "read":
        assert len(server.requests) == case.read_requests
        assert run.seconds < case.seconds
    else:
        assert len(server.requests) == 1  # a write is never retried
        assert run.seconds < case.seconds / 2
        if case.exit == 5:
            assert "may have reached the gateway" in run.stderr
    if case.memory:
        assert server.sent < 64 * MiB  # stopped early (socket buffers included)
        assert run.rss_kib is not None and run.rss_kib < RSS_LIMIT_KIB, run.rss_kib


def hardening_markdown() -> str:
    """The hostile-gateway table as Markdown, for the README."""
    lines = [
        "| Hostile gateway (`--timeout 2`) | Exit | The one `Error:` line names "
        "| Reads send | Writes send | Bound |",
        "|---|---|---|---|---|---|",
    ]
    for name, case in HOSTILE.items():
        bound = f"< {case.seconds:g} s" + (
            f", peak RSS < {RSS_LIMIT_KIB // 1024} MiB" if case.memory else ""
        )
        lines.append(
            f"| {name} | {case.exit} | `{case.names}` | {case.read_requests} | 1 | {bound} |"
        )
    return "\n".join(lines)


def test_readme_hostile_gateway_table_is_current():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert hardening_markdown() in readme, (
        "README.md's hostile-gateway table is stale: paste `python tests/test_net_hardening.py`"
    )


@pytest.mark.parametrize("name", HOSTILE_JSON)
def test_hostile_json_in_json_mode_gives_one_valid_json_error(tmp_path, name):
    with HostileServer(fixed(HOSTILE_JSON[name])) as server:
        run = andamio(tmp_path, server.url, [*USAGE, "--json"])
    assert run.code == 1, run.stderr
    assert run.stdout == ""
    error = json.loads(run.stderr)["error"]  # valid JSON, one object
    assert error["kind"] == "error" and NOT_JSON in error["message"]
    assert len(server.requests) == 1


def test_compression_is_not_asked_for_and_a_small_gzip_reply_is_read(tmp_path):
    import gzip

    body = gzip.compress(json.dumps({"daily_quota_consumed": 3}).encode())
    with HostileServer(fixed(body, Content_Encoding="gzip")) as server:
        run = andamio(tmp_path, server.url, [*USAGE, "--json"])
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout) == {"daily_quota_consumed": 3}
    assert run.stderr == ""
    assert b"\r\naccept-encoding: identity\r\n" in server.requests[0].lower()


# --- 4. proxies ------------------------------------------------------------------------------


def test_proxies_from_the_environment_are_never_used_for_loopback(tmp_path):
    body = json.dumps({"daily_quota_consumed": 1}).encode()
    with HostileServer(recording_proxy()) as proxy, HostileServer(fixed(body)) as gateway:
        proxies = {var: proxy.url for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
        lower = {var.lower(): proxy.url for var in proxies}
        run = andamio(tmp_path, gateway.url, [*USAGE, "--json"], **proxies, **lower)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout) == {"daily_quota_consumed": 1}
    assert run.stderr == ""
    assert proxy.requests == []  # not a byte: no X-API-Key, no JWT
    assert len(gateway.requests) == 1


def test_a_remote_host_goes_through_the_proxy_with_a_plain_http_warning(tmp_path):
    # 0.0.0.0 is not a loopback name, so it counts as remote; the proxy answers 502
    with HostileServer(recording_proxy()) as proxy:
        run = andamio(
            tmp_path,
            "http://0.0.0.0:9",
            REQUEST,
            HTTP_PROXY=proxy.url,
            ANDAMIO_ALLOW_ANY_URL="1",
        )
    assert_clean_error(run, 1, "HTTP 502, text/html")
    assert "Warning: credentials go over plain http to 0.0.0.0" in run.stderr
    assert len(proxy.requests) == 1
    assert proxy.requests[0].startswith(b"POST http://0.0.0.0:9/api/v2/apikey/developer/key/")


def test_no_proxy_sends_a_remote_host_directly(tmp_path):
    body = json.dumps({"daily_quota_consumed": 2}).encode()
    with HostileServer(recording_proxy()) as proxy, HostileServer(fixed(body)) as gateway:
        run = andamio(
            tmp_path,
            f"http://0.0.0.0:{gateway.port}",
            [*USAGE, "--json"],
            HTTP_PROXY=proxy.url,
            NO_PROXY="example.org,0.0.0.0",
            ANDAMIO_ALLOW_ANY_URL="1",
        )
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout) == {"daily_quota_consumed": 2}
    assert run.stderr.startswith("Warning: credentials go over plain http to 0.0.0.0")
    assert proxy.requests == [] and len(gateway.requests) == 1


# --- 6. --debug masks secret-looking names ---------------------------------------------------

LEAKY = {
    "apiKey": "leak-apiKey-0000000001",
    "accessToken": "leak-accessToken-0002",
    "refreshToken": "leak-refreshToken-003",
    "dev_jwt_token": "leak-dev-jwt-token-04",
    "Authorization": "leak-authorization-05",
    "x-api-key": "leak-x-api-key-000006",
    "password": "leak-password-0000007",
    "client_secret": "leak-client-secret-08",
}


@pytest.mark.parametrize("cut", [False, True])
def test_debug_masks_fields_and_headers_by_normalised_name(tmp_path, cut):
    body = json.dumps({"daily_quota_consumed": 1, "nested": [LEAKY]}).encode()
    if cut:
        body = body[:-3]  # not JSON any more: masked as text
    respond = fixed(
        body,
        status=400 if not cut else 500,
        X_Api_Key="leak-header-key-00009",
        Set_Cookie="session=leak-cookie-000010",
        X_Auth_Token="leak-auth-token-00011",
    )
    with HostileServer(respond) as server:
        run = andamio(tmp_path, server.url, ["--debug", *USAGE])
    assert run.code == (4 if not cut else 1), run.stderr
    assert run.stdout == ""
    assert "[debug] < HTTP" in run.stderr and "***" in run.stderr
    leaked = [
        v
        for v in (*LEAKY.values(), "leak-header-key", "leak-cookie", "leak-auth-token", *SECRETS)
        if v in run.stderr or v in run.stdout
    ]
    assert leaked == []
    assert len(server.requests) == 1


# --- 7. options and environment --------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "0", "-1", "86401"])
def test_a_timeout_that_is_not_a_sane_number_is_refused_before_sending(tmp_path, value):
    with HostileServer(fixed(b"{}")) as server:
        run = andamio(tmp_path, server.url, [f"--timeout={value}", *USAGE])
    assert_clean_error(run, 4, "--timeout")
    assert server.requests == []


@pytest.mark.parametrize("variable", ["ANDAMIO_API_KEY", "ANDAMIO_DEV_JWT"])
@pytest.mark.parametrize("bad", ["\n", "\r\nX-Evil: 1", " ", "\x01", "\u00e9"])
def test_an_unsafe_character_in_a_credential_variable_is_refused(tmp_path, variable, bad):
    value = {"ANDAMIO_API_KEY": API_KEY, "ANDAMIO_DEV_JWT": DEV_JWT}[variable]
    with HostileServer(fixed(b"{}")) as server:
        run = andamio(tmp_path, server.url, USAGE, **{variable: value[:20] + bad + value[20:]})
    assert_clean_error(run, 4, variable)
    assert server.requests == []
    assert value[:20] not in run.stderr


def test_a_stored_key_with_a_newline_is_refused_before_sending(tmp_path):
    config = str(tmp_path / "config")
    FileStore(config).set("default", "api_key", API_KEY[:20] + "\n" + API_KEY[20:])
    with HostileServer(fixed(b"{}")) as server:
        # stored for this server, as `andamio login` records it (stored keys go nowhere else)
        Settings(config).update("default", store="file", credentials_url=server.url)
        run = andamio(tmp_path, server.url, USAGE, ANDAMIO_API_KEY=None)
    assert_clean_error(run, 4, "X-API-Key header")
    assert server.requests == []


if __name__ == "__main__":
    print(hardening_markdown())
