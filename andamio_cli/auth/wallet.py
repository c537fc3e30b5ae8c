"""Cardano wallet login: .skey loading, address checks and CIP-8 signing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import string
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from andamio_cli.errors import InvalidInputError

SKEY_TYPE = "PaymentSigningKeyShelley_ed25519"
EXTENDED_SKEY_TYPE = "PaymentExtendedSigningKeyShelley_ed25519_bip32"
_MAX_SKEY_BYTES = 64 * 1024
_MAX_COSE_HEX = 16 * 1024
_HRP_NETWORK = {"addr": 1, "addr_test": 0}
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= _GEN[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_words(data: bytes) -> list[int]:
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    return [int(bits[i : i + 5], 2) for i in range(0, len(bits), 5)]


def _from_words(words: list[int]) -> bytes | None:
    bits = "".join(f"{w:05b}" for w in words)
    extra = len(bits) % 8
    if extra >= 5 or "1" in bits[len(bits) - extra :]:
        return None
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - extra, 8))


def bech32_encode(hrp: str, data: bytes) -> str:
    """Encode bytes as bech32 (BIP-173, no length limit)."""
    words = _to_words(data)
    mod = _polymod(_hrp_expand(hrp) + words + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in words + checksum)


def bech32_decode(text: str) -> tuple[str, bytes] | None:
    """Decode a bech32 string (BIP-173, no length limit) to (hrp, bytes), or None."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        return None
    hrp, rest = text[:pos], text[pos + 1 :]
    if any(c not in _CHARSET for c in rest):
        return None
    words = [_CHARSET.find(c) for c in rest]
    if _polymod(_hrp_expand(hrp) + words) != 1:
        return None
    data = _from_words(words[:-6])
    return None if data is None else (hrp, data)


def load_skey(path: str | os.PathLike) -> bytes:
    """Read a cardano-cli payment .skey text envelope and return the 32-byte seed."""
    hint = "Pass a cardano-cli payment signing key file (type PaymentSigningKeyShelley_ed25519)."
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise InvalidInputError(
                    f"signing key file {os.fspath(path)} is not a regular file", hint=hint
                )
            raw = fh.read(_MAX_SKEY_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInputError(
            f"signing key file not found: {os.fspath(path)}", hint=hint
        ) from None
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read signing key file {os.fspath(path)}: {exc.strerror or type(exc).__name__}",
            hint=hint,
        ) from None
    if len(raw) > _MAX_SKEY_BYTES:
        raise InvalidInputError(
            "signing key file is too large to be a cardano-cli .skey", hint=hint
        )
    try:
        env = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError("signing key file is not a JSON text envelope", hint=hint) from None
    if not isinstance(env, dict):
        raise InvalidInputError("signing key file is not a JSON text envelope object", hint=hint)
    kind = env.get("type")
    cbor_hex = env.get("cborHex")
    extended_hint = (
        "Convert it with `cardano-cli key non-extended-key --extended-signing-key-file <in>"
        " --signing-key-file <out>` and use the output."
    )
    if kind == EXTENDED_SKEY_TYPE:
        raise InvalidInputError(
            "extended (BIP32) signing keys are not supported", hint=extended_hint
        )
    if kind != SKEY_TYPE:
        found = repr(kind)[:60] if kind is not None else "none"
        raise InvalidInputError(
            f"wrong signing key type: found {found}, expected {SKEY_TYPE!r}", hint=hint
        )
    if isinstance(cbor_hex, str) and cbor_hex.lower().startswith("5880"):
        raise InvalidInputError(
            "extended (BIP32) signing keys are not supported", hint=extended_hint
        )
    if (
        not isinstance(cbor_hex, str)
        or len(cbor_hex) != 68
        or not cbor_hex.lower().startswith("5820")
    ):
        raise InvalidInputError(
            "signing key cborHex is malformed: expected a 32-byte CBOR byte string", hint=hint
        )
    if any(c not in string.hexdigits for c in cbor_hex):
        raise InvalidInputError("signing key cborHex is not valid hex", hint=hint)
    return bytes.fromhex(cbor_hex[4:])


def skey_is_private(path: str | os.PathLike) -> bool:
    """True unless the file is readable or writable by group or others (POSIX only)."""
    if os.name != "posix":
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise InvalidInputError(f"cannot read signing key file {os.fspath(path)}") from None
    return not (stat.S_IMODE(mode) & 0o077)


def public_key(seed: bytes) -> bytes:
    """Return the 32-byte Ed25519 public key for a 32-byte seed."""
    priv = Ed25519PrivateKey.from_private_bytes(seed)
    return priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_hash(pub: bytes) -> bytes:
    """Return blake2b-224 of a public key (28 bytes)."""
    return hashlib.blake2b(pub, digest_size=28).digest()


def validate_alias(alias: str) -> str:
    """Return the alias if it is 1-32 printable characters and not blank."""
    if not isinstance(alias, str) or not 1 <= len(alias) <= 32:
        raise InvalidInputError("alias must be 1-32 characters")
    if not alias.isprintable() or not alias.strip():
        raise InvalidInputError("alias must be printable and not blank")
    return alias


