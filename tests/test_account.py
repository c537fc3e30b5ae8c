"""`andamio account status|resend-verification|delete` end to end against the emulator, and the
unverified-email hint of `apikey request`/`rotate`."""

from __future__ import annotations

import json
import re

import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore, creds_env

from andamio_cli.argv import hoist_global_options
from andamio_cli.credentials import FileStore
from andamio_cli.settings import Settings

AUTH = "/api/v2/auth/developer/"
WHEN = r"in (\d+) minutes? \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)"
VERIFY_HINT = (
    "Hint: verify the account's email address first (the link is in the verification mail); "
    "to get the mail again: `andamio account resend-verification`\n"
)


def routes(sb):
    return [(r.method, r.route) for r in sb.requests]


def login(sb, run_andamio):
    """Store the seeded developer's API key, JWT and refresh token in the file store."""
    env = {"ANDAMIO_BASE_URL": sb.url}
    assert run_andamio(["login", "--with-key"], env=env, stdin=sb.dev.api_key).returncode == 0
    tokens = f"{sb.dev.jwt}\n{sb.dev.refresh_token}\n"
    assert run_andamio(["login", "--with-token"], env=env, stdin=tokens).returncode == 0
    sb.clear_requests()
    return env


# --- account status ---------------------------------------------------------------------


