"""auth/wallet.py: CIP-8 signing and verification, and loading .skey files."""

from __future__ import annotations

import hashlib
import json
import os

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from wallet_support import (
    COSE_KEY_HEX,
    KEY_HASH_HEX,
    NONCE,
    OTHER_SEED,
    PUB_HEX,
    SEED,
    SIG_HEX,
    _address_for,
    _assert_no_key_material,
)

from andamio_cli.auth import wallet
from andamio_cli.errors import InvalidInputError


def _hand_vectors():
    priv = Ed25519PrivateKey.from_private_bytes(SEED)
    pub = priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kh = hashlib.blake2b(pub, digest_size=28).digest()
    protected = bytes.fromhex("a2012767" + b"address".hex() + "581c" + kh.hex())
    payload = NONCE.encode()
    assert len(protected) == 41 and len(payload) == 23
    sig_structure = (
        bytes.fromhex("846a")
        + b"Signature1"
        + bytes.fromhex("5829")
        + protected
        + bytes.fromhex("40")
        + bytes.fromhex("57")
        + payload
    )
    signature = priv.sign(sig_structure)
    sign1 = (
        bytes.fromhex("d2845829")
        + protected
        + bytes.fromhex("a057")
        + payload
        + bytes.fromhex("5840")
        + signature
    )
    cose_key = bytes.fromhex("a4010103272006215820") + pub
    return pub, kh, signature, sign1, cose_key


def test_fixed_vectors_hand_built_and_frozen():
    pub, kh, signature, sign1, cose_key = _hand_vectors()
    assert pub.hex() == PUB_HEX
    assert kh.hex() == KEY_HASH_HEX
    assert signature.hex() == SIG_HEX
    assert cose_key.hex() == COSE_KEY_HEX
    assert wallet.public_key(SEED).hex() == PUB_HEX
    assert wallet.key_hash(bytes.fromhex(PUB_HEX)).hex() == KEY_HASH_HEX
    out = wallet.sign_nonce(SEED, NONCE)
    assert out == {"signature": sign1.hex(), "key": COSE_KEY_HEX}
    assert out["signature"].endswith("5840" + SIG_HEX)


def test_sign_nonce_decodes_to_contract_structure():
    out = wallet.sign_nonce(SEED, NONCE)
    tag = cbor2.loads(bytes.fromhex(out["signature"]))
    assert tag.tag == 18
    protected, unprotected, payload, _sig = tag.value
    assert dict(cbor2.loads(protected)) == {1: -8, "address": bytes.fromhex(KEY_HASH_HEX)}
    assert dict(unprotected) == {} and payload == NONCE.encode()
    assert dict(cbor2.loads(bytes.fromhex(out["key"]))) == {
        1: 1,
        3: -8,
        -1: 6,
        -2: bytes.fromhex(PUB_HEX),
    }


def test_round_trip_verifies():
    out = wallet.sign_nonce(SEED, NONCE)
    assert wallet.verify_cip8(out["signature"], out["key"], NONCE, _address_for(SEED)) is None
    assert (
        wallet.verify_cip8(out["signature"], out["key"], NONCE, _address_for(SEED, testnet=False))
        is None
    )


def test_non_ascii_nonce_round_trip():
    out = wallet.sign_nonce(SEED, "nonce-ñ-✓")
    assert wallet.verify_cip8(out["signature"], out["key"], "nonce-ñ-✓", _address_for(SEED)) is None


def test_other_key_is_wallet_mismatch():
    out = wallet.sign_nonce(OTHER_SEED, NONCE)
    assert (
        wallet.verify_cip8(out["signature"], out["key"], NONCE, _address_for(SEED))
        == "wallet_mismatch"
    )


@pytest.mark.parametrize("owner", [SEED, OTHER_SEED])
def test_forged_address_header_is_wallet_mismatch(owner):
    priv = Ed25519PrivateKey.from_private_bytes(OTHER_SEED)
    pub = wallet.public_key(OTHER_SEED)
    protected = cbor2.dumps({1: -8, "address": bytes.fromhex(KEY_HASH_HEX)}, canonical=True)
    sig = priv.sign(cbor2.dumps(["Signature1", protected, b"", NONCE.encode()]))
    sign1 = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, NONCE.encode(), sig])).hex()
    key = cbor2.dumps({1: 1, 3: -8, -1: 6, -2: pub}).hex()
    assert wallet.verify_cip8(sign1, key, NONCE, _address_for(owner)) == "wallet_mismatch"


def test_wrong_alg_fails():
    priv = Ed25519PrivateKey.from_private_bytes(SEED)
    protected = cbor2.dumps({1: -7, "address": bytes.fromhex(KEY_HASH_HEX)}, canonical=True)
    sig = priv.sign(cbor2.dumps(["Signature1", protected, b"", NONCE.encode()]))
    sign1 = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, NONCE.encode(), sig])).hex()
    key = wallet.sign_nonce(SEED, NONCE)["key"]
    assert (
        wallet.verify_cip8(sign1, key, NONCE, _address_for(SEED)) == "signature_verification_failed"
    )


