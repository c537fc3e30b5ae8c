"""https: `sandbox --tls` with a throw-away CA, and how the CLI verifies certificates."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time

import pytest
from conftest import andamio_command

from andamio_cli.http import ssl_context
from andamio_cli.sandbox import Sandbox


@pytest.fixture
def tls_sandbox(tmp_path):
    with Sandbox(port=0, workdir=str(tmp_path / "sandbox"), tls=True) as sb:
        yield sb


def usage_env(sb, **extra):
    return {
        "ANDAMIO_BASE_URL": sb.url,
        "ANDAMIO_API_KEY": sb.dev.api_key,
        "ANDAMIO_DEV_JWT": sb.dev.jwt,
        "SSL_CERT_DIR": None,
        **extra,
    }


def test_tls_sandbox_serves_https_with_its_own_ca(tls_sandbox, tmp_path):
    assert tls_sandbox.url.startswith("https://127.0.0.1:")
    assert tls_sandbox.ca_file == str(tmp_path / "sandbox" / "sandbox-ca.pem")
    pem = open(tls_sandbox.ca_file, encoding="ascii").read()
    assert pem.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE KEY" not in pem
    assert not [n for n in os.listdir(tmp_path / "sandbox") if n.startswith(".tls-")]


def test_https_works_with_ssl_cert_file_pointing_at_the_ca(tls_sandbox, run_andamio):
    result = run_andamio(
        ["apikey", "usage", "--json"],
        env=usage_env(tls_sandbox, SSL_CERT_FILE=tls_sandbox.ca_file),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "daily_quota_limit" in json.loads(result.stdout)
    assert [r.route for r in tls_sandbox.requests] == ["usage/get"]


def test_https_without_the_ca_fails_with_exit_5_and_says_tls(tls_sandbox, run_andamio):
    result = run_andamio(
        ["apikey", "usage", "--json"], env=usage_env(tls_sandbox, SSL_CERT_FILE=None)
    )
    assert result.returncode == 5, result.stderr
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "unreachable"
    port = tls_sandbox.url.rsplit(":", 1)[1]
    assert error["message"] == (
        f"the TLS connection to 127.0.0.1:{port} failed: its certificate is not trusted"
    )
    assert "SSL_CERT_FILE" in error["hint"]
    assert tls_sandbox.dev.api_key not in result.stderr
    assert tls_sandbox.dev.jwt not in result.stderr
    assert tls_sandbox.requests == []  # the handshake failed: no request was ever read


def test_ssl_cert_file_replaces_the_os_trust_store(tmp_path, monkeypatch):
    with Sandbox(port=0, workdir=str(tmp_path / "sb"), tls=True) as sb:
        monkeypatch.setenv("SSL_CERT_FILE", sb.ca_file)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        context = ssl_context(sb.url)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        subjects = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
        assert subjects == [{"commonName": "Andamio sandbox throw-away CA"}]


def test_the_os_trust_store_is_used_without_ssl_cert_file(monkeypatch):
    import truststore

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = ssl_context("https://preprod.api.andamio.io")
    assert isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_an_http_base_url_gets_a_context_that_trusts_nothing():
    context = ssl_context("http://127.0.0.1:8765")
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []


def test_sandbox_tls_command_prints_the_ssl_cert_file_line(tmp_path):
    state = tmp_path / "state" / "sandbox.json"
    state.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDAMIO_", "SSL_CERT"))}
    proc = subprocess.Popen(
        andamio_command() + ["sandbox", "--tls", "--port", "0", "--state", str(state)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    exports: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 60
        while "SSL_CERT_FILE" not in exports and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                exports[name] = value
        assert exports.get("SSL_CERT_FILE") == str(tmp_path / "state" / "sandbox-ca.pem")
        assert exports["ANDAMIO_BASE_URL"].startswith("https://127.0.0.1:")
        usage = subprocess.run(
            andamio_command() + ["apikey", "usage", "--json"],
            env={**env, **exports, "ANDAMIO_CREDENTIAL_STORE": "file"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert usage.returncode == 0, usage.stderr
        assert "daily_quota_limit" in json.loads(usage.stdout)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            stdout, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=30)
            raise
    assert proc.returncode == 0
    assert stdout == ""


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("SIGINT to a child is POSIX")