def test_status_of_a_verified_account(sandbox, run_andamio):
    result = run_andamio(["account", "status"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "email\tverified\nresend\tnot needed\nremaining_attempts\t5\nlast_sent\tnever\n"
    )
    assert result.stderr == ""
    (req,) = sandbox.requests
    assert (req.method, req.path) == ("GET", AUTH + "email-status")
    assert req.header("X-API-Key") == sandbox.dev.api_key
    assert req.header("Authorization") == f"Bearer {sandbox.dev.jwt}"


def test_status_of_an_unverified_account_after_a_mail(sandbox, run_andamio):
    sandbox.set_email_verified(sandbox.dev, False)
    env = creds_env(sandbox)
    fresh = run_andamio(["account", "status"], env=env)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout == (
        "email\tnot verified\nresend\tpossible now\nremaining_attempts\t5\nlast_sent\tnever\n"
    )
    assert fresh.stderr == (
        "Open the link in the verification mail; key requests and rotations need a verified "
        "email. Another mail: `andamio account resend-verification`.\n"
    )
    assert run_andamio(["account", "resend-verification"], env=env).returncode == 0
    after = run_andamio(["account", "status"], env=env)
    assert after.returncode == 0, after.stderr
    lines = after.stdout.splitlines()
    assert lines[0] == "email\tnot verified"
    assert re.fullmatch(r"resend\tpossible " + WHEN, lines[1]), lines[1]
    assert int(re.search(WHEN, lines[1])[1]) in (4, 5)
    assert lines[2] == "remaining_attempts\t4"
    assert re.fullmatch(r"last_sent\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[3])


def test_status_json_is_the_gateway_body_and_quiet_says_one_word(sandbox, run_andamio):
    sandbox.set_email_verified(sandbox.dev, False)
    result = run_andamio(["account", "status", "--json"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "email_verified": False,
        "can_resend": True,
        "remaining_attempts": 5,
        "verification_email_sent_at": None,
        "wait_duration_seconds": 0,
    }
    assert result.stderr == ""
    quiet = run_andamio(["account", "status", "-q"], env=creds_env(sandbox))
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "not verified\n", "")


def test_status_with_a_reply_without_the_verified_flag_is_an_error(sandbox, run_andamio):
    sandbox.add_faults("email-status", "missing-fields")
    result = run_andamio(["account", "status"], env=creds_env(sandbox))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: the gateway's reply (HTTP 200, application/json) has no `email_verified`"
    )


def test_status_without_credentials_sends_nothing(sandbox, run_andamio):
    result = run_andamio(["account", "status"], env={"ANDAMIO_BASE_URL": sandbox.url})
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no API key for profile default\n")
    assert sandbox.requests == []


# --- account resend-verification --------------------------------------------------------


def test_resend_sends_one_mail(sandbox, run_andamio):
    sandbox.set_email_verified(sandbox.dev, False)
    result = run_andamio(["account", "resend-verification"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Verification email sent\n"
    assert re.fullmatch(
        r"Check your inbox; the next one can be asked for "
        + WHEN
        + r"; 4 attempts left \(5 per 24 hours\)\.\n",
        result.stderr,
    ), result.stderr
    (req,) = sandbox.requests
    assert (req.method, req.path, req.json) == ("POST", AUTH + "resend-verification", {})
    assert req.header("Content-Type") == "application/json"
    assert req.header("X-API-Key") == sandbox.dev.api_key
    assert sandbox.state.users[sandbox.dev.user_id].verification_sends != []


def test_resend_json_is_the_gateway_body(sandbox, run_andamio):
    sandbox.set_email_verified(sandbox.dev, False)
    result = run_andamio(["account", "resend-verification", "--json"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == {"message", "next_resend_available_at", "remaining_attempts"}
    assert (body["message"], body["remaining_attempts"]) == ("Verification email sent", 4)
    assert result.stderr == ""


def test_resend_when_already_verified_is_exit_6(sandbox, run_andamio):
    result = run_andamio(["account", "resend-verification"], env=creds_env(sandbox))
    assert result.returncode == 6
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the email address of this account is already verified; no mail was sent\n"
    )
    assert routes(sandbox) == [("POST", "resend-verification")]


def test_resend_too_soon_is_exit_7_naming_when(sandbox, run_andamio):
    sandbox.set_email_verified(sandbox.dev, False)
    env = creds_env(sandbox)
    assert run_andamio(["account", "resend-verification"], env=env).returncode == 0
    sandbox.clear_requests()
    result = run_andamio(["account", "resend-verification"], env=env)
    assert result.returncode == 7
    assert result.stdout == ""
    assert re.fullmatch(
        r"Error: too many verification mails; try again " + WHEN + "\n"
        r"Hint: the gateway allows 5 mails in 24 hours, at least 5 minutes apart\n",
        result.stderr,
    ), result.stderr
    # the POST is never retried; the time comes from one read of email-status
    assert routes(sandbox) == [("POST", "resend-verification"), ("GET", "email-status")]
    assert len(sandbox.state.users[sandbox.dev.user_id].verification_sends) == 1


def test_resend_daily_limit_names_hours(sandbox, run_andamio):
    import time

    sandbox.set_email_verified(sandbox.dev, False)
    now = time.time()
    user = sandbox.state.users[sandbox.dev.user_id]
    user.verification_sends = [now - 22 * 3600 + i * 900 for i in range(5)]
    result = run_andamio(["account", "resend-verification", "--json"], env=creds_env(sandbox))
    assert result.returncode == 7
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert (error["kind"], error["status"]) == ("rate_limited", 429)
    assert re.fullmatch(
        r"too many verification mails; try again in 2 hours \(.*\)", error["message"]
    )


@pytest.mark.parametrize("fault,code", [("429", 7), ("503", 1), ("500", 1)])
def test_resend_is_never_retried(sandbox, run_andamio, fault, code):
    sandbox.set_email_verified(sandbox.dev, False)
    sandbox.add_faults("resend-verification", fault)
    result = run_andamio(["account", "resend-verification"], env=creds_env(sandbox))
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    posts = [r for r in routes(sandbox) if r[1] == "resend-verification"]
    assert posts == [("POST", "resend-verification")]
    if fault == "429":  # nothing in the reply says when: email-status does (it can send now)
        assert result.stderr.startswith(
            "Error: too many verification mails; try again in a few minutes\n"
        )


# --- the unverified-email hint of apikey request / rotate --------------------------------


@pytest.mark.parametrize(
    "args",
    [["apikey", "request", "fresh-key"], ["apikey", "rotate", "sandbox-default", "--yes"]],
)
def test_unverified_email_hint_on_request_and_rotate(sandbox, run_andamio, args):
    sandbox.set_email_verified(sandbox.dev, False)
    result = run_andamio(args, env=creds_env(sandbox))
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Error: Email verification required: verify the email address of this account before "
        "requesting or rotating keys (HTTP 403, application/json)\n" + VERIFY_HINT
    )
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    "status,body,code",
    [
        (400, {"message": "Please verify your email address first"}, 4),
        (422, {"code": "email_not_verified", "message": "nope"}, 4),
        (403, {"error": {"code": "EMAIL_NOT_VERIFIED", "message": "Forbidden"}}, 3),
    ],
)
def test_unverified_hint_is_found_by_code_or_message_whatever_the_status(
    cli, gateway, status, body, code
):
    gateway.expect("POST", "/api/v2/apikey/developer/key/request", status, body)
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(["apikey", "request", "ci-key"], store=store, transport=gateway.transport)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.endswith(VERIFY_HINT)


def test_other_refusals_keep_their_own_hint(cli, gateway):
    gateway.expect(
        "POST", "/api/v2/apikey/developer/key/request", 403, {"message": "Forbidden: tier access"}
    )
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(["apikey", "request", "ci-key"], store=store, transport=gateway.transport)
    assert result.exit_code == 3
    assert "resend-verification" not in result.stderr


# --- account delete ----------------------------------------------------------------------


def test_delete_without_terminal_needs_yes_and_sends_nothing(sandbox, run_andamio):
    env = login(sandbox, run_andamio)
    result = run_andamio(["account", "delete"], env=env)
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr == (
        "Error: deleting the developer account needs confirmation, and there is no terminal "
        "to ask\nHint: pass --yes to delete the account (this cannot be undone)\n"
    )
    assert sandbox.requests == []
    assert sandbox.dev.user_id in sandbox.state.users


def test_delete_yes_deletes_the_account_and_the_stored_credentials(sandbox, run_andamio, tmp_path):
    env = login(sandbox, run_andamio)
    result = run_andamio(["account", "delete", "--yes"], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Developer account deleted successfully\n"
    assert result.stderr == (
        "Removed the stored credentials of profile default "
        "(API key, developer JWT, refresh token).\n"
    )
    (req,) = sandbox.requests
    assert (req.method, req.route, req.json) == ("POST", "account/delete", {})
    assert sandbox.dev.user_id not in sandbox.state.users
    store = FileStore(str(tmp_path / "e2e-config"))
    assert [store.get("default", s) for s in ("api_key", "dev_jwt", "refresh_token")] == [
        None,
        None,
        None,
    ]
    after = run_andamio(["account", "status"], env=env)
    assert after.returncode == 3
    assert after.stderr.startswith("Error: no API key for profile default\n")


def test_delete_json_with_env_credentials_warns_about_them(sandbox, run_andamio):
    result = run_andamio(["account", "delete", "--yes", "--json"], env=creds_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "deleted": True,
        "message": "Developer account deleted successfully",
        "credentials_removed": [],
    }
    assert result.stderr == (
        "Warning: ANDAMIO_API_KEY is still set in the environment; it belonged to the deleted "
        "account\nWarning: ANDAMIO_DEV_JWT is still set in the environment; it belonged to the "
        "deleted account\n"
    )


@pytest.mark.parametrize("fault,code", [("500", 1), ("503", 1), ("drop", 5)])
def test_delete_is_never_retried_and_keeps_credentials_on_failure(
    sandbox, run_andamio, tmp_path, fault, code
):
    env = login(sandbox, run_andamio)
    sandbox.add_faults("account/delete", fault)
    result = run_andamio(["account", "delete", "--yes"], env=env)
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert routes(sandbox) == [("POST", "account/delete")]
    store = FileStore(str(tmp_path / "e2e-config"))
    assert store.get("default", "api_key") == sandbox.dev.api_key


def _tty_env(sb, tmp_path):
    """The config dir of a profile whose stored credentials belong to the sandbox (as
    `andamio login` records them: stored credentials are sent only to their own URL)."""
    from andamio_cli.settings import Settings

    Settings(str(tmp_path / "tty-config")).update("default", credentials_url=sb.url)
    return {"ANDAMIO_CONFIG_DIR": str(tmp_path / "tty-config")}


def test_delete_on_a_terminal_wants_the_alias_typed(cli, sandbox, tmp_path):
    store = MemoryStore(api_key=sandbox.dev.api_key, dev_jwt=sandbox.dev.jwt)
    env = _tty_env(sandbox, tmp_path)
    result = cli(
        ["--no-color", "--base-url", sandbox.url, "account", "delete"],
        env=env,
        store=store,
        stdin="sandbox-dev\n",
        tty=True,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Developer account deleted successfully\n"
    assert result.stderr == (
        "This deletes the developer account sandbox-dev for good, with all its API keys and "
        "logins; the stored credentials of profile default are removed too.\n"
        "Type the alias (sandbox-dev) to confirm: "
        "Removed the stored credentials of profile default (API key, developer JWT).\n"
    )
    assert routes(sandbox) == [("GET", "profile/get"), ("POST", "account/delete")]
    assert store.data == {}


@pytest.mark.parametrize("answer", ["sandbox-de\n", "SANDBOX-DEV\n", "y\n", ""])
def test_delete_on_a_terminal_with_another_answer_changes_nothing(cli, sandbox, tmp_path, answer):
    store = MemoryStore(api_key=sandbox.dev.api_key, dev_jwt=sandbox.dev.jwt)
    env = _tty_env(sandbox, tmp_path)
    result = cli(
        ["--no-color", "--base-url", sandbox.url, "account", "delete"],
        env=env,
        store=store,
        stdin=answer,
        tty=True,
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.endswith(
        "Type the alias (sandbox-dev) to confirm: Cancelled; nothing was changed.\n"
    )
    assert routes(sandbox) == [("GET", "profile/get")]
    assert sandbox.dev.user_id in sandbox.state.users
    assert store.data[("default", "api_key")] == sandbox.dev.api_key


def test_delete_no_input_on_a_terminal_needs_yes(cli, sandbox, tmp_path):
    store = MemoryStore(api_key=sandbox.dev.api_key, dev_jwt=sandbox.dev.jwt)
    env = _tty_env(sandbox, tmp_path)
    result = cli(
        ["--base-url", sandbox.url, "account", "delete", "--no-input"],
        env=env,
        store=store,
        tty=True,
    )
    assert result.exit_code == 4
    assert "pass --yes" in result.stderr
    assert sandbox.requests == []


def test_sandbox_rotate_option_takes_two_values(cli):
    result = cli(["sandbox", "--rotate", "renew"])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "new-key" in result.stderr and "extend" in result.stderr


def test_account_debug_trace_shows_no_secret(sandbox, run_andamio):
    sandbox.set_email_verified(sandbox.dev, False)
    for args in (["account", "status"], ["account", "resend-verification"]):
        result = run_andamio([*args, "--debug"], env=creds_env(sandbox))
        assert result.returncode == 0, result.stderr
        assert "[debug] > " in result.stderr
        for secret in (sandbox.dev.api_key, sandbox.dev.jwt):
            assert secret not in result.stderr and secret not in result.stdout


def test_delete_alias_falls_back_to_the_stored_alias(cli, gateway, tmp_path):
    Settings(str(tmp_path / "config")).update("default", alias="stored-alias")
    dev = "/api/v2/apikey/developer/"
    gateway.expect("GET", dev + "profile/get", 200, {"user_id": "u1", "active_keys": []})
    gateway.expect("POST", dev + "account/delete", 200, {"message": "Account gone"})
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(
        ["--no-color", "account", "delete"],
        store=store,
        transport=gateway.transport,
        stdin="stored-alias\n",
        tty=True,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Account gone\n"
    assert "Type the alias (stored-alias) to confirm: " in result.stderr
    assert gateway.body(1) == {}
    assert store.data == {}
    assert Settings(str(tmp_path / "config")).get("default").get("alias") is None


def test_delete_without_any_alias_asks_for_yes(cli, gateway):
    dev = "/api/v2/apikey/developer/"
    gateway.expect("GET", dev + "profile/get", 200, {"user_id": "u1", "active_keys": []})
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    result = cli(
        ["--no-color", "account", "delete"], store=store, transport=gateway.transport, tty=True
    )
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (
        "Error: the account's alias is unknown, so it cannot be typed to confirm\n"
        "Hint: pass --yes to delete the account without typing its alias\n"
    )


def test_account_options_after_the_subcommand_are_hoisted():
    assert hoist_global_options(["account", "delete", "--yes", "--json", "-q"]) == [
        "--json",
        "-q",
        "account",
        "delete",
        "--yes",
    ]
