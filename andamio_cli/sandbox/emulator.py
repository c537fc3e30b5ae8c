"""A local emulator of the Andamio gateway over loopback HTTP, for tests and `andamio sandbox`."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import secrets
import shlex
import shutil
import sys
import tempfile
import threading
from collections import deque

from andamio_cli.auth.wallet import base_address, key_hash, public_key
from andamio_cli.sandbox.replies import RequestRecord
from andamio_cli.sandbox.server import ROUTE_NAMES, Handler, Server, Server6, parse_fault
from andamio_cli.sandbox.state import DAY, Developer, State

__all__ = ["ROUTE_NAMES", "Developer", "RequestRecord", "Sandbox", "run"]

SEED_ALIAS = "sandbox-dev"
SEED_KEY_NAME = "sandbox-default"
ROTATE_MODES = ("new-key", "extend")
_STAKE_HASH = hashlib.blake2b(b"andamio-sandbox-stake", digest_size=28).digest()


class Sandbox:
    """The gateway emulator: state, request log, fault queues and the HTTP server."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file=None,
        workdir=None,
        rotate_mode: str = "new-key",
        *,
        tls: bool = False,
    ) -> None:
        if rotate_mode not in ROTATE_MODES:
            raise ValueError(f"rotate mode must be one of {', '.join(ROTATE_MODES)}")
        self.host, self.port = host, port
        self.tls = tls
        self.ca_file: str | None = None  # with tls: the throw-away CA's certificate (PEM)
        self.state_file = os.fspath(state_file) if state_file else None
        self.workdir: str | None = os.fspath(workdir) if workdir else None
        self.jwt_ttl = 3600
        self.session_ttl = 300
        # key/rotate: "new-key" (the seed guide: a new secret, the old one dead at once) or
        # "extend" (the schema and v1: the expiry is extended, {"confirmation"} is returned).
        self.rotate_mode = rotate_mode
        self.wrap_reads = False
        self.browser_result = "success"
        self._state: State | None = None
        self._dev: Developer | None = None
        self.callbacks: list = []
        self.errors: list = []
        self._records: list = []
        self._faults: dict = {}
        self._lock = threading.Lock()
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None

    @property
    def url(self) -> str:
        """Base URL of the running sandbox."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def requests(self) -> list:
        """A snapshot of every request received so far."""
        with self._lock:
            return list(self._records)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._records.clear()

    def _record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._records.append(rec)

    def add_faults(self, route: str, spec: str) -> None:
        """Queue comma-separated faults for a route ("*" for any); each is used by one request."""
        if route not in ROUTE_NAMES:
            raise ValueError(
                f"unknown route {route!r}; expected one of {', '.join(sorted(ROUTE_NAMES))}"
            )
        parsed = [parse_fault(part) for part in spec.split(",") if part.strip()]
        if not parsed:
            raise ValueError("empty fault spec")
        with self._lock:
            self._faults.setdefault(route, deque()).extend(parsed)

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def _next_fault(self, route: str):
        with self._lock:
            for name in (route, "*"):
                queue = self._faults.get(name)
                if queue:
                    return queue.popleft()
        return None

    @property
    def state(self) -> State:
        """The gateway's state (loaded or created on first use)."""
        if self._state is None:
            if self.state_file and os.path.exists(self.state_file):
                state = State.load(self.state_file)
            else:
                state = State(path=self.state_file)
            with state.lock:
                self._dev = self._seed(state)
                state.save()
            self._state = state
        return self._state

    @property
    def dev(self) -> Developer:
        """The seeded developer, with ready-to-use credentials."""
        self.state  # noqa: B018 - seeds the developer
        assert self._dev is not None
        return self._dev

    def _seed(self, st: State) -> Developer:
        user = st.users.get(st.seeded_user_id) if st.seeded_user_id else None
        if user is None or st.wallet_seed is None:
            st.wallet_seed = secrets.token_bytes(32)
            address = base_address(key_hash(public_key(st.wallet_seed)), _STAKE_HASH)
            user = st.add_user(SEED_ALIAS, "starter", address)
            st.seeded_user_id = user.user_id
        now = st.clock()
        live = [k for k in st.keys_of(user.user_id) if k.expires_at > now]
        key = next((k for k in live if k.name == SEED_KEY_NAME), live[0] if live else None)
        if key is None:
            key = st.find_key(user.user_id, name=SEED_KEY_NAME) or st.add_key(
                user.user_id, SEED_KEY_NAME, 365
            )
            key.expires_at = max(key.expires_at, now + 365 * DAY)
        if self.workdir is None:
            self.workdir = self._tmpdir = tempfile.mkdtemp(prefix="andamio-sandbox-")
        os.makedirs(self.workdir, mode=0o700, exist_ok=True)
        skey_path = os.path.join(self.workdir, "sandbox-wallet.skey")
        envelope = {
            "type": "PaymentSigningKeyShelley_ed25519",
            "description": "Payment Signing Key",
            "cborHex": "5820" + st.wallet_seed.hex(),
        }
        fd = os.open(skey_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(envelope, fh, indent=4)
        return Developer(
            user.user_id,
            user.alias,
            user.tier,
            key.secret,
            st.mint_jwt(user, self.jwt_ttl)[0],
            st.mint_refresh(user)[0],
            skey_path,
            user.address,
            st.wallet_seed,
            key.id,
        )

    def _bind(self) -> Server:
        self.state  # noqa: B018 - load or seed it before the first request
        if self._httpd is None:
            cls = Server6 if ":" in self.host else Server
            self._httpd = cls((self.host, self.port), Handler)
            self._httpd.sandbox = self
            if self.tls:
                from andamio_cli.sandbox.tls import server_context

                self.ca_file, context = server_context(self.host, self.state_file, self.workdir)
                self._httpd.ssl_context = context
            self.port = self._httpd.server_address[1]
        return self._httpd

    def start(self) -> Sandbox:
        """Serve in a daemon thread; return self."""
        httpd = self._bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="andamio-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted."""
        gc.enable()  # main() pauses the collector for start-up; a server runs for hours
        self._bind().serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving, close the socket and remove the temporary workdir."""
        if self._httpd is not None:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join()
                self._thread = None
            self._httpd.server_close()
            self._httpd = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def mint_developer(self, alias: str = "other", tier: str = "pioneer") -> Developer:
        """Create another developer with one key, a JWT and a refresh token (no wallet)."""
        st = self.state
        with st.lock:
            user = st.add_user(alias, tier)
            key = st.add_key(user.user_id, "default", 365)
            dev = Developer(
                user.user_id,
                alias,
                tier,
                key.secret,
                st.mint_jwt(user, self.jwt_ttl)[0],
                st.mint_refresh(user)[0],
                key_id=key.id,
            )
            st.save()
        return dev

    def set_email_verified(self, dev: Developer, verified: bool = True) -> None:
        """Mark dev's email as verified or not (an unverified developer cannot request keys)."""
        with self.state.lock:
            user = self.state.users[dev.user_id]
            user.email_verified = verified
            if not verified:
                user.verification_sends = []
            self.state.save()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward, so tokens, sessions and keys expire without a wait."""
        with self.state.lock:
            earlier = self.state.clock
            self.state.clock = lambda: earlier() + seconds

    def mint_jwt(self, dev: Developer, ttl: float | None = None) -> str:
        """A fresh developer JWT for dev (jwt_ttl seconds unless ttl is given)."""
        with self.state.lock:
            user = self.state.users[dev.user_id]
            return self.state.mint_jwt(user, self.jwt_ttl if ttl is None else ttl)[0]


def run(
    host: str = "127.0.0.1",
    port: int = 8765,
    state_file=None,
    faults=(),
    err=sys.stderr,
    rotate_mode: str = "new-key",
    tls: bool = False,
) -> int:
    """Run the sandbox in the foreground until Ctrl-C; return an exit code."""
    try:
        sb = Sandbox(host=host, port=port, state_file=state_file, rotate_mode=rotate_mode, tls=tls)
        for item in faults:
            route, sep, spec = item.partition("=")
            if not sep:
                raise ValueError(f"fault {item!r} must look like ROUTE=SPEC[,SPEC]")
            sb.add_faults(route.strip(), spec)
    except ValueError as exc:
        print(f"Error: {exc}", file=err)
        return 4
    try:
        sb._bind()
    except OSError as exc:
        sb.stop()
        print(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=err)
        return 5
    except (ValueError, KeyError, TypeError) as exc:
        sb.stop()
        print(f"Error: cannot read the state file {state_file}: {exc}", file=err)
        return 4
    dev = sb.dev
    print(
        f"# Andamio sandbox on {sb.url} (Ctrl-C to stop). Paste these lines into another terminal:",
        file=err,
    )
    print(f"export ANDAMIO_BASE_URL={sb.url}", file=err)
    print(f"export ANDAMIO_API_KEY={dev.api_key}", file=err)
    print(f"export ANDAMIO_DEV_JWT={dev.jwt}", file=err)
    print(f"export ANDAMIO_DEV_REFRESH_TOKEN={dev.refresh_token}", file=err)
    if sb.ca_file:
        print(f"export SSL_CERT_FILE={shlex.quote(sb.ca_file)}", file=err)
    skey = shlex.quote(dev.skey_path or "")
    print(
        f"# wallet: andamio login --skey {skey} --alias {dev.alias} --address {dev.address}",
        file=err,
    )
    err.flush()
    try:
        sb.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    print("# sandbox stopped", file=err)
    return 0
