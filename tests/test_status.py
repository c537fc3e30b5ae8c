"""`status`: marks, sources, expiry words, JSON shape, exit codes (in-process)."""

from __future__ import annotations

import base64
import json
import time

from conftest import API_KEY, MemoryStore

from andamio_cli.errors import StoreUnavailableError
from andamio_cli.settings import Settings
from andamio_cli.times import iso

REFRESH = "rt_refresh_token_1234"
DAY = 86400
CREDENTIAL_FIELDS = {"source", "masked", "expires_at", "seconds_left", "state"}
TOP_FIELDS = {
    "profile",
    "active",
    "network",
    "base_url",
    "store",
    "alias",
    "key_name",
    "ready",
    "api_key",
    "dev_jwt",
    "refresh_token",
    "problems",
    "fix",
}


def make_jwt(expires: float, alias: str = "unit") -> str:
    claims = json.dumps({"sub": "u1", "alias": alias, "exp": int(expires)}).encode()
    payload = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2lnbmF0dXJlLXNlY3JldA"


def settings(tmp_path) -> Settings:
    return Settings(str(tmp_path / "config"))


def store_for(profile: str = "default", **secrets: str) -> MemoryStore:
    store = MemoryStore()
    store.data = {(profile, k): v for k, v in secrets.items()}
    return store


def in_(seconds: float) -> str:
    return iso(time.time() + seconds)


def full_profile(tmp_path, *, key_days=29.1, jwt_minutes=30.5, refresh_days=20.1) -> MemoryStore:
    settings(tmp_path).update(
        "default",
        alias="unit",
        key_name="ci-key",
        key_expires_at=in_(key_days * DAY),
        refresh_token_expires_at=in_(refresh_days * DAY),
    )
    return store_for(
        api_key=API_KEY, dev_jwt=make_jwt(time.time() + jwt_minutes * 60), refresh_token=REFRESH
    )


