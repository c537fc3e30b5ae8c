"""The pure parts of the network hardening: proxy choice, strict JSON, bounded decoding,
secret names, Retry-After, times from the gateway, and the JSON output belt."""

from __future__ import annotations

import gzip
import io
import math
import zlib

import httpx
import pytest

from andamio_cli.errors import InvalidInputError, RateLimitedError
from andamio_cli.http import Gateway, proxy_for
from andamio_cli.output import Output
from andamio_cli.redact import is_secret_name, redact_text
from andamio_cli.times import gateway_time, parse_time
from andamio_cli.wire import MAX_BODY, BadEncoding, Deadline, TooLarge, loads, read_body

PROXY = "http://proxy.example:3128"


@pytest.mark.parametrize(
    "url,env,expected",
    [
        ("http://127.0.0.1:8765", {"HTTP_PROXY": PROXY, "ALL_PROXY": PROXY}, None),
        ("http://localhost:8765", {"http_proxy": PROXY}, None),
        ("http://[::1]:8765", {"ALL_PROXY": PROXY}, None),
        ("https://127.0.0.1", {"HTTPS_PROXY": PROXY}, None),
        ("https://preprod.api.andamio.io", {"HTTPS_PROXY": PROXY}, PROXY),
        ("https://preprod.api.andamio.io", {"HTTP_PROXY": PROXY}, None),
        ("https://preprod.api.andamio.io", {"ALL_PROXY": PROXY}, PROXY),
        ("https://preprod.api.andamio.io", {"https_proxy": PROXY, "HTTPS_PROXY": "x:1"}, PROXY),
        ("https://preprod.api.andamio.io", {"HTTPS_PROXY": "proxy.example:3128"}, PROXY),
        ("http://10.1.2.3", {"HTTP_PROXY": PROXY}, PROXY),
        ("https://api.andamio.io", {"HTTPS_PROXY": PROXY, "NO_PROXY": "andamio.io"}, None),
        ("https://api.andamio.io", {"HTTPS_PROXY": PROXY, "no_proxy": ".andamio.io"}, None),
        ("https://api.andamio.io", {"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, None),
        ("https://api.andamio.io", {"HTTPS_PROXY": PROXY, "NO_PROXY": "evilandamio.io"}, PROXY),
        ("http://10.1.2.3", {"HTTP_PROXY": PROXY, "NO_PROXY": "10.0.0.0/8"}, None),
        ("http://10.1.2.3:80", {"HTTP_PROXY": PROXY, "NO_PROXY": "10.1.2.3:80"}, None),
        ("https://api.andamio.io", {}, None),
    ],
)
def test_proxy_for(url, env, expected):
    assert proxy_for(url, env) == expected


def test_an_unusable_proxy_scheme_names_the_variable_not_the_url():
    with pytest.raises(InvalidInputError) as info:
        proxy_for("https://api.andamio.io", {"HTTPS_PROXY": "ftp://user:pw@proxy.example"})
    assert "HTTPS_PROXY" in info.value.message and "pw" not in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        b"NaN",
        b"[Infinity]",
        b'{"a": -Infinity}',
        b"1e999",
        b"-1e400",
        b"123456789012345678901",
        b"9223372036854775808",
        b'"\\udc00"',
        b'{"\\ud83d": 1}',
        b"[" * 100_000 + b"]" * 100_000,
        b"[" * 65 + b"]" * 65,
        b"\xff",
    ],
)
def test_strict_json_refuses(text):
    with pytest.raises(ValueError):
        loads(text)


def test_strict_json_accepts_ordinary_replies():
    text = b'{"a": [1, -2.5, "\\ud83d\\ude00", 9223372036854775807, null, true], "b": {}}'
    assert loads(text) == {"a": [1, -2.5, "\U0001f600", 2**63 - 1, None, True], "b": {}}
    assert loads(b"[" * 64 + b"]" * 64) is not None


def _deadline(seconds=30.0):
    deadline = Deadline(seconds, [])
    return deadline


def test_read_body_stops_one_byte_past_the_cap():
    fed = []

    def chunks():
        for _ in range(10_000):  # 640 MB if it were all read
            fed.append(1)
            yield b"x" * 65536

    with pytest.raises(TooLarge):
        read_body(chunks(), _deadline())
    assert len(fed) == MAX_BODY // 65536 + 1


