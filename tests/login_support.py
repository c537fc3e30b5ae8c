"""Helpers for the login and refresh tests against the emulator."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from andamio_cli.auth.wallet import (
    SKEY_TYPE,
)

ENVELOPE_KEYS = {"profile", "alias", "jwt_expires_at", "refresh_token_expires_at", "stored_in"}
REFRESH_PATH = "/api/v2/auth/developer/token/refresh"


# --- helpers ---------------------------------------------------------------------------


def routes(sb) -> list[str]:
    return [r.route for r in sb.requests]


def stored(tmp_path) -> dict:
    """The default profile's entry in the file credential store."""
    path = tmp_path / "e2e-config" / "credentials.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("profiles", {}).get("default", {})


def base_env(sb, **extra) -> dict:
    env = {"ANDAMIO_BASE_URL": sb.url}
    env.update(extra)
    return env


def wallet_args(sb, skey=None, alias=None, address=None) -> list[str]:
    return [
        "login",
        "--skey",
        str(skey or sb.dev.skey_path),
        "--alias",
        alias or sb.dev.alias,
        "--address",
        address or sb.dev.address,
    ]


def key_material(sb) -> list[str]:
    seed = sb.dev.seed.hex()
    return [seed, seed.upper(), "5820" + seed]


def write_skey(path, kind=SKEY_TYPE, cbor_hex=None, mode=0o600) -> str:
    cbor_hex = cbor_hex or "5820" + os.urandom(32).hex()
    path.write_text(json.dumps({"type": kind, "description": "test key", "cborHex": cbor_hex}))
    os.chmod(path, mode)
    return str(path)


def post_json(url: str, payload: dict, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def login_with_token(run_andamio, sb, jwt, refresh_token, **env) -> None:
    result = run_andamio(
        ["login", "--with-token"], env=base_env(sb, **env), stdin=f"{jwt}\n{refresh_token}\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def login_with_key(run_andamio, sb) -> None:
    result = run_andamio(["login", "--with-key"], env=base_env(sb), stdin=sb.dev.api_key)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def short_jwt(sb) -> str:
    """A valid JWT with less than tokens.MARGIN seconds left: the CLI treats it as expired."""
    return sb.mint_jwt(sb.dev, ttl=30)
