"""Hostile input and hostile gateway replies, in-process against a recording MockTransport.

Whatever the input: no traceback, an exit code from the contract, no request for invalid input,
only the known constant paths, credentials only to allowed hosts, and nothing on stdout or stderr
that a terminal would obey.
"""

from __future__ import annotations

import ipaddress
import json
import re
import string

import httpx
import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from andamio_cli.http import RETRY_STATUSES
from andamio_cli.settings import V1_HOSTS, Settings

DEV = "/api/v2/apikey/developer"
AUTH = "/api/v2/auth/developer"
REFRESH = "rt_hostile_refresh_token_0000000000000"
NEW_KEY = "ant_pp_HOSTILENEWKEY000000000000000000000000"
NEW_JWT = DEV_JWT.replace("c2lnbmF0dXJl", "bmV3c2lnbmF0")
KEY_REPLY = {
    "api_key": NEW_KEY,
    "name": "good-name",
    "created_at": "2026-11-23T10:00:00Z",
    "expires_at": "2027-11-23T10:00:00Z",
    "expires_in_days": 365,
    "is_active": True,
}
GOOD = {
    ("POST", f"{DEV}/key/request"): KEY_REPLY,
    ("POST", f"{DEV}/key/rotate"): {"confirmation": "API key expiration extended to 2027-11-23"},
    ("POST", f"{DEV}/key/delete"): {"confirmation": "API key deleted successfully"},
    ("GET", f"{DEV}/profile/get"): {
        "user_id": "u1",
        "alias": "unit",
        "tier": "pioneer",
        "created_at": "2026-01-04T10:00:00Z",
        "active_keys": [{**KEY_REPLY, "api_key": API_KEY}],
    },
    ("GET", f"{DEV}/usage/get"): {
        "daily_quota_consumed": 5,
        "daily_quota_limit": 100,
        "subscription_tier": "Free",
    },
    ("POST", f"{AUTH}/token/refresh"): {
        "alias": "unit",
        "jwt": {"token": NEW_JWT, "expires_at": "2099-01-01T00:00:00Z"},
        "refresh_token": {"token": REFRESH + "2", "expires_at": "2099-02-01T00:00:00Z"},
    },
}
COMMANDS = {
    "request": (["apikey", "request", "good-name"], ("POST", f"{DEV}/key/request")),
    "rotate": (["apikey", "rotate", "good-name", "--yes"], ("POST", f"{DEV}/key/rotate")),
    "delete": (["apikey", "delete", "good-name", "--yes"], ("POST", f"{DEV}/key/delete")),
    "list": (["apikey", "list"], ("GET", f"{DEV}/profile/get")),
    "profile": (["apikey", "profile"], ("GET", f"{DEV}/profile/get")),
    "usage": (["apikey", "usage"], ("GET", f"{DEV}/usage/get")),
    "refresh": (["refresh"], ("POST", f"{AUTH}/token/refresh")),
}
CONTRACT_CODES = {0, 1, 2, 3, 4, 5, 6, 7, 130}
# What a terminal may obey (tab and newline are layout, and stay).
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x1b[31mRED\x9b31m\u202eevil"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Recorder:
    """A MockTransport that records every request and answers with `reply(request)`."""

    def __init__(self, reply=None) -> None:
        self.requests: list[httpx.Request] = []
        self.reply = reply or good_reply

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)

    def body(self, index: int = 0):
        return json.loads(self.requests[index].content)


def good_reply(request: httpx.Request) -> httpx.Response:
    body = GOOD.get((request.method, request.url.path))
    if body is None:
        return httpx.Response(599, json={"message": "no such route in this test"})
    return httpx.Response(200, json=body)


def store() -> MemoryStore:
    return MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT, refresh_token=REFRESH)


def run(cli, args, reply=None, *, env=None, tty=False, creds=None):
    recorder = Recorder(reply)
    result = cli(
        args,
        store=creds or store(),
        transport=httpx.MockTransport(recorder.handler),
        env=env,
        tty=tty,
    )
    return result, recorder


def allowed(url: httpx.URL) -> bool:
    """The contract's allow-list, written out independently of settings.check_base_url."""
    host = url.host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    if host == "localhost":
        return True
    return url.scheme == "https" and (
        host == "andamio.io" or host.endswith(".andamio.io") or host in V1_HOSTS
    )


def assert_contract(result, recorder) -> None:
    """Exit code from the table, no traceback, known constant routes, allowed hosts only."""
    assert result.exit_code in CONTRACT_CODES, result
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr, result.stderr
    for request in recorder.requests:
        assert (request.method, request.url.path) in GOOD, request.url
        assert request.url.query == b""
        assert allowed(request.url), request.url
    if result.exit_code != 0:
        assert result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, result.stderr


def assert_inert(text: str, where: str) -> None:
    found = TERMINAL_CONTROLS.findall(text)
    assert not found, f"terminal controls {found!r} on {where}: {text!r}"


# --- input the user typed ----------------------------------------------------------------


