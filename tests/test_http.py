"""The one request path: retries, Retry-After, error bodies, transport failures, redaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from andamio_cli.errors import (
    AndamioError,
    AuthError,
    BadReplyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    TierLimitError,
    UnreachableError,
)
from andamio_cli.http import Gateway
from andamio_cli.redact import redact_text

BASE = "https://preprod.api.andamio.io"


def make(handler, sleeps=None):
    return Gateway(
        BASE,
        transport=httpx.MockTransport(handler),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )


def replies(*responses):
    queue = list(responses)
    seen = []

    def handler(request):
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def test_read_retries_429_honouring_retry_after():
    handler, seen = replies(
        httpx.Response(429, headers={"Retry-After": "1"}, json={}),
        httpx.Response(200, json={"ok": 1}),
    )
    sleeps = []
    assert make(handler, sleeps).call("GET", "/x", read=True) == {"ok": 1}
    assert len(seen) == 2 and sleeps == [1.0]


def test_retry_after_http_date():
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=3), usegmt=True)
    handler, seen = replies(
        httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200, json={})
    )
    sleeps = []
    make(handler, sleeps).call("GET", "/x", read=True)
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 3.5


def test_retry_after_beyond_the_cap_is_not_waited_for():
    handler, seen = replies(httpx.Response(429, headers={"Retry-After": "3600"}, json={}))
    with pytest.raises(RateLimitedError):
        make(handler).call("GET", "/x", read=True)
    assert len(seen) == 1


def test_read_gives_up_after_three_attempts():
    handler, seen = replies(
        *[
            httpx.Response(
                502, text="<html>bad gateway</html>", headers={"content-type": "text/html"}
            )
        ]
        * 3
    )
    with pytest.raises(AndamioError) as info:
        make(handler).call("GET", "/x", read=True)
    assert len(seen) == 3
    assert info.value.exit_code == 1 and "HTTP 502, text/html" in info.value.message


def test_write_is_never_retried():
    handler, seen = replies(httpx.Response(503, json={"message": "busy"}))
    with pytest.raises(AndamioError):
        make(handler).call("POST", "/x", body={})
    assert len(seen) == 1


def test_tier_limit_is_not_retried_even_on_a_read():
    handler, seen = replies(
        httpx.Response(429, json={"error": {"code": "tier_limit_exceeded", "message": "cap"}})
    )
    with pytest.raises(RateLimitedError):
        make(handler).call("GET", "/x", read=True)
    assert len(seen) == 1


def test_transport_errors_retried_on_reads_then_unreachable():
    request = httpx.Request("GET", BASE)
    handler, seen = replies(*[httpx.ConnectError("Connection refused", request=request)] * 3)
    with pytest.raises(UnreachableError) as info:
        make(handler).call("GET", "/x", read=True)
    assert len(seen) == 3 and info.value.exit_code == 5
    assert "preprod.api.andamio.io" in info.value.message


def test_dns_failure_message():
    request = httpx.Request("GET", BASE)
    handler, _ = replies(
        httpx.ConnectError("[Errno -2] Name or service not known", request=request)
    )
    with pytest.raises(UnreachableError, match="cannot resolve"):
        make(handler).call("POST", "/x", body={})


def test_timeout_message():
    request = httpx.Request("GET", BASE)
    handler, _ = replies(httpx.ReadTimeout("timed out", request=request))
    with pytest.raises(UnreachableError, match="within 10 s"):
        make(handler).call("POST", "/x", body={})


@pytest.mark.parametrize(
    "status,body,cls,code",
    [
        (401, {"status_code": 401, "message": "Unauthorized"}, AuthError, None),
        (400, {"statusCode": 400, "message": "Bad Request"}, InvalidInputError, None),
        (
            400,
            {"error": {"code": "tier_limit_exceeded", "message": "m"}},
            TierLimitError,
            "tier_limit_exceeded",
        ),
        (409, {"error": "already_exists", "message": "dup"}, ConflictError, "already_exists"),
        (401, {"code": "session_expired", "message": "late"}, AuthError, "session_expired"),
        (400, {"error": "key not found"}, InvalidInputError, None),
        (404, {}, NotFoundError, None),
    ],
)
def test_error_body_shapes(status, body, cls, code):
    handler, _ = replies(httpx.Response(status, json=body))
    with pytest.raises(AndamioError) as info:
        make(handler).call("POST", "/x", body={})
    assert type(info.value) is cls
    assert info.value.code == code and info.value.status == status


def test_long_error_message_is_cut():
    handler, _ = replies(httpx.Response(500, json={"message": "x" * 5000}))
    with pytest.raises(AndamioError) as info:
        make(handler).call("POST", "/x", body={})
    assert len(info.value.message) < 600


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b""),
        httpx.Response(
            200, content=b'{"api_key": "ant_pp_cut', headers={"content-type": "application/json"}
        ),
        httpx.Response(200, content=b"<html></html>", headers={"content-type": "text/html"}),
        httpx.Response(200, json=["not", "an", "object"]),
    ],
)
def test_bad_success_replies(response):
    handler, _ = replies(response)
    with pytest.raises(BadReplyError) as info:
        make(handler).call("POST", "/x", body={})
    assert "HTTP 200" in info.value.message
    assert "ant_pp_cut" not in info.value.message


def test_redirects_are_not_followed():
    handler, seen = replies(httpx.Response(302, headers={"Location": "https://evil.example/x"}))
    with pytest.raises(BadReplyError, match="redirect"):
        make(handler).call("GET", "/x")
    assert len(seen) == 1


def test_redact_text_masks_cut_off_secrets():
    assert redact_text('{"api_key": "ant_pp_abcdef') == '{"api_key": "***'
    assert redact_text('{"jwt": {"token": "eyJ.x.y"}}') == '{"jwt": {"token": "***"}}'
