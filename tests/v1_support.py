"""Constants and helpers for the v1 tests."""

from __future__ import annotations

import json

from conftest import API_KEY, DEV_JWT, MemoryStore

from andamio_cli.settings import V1_HOSTS

V1 = "/api/v1/apikey"
DEV = "/api/v2/apikey/developer"
V1_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2MS11c2VyIn0.djEtc2lnbmF0dXJlLXNlY3JldA"
ENV_API_KEY = "ant_pp_ENVKEY00000000000000000000000000000000"
NEW_KEY = "ant_pp_V1NEWKEY0000000000000000000000000000"
KEY_REPLY = {
    "api_key": NEW_KEY,
    "name": "legacy-key",
    "created_at": "2026-11-23T10:00:00Z",
    "expires_at": "2027-11-23T10:00:00Z",
    "expires_in_days": 365,
    "is_active": True,
}
CONFIRMATION = "API key expiration extended to 2027-01-01T00:00:00Z"
UUID = "0B6F1C2E-8D4A-4C5E-9F3A-2B1D7E6C5A40"
BOTH_HEADERS = "Provide either Authorization header or X-API-Key header, not both"
ROTATE_HINT = (
    "Hint: v1 extends a key only when it has expired or expires within 1 day; nothing was changed\n"
)
JWT_REFUSED_HINT = (
    "Hint: ANDAMIO_JWT was refused; set it to a valid v1 Bearer token, or unset "
    "it to use the stored developer JWT\n"
)
PROD_HOST, PREPROD_HOST = V1_HOSTS


def logged_in() -> MemoryStore:
    return MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT)


def v1_unit_env(**extra) -> dict:
    """ANDAMIO_JWT for v1, plus an API key in the environment that v1 must not send."""
    return {"ANDAMIO_JWT": V1_JWT, "ANDAMIO_API_KEY": ENV_API_KEY, **extra}


def v1_cli(cli, gateway, args: list, **env):
    """Run the CLI in-process, logged in, with v1_unit_env(**env), against the mock gateway."""
    return cli(args, env=v1_unit_env(**env), store=logged_in(), transport=gateway.transport)


def assert_bearer_only(request, token: str) -> None:
    assert request.headers.get_list("authorization") == [f"Bearer {token}"]
    assert "x-api-key" not in request.headers
    assert request.headers["accept"] == "application/json"


def write_profile_setting(config_dir, **values) -> None:
    path = config_dir / "config.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("profiles", {}).setdefault("default", {}).update(values)
    config_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
