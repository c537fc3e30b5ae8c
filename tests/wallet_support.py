"""Key material, CIP-19 vectors and checks shared by the wallet tests."""

from __future__ import annotations

from andamio_cli.auth import wallet

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


def _assert_no_key_material(exc, *secrets):
    text = " ".join([str(exc), repr(exc), exc.message, exc.hint or ""]).lower()
    for secret in secrets:
        assert not secret or secret.lower() not in text
