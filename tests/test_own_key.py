"""A key the gateway issued is never lost: unusable stdout, and the profile's own key under
request --save, rotate and delete (the installed CLI against the emulator)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore, andamio_command, creds_env, e2e_env

from andamio_cli.output import mask

DEV = "/api/v2/apikey/developer"


def stored(tmp_path) -> dict:
    path = tmp_path / "e2e-config" / "credentials.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("profiles", {}).get("default", {})


def settings(tmp_path) -> dict:
    path = tmp_path / "e2e-config" / "config.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("profiles", {}).get("default", {})


def key_named(sb, name):
    return next((k for k in sb.state.keys if k.name == name), None)


def run_with_stdout(args, env, stdout) -> subprocess.CompletedProcess:
    return subprocess.run(
        andamio_command() + args,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )


def assert_clean_stderr(stderr: str, *secrets: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert "unexpected error" not in stderr, stderr
    for secret in secrets:
        assert secret not in stderr


# --- stdout that cannot be written ------------------------------------------------------


@pytest.mark.parametrize("save", [False, True])
def test_closed_stdout_refuses_before_anything_is_sent(sandbox, tmp_path, save):
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url, ANDAMIO_API_KEY=sandbox.dev.api_key)
    env["ANDAMIO_DEV_JWT"] = sandbox.dev.jwt
    args = ["apikey", "request", "closed-out"] + (["--save"] if save else [])
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *andamio_command(), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(
        "Error: standard output is closed, so a new key could not be shown; nothing was sent\n"
    ), result.stderr
    assert_clean_stderr(result.stderr, sandbox.dev.api_key, sandbox.dev.jwt)
    assert sandbox.requests == []
    assert key_named(sandbox, "closed-out") is None
    assert stored(tmp_path) == {}


def broken_pipe():
    """The write end of a pipe whose reader has already gone away."""
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("target", ["full", "pipe"])
@pytest.mark.parametrize("save", [False, True])
def test_unwritable_stdout_says_the_key_was_created(sandbox, tmp_path, target, save):
    env = e2e_env(tmp_path, ANDAMIO_BASE_URL=sandbox.url, ANDAMIO_DEV_JWT=sandbox.dev.jwt)
    login = subprocess.run(
        andamio_command() + ["login", "--with-key"],
        env=env,
        input=sandbox.dev.api_key,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert login.returncode == 0, login.stderr
    args = ["apikey", "request", "lost-out"] + (["--save"] if save else [])
    if target == "full":
        with open("/dev/full", "w") as full:
            result = run_with_stdout(args, env, full)
        why = "is full (no space left)"
    else:
        fd = broken_pipe()
        try:
            result = run_with_stdout(args, env, fd)
        finally:
            os.close(fd)
        why = "was closed by the program reading it"
    key = key_named(sandbox, "lost-out")
    assert key is not None  # the gateway issued it
    assert result.returncode == 1, result.stderr
    assert_clean_stderr(result.stderr, key.secret, sandbox.dev.api_key, sandbox.dev.jwt)
    lines = result.stderr.splitlines()
    if save:
        assert lines == [
            "Error: key lost-out was created and saved as the API key of profile default, but "
            f"it could not be printed: standard output {why}",
            "Hint: print it with `andamio token --api-key`",
        ]
        assert stored(tmp_path)["api_key"] == key.secret
        assert settings(tmp_path)["key_name"] == "lost-out"
    else:
        assert lines == [
            "Error: key lost-out was created but NOT saved, but it could not be printed: "
            f"standard output {why}",
            "Hint: the secret is lost: delete the key (`andamio apikey delete lost-out`) and "
            "create another with standard output open",
        ]
        assert stored(tmp_path)["api_key"] == sandbox.dev.api_key


def test_unwritable_stdout_in_json_mode_is_one_json_error(sandbox, tmp_path):
    env = e2e_env(tmp_path, **creds_env(sandbox))
    with open("/dev/full", "w") as full:
        result = run_with_stdout(["apikey", "request", "json-full", "--json"], env, full)
    assert result.returncode == 1, result.stderr
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "error"
    assert error["message"].startswith("key json-full was created but NOT saved")
    assert_clean_stderr(result.stderr, key_named(sandbox, "json-full").secret)


# --- the profile's own key --------------------------------------------------------------


def run(tmp_path, sb, args, stdin="", **extra):
    return subprocess.run(
        andamio_command() + args,
        env=e2e_env(tmp_path, ANDAMIO_BASE_URL=sb.url, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def login_seeded_key(tmp_path, sb) -> None:
    """`login --with-key`: the name and id of the key are not known to the CLI."""
    sb.state.users[sb.dev.user_id].tier = "growth"  # room for 5 keys
    result = run(tmp_path, sb, ["login", "--with-key"], stdin=sb.dev.api_key)
    assert result.returncode == 0, result.stderr
    assert "key_name" not in settings(tmp_path) and "key_id" not in settings(tmp_path)


def test_request_save_names_the_key_it_replaced(sandbox, tmp_path):
    jwt = {"ANDAMIO_DEV_JWT": sandbox.dev.jwt}
    login_seeded_key(tmp_path, sandbox)
    first = run(tmp_path, sandbox, ["apikey", "request", "first-key", "--save"], **jwt)
    assert first.returncode == 0, first.stderr
    assert first.stdout == key_named(sandbox, "first-key").secret + "\n"
    assert f"It replaced the key stored before, {mask(sandbox.dev.api_key)}." in first.stderr
    second = run(tmp_path, sandbox, ["apikey", "request", "second-key", "--save"], **jwt)
    assert second.returncode == 0, second.stderr
    new = key_named(sandbox, "second-key").secret
    assert second.stdout == new + "\n"
    old = first.stdout.strip()
    assert second.stderr.endswith(
        "Saved as the API key of profile default (file).\n"
        f"It replaced the key stored before, first-key ({mask(old)}).\n"
    ), second.stderr
    assert stored(tmp_path)["api_key"] == new
    assert old not in second.stderr and new not in second.stderr


@pytest.mark.parametrize("by", ["name", "id"])
def test_rotating_the_own_key_stores_the_new_secret(sandbox, tmp_path, by):
    sandbox.rotate_mode = "new-key"
    login_seeded_key(tmp_path, sandbox)
    ref = "sandbox-default" if by == "name" else sandbox.dev.key_id
    sandbox.clear_requests()
    result = run(
        tmp_path, sandbox, ["apikey", "rotate", ref, "--yes"], ANDAMIO_DEV_JWT=sandbox.dev.jwt
    )
    assert result.returncode == 0, result.stderr
    new = key_named(sandbox, "sandbox-default").secret
    assert new != sandbox.dev.api_key
    assert result.stdout == new + "\n"
    assert (
        "This was the key profile default uses: the new secret is now stored in profile "
        "default (file); the old one no longer works." in result.stderr
    )
    assert_clean_stderr(result.stderr, new, sandbox.dev.api_key)
    assert [r.route for r in sandbox.requests] == ["profile/get", "key/rotate"]
    assert stored(tmp_path)["api_key"] == new
    # the stored key works: the next command reads the key list with it
    listed = run(tmp_path, sandbox, ["apikey", "list", "--json"], ANDAMIO_DEV_JWT=sandbox.dev.jwt)
    assert listed.returncode == 0, listed.stderr
    assert [k["api_key"] for k in json.loads(listed.stdout)] == [mask(new)]


def test_rotating_another_key_leaves_the_stored_one(sandbox, tmp_path):
    sandbox.rotate_mode = "new-key"
    jwt = {"ANDAMIO_DEV_JWT": sandbox.dev.jwt}
    login_seeded_key(tmp_path, sandbox)
    saved = run(tmp_path, sandbox, ["apikey", "request", "mine", "--save"], **jwt)
    assert saved.returncode == 0, saved.stderr
    other = run(tmp_path, sandbox, ["apikey", "request", "other", "--json"], **jwt)
    assert other.returncode == 0, other.stderr
    sandbox.clear_requests()
    result = run(tmp_path, sandbox, ["apikey", "rotate", "other", "--yes"], **jwt)
    assert result.returncode == 0, result.stderr
    assert result.stdout == key_named(sandbox, "other").secret + "\n"
    assert "This key is shown once: store it now." in result.stderr
    assert "uses" not in result.stderr
    # the recorded name answers "own key?" without a read
    assert [r.route for r in sandbox.requests] == ["key/rotate"]
    assert stored(tmp_path)["api_key"] == saved.stdout.strip()


def test_rotate_that_extends_the_own_key_keeps_it(sandbox, tmp_path):
    sandbox.rotate_mode = "extend"
    login_seeded_key(tmp_path, sandbox)
    result = run(
        tmp_path,
        sandbox,
        ["apikey", "rotate", "sandbox-default", "--yes"],
        ANDAMIO_DEV_JWT=sandbox.dev.jwt,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("API key expiration extended to ")
    assert stored(tmp_path)["api_key"] == sandbox.dev.api_key


@pytest.mark.parametrize("by", ["name", "id"])
def test_deleting_the_own_key_removes_the_local_copy(sandbox, tmp_path, by):
    login_seeded_key(tmp_path, sandbox)
    ref = "sandbox-default" if by == "name" else sandbox.dev.key_id
    result = run(
        tmp_path, sandbox, ["apikey", "delete", ref, "--yes"], ANDAMIO_DEV_JWT=sandbox.dev.jwt
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "API key deleted successfully\n"
    assert (
        f"Removed the local copy of {ref} from profile default; the CLI cannot call the "
        "gateway until another key is stored (`andamio login --with-key`).\n" in result.stderr
    )
    assert "api_key" not in stored(tmp_path)
    assert key_named(sandbox, "sandbox-default") is None


def test_deleting_another_key_keeps_the_local_copy(sandbox, tmp_path):
    jwt = {"ANDAMIO_DEV_JWT": sandbox.dev.jwt}
    login_seeded_key(tmp_path, sandbox)
    assert run(tmp_path, sandbox, ["apikey", "request", "spare"], **jwt).returncode == 0
    result = run(tmp_path, sandbox, ["apikey", "delete", "spare", "--yes"], **jwt)
    assert result.returncode == 0, result.stderr
    assert "Removed the local copy" not in result.stderr
    assert stored(tmp_path)["api_key"] == sandbox.dev.api_key


# --- confirmation questions -------------------------------------------------------------

PROFILE = {
    "user_id": "u1",
    "alias": "unit",
    "active_keys": [{"name": "ci-key", "api_key": API_KEY}, {"name": "other", "api_key": "x" * 20}],
}


@pytest.mark.parametrize(
    "args,own,question",
    [
        (
            ["apikey", "delete", "ci-key"],
            True,
            "Delete key ci-key? It stops working at once; this cannot be undone. this is the "
            "key profile default uses; afterwards the CLI cannot call the gateway until another "
            "key is stored. [y/N]: ",
        ),
        (
            ["apikey", "delete", "other"],
            False,
            "Delete key other? It stops working at once; this cannot be undone. [y/N]: ",
        ),
        (
            ["apikey", "rotate", "ci-key"],
            True,
            "Rotate key ci-key? The gateway extends its expiry or issues a new secret (printed "
            "once; the old secret then stops working). this is the key profile default uses; a "
            "new secret will be stored for it. [y/N]: ",
        ),
    ],
)
def test_answering_no_changes_nothing(cli, gateway, args, own, question):
    gateway.expect("GET", f"{DEV}/profile/get", json=PROFILE)
    store = MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)
    before = dict(store.data)
    result = cli(args, store=store, transport=gateway.transport, stdin="n\n", tty=True)
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == question + "Cancelled; nothing was changed.\n"
    assert store.data == before
    assert [r.url.path for r in gateway.requests] == [f"{DEV}/profile/get"]
