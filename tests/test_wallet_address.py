"""auth/wallet.py: Shelley base addresses, CIP-19 vectors, bech32 and alias checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wallet_support import (
    CIP19_ENTERPRISE,
    CIP19_MAINNET,
    CIP19_PAYMENT_HASH,
    CIP19_SCRIPT_BASE,
    CIP19_TESTNET,
    KEY_HASH_HEX,
    OTHER_SEED,
    SEED,
    STAKE_HASH,
    _address_for,
    _assert_no_key_material,
)

from andamio_cli.auth import wallet
from andamio_cli.errors import InvalidInputError


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
