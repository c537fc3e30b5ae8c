"""Private files: a 0700 directory, atomic 0600 writes and an inter-process lock."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from typing import Iterator


def ensure_private_dir(path: str) -> None:
    """Create the directory (0700) if it does not exist."""
    os.makedirs(path, mode=0o700, exist_ok=True)


def atomic_write_json(path: str, data: object, *, mode: int = 0o600) -> None:
    """Write JSON to a temp file in the same directory, then rename it into place."""
    directory = os.path.dirname(path) or "."
    try:
        ensure_private_dir(directory)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise


def _write_error(path: str, exc: OSError):
    from andamio_cli.errors import AndamioError

    return AndamioError(f"cannot write {path}: {exc.strerror or exc.__class__.__name__}")


@contextmanager
def locked(lock_path: str, timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive inter-process lock on `lock_path`."""
    from filelock import FileLock, Timeout

    from andamio_cli.errors import AndamioError

    lock = FileLock(lock_path, timeout=timeout)
    try:
        ensure_private_dir(os.path.dirname(lock_path) or ".")
        lock.acquire()
    except Timeout:
        raise AndamioError(
            f"timed out waiting for the lock {lock_path}",
            hint="another andamio process may be stuck; try again",
        ) from None
    except OSError as exc:
        raise _write_error(lock_path, exc) from None
    try:
        yield
    finally:
        lock.release()