def test_ready_profile_piped_reads_like_gh_auth_status(cli, tmp_path):
    result = cli(["status"], store=full_profile(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "Profile default: https://preprod.api.andamio.io (preprod)\n"
        "  ✓ API key        ant_pp_…retK, OS keyring, expires in 29 days\n"
        "  ✓ Developer JWT  eyJ…JldA, OS keyring, expires in 30 minutes\n"
        "  ✓ Refresh token  …1234, OS keyring, expires in 20 days\n"
        "  Logged in as unit\n"
    )


def test_json_of_a_ready_profile(cli, tmp_path):
    result = cli(["status", "--json"], store=full_profile(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert set(report) == TOP_FIELDS
    assert (report["profile"], report["active"], report["ready"]) == ("default", True, True)
    assert (report["store"], report["network"]) == ("keyring", "preprod")
    assert report["base_url"] == "https://preprod.api.andamio.io"
    assert report["problems"] == [] and report["fix"] is None
    assert report["key_name"] == "ci-key" and report["alias"] == "unit"
    for name in ("api_key", "dev_jwt", "refresh_token"):
        assert set(report[name]) == CREDENTIAL_FIELDS
        assert report[name]["source"] == "keyring" and report[name]["state"] == "ok"
    assert report["api_key"]["masked"] == "ant_pp_…retK"
    assert 28 * DAY < report["api_key"]["seconds_left"] <= 29.1 * DAY
    assert 29 * 60 < report["dev_jwt"]["seconds_left"] <= 31 * 60
    assert API_KEY not in result.stdout and REFRESH not in result.stdout


def test_key_expiring_within_14_days_is_marked_and_warned_on_stderr(cli, tmp_path):
    result = cli(["status"], store=full_profile(tmp_path, key_days=6.1))
    assert result.exit_code == 0, result.stderr
    assert "  ! API key        ant_pp_…retK, OS keyring, expires in 6 days\n" in result.stdout
    assert result.stderr == (
        "Warning: the API key of profile default expires in 6 days; "
        "replace it with `andamio apikey rotate ci-key`\n"
    )
    quiet = cli(["status", "-q"], store=full_profile(tmp_path, key_days=6.1))
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")


def test_refresh_token_expiring_soon_is_marked(cli, tmp_path):
    result = cli(["status"], store=full_profile(tmp_path, refresh_days=3.1))
    assert result.exit_code == 0, result.stderr
    assert "  ! Refresh token  …1234, OS keyring, expires in 3 days\n" in result.stdout
    assert result.stderr == ""


def test_expired_jwt_that_a_refresh_token_renews_is_a_warning_not_a_failure(cli, tmp_path):
    store = full_profile(tmp_path, jwt_minutes=-150)
    result = cli(["status"], store=store)
    assert result.exit_code == 0, result.stderr
    assert (
        "  ! Developer JWT  eyJ…JldA, OS keyring, expired 2 hours ago "
        "(the refresh token renews it)\n"
    ) in result.stdout
    report = json.loads(cli(["status", "--json"], store=store).stdout)
    assert report["dev_jwt"]["state"] == "renewable" and report["ready"] is True


def test_expired_jwt_without_refresh_token_names_the_fix_on_the_last_line(cli, tmp_path):
    store = store_for(api_key=API_KEY, dev_jwt=make_jwt(time.time() - 3 * DAY - 60))
    result = cli(["status"], store=store)
    assert result.exit_code == 3, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[2] == "  ✗ Developer JWT  eyJ…JldA, OS keyring, expired 3 days ago"
    assert lines[3] == "  ✗ Refresh token  missing"
    assert lines[-2] == (
        "Not ready: the developer JWT expired 3 days ago and there is no refresh token."
    )
    assert lines[-1] == (
        "Run `andamio login --web` (or `andamio login --skey FILE --alias A --address ADDR`)."
    )
    report = json.loads(cli(["status", "--json"], store=store).stdout)
    assert report["ready"] is False and report["dev_jwt"]["state"] == "expired"
    assert report["problems"] == [
        "the developer JWT expired 3 days ago and there is no refresh token"
    ]


def test_expired_api_key_is_not_ready(cli, tmp_path):
    result = cli(["status", "--json"], store=full_profile(tmp_path, key_days=-2.1))
    assert result.exit_code == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["api_key"]["state"] == "expired"
    assert report["problems"] == ["the API key expired 2 days ago"]
    assert report["fix"] == "Run `andamio login --with-key` with a valid API key on standard input."


def test_sources_from_the_environment_are_named(cli, tmp_path):
    env = {"ANDAMIO_API_KEY": API_KEY, "ANDAMIO_DEV_JWT": make_jwt(time.time() + 3 * 3600 + 60)}
    result = cli(["status"], env=env, store=store_for())
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Profile default: https://preprod.api.andamio.io (preprod)\n"
        "  ✓ API key        ant_pp_…retK, from ANDAMIO_API_KEY\n"
        "  ✓ Developer JWT  eyJ…JldA, from ANDAMIO_DEV_JWT, expires in 3 hours\n"
        "  ✗ Refresh token  missing\n"
    )
    report = json.loads(cli(["status", "--json"], env=env, store=store_for()).stdout)
    assert report["api_key"]["source"] == report["dev_jwt"]["source"] == "env"
    assert report["api_key"]["expires_at"] is None


def test_file_store_is_named_as_plain_text(cli, tmp_path):
    env = {"ANDAMIO_CREDENTIAL_STORE": "file"}
    login = cli(["login", "--with-key"], env=env, stdin=API_KEY)
    assert login.exit_code == 0, login.stderr
    result = cli(["status"], env=env)
    assert result.exit_code == 3, result.stderr
    assert "  ✓ API key        ant_pp_…retK, credentials.json, plain text\n" in result.stdout
    assert json.loads(cli(["status", "--json"], env=env).stdout)["store"] == "file"


class BrokenStore:
    name = "keyring"

    def get(self, profile, secret):
        raise StoreUnavailableError("the OS keyring failed (NoKeyringError)")

    set = delete = get


def test_a_store_that_cannot_be_opened_is_a_problem_line_not_a_crash(cli):
    result = cli(["status"], store=BrokenStore())
    assert result.exit_code == 3, result.stderr
    assert result.stderr == ""
    assert "  ✗ API key        unreadable (OS keyring)\n" in result.stdout
    assert "Not ready: the OS keyring failed (NoKeyringError).\n" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Run `andamio login --insecure-storage`")
    report = json.loads(cli(["status", "--json"], store=BrokenStore()).stdout)
    assert report["ready"] is False
    assert report["problems"] == ["the OS keyring failed (NoKeyringError)"]
    assert {report[n]["state"] for n in ("api_key", "dev_jwt", "refresh_token")} == {"unreadable"}


def test_environment_credentials_make_a_broken_store_harmless(cli):
    env = {"ANDAMIO_API_KEY": API_KEY, "ANDAMIO_DEV_JWT": make_jwt(time.time() + 3600)}
    result = cli(["status", "--json"], env=env, store=BrokenStore())
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ready"] is True and report["problems"] == []
    assert report["refresh_token"]["state"] == "unreadable"


def test_bad_base_url_is_reported_not_raised(cli):
    args = ["--base-url", "https://evil.example.com", "status", "--json"]
    result = cli(args, store=store_for(api_key=API_KEY))
    assert result.exit_code == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["base_url"] is None and report["ready"] is False
    assert report["problems"] == [
        "base URL 'https://evil.example.com' is not allowed",
        "no developer JWT and no refresh token",
    ]
    assert report["fix"].startswith("Fix the base URL: use https on andamio.io")


def test_quiet_prints_nothing_in_every_state(cli, tmp_path):
    for args, store, code in (
        (["status", "-q"], full_profile(tmp_path), 0),
        (["status", "-q"], MemoryStore(), 3),
        (["status", "-q", "--json"], MemoryStore(), 3),
        (["status", "--all", "-q"], MemoryStore(), 3),
    ):
        result = cli(args, store=store)
        assert (result.exit_code, result.stdout, result.stderr) == (code, "", ""), args


def test_not_ready_json_names_every_problem(cli):
    result = cli(["status", "--json"], store=MemoryStore())
    assert result.exit_code == 3, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert set(report) == TOP_FIELDS
    assert report["ready"] is False
    assert report["problems"] == ["no API key", "no developer JWT and no refresh token"]
    assert report["fix"] == (
        "Run `andamio login` on a terminal (or `andamio login --with-key`, then `--web`)."
    )
    assert {report[n]["state"] for n in ("api_key", "dev_jwt", "refresh_token")} == {"missing"}


def test_ascii_output_uses_words_for_marks_and_dots_for_the_ellipsis(run_andamio):
    env = {"PYTHONIOENCODING": "ascii", "ANDAMIO_API_KEY": API_KEY}
    result = run_andamio(["status"], env=env)
    assert result.returncode == 3, result.stderr
    assert result.stdout.splitlines()[1:4] == [
        "  ok API key        ant_pp_...retK, from ANDAMIO_API_KEY",
        "  x  Developer JWT  missing",
        "  x  Refresh token  missing",
    ]
    as_json = run_andamio(["status", "--json"], env=env)
    assert as_json.returncode == 3, as_json.stderr
    assert json.loads(as_json.stdout)["api_key"]["masked"] == "ant_pp_…retK"
    assert as_json.stdout.isascii()


def test_a_hostile_alias_is_shown_inert(cli, tmp_path):
    settings(tmp_path).update("default", alias="evil\x1b[2J\u202ename")
    result = cli(["status"], store=full_profile(tmp_path))
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "Logged in as unit" in result.stdout  # full_profile set the alias again
    settings(tmp_path).update("default", alias="evil\x1b[2J\u202ename")
    result = cli(["status"], store=store_for(api_key=API_KEY))
    assert "  Logged in as evil\\x1b[2J\\u202ename\n" in result.stdout
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


def test_csv_has_one_row_per_credential(cli, tmp_path):
    result = cli(["status", "-o", "csv"], store=full_profile(tmp_path))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "profile,active,ready,credential,state,source,masked,expires_at"
    assert [line.split(",")[:7] for line in lines[1:]] == [
        ["default", "true", "true", "api_key", "ok", "keyring", "ant_pp_…retK"],
        ["default", "true", "true", "dev_jwt", "ok", "keyring", "eyJ…JldA"],
        ["default", "true", "true", "refresh_token", "ok", "keyring", "…1234"],
    ]
    assert all(line.split(",")[7].endswith("Z") for line in lines[1:])
    missing = cli(["status", "-o", "markdown"], store=MemoryStore())
    assert missing.exit_code == 3, missing.stderr
    assert "| default | true | false | api_key | missing | none |  |  |" in missing.stdout


def test_expired_refresh_token_without_jwt_says_so(cli, tmp_path):
    settings(tmp_path).update("default", refresh_token_expires_at=in_(-3 * 3600 - 60))
    store = store_for(api_key=API_KEY, refresh_token=REFRESH)
    result = cli(["status"], store=store)
    assert result.exit_code == 3, result.stderr
    assert "  ✗ Refresh token  …1234, OS keyring, expired 3 hours ago\n" in result.stdout
    assert (
        "Not ready: no developer JWT, and the refresh token expired 3 hours ago.\n" in result.stdout
    )


def test_a_bad_url_and_missing_credentials_are_both_problems(cli):
    result = cli(["--base-url", "ftp://x", "status", "--json"], store=MemoryStore())
    assert result.exit_code == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["problems"] == [
        "base URL 'ftp://x' is not allowed",
        "no API key",
        "no developer JWT and no refresh token",
    ]
    assert report["fix"].startswith("Fix the base URL: ")
