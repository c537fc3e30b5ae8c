import hashlib
import json
import os

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from andamio_cli.auth import wallet
from andamio_cli.errors import InvalidInputError

SEED = bytes(range(32))
OTHER_SEED = bytes(range(32, 64))
NONCE = "andamio-test-nonce-0001"

PUB_HEX = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
KEY_HASH_HEX = "27e38d0e19e3434e33fbd001d3fe04b5b76763f88acd625e0d770b43"
SIG_HEX = (
    "9725a8b3121d6e847f0746dd7708778dc150cf1fd14ad004ab9f8b130fd39555"
    "9f025104bdc0da9a106901aa3b216358db4d58872f55be79231d6916daa7af09"
)
COSE_KEY_HEX = "a4010103272006215820" + PUB_HEX

CIP19_TESTNET = "addr_test1qz2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgs68faae"
CIP19_MAINNET = "addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3x"
CIP19_ENTERPRISE = "addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8"
CIP19_SCRIPT_BASE = "addr_test1zrphkx6acpnf78fuvxn0mkew3l0fd058hzquvz7w36x4gten0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgsxj90mg"
CIP19_PAYMENT_HASH = "9493315cd92eb5d8c4304e67b7e16ae36d61d34502694657811a2c8e"
STAKE_HASH = bytes([7]) * 28


def _address_for(seed, testnet=True):
    return wallet.base_address(
        wallet.key_hash(wallet.public_key(seed)), STAKE_HASH, testnet=testnet
    )


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


def _assert_no_key_material(exc, *secrets):
    text = " ".join([str(exc), repr(exc), exc.message, exc.hint or ""]).lower()
    for secret in secrets:
        assert not secret or secret.lower() not in text


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


def test_base_address_lengths_and_round_trip():
    kh = bytes.fromhex(KEY_HASH_HEX)
    test_addr = wallet.base_address(kh, STAKE_HASH, testnet=True)
    main_addr = wallet.base_address(kh, STAKE_HASH, testnet=False)
    assert test_addr.startswith("addr_test1q") and len(test_addr) == 108
    assert main_addr.startswith("addr1q") and len(main_addr) == 103
    assert wallet.payment_credential(test_addr) == kh
    assert wallet.payment_credential(main_addr) == kh
    assert wallet.payment_credential(test_addr.upper()) == kh


def test_cip19_vectors():
    assert wallet.payment_credential(CIP19_TESTNET).hex() == CIP19_PAYMENT_HASH
    assert wallet.payment_credential(CIP19_MAINNET).hex() == CIP19_PAYMENT_HASH
    kh, stake = bytes.fromhex(CIP19_PAYMENT_HASH), wallet.bech32_decode(CIP19_TESTNET)[1][29:]
    assert wallet.base_address(kh, stake, testnet=True) == CIP19_TESTNET
    assert wallet.base_address(kh, stake, testnet=False) == CIP19_MAINNET


def _raises(address, match):
    with pytest.raises(InvalidInputError, match=match):
        wallet.payment_credential(address)


def test_payment_credential_rejections():
    good = _address_for(SEED)
    last = good[-1]
    _raises(good[:-1] + ("q" if last != "q" else "p"), "bech32")
    _raises(good[:10] + good[10:].upper(), "bech32")
    payload = wallet.bech32_decode(good)[1]
    _raises(wallet.bech32_encode("stake_tst", payload), "prefix")
    _raises(good[:50], "103-108")
    _raises(CIP19_ENTERPRISE, "103-108")
    _raises(good + "q", "103-108")
    _raises(wallet.bech32_encode("addr", payload), "network")
    _raises(wallet.bech32_encode("addr_test", b"\x01" + payload[1:]), "network")
    _raises(wallet.bech32_encode("addr_test", b"\x60" + payload[1:]), "header type 6")
    _raises(CIP19_SCRIPT_BASE, "header type 1")
    _raises(wallet.bech32_encode("addr", b"\x01" + payload[1:] + b"\x00"), "57 bytes")
    _raises(wallet.bech32_encode("addr_test", payload[:-1]), "57 bytes")


@given(st.integers(min_value=0, max_value=107), st.sampled_from("qpzry9x8gf2tvdw0s3jn54khce6mua7l"))
def test_single_substitution_is_rejected(pos, char):
    good = _address_for(SEED)
    if good[pos] == char:
        return
    with pytest.raises(InvalidInputError):
        wallet.payment_credential(good[:pos] + char + good[pos + 1 :])


def test_check_key_matches_address():
    assert wallet.check_key_matches_address(SEED, _address_for(SEED)) is None
    with pytest.raises(InvalidInputError, match="does not belong to this address") as info:
        wallet.check_key_matches_address(SEED, _address_for(OTHER_SEED))
    assert info.value.hint
    _assert_no_key_material(info.value, SEED.hex())


@pytest.mark.parametrize("alias", ["a", "myalias", "x" * 32, "dev alias-1"])
def test_validate_alias_ok(alias):
    assert wallet.validate_alias(alias) == alias


@pytest.mark.parametrize("alias", ["", "x" * 33, "   ", "a\nb", "tab\there", "\x00"])
def test_validate_alias_rejects(alias):
    with pytest.raises(InvalidInputError):
        wallet.validate_alias(alias)


@given(st.text(max_size=120))
def test_payment_credential_total(text):
    try:
        result = wallet.payment_credential(text)
    except InvalidInputError:
        return
    assert isinstance(result, bytes) and len(result) == 28


@given(st.text(max_size=40))
def test_validate_alias_total(text):
    try:
        assert wallet.validate_alias(text) == text
    except InvalidInputError:
        pass


_CS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _ref_checksummed(hrp, words):
    def polymod(values):
        gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        chk = 1
        for v in values:
            b = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ v
            for i in range(5):
                chk ^= gen[i] if ((b >> i) & 1) else 0
        return chk

    values = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + words
    mod = polymod(values + [0] * 6) ^ 1
    return (
        hrp + "1" + "".join(_CS[w] for w in words + [(mod >> 5 * (5 - i)) & 31 for i in range(6)])
    )


@pytest.mark.parametrize(
    "text",
    [
        "A12UEL5L",
        "a12uel5l",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    ],
)
def test_bech32_bip173_valid_without_length_limit(text):
    assert wallet.bech32_decode(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "pzry9x8gf2tvdw0s3jn54khce6mua7l",
        "1pzry9x8gf2tvdw0s3jn54khce6mua7l",
        "x1b4n0q5v",
        "li1dgmt3",
        "A1G7SGD8",
        "10a06t8",
        "1qzzfhee",
        "a12UEL5L",
        "a1 2uel5l",
    ],
)
def test_bech32_bip173_invalid(text):
    assert wallet.bech32_decode(text) is None


def test_bech32_padding_rules():
    assert wallet.bech32_decode(_ref_checksummed("a", [0, 4])) == ("a", b"\x01")
    assert wallet.bech32_decode(_ref_checksummed("a", [0, 5])) is None
    assert wallet.bech32_decode(_ref_checksummed("a", [0, 4, 0])) is None
    assert wallet.bech32_decode(_ref_checksummed("a b", [0, 4])) is None
    assert wallet.bech32_encode("addr_test", b"\x00" * 57) == _ref_checksummed(
        "addr_test", [0] * 92
    )