def test_tampered_nonce_and_payload_fail():
    out = wallet.sign_nonce(SEED, NONCE)
    addr = _address_for(SEED)
    assert (
        wallet.verify_cip8(out["signature"], out["key"], NONCE + "x", addr)
        == "signature_verification_failed"
    )
    tampered_payload = out["signature"].replace(
        NONCE.encode().hex(), b"andamio-test-nonce-0002".hex()
    )
    assert tampered_payload != out["signature"]
    assert (
        wallet.verify_cip8(tampered_payload, out["key"], "andamio-test-nonce-0002", addr)
        == "signature_verification_failed"
    )
    flipped = out["signature"][:-2] + ("00" if out["signature"][-2:] != "00" else "01")
    assert wallet.verify_cip8(flipped, out["key"], NONCE, addr) == "signature_verification_failed"
    assert (
        wallet.verify_cip8(out["signature"] + "00", out["key"], NONCE, addr)
        == "signature_verification_failed"
    )
    untagged = out["signature"][2:]
    assert wallet.verify_cip8(untagged, out["key"], NONCE, addr) == "signature_verification_failed"


@pytest.mark.parametrize(
    "garbage", ["", "zz", "00", "d2", "d28400", "d284" + "40" * 4, "ff" * 64, "a0", "80"]
)
def test_garbage_fails_without_raising(garbage):
    out = wallet.sign_nonce(SEED, NONCE)
    addr = _address_for(SEED)
    assert wallet.verify_cip8(garbage, out["key"], NONCE, addr) == "signature_verification_failed"
    assert (
        wallet.verify_cip8(out["signature"], garbage, NONCE, addr)
        == "signature_verification_failed"
    )


@settings(max_examples=200)
@given(st.binary(max_size=200), st.binary(max_size=80), st.text(max_size=30), st.text(max_size=120))
def test_verify_never_raises(sig, key, nonce, address):
    assert wallet.verify_cip8(sig.hex(), key.hex(), nonce, address) in (
        "signature_verification_failed",
        "wallet_mismatch",
    )


def _write_skey(tmp_path, envelope, name="payment.skey"):
    path = tmp_path / name
    path.write_text(envelope if isinstance(envelope, str) else json.dumps(envelope))
    return path


def test_load_skey_good(tmp_path):
    env = {
        "type": wallet.SKEY_TYPE,
        "description": "Payment Signing Key",
        "cborHex": "5820" + SEED.hex(),
    }
    assert wallet.load_skey(_write_skey(tmp_path, env)) == SEED
    assert wallet.load_skey(str(_write_skey(tmp_path, env, "b.skey"))) == SEED


def test_load_skey_missing_file(tmp_path):
    with pytest.raises(InvalidInputError, match="not found"):
        wallet.load_skey(tmp_path / "nope.skey")


def test_load_skey_directory(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read"):
        wallet.load_skey(tmp_path)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "\xff", ""])
def test_load_skey_not_json(tmp_path, text):
    with pytest.raises(InvalidInputError, match="JSON"):
        wallet.load_skey(_write_skey(tmp_path, text))


def test_load_skey_wrong_type(tmp_path):
    env = {
        "type": "StakeSigningKeyShelley_ed25519",
        "description": "",
        "cborHex": "5820" + SEED.hex(),
    }
    with pytest.raises(InvalidInputError) as info:
        wallet.load_skey(_write_skey(tmp_path, env))
    assert "StakeSigningKeyShelley_ed25519" in info.value.message
    assert wallet.SKEY_TYPE in info.value.message
    _assert_no_key_material(info.value, SEED.hex())


@pytest.mark.parametrize("kind", [wallet.EXTENDED_SKEY_TYPE, wallet.SKEY_TYPE])
def test_load_skey_extended_key(tmp_path, kind):
    cbor_hex = "5880" + bytes(range(128)).hex()
    env = {"type": kind, "description": "", "cborHex": cbor_hex}
    with pytest.raises(InvalidInputError) as info:
        wallet.load_skey(_write_skey(tmp_path, env))
    assert "not supported" in info.value.message
    assert "cardano-cli key non-extended-key" in info.value.hint
    _assert_no_key_material(info.value, cbor_hex, bytes(range(128)).hex(), bytes(range(32)).hex())


@pytest.mark.parametrize(
    "cbor_hex",
    [
        "5820" + SEED.hex()[:-1],
        "5820" + SEED.hex() + "00",
        "5821" + SEED.hex()[:-2] + "0000",
        "5820" + "zz" + SEED.hex()[2:],
        "5820" + " " + SEED.hex()[1:],
        1234,
        None,
    ],
)
def test_load_skey_bad_cbor_hex(tmp_path, cbor_hex):
    env = {"type": wallet.SKEY_TYPE, "description": "", "cborHex": cbor_hex}
    with pytest.raises(InvalidInputError, match="cborHex") as info:
        wallet.load_skey(_write_skey(tmp_path, env))
    _assert_no_key_material(info.value, SEED.hex()[2:40], str(cbor_hex)[4:40])


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes only")
def test_skey_is_private(tmp_path):
    path = tmp_path / "k.skey"
    path.write_text("{}")
    path.chmod(0o600)
    assert wallet.skey_is_private(path) is True
    path.chmod(0o644)
    assert wallet.skey_is_private(path) is False
    path.chmod(0o620)
    assert wallet.skey_is_private(path) is False
