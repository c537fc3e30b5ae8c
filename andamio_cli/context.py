"""AppContext: options, streams and terminal decisions, the store and a gateway factory."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TextIO

from andamio_cli.errors import InvalidInputError
from andamio_cli.output import inert


@dataclass
class Options:
    profile: str | None = None  # None: ANDAMIO_PROFILE, then the switched-to profile, then default
    network: str | None = None
    base_url: str | None = None
    output: str = "text"
    quiet: bool = False
    color: bool = True
    debug: bool = False
    timeout: float = 10.0
    no_input: bool = False


class AppContext:
    """Everything a command needs; tests build one with fakes instead of patching."""

    def __init__(
        self,
        options: Options,
        *,
        env: dict | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        transport: Any = None,
        store: Any = None,
    ) -> None:
        self.options = options
        self.env = dict(os.environ if env is None else env)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.transport = transport
        self._injected_store = store
        self._store = store
        self.stdin_tty = _isatty(self.stdin)
        self.stdout_tty = _isatty(self.stdout)
        self.stderr_tty = _isatty(self.stderr)
        self.can_prompt = self.stdin_tty and self.stderr_tty and not options.no_input
        self.color = options.color and not self.env.get("NO_COLOR")
        self._secrets: set[str] = set()
        self.sent_credentials: dict[str, str] = {}  # secret -> where it came from (env, keyring)
        self._warned: set[str] = set()
        self._gateway = None
        check_timeout(options.timeout)

    # --- secrets and stderr -------------------------------------------------

    def remember(self, *secrets: str | None) -> None:
        """Register values that must never reach stderr."""
        self._secrets.update(s for s in secrets if s and len(s) >= 6)

    def scrub(self, text: str) -> str:
        """Replace every known secret in `text` by `***`."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def err(self, text: str) -> None:
        """Write to stderr, scrubbed."""
        self.stderr.write(self.scrub(text))
        self.stderr.flush()

    def note(self, message: str) -> None:
        """An informational line on stderr (silenced by --quiet and in JSON mode)."""
        if not self.options.quiet and self.options.output != "json":
            self.err(inert(message) + "\n")

    def warn(self, message: str) -> None:
        """A warning on stderr (silenced by --quiet only)."""
        if not self.options.quiet:
            self.err(f"Warning: {inert(message)}\n")

    def warn_once(self, message: str) -> None:
        """A warning shown at most once per run (file checks run at every read)."""
        if message not in self._warned:
            self._warned.add(message)
            self.warn(message)

    def trace(self, line: str) -> None:
        """A --debug trace line."""
        self.err(f"[debug] {inert(line)}\n")

    # --- output ------------------------------------------------------------

    @cached_property
    def out(self):
        from andamio_cli.output import Output

        return Output(
            self.options.output,
            self.stdout,
            tty=self.stdout_tty,
            color=self.color,
            width=_terminal_width(self.stdout, self.env),
        )

    # --- prompts -------------------------------------------------------------

    def prompt_secret(self, label: str) -> str:
        """A hidden prompt on the terminal (callers check `can_prompt` first); "" at EOF."""
        import getpass

        try:
            return getpass.getpass(f"{label}: ", stream=self.stderr).strip()
        except EOFError:
            self._end_prompt_line()
            return ""
        except KeyboardInterrupt:
            self._end_prompt_line()
            raise

    def confirm(self, question: str) -> bool:
        """Ask yes/no on stderr; anything but y/yes is no."""
        return self._read_answer(f"{question} [y/N]: ").lower() in ("y", "yes")

    def ask(self, question: str) -> str:
        """Ask for a line of visible text on stderr; the answer without surrounding spaces."""
        return self._read_answer(f"{question} ")

    def _read_answer(self, prompt: str) -> str:
        """Show the prompt on stderr and read one line from stdin, stripped."""
        try:  # the prompt too: Ctrl-C may land as soon as it is shown
            self.stderr.write(prompt)
            self.stderr.flush()
            answer = self.stdin.readline()
        except KeyboardInterrupt:
            self._end_prompt_line()
            raise
        return answer.strip()

    def _end_prompt_line(self) -> None:
        """Ctrl-C or Ctrl-D at a prompt: what follows starts on a line of its own."""
        self.stderr.write("\n")
        self.stderr.flush()

    # --- settings, store, gateway -------------------------------------------

    @cached_property
    def settings(self):
        from andamio_cli.settings import Settings, config_dir

        return Settings(config_dir(self.env), warn=self.warn_once)

    @cached_property
    def profile(self) -> str:
        """--profile, else ANDAMIO_PROFILE, else the profile chosen with `switch`, else default."""
        from andamio_cli.settings import check_profile

        chosen = self.options.profile
        if chosen is None:
            chosen = self.env.get("ANDAMIO_PROFILE") or self.default_profile
        return check_profile(chosen)

    @cached_property
    def default_profile(self) -> str:
        """The profile used when neither --profile nor ANDAMIO_PROFILE names one."""
        return self.settings.active_profile() or "default"

    @property
    def profile_settings(self) -> dict:
        return self.settings.get(self.profile)

    def store(self, *, insecure: bool = False, interactive: bool = False):
        """The profile's credential store; the first call decides which one."""
        if self._store is None:
            self._store = self.store_for(self.profile_settings, insecure, interactive)
        return self._store

    def store_for(self, settings: dict, insecure: bool = False, interactive: bool = False):
        """The store chosen by env, --insecure-storage or the given profile settings."""
        if self._injected_store is not None:
            return self._injected_store
        from andamio_cli.credentials import FileStore, store_kind

        if store_kind(self.env, settings, insecure) == "file":
            return FileStore(self.settings.directory, warn=self.warn_once)
        from andamio_cli.keyring_store import KeyringStore

        return KeyringStore(self._keyring_timeout(interactive), lock_dir=self.settings.directory)

    def _keyring_timeout(self, interactive: bool) -> float:
        raw = self.env.get("ANDAMIO_KEYRING_TIMEOUT")
        if not raw:
            return 60.0 if interactive else 3.0
        try:
            value = float(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise InvalidInputError("ANDAMIO_KEYRING_TIMEOUT must be a positive number of seconds")
        return value

    @cached_property
    def creds(self):
        from andamio_cli.credentials import Credentials

        return Credentials(self.store(), self.profile, self.env, guard=self.check_stored_url)

    @property
    def credentials_url(self) -> str:
        """The base URL the profile's stored credentials belong to: the one recorded with them,
        else (stored before URLs were recorded) the profile's base URL or network default."""
        from andamio_cli.settings import NETWORKS

        settings = self.profile_settings
        url = settings.get("credentials_url") or settings.get("base_url")
        return (url or NETWORKS[settings.get("network") or "preprod"]).rstrip("/")

    def check_stored_url(self, consequence: str = "they were not sent") -> None:
        """Refuse to use stored credentials with a base URL they do not belong to."""
        from andamio_cli.errors import AuthError

        if self.credentials_url != self.base_url:
            raise AuthError(
                f"the stored credentials of profile {self.profile} belong to "
                f"{self.credentials_url}, not {self.base_url}; {consequence}",
                hint=f"to log in for {self.base_url}, use another profile "
                f"(`andamio --profile NAME login ...` with the same --network/--base-url), "
                "or set ANDAMIO_API_KEY and ANDAMIO_DEV_JWT for it",
            )

    @cached_property
    def network(self) -> str:
        return self.network_for(self.profile_settings)

    @cached_property
    def base_url(self) -> str:
        return self.base_url_for(self.profile_settings)

    def network_for(self, settings: dict) -> str:
        """--network, else the given profile settings' network, else preprod."""
        return self.options.network or settings.get("network") or "preprod"

    def base_url_for(self, settings: dict) -> str:
        """Checked URL: --base-url, else the profile's (unless --network), else the network's."""
        from andamio_cli.settings import NETWORKS, check_base_url

        url = self.options.base_url
        if not url and not self.options.network:
            url = settings.get("base_url")
        url = url or NETWORKS[self.network_for(settings)]
        return check_base_url(url, allow_any=self.env.get("ANDAMIO_ALLOW_ANY_URL") == "1")

    def gateway(self):
        """The Gateway client for this run (created once)."""
        if self._gateway is None:
            from andamio_cli.http import Gateway

            self._gateway = Gateway(
                self.base_url,
                timeout=self.options.timeout,
                trace=self.trace if self.options.debug else None,
                transport=self.transport,
                env=self.env,
            )
            self._warn_if_plain_http()
        return self._gateway

    def _warn_if_plain_http(self) -> None:
        from urllib.parse import urlsplit

        from andamio_cli.settings import is_loopback

        parts = urlsplit(self.base_url)
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            self.warn(
                f"credentials go over plain http to {parts.hostname} (ANDAMIO_ALLOW_ANY_URL=1): "
                "anyone on the network path can read them; use https"
            )

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()


def _terminal_width(stream: Any, env: dict) -> int:
    """Columns of the terminal on `stream`, else COLUMNS, else 80."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        pass
    columns = env.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80


MAX_TIMEOUT = 86400.0  # one day


def check_timeout(seconds: float) -> float:
    """`--timeout` must be a finite number of seconds > 0, at most a day."""
    import math

    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInputError(
            f"--timeout (or ANDAMIO_TIMEOUT) must be a finite number of seconds > 0 "
            f"(got {seconds:g})"
        )
    if seconds > MAX_TIMEOUT:
        raise InvalidInputError(
            f"--timeout (or ANDAMIO_TIMEOUT) must be at most {MAX_TIMEOUT:g} seconds (one day) "
            f"(got {seconds:g})"
        )
    return seconds


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
