"""Masking secrets in --debug traces: headers and JSON fields whose names look secret."""

from __future__ import annotations

import json
import re
from typing import Any

# Names compared after normalising: lower case, `_` and `-` removed (apiKey = api_key = API-KEY).
SECRET_NAMES = {
    "apikey",
    "xapikey",
    "key",
    "token",
    "jwt",
    "devjwt",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "authorization",
    "proxyauthorization",
    "cookie",
    "setcookie",
    "credential",
    "credentials",
    "privatekey",
    "skey",
    "seed",
    "cborhex",
}
SECRET_SUFFIXES = ("token", "secret", "password", "apikey", "jwt", "privatekey")
_STRING_FIELD_RE = re.compile(r'"((?:[^"\\]|\\.){1,100})"(\s*:\s*")((?:[^"\\]|\\.)*)')


def is_secret_name(name: object) -> bool:
    """True for names like apiKey, access_token, Refresh-Token, dev_jwt_token, X-API-Key."""
    norm = re.sub(r"[_\-\s]", "", str(name)).lower()
    return norm in SECRET_NAMES or norm.endswith(SECRET_SUFFIXES)


def redact_json(value: Any) -> Any:
    """A copy of a JSON value with secret-named string fields masked."""
    if isinstance(value, dict):
        return {
            k: "***" if is_secret_name(k) and isinstance(v, str) and v else redact_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def _mask_field(match: re.Match) -> str:
    if not is_secret_name(match.group(1)) or not match.group(3):
        return match.group(0)
    return f'"{match.group(1)}"{match.group(2)}***'


def redact_text(text: str) -> str:
    """Mask secret-named fields in text, JSON or not (e.g. cut off)."""
    from andamio_cli.wire import loads

    try:
        return json.dumps(redact_json(loads(text)))
    except ValueError:
        return _STRING_FIELD_RE.sub(_mask_field, text)
