"""Wallet login (--skey) and status: the installed CLI against the emulator."""

from __future__ import annotations

import json
import os
import time

import pytest
from login_support import (
    ENVELOPE_KEYS,
    base_env,
    key_material,
    login_with_key,
    routes,
    stored,
    wallet_args,
    write_skey,
)

from andamio_cli.auth.wallet import (
    EXTENDED_SKEY_TYPE,
    base_address,
    key_hash,
    public_key,
    verify_cip8,
)
from andamio_cli.times import expiry_phrase, parse_time

# --- wallet login ----------------------------------------------------------------------


def test_wallet_login_signs_the_nonce_and_stores_the_tokens(sandbox, run_andamio, tmp_path):
    result = run_andamio(
        wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"Logged in as {sandbox.dev.alias}" in result.stderr
    assert "Warning" not in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    session_req, complete_req = sandbox.requests
    assert session_req.json == {"alias": sandbox.dev.alias, "wallet_address": sandbox.dev.address}
    assert session_req.header("X-API-Key") == sandbox.dev.api_key
    assert complete_req.header("X-API-Key") == sandbox.dev.api_key
    assert set(complete_req.json) == {"session_id", "signature"}
    session = sandbox.state.sessions[complete_req.json["session_id"]]
    assert session.used
    sig = complete_req.json["signature"]
    assert verify_cip8(sig["signature"], sig["key"], session.nonce, sandbox.dev.address) is None
    saved = stored(tmp_path)
    assert set(saved) == {"dev_jwt", "refresh_token"}
    assert sandbox.state.jwt_user(saved["dev_jwt"]).alias == sandbox.dev.alias
    assert saved["refresh_token"] in sandbox.state.refresh
    for secret in (
        *key_material(sandbox),
        saved["dev_jwt"],
        saved["refresh_token"],
        sandbox.dev.api_key,
    ):
        assert secret not in result.stderr


def test_wallet_login_json_envelope_has_exactly_the_contract_keys(sandbox, run_andamio, tmp_path):
    result = run_andamio(
        wallet_args(sandbox) + ["--json"],
        env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    envelope = json.loads(result.stdout)
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["profile"] == "default"
    assert envelope["alias"] == sandbox.dev.alias
    assert envelope["stored_in"] == "file"
    assert 3400 < parse_time(envelope["jwt_expires_at"]) - time.time() <= 3601
    assert parse_time(envelope["refresh_token_expires_at"]) - time.time() > 29 * 86400
    saved = stored(tmp_path)
    for secret in (saved["dev_jwt"], saved["refresh_token"], *key_material(sandbox)):
        assert secret not in result.stdout


def test_wallet_login_with_debug_never_shows_key_material_or_tokens(sandbox, run_andamio, tmp_path):
    result = run_andamio(
        wallet_args(sandbox) + ["--debug"],
        env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "[debug] > POST" in result.stderr and "login/complete" in result.stderr
    saved = stored(tmp_path)
    skey_text = open(sandbox.dev.skey_path).read()
    cbor_hex = json.loads(skey_text)["cborHex"]
    for secret in (
        *key_material(sandbox),
        cbor_hex,
        saved["dev_jwt"],
        saved["refresh_token"],
        sandbox.dev.api_key,
    ):
        assert secret not in result.stderr
        assert secret not in result.stdout


def test_world_readable_skey_logs_in_with_a_warning(sandbox, run_andamio, tmp_path):
    loose = tmp_path / "loose.skey"
    loose.write_text(open(sandbox.dev.skey_path).read())
    loose.chmod(0o644)
    result = run_andamio(
        wallet_args(sandbox, skey=loose), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Warning:" in result.stderr and "readable by other users" in result.stderr
    assert f"chmod 600 {loose}" in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    assert set(stored(tmp_path)) == {"dev_jwt", "refresh_token"}
    for secret in key_material(sandbox):
        assert secret not in result.stderr


def _bad_wallet_cases(sb, tmp_path):
    other = write_skey(tmp_path / "other.skey")
    good = sb.dev.address
    flipped = good[:-1] + ("q" if good[-1] != "q" else "p")
    return {
        "missing file": (
            wallet_args(sb, skey=tmp_path / "nope.skey"),
            "signing key file not found",
        ),
        "wrong type": (
            wallet_args(
                sb, skey=write_skey(tmp_path / "stake.skey", kind="StakeSigningKeyShelley_ed25519")
            ),
            "wrong signing key type",
        ),
        "extended key": (
            wallet_args(
                sb,
                skey=write_skey(
                    tmp_path / "ext.skey",
                    kind=EXTENDED_SKEY_TYPE,
                    cbor_hex="5880" + os.urandom(64).hex(),
                ),
            ),
            "extended (BIP32) signing keys are not supported",
        ),
        "alias too long": (wallet_args(sb, alias="a" * 33), "alias must be 1-32 characters"),
        "address too short": (wallet_args(sb, address=good[:90]), "103-108 characters (got 90)"),
        "bad checksum": (wallet_args(sb, address=flipped), "not valid bech32"),
        "foreign key": (wallet_args(sb, skey=other), "does not belong to this address"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "wrong type",
        "extended key",
        "alias too long",
        "address too short",
        "bad checksum",
        "foreign key",
    ],
)
def test_wallet_input_errors_are_exit_4_and_send_nothing(sandbox, run_andamio, tmp_path, case):
    args, message = _bad_wallet_cases(sandbox, tmp_path)[case]
    result = run_andamio(args, env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key))
    assert result.returncode == 4, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert sandbox.requests == []
    assert stored(tmp_path) == {}
    for secret in key_material(sandbox):
        assert secret not in result.stderr


def test_unregistered_wallet_is_refused_by_the_gateway(sandbox, run_andamio, tmp_path):
    """A key matching its own (unregistered) address passes local checks; the gateway refuses."""
    seed = os.urandom(32)
    skey = write_skey(tmp_path / "stranger.skey", cbor_hex="5820" + seed.hex())
    address = base_address(key_hash(public_key(seed)), os.urandom(28))
    result = run_andamio(
        wallet_args(sandbox, skey=skey, address=address),
        env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key),
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: no developer is registered for this wallet (HTTP 404" in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    assert stored(tmp_path) == {}
    assert seed.hex() not in result.stderr


def test_wallet_login_needs_an_api_key(sandbox, run_andamio, tmp_path):
    result = run_andamio(wallet_args(sandbox), env=base_env(sandbox))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: wallet login needs an API key" in result.stderr
    assert "--with-key" in result.stderr and "ANDAMIO_API_KEY" in result.stderr
    assert sandbox.requests == []
    assert stored(tmp_path) == {}


def test_expired_session_is_not_completed(sandbox, run_andamio, tmp_path):
    sandbox.session_ttl = -5
    result = run_andamio(
        wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "Error: the login session expired" in result.stderr
    assert routes(sandbox) == ["login/session"]
    assert "login/complete" not in routes(sandbox)
    assert stored(tmp_path) == {}


def test_complete_reply_without_tokens_stores_nothing(sandbox, run_andamio, tmp_path):
    login_with_key(run_andamio, sandbox)
    sandbox.add_faults("login/complete", "missing-fields")
    result = run_andamio(wallet_args(sandbox), env=base_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert (
        "Error: the gateway's reply (HTTP 200, application/json) has no `jwt.token`"
        in result.stderr
    )
    assert "nothing was stored" in result.stderr
    assert routes(sandbox) == ["login/session", "login/complete"]
    assert set(stored(tmp_path)) == {"api_key"}
    status = run_andamio(["status", "--json"], env=base_env(sandbox))
    assert status.returncode == 3, status.stderr
    assert status.stderr == ""
    report = json.loads(status.stdout)
    assert report["ready"] is False
    assert report["problems"] == ["no developer JWT and no refresh token"]
    assert report["api_key"]["source"] == "file"
    assert report["dev_jwt"]["source"] == report["refresh_token"]["source"] == "none"
    text = run_andamio(["status"], env=base_env(sandbox))
    assert text.returncode == 3, text.stderr
    assert text.stderr == ""
    assert "Not ready: no developer JWT and no refresh token." in text.stdout
    assert "✓ API key        ant_pp_…" in text.stdout
    assert "✗ Developer JWT  missing" in text.stdout
    assert "✗ Refresh token  missing" in text.stdout


# --- status ----------------------------------------------------------------------------


def test_status_shows_jwt_expiry_and_seconds_left(sandbox, run_andamio):
    login = run_andamio(
        wallet_args(sandbox), env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    assert login.returncode == 0, login.stderr
    before = time.time()
    result = run_andamio(
        ["status", "--json"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key)
    )
    after = time.time()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    status = json.loads(result.stdout)
    assert status["dev_jwt"]["source"] == "file" and status["refresh_token"]["source"] == "file"
    left = status["dev_jwt"]["seconds_left"]
    assert isinstance(left, int) and 3500 < left <= 3600
    expires = parse_time(status["dev_jwt"]["expires_at"])
    assert before - 1 < expires - left < after + 1  # `left` counted while status ran
    assert 29 * 86400 < status["refresh_token"]["seconds_left"] <= 30 * 86400
    assert status["alias"] == sandbox.dev.alias and status["ready"] is True
    before = time.time()
    text = run_andamio(["status"], env=base_env(sandbox, ANDAMIO_API_KEY=sandbox.dev.api_key))
    after = time.time()
    assert text.returncode == 0, text.stderr
    assert text.stderr == ""
    jwt_line = next(line for line in text.stdout.splitlines() if "Developer JWT" in line)
    # A fresh one-hour JWT reads "expires in 1 hour" within its first second, then "59 minutes".
    phrases = {expiry_phrase(expires, moment) for moment in (before - 1, after + 1)}
    assert phrases <= {"expires in 1 hour", *(f"expires in {n} minutes" for n in range(50, 60))}
    assert any(jwt_line.endswith(f"credentials.json, plain text, {p}") for p in phrases), jwt_line