TRICKY_NAMES = [
    "../../admin",
    "a/b/c",
    "%2e%2e%2f",
    "name?x=1",
    "name#frag",
    "a\x00b",
    "\x1b[31mred",
    " lead",
    "trail ",
    "tab\there",
    "new\nline",
    "ok-name",
    "-rf",
    "--help",
    "x" * 64,
    "x" * 65,
    "ab",
    "é" * 10,
    "\u202eevil",
]


@SETTINGS
@given(
    name=st.one_of(
        st.text(max_size=80),
        st.sampled_from(TRICKY_NAMES),
        st.text(alphabet=string.printable, max_size=70),
    )
)
@example(name="good-name")
def test_key_name_is_checked_before_any_request(cli, name):
    result, recorder = run(cli, ["apikey", "request", "--", name])
    assert_contract(result, recorder)
    if not recorder.requests:
        assert result.exit_code == 4, result.stderr
    else:
        assert len(recorder.requests) == 1
        assert recorder.body() == {"api_key_name": name}
        assert 3 <= len(name) <= 64 and name == name.strip()
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", name)
    if re.fullmatch(r"[A-Za-z0-9_.-]{3,64}", name):
        assert result.exit_code == 0, result.stderr


UUID = "0b6f1c2e-8d4a-4c5e-9f3a-2b1d7e6c5a40"
UUID_RE = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
mangled_uuids = st.tuples(
    st.uuids().map(str), st.integers(0, 35), st.sampled_from(["", "x", "--"])
).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :])


@SETTINGS
@given(
    ref=st.one_of(
        st.uuids().map(str),
        st.uuids().map(lambda u: str(u).upper()),
        mangled_uuids,
        st.text(max_size=70),
        st.sampled_from(TRICKY_NAMES),
    ),
    command=st.sampled_from(["rotate", "delete"]),
)
@example(ref=UUID, command="delete")
def test_key_reference_is_a_checked_uuid_or_name(cli, ref, command):
    result, recorder = run(cli, ["apikey", command, "--yes", "--", ref])
    assert_contract(result, recorder)
    if not recorder.requests:
        assert result.exit_code == 4, result.stderr
    elif UUID_RE.fullmatch(ref):
        assert recorder.body() == {"key_id": ref.lower()}
    else:
        assert recorder.body() == {"api_key_name": ref}
        assert 3 <= len(ref) <= 64 and not re.search(r"[\x00-\x1f\x7f-\x9f]", ref)
    if UUID_RE.fullmatch(ref):
        assert result.exit_code == 0, result.stderr


@SETTINGS
@given(
    days=st.one_of(
        st.integers(-(10**6), 10**6).map(str),
        st.text(max_size=12),
        st.sampled_from(
            [
                "0",
                "-1",
                "1.5",
                "1e3",
                "inf",
                "nan",
                " 7 ",
                "+3",
                "0x10",
                "\u0663",
                "9" * 30,
                "9" * 5000,
                "",
                "1_000",
            ]
        ),
    )
)
def test_expires_in_days_is_an_integer_of_at_least_one(cli, days):
    result, recorder = run(cli, ["apikey", "request", "good-name", f"--expires-in-days={days}"])
    assert_contract(result, recorder)
    try:
        value = int(days)
    except ValueError:
        value = None
    if value is not None and value >= 1:
        assert result.exit_code == 0, result.stderr
        assert recorder.body() == {"api_key_name": "good-name", "expires_in_days": value}
    else:
        assert result.exit_code == 4, result.stderr
        assert recorder.requests == []


ENV_CREDS = {"ANDAMIO_API_KEY": API_KEY, "ANDAMIO_DEV_JWT": DEV_JWT}


@SETTINGS
@given(
    profile=st.one_of(
        st.text(max_size=70),
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True),
        st.sampled_from(
            [
                "../x",
                "a/b",
                "a\\b",
                "a:b",
                ".hidden",
                "-x",
                "x" * 65,
                "default\n",
                "prod\x1b[31m",
                "пример",
            ]
        ),
    )
)
def test_profile_name_is_checked_before_any_request(cli, profile):
    result, recorder = run(cli, [f"--profile={profile}", "apikey", "usage"], env=ENV_CREDS)
    assert_contract(result, recorder)
    if recorder.requests:
        assert not re.search(r"[/\\:\s\x00-\x1f\x7f-\x9f]", profile) and len(profile) <= 64
        assert profile[:1] not in (".", "-", "")
    else:
        assert result.exit_code == 4, result.stderr
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", profile):
        assert result.exit_code == 0, result.stderr


def test_profile_name_with_a_trailing_newline_is_refused(cli):
    result, recorder = run(cli, ["--profile=default\n", "apikey", "usage"], env=ENV_CREDS)
    assert result.exit_code == 4, result.stderr
    assert recorder.requests == []


def test_key_id_with_a_trailing_newline_is_not_sent_as_a_key_id(cli):
    result, recorder = run(cli, ["apikey", "delete", "--yes", "--", UUID + "\n"])
    assert all("key_id" not in json.loads(r.content) for r in recorder.requests)
    assert result.exit_code == 4, result.stderr


