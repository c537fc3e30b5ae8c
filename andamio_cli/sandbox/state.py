"""The sandbox gateway's data model: developers, keys, tokens, sessions and usage."""

from __future__ import annotations

import json
import math
import os
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from andamio_cli.sandbox import jwt
from andamio_cli.times import iso

DAY = 86400.0
TIER_KEY_CAP = {"pioneer": 1, "starter": 2, "growth": 5}
TIER_QUOTA = {
    "pioneer": (100, 1000, 10000),
    "starter": (300, 5000, 100000),
    "growth": (1000, 20000, 500000),
}
REFRESH_TTL = 30 * DAY
_ALNUM = string.ascii_letters + string.digits


def new_key_secret() -> str:
    """Return a fresh preprod-style API key."""
    return "ant_pp_" + "".join(secrets.choice(_ALNUM) for _ in range(40))


@dataclass
class User:
    user_id: str
    alias: str
    tier: str
    created_at: float
    address: str | None = None
    email_verified: bool = True
    verification_sends: list = field(default_factory=list)


@dataclass
class ApiKey:
    id: str
    user_id: str
    name: str
    secret: str
    created_at: float
    expires_at: float
    expires_in_days: int

    def view(self, now: float, with_id: bool = False) -> dict:
        """The key object as the gateway returns it at time `now`."""
        out: dict[str, object] = {"id": self.id} if with_id else {}
        out.update(
            {
                "api_key": self.secret,
                "name": self.name,
                "created_at": iso(self.created_at),
                "expires_at": iso(self.expires_at),
                "expires_in_days": self.expires_in_days,
                "is_active": self.expires_at > now,
            }
        )
        return out


@dataclass
class Session:
    session_id: str
    alias: str
    address: str
    nonce: str
    expires_at: float
    used: bool = False


@dataclass
class Developer:
    """A sandbox account with ready-to-use credentials."""

    user_id: str
    alias: str
    tier: str
    api_key: str = field(repr=False)
    jwt: str = field(repr=False)
    refresh_token: str = field(repr=False)
    skey_path: str | None = None
    address: str | None = None
    seed: bytes | None = field(default=None, repr=False)
    key_id: str | None = None


