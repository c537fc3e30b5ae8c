"""The local gateway emulator. `Sandbox` and `run` live in `emulator.py`; they are loaded on
first use, so importing a helper module such as `sandbox.jwt` does not load the server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from andamio_cli.sandbox.emulator import Developer, Sandbox, run

__all__ = ["Developer", "Sandbox", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from andamio_cli.sandbox import emulator

        return getattr(emulator, name)
    raise AttributeError(name)
