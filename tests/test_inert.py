"""Invisible and direction-changing Unicode from the gateway is shown escaped in every format."""

from __future__ import annotations

import json

import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore
from test_tables import _clean_env, run_in_terminal, run_piped

from andamio_cli.output import cell, csv_cell, inert, json_text

DEV = "/api/v2/apikey/developer"
# character -> how it must be shown
HOSTILE = {
    "\u202e": "\\u202e",  # right-to-left override
    "\u200b": "\\u200b",  # zero-width space
    "\ufeff": "\\ufeff",  # byte-order mark
    "\u061c": "\\u061c",  # Arabic letter mark
    "\u2060": "\\u2060",  # word joiner
    "\u2064": "\\u2064",  # invisible plus
    "\u00ad": "\\u00ad",  # soft hyphen
    "\U000e0041": "\\U000e0041",  # tag latin capital A
    "\ud800": "\\ud800",  # lone surrogate
    "\ue000": "\\ue000",  # private use
    "\u0378": "\\u0378",  # unassigned
    "\x1b": "\\x1b",
    "\x9b": "\\u009b",  # one-byte CSI
    "\u2028": "\\u2028",  # line separator
}
NAME = "key" + "".join(HOSTILE) + "end"
SHOWN = "key" + "".join(HOSTILE.values()) + "end"
# A gateway reply with a lone surrogate is refused as a bad reply (test_net_hardening.py);
# every other hidden character arrives and is shown escaped.
FROM_GATEWAY = {char: shown for char, shown in HOSTILE.items() if char != "\ud800"}
GW_NAME = "key" + "".join(FROM_GATEWAY) + "end"
GW_SHOWN = "key" + "".join(FROM_GATEWAY.values()) + "end"


def test_inert_escapes_every_hidden_category_and_keeps_the_rest():
    assert inert(NAME) == SHOWN
    assert inert("naïve 名前 emoji 🙂 and spaces") == "naïve 名前 emoji 🙂 and spaces"
    assert cell(True) == "true" and cell(False, human=True) == "no" and cell(None) == ""
    assert csv_cell("=1+1") == "'=1+1" and csv_cell(-3) == "-3" and csv_cell("-3") == "'-3"


def test_json_text_escapes_hidden_characters_and_stays_valid():
    text = json_text({"name": NAME})
    assert "\\u202e" in text
    for char in HOSTILE:
        assert char not in text
    assert "\\udb40\\udc41" in text  # a tag character as a surrogate pair escape
    assert json.loads(text) == {"name": NAME}  # the data is intact
    text.encode("utf-8")  # no lone surrogate left to break the stream


def logged_in():
    return MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)


def _profile(name: str) -> bytes:
    key = {
        "id": "7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f",
        "api_key": API_KEY,
        "name": name,
        "created_at": "2026-01-04T10:00:00Z",
        "expires_at": "2099-01-01T00:00:00Z",
        "is_active": True,
    }
    body = {"user_id": "u1", "alias": name, "tier": name, "active_keys": [key]}
    return json.dumps(body).encode()  # ASCII JSON: hidden characters travel as \uXXXX escapes


@pytest.mark.parametrize("fmt", ["text", "csv", "markdown"])
@pytest.mark.parametrize("command", ["list", "profile"])
@pytest.mark.parametrize("tty", [False, True])
def test_hostile_names_are_shown_escaped(cli, gateway, fmt, command, tty):
    gateway.expect("GET", f"{DEV}/profile/get", content=_profile(GW_NAME))
    result = cli(
        ["apikey", command, "-o", fmt],
        store=logged_in(),
        transport=gateway.transport,
        tty=tty,
        env={"NO_COLOR": "1", "COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.stderr
    for char in FROM_GATEWAY:
        assert char not in result.stdout and char not in result.stderr, repr(char)
    assert GW_SHOWN in result.stdout


@pytest.mark.parametrize("command", ["list", "profile"])
def test_hostile_names_in_json_are_escaped_and_intact(cli, gateway, command):
    gateway.expect("GET", f"{DEV}/profile/get", content=_profile(GW_NAME))
    result = cli(["apikey", command, "--json"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 0, result.stderr
    for char in FROM_GATEWAY:
        assert char not in result.stdout, repr(char)
    document = json.loads(result.stdout)
    names = [document[0]["name"]] if command == "list" else [document["alias"]]
    assert names == [GW_NAME]


def test_hostile_error_message_in_json_mode_is_escaped(cli, gateway):
    body = json.dumps({"message": GW_NAME}).encode()
    gateway.expect("GET", f"{DEV}/usage/get", status=400, content=body)
    result = cli(["apikey", "usage", "--json"], store=logged_in(), transport=gateway.transport)
    assert result.exit_code == 4
    assert result.stdout == ""
    for char in FROM_GATEWAY:
        assert char not in result.stderr, repr(char)
    assert GW_NAME in json.loads(result.stderr)["error"]["message"]


@pytest.mark.parametrize("fmt", ["text", "csv", "json"])
def test_a_lone_surrogate_from_a_real_gateway_is_a_clean_bad_reply(sandbox, tmp_path, fmt):
    with sandbox.state.lock:
        sandbox.state.add_key(sandbox.dev.user_id, "bad\ud800\u202ename", 30)
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"))
    code, out, err = run_piped(["apikey", "list", "-o", fmt], env)
    assert code == 1, err
    assert out == ""
    assert "HTTP 200, application/json" in err
    assert "Traceback" not in err and "unexpected error" not in err


def test_a_lone_surrogate_on_a_terminal(sandbox, tmp_path):
    with sandbox.state.lock:
        sandbox.state.add_key(sandbox.dev.user_id, "bad\ud800\u202ename", 30)
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"), NO_COLOR="1")
    code, out, err = run_in_terminal(["apikey", "list"], env, 80)
    assert code == 1, err
    assert out == ""
    assert "not a JSON object (HTTP 200, application/json)" in err and "\u202e" not in err
