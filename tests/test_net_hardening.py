"""The installed CLI against hostile gateways on loopback: trickling, huge, compressed and
malformed replies, proxies from the environment, hostile JSON, and unsafe options.

Each case asserts the exit code, stdout and stderr separately, that no secret leaks, and a
bound on time (several times the expected duration) and, where it matters, on peak memory.
"""

from __future__ import annotations

import json

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


# --- 1. --timeout bounds the whole request ---------------------------------------------------

SLOW = {
    "headers one byte per 0.5 s": trickle_head(0.5),
    "body one byte per 0.5 s": trickle_body(1000, 0.5),
    "chunked body one chunk per 0.5 s": trickle_body(0, 0.5, chunked=True),
}


@pytest.mark.parametrize("name", SLOW)
def test_a_trickling_read_is_cut_at_the_timeout_on_each_of_three_attempts(tmp_path, name):
    with HostileServer(SLOW[name]) as server:
        run = andamio(tmp_path, server.url, ["--timeout", "2", *USAGE])
    words = "no answer from" if name.startswith("headers") else "did not complete"
    assert_clean_error(run, 5, words, "127.0.0.1", "within 2 s")
    assert len(server.requests) == 3  # reads are retried
    assert run.seconds < 40  # 3 x 2 s + backoff; before the fix: 300 s and more


@pytest.mark.parametrize("name", SLOW)
def test_a_trickling_write_is_cut_at_the_timeout_once(tmp_path, name):
    with HostileServer(SLOW[name]) as server:
        run = andamio(tmp_path, server.url, ["--timeout", "2", *REQUEST])
    assert_clean_error(run, 5, "within 2 s")
    assert "may have reached the gateway" in run.stderr
    assert len(server.requests) == 1
    assert run.seconds < 20


def test_a_huge_announced_body_that_trickles_is_refused_at_once(tmp_path):
    with HostileServer(trickle_body(100_000_000, 0.5)) as server:
        run = andamio(tmp_path, server.url, ["--timeout", "2", *USAGE])
    assert_clean_error(run, 1, "larger than 1 MiB", "HTTP 200, application/json")
    assert len(server.requests) == 1
    assert run.seconds < 20


# --- 2. bounded replies ----------------------------------------------------------------------

BIG = {
    "1 GiB with Content-Length": (huge(1024 * MiB), "HTTP 200, application/json"),
    "endless chunked body": (huge(None), "HTTP 200, application/json"),
    "1 GiB without a length": (unannounced(1024 * MiB), "HTTP 200, application/json"),
    "gzip bomb (1 GiB of zeros)": (gzip_bomb(1024 * MiB), "HTTP 200, application/json"),
    "512 MB HTML 503": (huge(512 * MiB, 503, "text/html"), "HTTP 503, text/html"),
    "512 MB HTML 503 without a length": (
        unannounced(512 * MiB, 503, "text/html"),
        "HTTP 503, text/html",
    ),
}


@pytest.mark.parametrize("name", BIG)
def test_a_reply_over_one_mib_is_an_error_in_bounded_memory(tmp_path, name):
    respond, described = BIG[name]
    with HostileServer(respond) as server:
        run = andamio(tmp_path, server.url, USAGE, rss=True)
    assert_clean_error(run, 1, "larger than 1 MiB", described)
    assert len(server.requests) == 1  # never downloaded again, not even by a read's retries
    assert server.sent < 64 * MiB  # stopped early (what was sent includes socket buffers)
    assert run.rss_kib is not None and run.rss_kib < RSS_LIMIT_KIB, run.rss_kib
    assert run.seconds < 30


def test_compression_is_not_asked_for_and_a_small_gzip_reply_is_read(tmp_path):
    import gzip

    body = gzip.compress(json.dumps({"daily_quota_consumed": 3}).encode())
    with HostileServer(fixed(body, Content_Encoding="gzip")) as server:
        run = andamio(tmp_path, server.url, [*USAGE, "--json"])
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout) == {"daily_quota_consumed": 3}
    assert run.stderr == ""
    assert b"\r\naccept-encoding: identity\r\n" in server.requests[0].lower()


def test_an_unknown_content_encoding_is_a_clean_error(tmp_path):
    with HostileServer(fixed(b"\x00\x01garbage", Content_Encoding="br")) as server:
        run = andamio(tmp_path, server.url, USAGE)
    assert_clean_error(run, 1, "encoding that was not asked for", "HTTP 200, application/json")
    assert len(server.requests) == 1


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


# --- 5. hostile JSON -------------------------------------------------------------------------

HOSTILE_JSON = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "nested 990 deep": b'{"a":' + b"[" * 990 + b"]" * 990 + b"}",
    "NaN": b'{"daily_quota_consumed": NaN}',
    "Infinity": b'{"daily_quota_limit": -Infinity}',
    "1e999": b'{"daily_quota_limit": 1e999}',
    "huge integer": b'{"daily_quota_limit": 1' + b"0" * 400 + b"}",
    "lone surrogate (escaped)": b'{"subscription_tier": "\\ud800"}',
    "lone surrogate (raw bytes)": b'{"subscription_tier": "\xed\xa0\x80"}',
    "invalid UTF-8": b'{"subscription_tier": "\xff\xfe"}',
}


@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("name", HOSTILE_JSON)
def test_hostile_json_is_a_clean_bad_reply(tmp_path, name, output):
    with HostileServer(fixed(HOSTILE_JSON[name])) as server:
        run = andamio(tmp_path, server.url, [*USAGE, "-o", output])
    assert run.code == 1, run.stderr
    assert run.stdout == ""
    if output == "json":
        error = json.loads(run.stderr)["error"]  # valid JSON, one object
        assert error["kind"] == "error" and "HTTP 200, application/json" in error["message"]
    else:
        assert_clean_error(run, 1, "not a JSON object (HTTP 200, application/json)")
    assert len(server.requests) == 1


def test_retry_after_with_a_superscript_digit_is_ignored_not_a_crash(tmp_path):
    respond = fixed(b'{"message": "busy"}', status=503, Retry_After="\xb2")
    with HostileServer(respond) as server:
        run = andamio(tmp_path, server.url, USAGE)
    assert_clean_error(run, 1, "HTTP 503, application/json")
    assert len(server.requests) == 3  # retried with the usual backoff
    assert run.seconds < 30


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
    Settings(config).update("default", store="file")
    with HostileServer(fixed(b"{}")) as server:
        run = andamio(tmp_path, server.url, USAGE, ANDAMIO_API_KEY=None)
    assert_clean_error(run, 4, "X-API-Key header")
    assert server.requests == []
