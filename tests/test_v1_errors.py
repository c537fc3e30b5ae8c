"""Legacy v1 error bodies: statusCode (request) and status_code (rotate), in-process."""

from __future__ import annotations

import json

import pytest
from v1_support import (
    JWT_REFUSED_HINT,
    ROTATE_HINT,
    V1,
    V1_JWT,
    v1_cli,
)

# --- v1 error bodies: statusCode (request) and status_code (rotate) ---------------------------


def _camel(status, message):
    return {"statusCode": status, "message": message, "details": "string"}


def _snake(status, message):
    return {"status_code": status, "message": message, "details": "string"}


@pytest.mark.parametrize(
    "command,status,body,code,kind",
    [
        ("request", 400, _camel(400, "Bad Request: Invalid input."), 4, "invalid_input"),
        ("request", 401, _camel(401, "Unauthorized: Invalid or missing credentials."), 3, "auth"),
        (
            "request",
            403,
            _camel(403, "Forbidden: Insufficient permissions or tier access."),
            3,
            "auth",
        ),
        (
            "request",
            422,
            _camel(422, "Unprocessable Entity: Invalid request structure or data."),
            4,
            "invalid_input",
        ),
        (
            "request",
            429,
            _camel(429, "Too Many Requests: Rate limit or quota exceeded."),
            7,
            "rate_limited",
        ),
        (
            "request",
            500,
            _camel(500, "Internal Server Error: An unexpected error occurred."),
            1,
            "error",
        ),
        ("rotate", 400, _snake(400, "Bad Request: Invalid input."), 4, "invalid_input"),
        ("rotate", 401, _snake(401, "Unauthorized: Invalid or missing credentials."), 3, "auth"),
        (
            "rotate",
            404,
            _snake(404, "Not Found: The requested resource could not be found."),
            2,
            "not_found",
        ),
        (
            "rotate",
            409,
            _snake(
                409,
                "Conflict - The provided alias is already taken by another user. "
                "Please choose a different alias.",
            ),
            6,
            "conflict",
        ),
        (
            "rotate",
            429,
            _snake(429, "Too Many Requests: Rate limit or quota exceeded."),
            7,
            "rate_limited",
        ),
    ],
)
def test_v1_error_bodies_give_message_and_exit_code(
    cli, gateway, command, status, body, code, kind
):
    gateway.expect("POST", f"{V1}/{command}", status=status, json=body)
    args = ["apikey", command, "legacy-key", "--api", "v1", "--json"] + (
        ["--yes"] if command == "rotate" else []
    )
    result = v1_cli(cli, gateway, args)
    assert result.exit_code == code
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == kind
    assert error["status"] == status
    if kind == "not_found":  # what the user typed first; nothing but the status after
        assert error["message"] == 'no key named "legacy-key" (HTTP 404)'
        assert error["hint"] == "see your keys with `andamio apikey list`"
    else:
        assert error["message"] == f"{body['message']} (HTTP {status}, application/json)"
    assert len(gateway.requests) == 1


def test_v1_rotate_409_text_mode_explains_the_one_day_window(cli, gateway):
    gateway.expect("POST", f"{V1}/rotate", status=409, json=_snake(409, "Conflict"))
    result = v1_cli(cli, gateway, ["apikey", "rotate", "legacy-key", "--api", "v1", "--yes"])
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == "Error: Conflict (HTTP 409, application/json)\n" + ROTATE_HINT


def test_v1_401_with_andamio_jwt_names_it_in_the_hint(cli, gateway):
    gateway.expect(
        "POST",
        f"{V1}/request",
        status=401,
        json=_camel(401, "Unauthorized: Invalid or missing credentials."),
    )
    result = v1_cli(cli, gateway, ["apikey", "request", "legacy-key", "--api", "v1"])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Unauthorized: Invalid or missing credentials. "
        "(HTTP 401, application/json)\n" + JWT_REFUSED_HINT
    )
    assert V1_JWT not in result.stderr
