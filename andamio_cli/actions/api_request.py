"""`andamio api PATH`: an authenticated request to any gateway route, as `gh api` does."""

from __future__ import annotations

import re

from andamio_cli.errors import (
    AndamioError,
    AuthError,
    InvalidInputError,
    StoreUnavailableError,
)

MAX_INPUT = 1024 * 1024
JWT_PREFIXES = ("/api/v2/apikey/developer/", "/api/v2/auth/developer/")
_PATH = re.compile(r"/[\x21-\x7e]*")
_METHOD = re.compile(r"[A-Za-z]{1,16}")
PATH_HINT = (
    "give a path such as /api/v2/apikey/developer/usage/get; --network or --base-url pick the host"
)


def check_path(path: str) -> str:
    """A path on the gateway: starts with one `/`, printable ASCII, no spaces."""
    if "://" in path or path.startswith("//") or not path.startswith("/"):
        raise InvalidInputError(
            "PATH must start with / and name a route of the gateway, not a URL "
            f"(got {path[:100]!r})",
            hint=PATH_HINT,
        )
    if not _PATH.fullmatch(path):
        raise InvalidInputError(
            "PATH may contain printable ASCII only (escape spaces and other characters as %XX)",
            hint=PATH_HINT,
        )
    return path


def _fields(pairs: list[str]) -> dict[str, str]:
    body: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(
                f"-f takes KEY=VALUE, not {pair[:100]!r}", hint="e.g. -f api_key_name=ci-key"
            )
        if key in body:
            raise InvalidInputError(f"-f {key}=... is given twice")
        body[key] = value
    return body


def _read_input(ctx, source: str) -> bytes:
    """The --input body: a file, or standard input for `-`; at most 1 MiB of JSON."""
    from andamio_cli.wire import loads

    name = "standard input" if source == "-" else source
    try:
        if source == "-":
            stream = getattr(ctx.stdin, "buffer", None)
            data = stream.read(MAX_INPUT + 1) if stream else ctx.stdin.read(MAX_INPUT + 1).encode()
        else:
            with open(source, "rb") as fh:
                data = fh.read(MAX_INPUT + 1)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise InvalidInputError(f"cannot read --input {name} ({reason})") from None
    if len(data) > MAX_INPUT:
        raise InvalidInputError(f"--input {name} is larger than 1 MiB; nothing was sent")
    try:
        loads(data)
    except ValueError as exc:
        raise InvalidInputError(f"--input {name} is not JSON ({exc}); nothing was sent") from None
    return data


def _credentials(ctx, path: str) -> dict[str, str]:
    """X-API-Key always; the developer JWT (refreshed if expired) on developer routes."""
    from andamio_cli.actions.apikey import require_api_key
    from andamio_cli.auth.tokens import developer_jwt

    headers = {"X-API-Key": require_api_key(ctx)}
    route = path.split("?", 1)[0]
    if route.startswith(JWT_PREFIXES):
        try:
            headers["Authorization"] = f"Bearer {developer_jwt(ctx)}"
        except StoreUnavailableError:
            raise
        except AuthError as exc:
            # the login routes work with the API key alone; the key routes never do
            if exc.status is not None or route.startswith(JWT_PREFIXES[0]):
                raise
            ctx.note("No developer JWT is available: sending the API key only.")
    return headers


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _show_head(ctx, reply) -> None:
    from andamio_cli.output import inert

    reason = f" {reply.reason_phrase}" if reply.reason_phrase else ""
    lines = [f"{reply.http_version} {reply.status_code}{reason}"]
    raw = getattr(reply.headers, "raw", None) or list(reply.headers.items())
    lines += [f"{_text(name)}: {_text(value)}" for name, value in raw]
    ctx.stdout.write("".join(inert(line) + "\n" for line in lines) + "\n")


def _show_body(ctx, content: bytes) -> None:
    """JSON pretty-printed on a terminal (everything inert there); bytes as received otherwise."""
    if not content:
        return
    if ctx.stdout_tty:
        from andamio_cli.output import inert
        from andamio_cli.wire import loads

        try:
            ctx.out.json(loads(content))
        except ValueError:
            text = content.decode("utf-8", "replace")
            ctx.stdout.write("".join(inert(line) + "\n" for line in text.splitlines()))
        return
    ctx.stdout.flush()
    raw = getattr(ctx.stdout, "buffer", None)
    if raw is not None:
        raw.write(content)
        raw.flush()
    else:
        ctx.stdout.write(content.decode("utf-8", "replace"))


def call(ctx, path: str, method: str | None, fields: list[str], source: str | None, head: bool):
    """Validate everything, send one request (GET retried), print the reply, exit by status."""
    from andamio_cli.gateway_errors import STATUS_ERRORS, error_from_response

    check_path(path)
    if method is not None and not _METHOD.fullmatch(method):
        raise InvalidInputError(f"-X takes an HTTP method such as GET or POST, not {method[:20]!r}")
    if fields and source is not None:
        raise InvalidInputError("-f and --input both give a body; use one of them")
    headers: dict[str, str] = {}
    content = None
    if fields:
        import json

        content = json.dumps(_fields(fields)).encode()
    elif source is not None:
        content = _read_input(ctx, source)
    if content is not None:
        headers["Content-Type"] = "application/json"
    verb = (method or ("POST" if content is not None else "GET")).upper()
    headers.update(_credentials(ctx, path))
    reply = ctx.gateway().request(verb, path, headers=headers, content=content, read=verb == "GET")
    if head:
        _show_head(ctx, reply)
    _show_body(ctx, reply.content)
    ctx.stdout.flush()
    if 200 <= reply.status_code < 300:
        return
    error = error_from_response(reply)
    cls = STATUS_ERRORS.get(reply.status_code, AndamioError)
    raise cls(error.message, hint=error.hint, status=reply.status_code, code=error.code)
