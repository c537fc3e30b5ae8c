"""Stored credentials belong to the base URL they were stored for; env credentials go to the URL
in use. The installed CLI against two emulators (one the right gateway, one a stranger)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import andamio_command

from andamio_cli.sandbox import Sandbox


@pytest.fixture
def stranger(tmp_path):
    """Another gateway on loopback, listening where the stored credentials must not go."""
    with Sandbox(port=0, workdir=str(tmp_path / "stranger")) as sb:
        yield sb


def config(tmp_path):
    return tmp_path / "e2e-config"


def run(tmp_path, args, stdin="", **env_extra) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANDAMIO_", "PYTHON_KEYRING")) and k != "NO_COLOR"
    }
    env.update(ANDAMIO_CONFIG_DIR=str(config(tmp_path)), ANDAMIO_CREDENTIAL_STORE="file")
    env.update(env_extra)
    return subprocess.run(
        andamio_command() + args, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def login(tmp_path, sb) -> None:
    key = run(tmp_path, ["login", "--with-key"], stdin=sb.dev.api_key, ANDAMIO_BASE_URL=sb.url)
    assert key.returncode == 0, key.stderr
    token = run(
        tmp_path,
        ["login", "--with-token"],
        stdin=f"{sb.dev.jwt}\n{sb.dev.refresh_token}\n",
        ANDAMIO_BASE_URL=sb.url,
    )
    assert token.returncode == 0, token.stderr


def files(tmp_path) -> dict:
    return {
        name: (config(tmp_path) / name).read_text()
        for name in ("config.json", "credentials.json")
        if (config(tmp_path) / name).exists()
    }


def settings(tmp_path) -> dict:
    return json.loads((config(tmp_path) / "config.json").read_text())["profiles"]["default"]


NOT_SENT = "they were not sent"
NOT_STORED = "credentials for both are not mixed in one profile; nothing was stored"


def assert_refused(result, right: str, wrong: str, *secrets: str, why: str = NOT_SENT) -> None:
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert (
        f"Error: the stored credentials of profile default belong to {right}, not {wrong}; "
        f"{why}\n" in result.stderr
    ), result.stderr
    assert f"Hint: to log in for {wrong}, use another profile (`andamio --profile NAME" in (
        result.stderr
    )
    for secret in secrets:
        assert secret not in result.stderr


def test_login_records_the_url_with_the_credentials(sandbox, tmp_path):
    login(tmp_path, sandbox)
    assert settings(tmp_path)["credentials_url"] == sandbox.url


@pytest.mark.parametrize("how", ["--base-url", "ANDAMIO_BASE_URL"])
@pytest.mark.parametrize(
    "args", [["apikey", "list"], ["apikey", "request", "k-stranger", "--save"], ["refresh"]]
)
def test_stored_credentials_are_not_sent_to_another_url(sandbox, stranger, tmp_path, how, args):
    login(tmp_path, sandbox)
    before = files(tmp_path)
    sandbox.clear_requests()
    if how == "--base-url":
        result = run(tmp_path, ["--base-url", stranger.url, *args], ANDAMIO_BASE_URL=sandbox.url)
    else:
        result = run(tmp_path, args, ANDAMIO_BASE_URL=stranger.url)
    secrets = (sandbox.dev.api_key, sandbox.dev.jwt, sandbox.dev.refresh_token)
    why = NOT_STORED if "--save" in args else NOT_SENT  # --save: checked before the request
    assert_refused(result, sandbox.url, stranger.url, *secrets, why=why)
    assert stranger.requests == [] and sandbox.requests == []
    assert files(tmp_path) == before


def test_network_option_does_not_send_them_either(sandbox, tmp_path):
    login(tmp_path, sandbox)
    result = run(tmp_path, ["--network", "sandbox", "apikey", "list"])
    # refused before any connection: exit 3, not 5, whatever listens on 127.0.0.1:8765
    assert_refused(result, sandbox.url, "http://127.0.0.1:8765", sandbox.dev.api_key)


def test_the_right_url_still_works(sandbox, tmp_path):
    login(tmp_path, sandbox)
    # no option at all: the profile's own URL (recorded at login) is used
    result = run(tmp_path, ["apikey", "list", "--json"])
    assert result.returncode == 0, result.stderr
    assert [k["name"] for k in json.loads(result.stdout)] == ["sandbox-default"]


def test_env_credentials_go_to_the_url_in_use(sandbox, stranger, tmp_path):
    login(tmp_path, sandbox)
    result = run(
        tmp_path,
        ["--base-url", stranger.url, "apikey", "list", "--json"],
        ANDAMIO_API_KEY=stranger.dev.api_key,
        ANDAMIO_DEV_JWT=stranger.dev.jwt,
    )
    assert result.returncode == 0, result.stderr
    assert [r.route for r in stranger.requests] == ["profile/get"]
    assert sandbox.requests == []


def test_status_shows_the_profile_without_sending(sandbox, stranger, tmp_path):
    login(tmp_path, sandbox)
    result = run(tmp_path, ["--base-url", stranger.url, "status", "--json"])
    assert "unexpected error" not in result.stderr
    assert result.returncode in (0, 3), result.stderr
    assert stranger.requests == []


def test_profile_stored_before_urls_were_recorded_keeps_working(sandbox, stranger, tmp_path):
    login(tmp_path, sandbox)
    path = config(tmp_path) / "config.json"
    data = json.loads(path.read_text())
    del data["profiles"]["default"]["credentials_url"]
    data["profiles"]["default"]["base_url"] = sandbox.url
    path.write_text(json.dumps(data))
    ok = run(tmp_path, ["apikey", "list", "--json"])
    assert ok.returncode == 0, ok.stderr
    refused = run(tmp_path, ["--base-url", stranger.url, "apikey", "list"])
    assert_refused(refused, sandbox.url, stranger.url, sandbox.dev.api_key)
    assert stranger.requests == []


def test_legacy_profile_belongs_to_its_network_default(sandbox, tmp_path):
    # stored for preprod before URLs were recorded (no base_url, no credentials_url)
    config(tmp_path).mkdir(mode=0o700)
    creds = {"profiles": {"default": {"api_key": sandbox.dev.api_key, "dev_jwt": sandbox.dev.jwt}}}
    path = config(tmp_path) / "credentials.json"
    path.write_text(json.dumps(creds))
    os.chmod(path, 0o600)
    result = run(tmp_path, ["apikey", "list"], ANDAMIO_BASE_URL=sandbox.url)
    assert_refused(result, "https://preprod.api.andamio.io", sandbox.url, sandbox.dev.api_key)
    assert sandbox.requests == []


def test_login_for_another_url_does_not_mix_credentials(sandbox, stranger, tmp_path):
    login(tmp_path, sandbox)
    before = files(tmp_path)
    result = run(
        tmp_path, ["login", "--with-key"], stdin=stranger.dev.api_key, ANDAMIO_BASE_URL=stranger.url
    )
    assert_refused(result, sandbox.url, stranger.url, stranger.dev.api_key, why=NOT_STORED)
    assert files(tmp_path) == before
    other = run(
        tmp_path,
        ["--profile", "other", "login", "--with-key"],
        stdin=stranger.dev.api_key,
        ANDAMIO_BASE_URL=stranger.url,
    )
    assert other.returncode == 0, other.stderr
