"""Masking secrets in --debug traces: secret headers and secret-named JSON fields."""

from __future__ import annotations

import json
import re
from typing import Any

SECRET_HEADERS = {"x-api-key", "authorization", "cookie", "set-cookie", "proxy-authorization"}
SECRET_FIELDS = {
    "api_key",
    "key",
    "token",
    "refresh_token",
    "jwt",
    "dev_jwt",
    "dev_refresh_token",
    "access_token",
    "secret",
    "password",
}
_SECRET_FIELD_RE = re.compile(
    r'("(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*")([^"]*)', re.IGNORECASE
)


def redact_json(value: Any) -> Any:
    """A copy of a JSON value with secret-named fields masked."""
    if isinstance(value, dict):
        return {
            k: "***"
            if str(k).lower() in SECRET_FIELDS and isinstance(v, str) and v
            else redact_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def redact_text(text: str) -> str:
    """Mask secret-named fields in text that may not parse as JSON (e.g. cut off)."""
    try:
        return json.dumps(redact_json(json.loads(text)))
    except ValueError:
        return _SECRET_FIELD_RE.sub(r"\1***", text)