def test_read_body_refuses_an_announced_length_over_the_cap_before_reading():
    def chunks():
        raise AssertionError("nothing may be read")
        yield b""  # pragma: no cover

    with pytest.raises(TooLarge):
        read_body(chunks(), _deadline(), length=str(MAX_BODY + 1))


def test_read_body_caps_a_gzip_bomb_after_decoding():
    bomb = gzip.compress(bytes(50 * 1024 * 1024), compresslevel=1)
    assert len(bomb) < MAX_BODY
    with pytest.raises(TooLarge):
        read_body([bomb], _deadline(), encoding="gzip")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity, gzip"])
def test_read_body_decodes_small_gzip_and_deflate(encoding):
    data = b'{"ok": 1}'
    packed = zlib.compress(data) if encoding == "deflate" else gzip.compress(data)
    assert read_body([packed[:5], packed[5:]], _deadline(), encoding=encoding) == data


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_read_body_refuses_encodings_it_did_not_ask_for(encoding):
    with pytest.raises(BadEncoding):
        read_body([b"abc"], _deadline(), encoding=encoding)


@pytest.mark.parametrize(
    "name",
    [
        "apiKey",
        "api_key",
        "API-KEY",
        "x-api-key",
        "X_Api_Key",
        "accessToken",
        "access_token",
        "refreshToken",
        "refresh-token",
        "dev_jwt_token",
        "devJwt",
        "Authorization",
        "Proxy-Authorization",
        "Set-Cookie",
        "key",
        "token",
        "jwt",
        "secret",
        "clientSecret",
        "password",
        "X-Auth-Token",
    ],
)
def test_secret_names_are_recognised_by_normalised_name(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["api_key_name", "key_id", "expires_at", "refresh_token_expires_at", "alias", "Content-Type"],
)
def test_ordinary_names_are_not_secret(name):
    assert not is_secret_name(name)


def test_redact_text_masks_camel_case_and_cut_off_fields():
    full = '{"apiKey": "s1", "nested": [{"accessToken": "s2", "Authorization": "s3"}], "n": 1}'
    masked = redact_text(full)
    assert "s1" not in masked and "s2" not in masked and "s3" not in masked
    assert '"n": 1' in masked
    cut = '{"name": "ok", "refreshToken": "s4-cut-o'
    assert redact_text(cut) == '{"name": "ok", "refreshToken": "***'
    cut_escaped = '{"dev_jwt_token" : "a\\"b-still-secret'
    assert redact_text(cut_escaped) == '{"dev_jwt_token" : "***'


def test_redact_text_survives_deep_nesting():
    text = "[" * 100_000 + '{"token": "deep-secret"}' + "]" * 100_000
    assert "deep-secret" not in redact_text(text)


@pytest.mark.parametrize("value", ["\xb2", "\u0663", "1\u00b2", "-1", "1.5", "9" * 30, "soon"])
def test_retry_after_that_is_not_plain_digits_falls_back_to_backoff(value):
    seen, sleeps = [], []

    def handler(request):
        seen.append(request)
        headers = [(b"Retry-After", value.encode())]
        return httpx.Response(429, headers=headers, json={"message": "slow"})

    gw = Gateway(
        "https://preprod.api.andamio.io",
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
    )
    with pytest.raises(RateLimitedError):
        gw.call("GET", "/x", read=True)
    assert len(seen) == 3 and len(sleeps) == 2
    assert all(0.5 <= s <= 2.5 for s in sleeps), sleeps


@pytest.mark.parametrize(
    "value",
    [
        1796003600000,
        1796003600.0,
        "1796003600000",
        float("nan"),
        float("inf"),
        "9999-12-31T23:59:59-05:00",
        "1999-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "",
        None,
        True,
        ["2026-11-23T11:00:00Z"],
    ],
)
def test_gateway_time_takes_only_iso_strings_of_a_sane_year(value):
    assert gateway_time(value) is None


def test_gateway_time_and_parse_time_of_good_values():
    assert gateway_time("2026-11-23T11:00:00Z") == 1795431600.0
    assert gateway_time("2026-11-23T12:00:00+01:00") == 1795431600.0
    assert parse_time(1795431600) == 1795431600.0  # a JWT `exp` is a number
    for bad in (float("nan"), float("inf"), -1e300, 1e300, "9999-12-31T23:59:59-05:00"):
        assert parse_time(bad) is None


def test_json_output_refuses_nan_rather_than_printing_invalid_json():
    out = Output("json", io.StringIO(), tty=False, color=False)
    with pytest.raises(ValueError):
        out.json({"x": math.nan})
