"""Hostile gateway replies: no traceback, an exit code from the contract, inert text."""

from __future__ import annotations

import json

import httpx
from conftest import API_KEY, DEV_JWT
from hostile_support import (
    COMMANDS,
    DEV,
    GOOD,
    KEY_REPLY,
    PAYLOAD,
    REFRESH,
    SETTINGS,
    assert_contract,
    assert_inert,
    run,
)
from hypothesis import given
from hypothesis import strategies as st

from andamio_cli.http import RETRY_STATUSES

# --- replies the gateway sent ------------------------------------------------------------


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.just(PAYLOAD),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=20),
)
error_shapes = st.one_of(
    st.fixed_dictionaries({"message": hostile_text, "code": hostile_text}),
    st.fixed_dictionaries(
        {"error": st.fixed_dictionaries({"code": hostile_text, "message": hostile_text})}
    ),
    st.fixed_dictionaries({"error": hostile_text, "details": hostile_text}),
    st.fixed_dictionaries(
        {"status_code": st.integers(), "statusCode": json_values, "message": json_values}
    ),
    st.dictionaries(
        st.sampled_from(
            [
                "message",
                "code",
                "error",
                "details",
                "api_key",
                "jwt",
                "refresh_token",
                "confirmation",
                "active_keys",
                "alias",
            ]
        ),
        json_values,
        max_size=5,
    ),
    json_values,
)


def _mutated(document, draw_values):
    """A good reply with some of its fields (and its keys' fields) replaced."""
    if isinstance(document, dict):
        return {k: draw_values.get(k, _mutated(v, draw_values)) for k, v in document.items()}
    if isinstance(document, list):
        return [_mutated(v, draw_values) for v in document]
    return document


field_names = sorted(
    {k for body in GOOD.values() for k in body} | {k for k in KEY_REPLY} | {"token", "expires_at"}
)
replacements = st.dictionaries(
    st.sampled_from(field_names), json_values | hostile_text, min_size=1, max_size=4
)
bodies = st.one_of(
    st.binary(max_size=120),
    error_shapes.map(lambda v: json.dumps(v).encode()),
    st.just(b"<html><body>502 Bad Gateway</body></html>"),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/html",
        "text/plain",
        "",
        "\x1b[31mtext/html",
    ]
)


@SETTINGS
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    status=st.sampled_from([200]) | st.integers(200, 599),
    data=st.data(),
    ctype=content_types,
)
def test_any_gateway_reply_gives_a_contract_exit_and_inert_text(cli, command, status, data, ctype):
    route = COMMANDS[command][1]
    body = data.draw(
        bodies
        | replacements.map(lambda values: json.dumps(_mutated(GOOD[route], values)).encode()),
        label="body",
    )
    read = route[0] == "GET"
    if read and status in RETRY_STATUSES:
        status = 500  # reads would sleep between retries; the retry path is tested elsewhere
    headers = [(b"content-type", ctype.encode("latin-1"))] if ctype else []

    key_list = ("GET", f"{DEV}/profile/get")

    def reply(request):
        if (request.method, request.url.path) == key_list and route != key_list:
            # rotate and delete first read the key list (to know the profile's own key)
            return httpx.Response(200, json=GOOD[key_list])
        return httpx.Response(status, headers=headers, content=body)

    result, recorder = run(cli, COMMANDS[command][0], reply)
    assert_contract(result, recorder)
    assert [(r.method, r.url.path) for r in recorder.requests][-1:] == [route]
    assert len([r for r in recorder.requests if (r.method, r.url.path) == route]) == 1
    assert_inert(result.stdout, "stdout")
    if result.exit_code != 0 or command not in ("request", "rotate", "refresh"):
        assert_inert(result.stderr, "stderr")
    for secret in (API_KEY, DEV_JWT, REFRESH):
        assert secret not in result.stderr and secret not in result.stdout
