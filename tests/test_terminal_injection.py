"""Gateway text a terminal would obey is shown inert, in every output format."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore
from hostile_support import (
    AUTH,
    COMMANDS,
    DEV,
    GOOD,
    KEY_REPLY,
    NEW_JWT,
    NEW_KEY,
    PAYLOAD,
    assert_contract,
    assert_inert,
    run,
)

from andamio_cli.settings import Settings

# --- terminal injection --------------------------------------------------------------------


HOSTILE_KEY = {
    **KEY_REPLY,
    "api_key": API_KEY,
    "name": PAYLOAD,
    "created_at": PAYLOAD,
    "expires_at": PAYLOAD,
    "is_active": PAYLOAD,
}
SURFACES = {
    "error message (flat)": ("usage", 400, {"message": PAYLOAD, "code": PAYLOAD}),
    "error message (nested)": ("delete", 404, {"error": {"code": PAYLOAD, "message": PAYLOAD}}),
    "error message (flat error string)": ("rotate", 409, {"error": PAYLOAD}),
    "error details": ("request", 422, {"details": PAYLOAD}),
    "key names in list": ("list", 200, {"user_id": "u1", "active_keys": [HOSTILE_KEY]}),
    "rotate confirmation": ("rotate", 200, {"confirmation": PAYLOAD}),
    "delete confirmation": ("delete", 200, {"confirmation": PAYLOAD}),
    "profile alias": (
        "profile",
        200,
        {"alias": PAYLOAD, "user_id": PAYLOAD, "tier": PAYLOAD, "active_keys": [HOSTILE_KEY]},
    ),
    "usage strings": (
        "usage",
        200,
        {"subscription_tier": PAYLOAD, "expiration": PAYLOAD, "rate_limit_windows": [PAYLOAD]},
    ),
}


def _serve(status, document):
    """Answer with the document; rotate and delete first read the key list (a good one)."""
    profile = ("GET", f"{DEV}/profile/get")

    def reply(request: httpx.Request) -> httpx.Response:
        if (request.method, request.url.path) == profile and "active_keys" not in document:
            return httpx.Response(200, json=GOOD[profile])
        return httpx.Response(status, json=document)

    return reply


@pytest.mark.parametrize("output", ["text", "csv", "markdown"])
@pytest.mark.parametrize("surface", SURFACES)
def test_gateway_text_is_shown_inert_when_piped(cli, surface, output):
    command, status, document = SURFACES[surface]
    result, recorder = run(cli, COMMANDS[command][0] + ["-o", output], _serve(status, document))
    assert_contract(result, recorder)
    assert (result.exit_code == 0) == (status == 200), result.stderr
    assert "\\x1b" in result.stdout + result.stderr  # shown, not obeyed
    assert_inert(result.stdout, "stdout")
    assert_inert(result.stderr, "stderr")
    assert API_KEY not in result.stdout


@pytest.mark.parametrize("surface", SURFACES)
def test_gateway_text_is_shown_inert_on_a_terminal(cli, surface):
    command, status, document = SURFACES[surface]
    result, _ = run(cli, COMMANDS[command][0], _serve(status, document), tty=True)
    assert (result.exit_code == 0) == (status == 200), result.stderr
    for stream in (result.stdout, result.stderr):
        # rich styles its own table with escapes; the gateway's must never pass through
        for sequence in ("\x1b]", "\x07", "\x1b[2J", "\x1b[31mRED", "\x9b", "\u202e"):
            assert sequence not in stream


@pytest.mark.parametrize("surface", SURFACES)
def test_gateway_text_in_json_output_is_escaped(cli, surface):
    command, status, document = SURFACES[surface]
    result, _ = run(cli, COMMANDS[command][0] + ["--json"], _serve(status, document))
    assert (result.exit_code == 0) == (status == 200), result.stderr
    assert_inert(result.stdout, "stdout")
    assert_inert(result.stderr, "stderr")
    parsed = json.loads(result.stdout if status == 200 else result.stderr)
    assert any(PAYLOAD in text for text in _strings(parsed))  # the data is intact, only escaped


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_debug_trace_of_a_hostile_body_is_inert_and_redacted(cli):
    body = {"message": PAYLOAD, "api_key": NEW_KEY, "jwt": {"token": NEW_JWT}}
    result, _ = run(cli, ["--debug", "apikey", "delete", "good-name", "--yes"], _serve(400, body))
    assert result.exit_code == 4, result.stderr
    assert "[debug] < " in result.stderr
    assert_inert(result.stderr, "the --debug trace")
    for secret in (API_KEY, DEV_JWT, NEW_KEY, NEW_JWT):
        assert secret not in result.stderr


def test_status_alias_from_the_settings_is_inert(cli, tmp_path):
    Settings(str(tmp_path / "config")).update("default", alias=PAYLOAD)
    result, recorder = run(cli, ["status"])
    assert result.exit_code == 0, result.stderr
    assert "\\x1b" in result.stdout
    assert_inert(result.stdout, "stdout")
    assert_inert(result.stderr, "stderr")
    assert recorder.requests == []


@pytest.mark.parametrize("command", ["request", "rotate"])
def test_new_key_metadata_note_is_inert(cli, command):
    reply = {**KEY_REPLY, "name": PAYLOAD, "created_at": PAYLOAD}
    result, _ = run(cli, COMMANDS[command][0], _serve(200, reply))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == NEW_KEY + "\n"
    assert_inert(result.stderr, "stderr")


def test_refreshed_alias_note_is_inert(cli):
    reply = {**GOOD[("POST", f"{AUTH}/token/refresh")], "alias": PAYLOAD}
    result, _ = run(cli, ["refresh"], _serve(200, reply))
    assert result.exit_code == 0, result.stderr
    assert_inert(result.stderr, "stderr")


def test_status_rows_of_a_profile_that_is_not_ready_are_inert(cli, tmp_path):
    Settings(str(tmp_path / "config")).update("default", alias=PAYLOAD)
    result, _ = run(cli, ["status"], creds=MemoryStore())
    assert result.exit_code == 3, result.stderr
    assert_inert(result.stderr, "stderr")
