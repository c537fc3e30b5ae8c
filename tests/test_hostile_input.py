"""Hostile input the user typed, in-process against a recording MockTransport: no request
for invalid input, credentials only to allowed hosts.
"""

from __future__ import annotations

import json
import re
import string

import httpx
import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore
from hostile_support import (
    COMMANDS,
    SETTINGS,
    assert_contract,
    assert_inert,
    run,
)
from hypothesis import example, given
from hypothesis import strategies as st

from andamio_cli.settings import V1_HOSTS

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
    elif UUID_RE.fullmatch(ref):  # after one read of the key list (the stored key's id is unknown)
        assert recorder.body(-1) == {"key_id": ref.lower()}
    else:
        assert recorder.body(-1) == {"api_key_name": ref}
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
    # credentials from the environment go to the URL in use (stored ones only to their own)
    result, recorder = run(
        cli, [f"--base-url={url}", "apikey", "usage"], env=ENV_CREDS, creds=MemoryStore()
    )
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
    result, recorder = run(
        cli, [f"--base-url={url}", "apikey", "usage"], env=ENV_CREDS, creds=MemoryStore()
    )
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