LOOKALIKE = "andam\u0456o.io"  # Cyrillic i
HOSTILE_URLS = [
    "https://andamio.io.evil.com",
    "https://evilandamio.io",
    "https://andamio.io@evil.com",
    f"https://{LOOKALIKE}",
    f"https://{LOOKALIKE.encode('idna').decode()}",
    "https://%61ndamio.io",
    "https://evil.com\\@andamio.io",
    "https://evil.com\\.andamio.io",
    "https://andamio.io\\evil.com",
    "https://andamio.io .evil.com",
    "https://andamio.io:443@evil.com",
    "https://evil.com\n.andamio.io",
    "https://evil.com\t.andamio.io",
    "https://evil.com\r.andamio.io",
    "https://evil.com#.andamio.io",
    "https://evil.com?.andamio.io",
    "https://evil.com/.andamio.io",
    "https://evil.com%2f.andamio.io",
    "https://evil.com%00.andamio.io",
    "http://api.andamio.io",
    "ftp://api.andamio.io",
    "//evil.com",
    "https://andamio.io.",
    "http://127.0.0.1.evil.com",
    "https://user:pw@api.andamio.io",
    "https://api.andamio.io:99999",
    "javascript:alert(1)",
    "https://api.andamio.io\x00.evil.com",
    "https://evil.com\u3002andamio.io",
]
GOOD_URLS = [
    "https://preprod.api.andamio.io/",
    "https://api.andamio.io",
    "https://mainnet.api.andamio.io",
    "https://ANDAMIO.io",
    " https://api.andamio.io ",
    "http://localhost:8765",
    "http://127.0.0.1:1",
    "http://127.8.9.10",
    "http://[::1]:8080",
    f"https://{V1_HOSTS[0]}",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_base_url_is_refused_and_nothing_is_sent(cli, url):
    result, recorder = run(cli, [f"--base-url={url}", "apikey", "usage"])
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""
    assert "is not allowed" in result.stderr
    assert recorder.requests == []
    assert_inert(result.stderr, "stderr")


@pytest.mark.parametrize("url", GOOD_URLS)
def test_allowed_base_url_gets_the_credentials(cli, url):
    result, recorder = run(cli, [f"--base-url={url}", "apikey", "usage"])
    assert result.exit_code == 0, result.stderr
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request.url.host == httpx.URL(url.strip()).host
    assert request.headers["x-api-key"] == API_KEY


def _url(parts) -> str:
    return "".join(parts)


url_pieces = st.tuples(
    st.sampled_from(
        ["https://", "http://", "HTTPS://", "ftp://", "//", "https:/", "https:\\\\", ""]
    ),
    st.sampled_from(["", "user@", "andamio.io@", "evil.com@", "a:b@"]),
    st.sampled_from(
        [
            "andamio.io",
            "api.andamio.io",
            "evil.com",
            "andamio.io.evil.com",
            "evilandamio.io",
            "127.0.0.1",
            "localhost",
            "[::1]",
            LOOKALIKE,
            "%61ndamio.io",
            "",
            "0x7f.1",
            "2130706433",
        ]
    ),
    st.sampled_from(["", ":443", ":8080", ":0", ":99999", ":x"]),
    st.sampled_from(["", "/", "\\", "@", "#", "?", ".", " ", "\t", "\n", "%2f", "%00", "\x00"]),
    st.sampled_from(["", "andamio.io", "evil.com", ".andamio.io", "@andamio.io", "path"]),
)


@SETTINGS
@given(url=st.one_of(url_pieces.map(_url), st.text(max_size=60)))
def test_credentials_only_ever_go_to_an_allowed_host(cli, url):
    result, recorder = run(cli, [f"--base-url={url}", "apikey", "usage"])
    assert_contract(result, recorder)  # every request's host is checked against the allow-list
    if not recorder.requests:
        assert result.exit_code == 4, result.stderr


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("command", ["usage", "delete", "refresh"])
def test_redirect_to_another_host_is_not_followed(cli, status, command):
    args, _ = COMMANDS[command]
    result, recorder = run(
        cli,
        args,
        lambda request: httpx.Response(status, headers={"Location": "https://evil.com/steal"}),
    )
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert f"redirects are not followed (HTTP {status}" in result.stderr
    assert [r.url.host for r in recorder.requests] == ["preprod.api.andamio.io"]


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

    def reply(request):
        return httpx.Response(status, headers=headers, content=body)

    result, recorder = run(cli, COMMANDS[command][0], reply)
    assert_contract(result, recorder)
    assert len(recorder.requests) == 1
    assert_inert(result.stdout, "stdout")
    if result.exit_code != 0 or command not in ("request", "rotate", "refresh"):
        assert_inert(result.stderr, "stderr")
    for secret in (API_KEY, DEV_JWT, REFRESH):
        assert secret not in result.stderr and secret not in result.stdout


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
    return lambda request: httpx.Response(status, json=document)


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