@dataclass
class State:
    """All gateway state, guarded by one lock; persisted to a JSON file when asked."""

    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    users: dict = field(default_factory=dict)
    keys: list = field(default_factory=list)
    refresh: dict = field(default_factory=dict)
    usage: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)
    seeded_user_id: str | None = None
    wallet_seed: bytes | None = None
    path: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    # The emulator's "now" (epoch seconds); tests replace it to expire tokens without sleeping.
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def add_user(self, alias: str, tier: str, address: str | None = None) -> User:
        """Create a developer account."""
        if tier not in TIER_KEY_CAP:
            raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIER_KEY_CAP)}")
        if any(u.alias == alias for u in self.users.values()):
            raise ValueError(f"alias {alias!r} is taken")
        user = User(str(uuid.uuid4()), alias, tier, self.clock(), address)
        self.users[user.user_id] = user
        return user

    def add_key(self, user_id: str, name: str, days: int) -> ApiKey:
        """Create an API key for a user (no cap check)."""
        now = self.clock()
        key = ApiKey(
            str(uuid.uuid4()), user_id, name, new_key_secret(), now, now + days * DAY, days
        )
        self.keys.append(key)
        return key

    def keys_of(self, user_id: str) -> list:
        """The user's keys, oldest first."""
        return [k for k in self.keys if k.user_id == user_id]

    def key_by_secret(self, secret: str | None) -> ApiKey | None:
        """The unexpired key with this secret whose owner still exists."""
        for key in self.keys:
            if secret and hmac_eq(key.secret, secret) and key.expires_at > self.clock():
                return key if key.user_id in self.users else None
        return None

    def find_key(
        self, user_id: str, name: str | None = None, key_id: str | None = None
    ) -> ApiKey | None:
        """The user's key with this id, or else with this name."""
        for key in self.keys_of(user_id):
            if (key_id is not None and key.id == key_id) or (key_id is None and key.name == name):
                return key
        return None

    def user_by_address(self, address: str) -> User | None:
        """The developer whose registered wallet is this address."""
        return next((u for u in self.users.values() if u.address == address), None)

    def delete_user(self, user_id: str) -> None:
        """Remove a developer with its keys and refresh tokens."""
        self.users.pop(user_id, None)
        self.keys = [k for k in self.keys if k.user_id != user_id]
        self.refresh = {t: r for t, r in self.refresh.items() if r["user_id"] != user_id}

    def mint_jwt(self, user: User, ttl: float) -> tuple[str, float]:
        """Return a developer JWT and its expiry time."""
        now = self.clock()
        exp = math.ceil(now + ttl)
        payload = {
            "sub": user.user_id,
            "alias": user.alias,
            "typ": "developer",
            "iat": int(now),
            "exp": exp,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(payload, self.secret), exp

    def jwt_user(self, token: str) -> User | None:
        """The developer a valid, unexpired developer JWT belongs to."""
        payload = jwt.decode(token, self.secret, now=self.clock())
        if not payload or payload.get("typ") != "developer":
            return None
        return self.users.get(payload.get("sub"))

    def mint_refresh(self, user: User) -> tuple[str, float]:
        """Return a new single-use refresh token and its expiry time."""
        token = "rt_" + secrets.token_urlsafe(32)
        exp = self.clock() + REFRESH_TTL
        self.refresh[token] = {"user_id": user.user_id, "expires_at": exp}
        return token, exp

    def spend_refresh(self, token: str) -> User | None:
        """Consume a refresh token; its user if it was live, else None."""
        record = self.refresh.pop(token, None) if isinstance(token, str) else None
        if record is None or record["expires_at"] <= self.clock():
            return None
        return self.users.get(record["user_id"])

    def count_call(self, user_id: str) -> dict:
        """Count one consumed call for the user; return the usage counters."""
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        day, month = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")
        rec = self.usage.setdefault(user_id, {"day": day, "daily": 0, "month": month, "monthly": 0})
        if rec["day"] != day:
            rec["day"], rec["daily"] = day, 0
        if rec["month"] != month:
            rec["month"], rec["monthly"] = month, 0
        rec["daily"] += 1
        rec["monthly"] += 1
        return rec

    def new_session(self, alias: str, address: str, ttl: float) -> Session:
        """Open a wallet login session with a fresh nonce."""
        sess = Session(str(uuid.uuid4()), alias, address, secrets.token_hex(32), self.clock() + ttl)
        self.sessions[sess.session_id] = sess
        return sess

    def to_json(self) -> dict:
        """The persistent part of the state."""
        return {
            "version": 1,
            "secret": self.secret.hex(),
            "seeded_user_id": self.seeded_user_id,
            "wallet_seed": self.wallet_seed.hex() if self.wallet_seed else None,
            "users": [asdict(u) for u in self.users.values()],
            "keys": [asdict(k) for k in self.keys],
            "refresh_tokens": self.refresh,
            "usage": self.usage,
        }

    def save(self) -> None:
        """Write the state file atomically (no-op without a state file)."""
        if not self.path:
            return
        tmp = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=1)
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: str) -> State:
        """Read a state file written by save()."""
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        st = cls(secret=bytes.fromhex(data["secret"]), path=path)
        st.users = {u["user_id"]: User(**u) for u in data.get("users", [])}
        st.keys = [ApiKey(**k) for k in data.get("keys", [])]
        st.refresh = dict(data.get("refresh_tokens", {}))
        st.usage = dict(data.get("usage", {}))
        st.seeded_user_id = data.get("seeded_user_id")
        seed = data.get("wallet_seed")
        st.wallet_seed = bytes.fromhex(seed) if seed else None
        return st


def hmac_eq(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return secrets.compare_digest(a.encode(), b.encode())
