"""Settings and credential files: wrong shapes, loose permissions, stdin limit, FIFO --skey,
and `apikey profile` masking; the installed CLI against the emulator."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import andamio_command

from andamio_cli.output import mask


def config_dir(tmp_path):
    return tmp_path / "e2e-config"


def env_for(sb, **extra) -> dict:
    return {"ANDAMIO_BASE_URL": sb.url, **extra}


def login_key(run_andamio, sb) -> None:
    result = run_andamio(["login", "--with-key"], env=env_for(sb), stdin=sb.dev.api_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def credentials_text(tmp_path) -> str:
    return (config_dir(tmp_path) / "credentials.json").read_text()


BAD_SETTINGS = [
    ("[]", "expected a JSON object"),
    ('{"profiles": []}', '"profiles" must be an object'),
    ('{"profiles": {"default": []}}', "profile 'default' must be an object"),
    ('{"profiles": {"default": {"network": 5}}}', "network of profile 'default' must be a string"),
    ('{"profiles": {"default": {"base_url": ["x"]}}}', "base_url of profile 'default' must be"),
    ('{"profiles": {"default": {"key_name": {}}}}', "key_name of profile 'default' must be"),
    ('{"profiles": {"default": {"network": "moon"}}}', "network of profile 'default' must be one"),
    ('{"profiles": {"default": {"store": "cloud"}}}', "store of profile 'default' must be"),
    ("{not json", "is not valid JSON"),
]


@pytest.mark.parametrize("text,why", BAD_SETTINGS)
def test_settings_of_the_wrong_shape_are_refused_and_nothing_changes(
    sandbox, run_andamio, tmp_path, text, why
):
    login_key(run_andamio, sandbox)
    before = credentials_text(tmp_path)
    settings = config_dir(tmp_path) / "config.json"
    settings.write_text(text)
    sandbox.clear_requests()
    for args in (["logout"], ["logout", "--all"], ["apikey", "list"], ["refresh"]):
        check_refused(run_andamio(args, env=env_for(sandbox)), settings, why)
    assert credentials_text(tmp_path) == before
    assert settings.read_text() == text
    assert sandbox.requests == []


def check_refused(result, settings, why) -> None:
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert f"Error: the settings file {settings} is not valid" in result.stderr
    assert why in result.stderr
    assert "Hint: fix or remove the file" in result.stderr
    assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["[]", '{"profiles": []}', '{"profiles": {"default": "k"}}'])
def test_credential_file_of_the_wrong_shape_is_refused(sandbox, run_andamio, tmp_path, text):
    login_key(run_andamio, sandbox)
    path = config_dir(tmp_path) / "credentials.json"
    path.write_text(text)
    for args in (["logout"], ["apikey", "list"]):
        result = run_andamio(args, env=env_for(sandbox))
        assert result.returncode == 3, result.stderr
        assert result.stdout == ""
        assert f"Error: the credential file {path} is not valid" in result.stderr
        assert "unexpected error" not in result.stderr
        assert path.read_text() == text


def test_credential_file_readable_by_others_draws_a_warning(sandbox, run_andamio, tmp_path):
    login_key(run_andamio, sandbox)
    path = config_dir(tmp_path) / "credentials.json"
    os.chmod(path, 0o644)
    env = env_for(sandbox, ANDAMIO_DEV_JWT=sandbox.dev.jwt)
    result = run_andamio(["apikey", "list", "--json"], env=env)
    assert result.returncode == 0, result.stderr
    assert [k["name"] for k in json.loads(result.stdout)] == ["sandbox-default"]
    warning = f"Warning: the credential file {path} can be read or changed by other users"
    assert result.stderr.count(warning) == 1, result.stderr
    assert f"run `chmod 600 {path}`" in result.stderr
    assert sandbox.dev.api_key not in result.stderr + result.stdout
    os.chmod(path, 0o600)
    again = run_andamio(["apikey", "list", "--json"], env=env)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""


def test_config_dir_writable_by_others_draws_a_warning(sandbox, run_andamio, tmp_path):
    login_key(run_andamio, sandbox)
    directory = config_dir(tmp_path)
    os.chmod(directory, 0o777)
    try:
        result = run_andamio(["apikey", "list"], env=env_for(sandbox))
    finally:
        os.chmod(directory, 0o700)
    # the key alone cannot list keys (no developer JWT): the warning comes anyway
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    warning = f"Warning: the config dir {directory} is writable by other users"
    assert result.stderr.count(warning) == 1, result.stderr
    assert f"run `chmod 700 {directory}`" in result.stderr


def test_secret_on_stdin_over_64_kib_is_refused(sandbox, run_andamio, tmp_path):
    result = run_andamio(["login", "--with-key"], env=env_for(sandbox), stdin="y\n" * 40000)
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert "Error: standard input holds more than 64 KiB" in result.stderr
    assert not (config_dir(tmp_path) / "credentials.json").exists()
    exactly = run_andamio(
        ["login", "--with-key"], env=env_for(sandbox), stdin=sandbox.dev.api_key.ljust(65536)
    )
    assert exactly.returncode == 0, exactly.stderr  # 64 KiB including whitespace is read


@pytest.mark.parametrize("flag", ["--with-key", "--with-token"])
def test_endless_stdin_is_refused_quickly(sandbox, tmp_path, flag):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANDAMIO_", "PYTHON_KEYRING")) and k != "NO_COLOR"
    }
    env.update(
        ANDAMIO_CONFIG_DIR=str(config_dir(tmp_path)),
        ANDAMIO_CREDENTIAL_STORE="file",
        ANDAMIO_BASE_URL=sandbox.url,
    )
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        result = subprocess.run(
            andamio_command() + ["login", flag],
            stdin=yes.stdout,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        yes.kill()
        yes.wait(10)
        assert yes.stdout is not None
        yes.stdout.close()
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert "Error: standard input holds more than 64 KiB" in result.stderr
    assert not (config_dir(tmp_path) / "credentials.json").exists()


def test_fifo_as_skey_is_refused_without_waiting(sandbox, run_andamio, tmp_path):
    fifo = tmp_path / "wallet.skey"
    os.mkfifo(fifo, 0o600)
    args = ["login", "--skey", str(fifo), "--alias", sandbox.dev.alias]
    result = run_andamio(
        [*args, "--address", sandbox.dev.address],
        env=env_for(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
        timeout=60,
    )
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert f"Error: signing key file {fifo} is not a regular file" in result.stderr
    assert sandbox.requests == []
    assert not (config_dir(tmp_path) / "credentials.json").exists()


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "text"])
def test_profile_masks_every_key_in_every_format(sandbox, run_andamio, fmt):
    env = env_for(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key, ANDAMIO_DEV_JWT=sandbox.dev.jwt)
    made = run_andamio(["apikey", "request", "second-key", "--json"], env=env)
    assert made.returncode == 0, made.stderr
    second = json.loads(made.stdout)["api_key"]
    result = run_andamio(["apikey", "profile", "-o", fmt], env=env)
    assert result.returncode == 0, result.stderr
    for secret in (sandbox.dev.api_key, second, sandbox.dev.jwt):
        assert secret not in result.stdout and secret not in result.stderr
    if fmt == "json":
        body = json.loads(result.stdout)
        assert sorted(k["api_key"] for k in body["active_keys"]) == sorted(
            [mask(sandbox.dev.api_key), mask(second)]
        )
        assert body["alias"] == sandbox.dev.alias
        assert {k["name"] for k in body["active_keys"]} == {"sandbox-default", "second-key"}
    else:
        assert sandbox.dev.alias in result.stdout
