"""What `login` and `logout` tell the user: next steps, refusals, shadowing, what was removed."""

from __future__ import annotations

import json
import time

from conftest import API_KEY, DEV_JWT, MemoryStore
from test_status import make_jwt

REFRESH = "rt_refresh_token_1234"
NEXT_STEP = (
    "Next: log in as a developer with `andamio login --web` (browser) or "
    "`andamio login --skey FILE --alias A --address ADDR`; key commands need a developer JWT.\n"
)


def test_login_with_key_alone_names_the_next_step(cli):
    store = MemoryStore()
    result = cli(["login", "--with-key"], stdin=API_KEY, store=store)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Logged in (profile default); secrets are in the OS keyring.\n" + NEXT_STEP
    )
    assert store.data == {("default", "api_key"): API_KEY}


def test_login_with_key_for_another_profile_names_that_profile(cli):
    result = cli(["--profile", "ci", "login", "--with-key"], stdin=API_KEY, store=MemoryStore())
    assert result.exit_code == 0, result.stderr
    assert "`andamio --profile ci login --web`" in result.stderr


def test_login_with_key_says_nothing_more_when_a_jwt_is_there(cli):
    store = MemoryStore(dev_jwt=DEV_JWT)
    result = cli(["login", "--with-key"], stdin=API_KEY, store=store)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "Logged in (profile default); secrets are in the OS keyring.\n"
    quiet = cli(["login", "--with-key", "-q"], stdin=API_KEY, store=MemoryStore())
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")


def test_login_with_token_refuses_an_expired_jwt_without_refresh_token(cli):
    store = MemoryStore(api_key=API_KEY)
    expired = make_jwt(time.time() - 2 * 86400 - 60)
    result = cli(["login", "--with-token"], stdin=expired + "\n", store=store)
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Error: this developer JWT expired 2 days ago (its `exp` claim) and no refresh token "
        "came with it; nothing was stored\n"
        "Hint: log in again with `andamio login --web` (or --skey), or pipe the refresh token "
        "on the second line\n"
    )
    assert store.data == {("default", "api_key"): API_KEY}
    assert expired not in result.stderr


def test_login_with_token_accepts_an_expired_jwt_with_a_refresh_token(cli):
    store = MemoryStore(api_key=API_KEY)
    expired = make_jwt(time.time() - 3600)
    result = cli(["login", "--with-token"], stdin=f"{expired}\n{REFRESH}\n", store=store)
    assert result.exit_code == 0, result.stderr
    assert store.data[("default", "dev_jwt")] == expired
    assert store.data[("default", "refresh_token")] == REFRESH


def test_login_warns_when_an_environment_variable_shadows_what_it_stored(cli):
    result = cli(
        ["login", "--with-key"],
        stdin=API_KEY,
        env={"ANDAMIO_API_KEY": "ant_pp_other00000000000000000000000000000000zz"},
        store=MemoryStore(dev_jwt=DEV_JWT),
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "Warning: ANDAMIO_API_KEY is set and takes precedence over the stored API key\n"
        in result.stderr
    )


def test_logout_names_the_profile_and_what_it_removed_from_where(cli):
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT, refresh_token=REFRESH)
    result = cli(["logout"], store=store)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Removed the API key, developer JWT and refresh token of profile default from the OS "
        "keyring.\n"
    )
    assert store.data == {}
    again = cli(["logout"], store=store)
    assert again.exit_code == 0, again.stderr
    assert again.stderr == "Nothing was stored for profile default; nothing to remove.\n"
    as_json = cli(["logout", "--json"], store=MemoryStore(api_key=API_KEY))
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"cleared": True} and as_json.stderr == ""


def test_logout_all_names_each_profile(run_andamio):
    for profile, stdin in (("default", API_KEY), ("ci", API_KEY)):
        login = run_andamio(["--profile", profile, "login", "--with-key"], stdin=stdin)
        assert login.returncode == 0, login.stderr
    assert run_andamio(["--profile", "ci", "login", "--with-token"], stdin=DEV_JWT).returncode == 0
    assert run_andamio(["switch", "ci"]).returncode == 0
    result = run_andamio(["logout", "--all"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Removed the API key and developer JWT of profile ci from credentials.json.\n"
        "Removed the API key of profile default from credentials.json.\n"
        "Commands use profile default again.\n"
    )
    again = run_andamio(["logout", "--all", "--json"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"cleared": False}


def test_wallet_login_with_a_refused_ANDAMIO_API_KEY_says_to_fix_or_unset_it(
    sandbox, run_andamio, tmp_path
):
    from login_support import base_env, wallet_args

    wrong = "ant_pp_wrong000000000000000000000000000000000000"
    result = run_andamio(wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=wrong))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error.startswith("Error: ANDAMIO_API_KEY was refused (") and "HTTP 401" in error
    assert hint == (
        "Hint: fix ANDAMIO_API_KEY, or unset it to use the API key stored for profile default"
    )
    assert "log in" not in hint and wrong not in result.stderr
    assert [r.route for r in sandbox.requests] == ["login/session"]
    assert not (tmp_path / "e2e-config" / "credentials.json").exists()