def payment_credential(address: str) -> bytes:
    """Validate a bech32 Shelley base address and return its 28-byte payment key hash."""
    hint = (
        "Use a base address (addr1... or addr_test1...) whose payment part is a key, "
        "103-108 characters."
    )
    if not isinstance(address, str) or not 103 <= len(address) <= 108:
        n = len(address) if isinstance(address, str) else 0
        raise InvalidInputError(f"wallet address must be 103-108 characters (got {n})", hint=hint)
    decoded = bech32_decode(address)
    if decoded is None:
        raise InvalidInputError(
            "wallet address is not valid bech32 (bad characters or checksum)", hint=hint
        )
    hrp, payload = decoded
    if hrp not in _HRP_NETWORK:
        raise InvalidInputError(
            f"wallet address prefix must be addr or addr_test (got {hrp[:20]!r})", hint=hint
        )
    if len(payload) != 57:
        raise InvalidInputError(
            f"wallet address payload must be 57 bytes (got {len(payload)})", hint=hint
        )
    kind, network = payload[0] >> 4, payload[0] & 0x0F
    if kind not in (0, 2):
        raise InvalidInputError(
            f"wallet address must be a base address with a key payment part (header type {kind})",
            hint=hint,
        )
    if network != _HRP_NETWORK[hrp]:
        raise InvalidInputError(
            f"wallet address network id {network} does not match prefix {hrp!r}", hint=hint
        )
    return payload[1:29]


def base_address(payment_key_hash: bytes, stake_key_hash: bytes, testnet: bool = True) -> str:
    """Build a bech32 base address (key payment, key stake)."""
    if len(payment_key_hash) != 28 or len(stake_key_hash) != 28:
        raise ValueError("key hashes must be 28 bytes")
    header = b"\x00" if testnet else b"\x01"
    return bech32_encode(
        "addr_test" if testnet else "addr", header + payment_key_hash + stake_key_hash
    )


def check_key_matches_address(seed: bytes, address: str) -> None:
    """Raise InvalidInputError unless the key's hash is the address's payment credential."""
    if key_hash(public_key(seed)) != payment_credential(address):
        raise InvalidInputError(
            "the signing key does not belong to this address: its key hash is not the "
            "address's payment credential",
            hint="Use the payment .skey that controls this address, or the address derived "
            "from this key.",
        )


def _protected(kh: bytes) -> bytes:
    return cbor2.dumps({1: -8, "address": kh}, canonical=True)


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def sign_nonce(seed: bytes, nonce: str) -> dict:
    """Sign the nonce as CIP-8 and return {"signature": COSE_Sign1 hex, "key": COSE_Key hex}."""
    priv = Ed25519PrivateKey.from_private_bytes(seed)
    pub = public_key(seed)
    payload = nonce.encode("utf-8")
    protected = _protected(key_hash(pub))
    signature = priv.sign(_sig_structure(protected, payload))
    sign1 = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]), canonical=True)
    cose_key = cbor2.dumps({1: 1, 3: -8, -1: 6, -2: pub}, canonical=True)
    return {"signature": sign1.hex(), "key": cose_key.hex()}


def _decode_exact(data: bytes) -> Any:
    fp = io.BytesIO(data)
    value = cbor2.load(fp, read_size=1, max_depth=8, allow_duplicate_keys=False)
    if fp.tell() != len(data):
        raise ValueError("trailing data")
    return value


def _is_int(value: Any, expected: int) -> bool:
    return type(value) is int and value == expected


def _signed_key(signature_hex: str, key_hex: str, nonce: str) -> tuple[Any, bytes]:
    if len(signature_hex) > _MAX_COSE_HEX or len(key_hex) > _MAX_COSE_HEX:
        raise ValueError
    sign1 = _decode_exact(bytes.fromhex(signature_hex))
    cose_key = _decode_exact(bytes.fromhex(key_hex))
    if (
        not isinstance(sign1, cbor2.CBORTag)
        or sign1.tag != 18
        or not isinstance(sign1.value, (list, tuple))
    ):
        raise ValueError
    protected, unprotected, payload, signature = sign1.value
    if (
        not all(isinstance(v, bytes) for v in (protected, payload, signature))
        or len(signature) != 64
    ):
        raise ValueError
    header = _decode_exact(protected)
    if (
        not isinstance(unprotected, Mapping)
        or not isinstance(header, Mapping)
        or not _is_int(header.get(1), -8)
    ):
        raise ValueError
    if (
        not isinstance(cose_key, Mapping)
        or not _is_int(cose_key.get(1), 1)
        or not _is_int(cose_key.get(-1), 6)
    ):
        raise ValueError
    pub = cose_key.get(-2)
    if (
        (3 in cose_key and not _is_int(cose_key[3], -8))
        or not isinstance(pub, bytes)
        or len(pub) != 32
    ):
        raise ValueError
    if payload != nonce.encode("utf-8") or not isinstance(header.get("address"), bytes):
        raise ValueError
    Ed25519PublicKey.from_public_bytes(pub).verify(signature, _sig_structure(protected, payload))
    return header["address"], pub


def verify_cip8(signature_hex: str, key_hex: str, nonce: str, address: str) -> str | None:
    """Check a CIP-8 login signature; None if valid, else the gateway error code."""
    try:
        claimed, pub = _signed_key(signature_hex, key_hex, nonce)
    except Exception:
        return "signature_verification_failed"
    try:
        credential = payment_credential(address)
    except Exception:
        return "wallet_mismatch"
    return None if claimed == key_hash(pub) == credential else "wallet_mismatch"
