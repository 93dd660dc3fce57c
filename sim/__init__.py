"""tandem: simulated Cortex-M boards, cycle counts and RTL accelerators for tiny ML.

The public Python API starts at :class:`tandem.Board` (``tandem.machine.board``); the layout of
the package is described in docs/architecture.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.errors import TandemError

if TYPE_CHECKING:
    from tandem.machine.board import Board
    from tandem.machine.results import RunResult

__all__ = ["Board", "RunResult", "TandemError", "__version__", "version"]

_VERSION: str | None = None


def version() -> str:
    """The installed package's version, looked up once on first use (importlib.metadata costs
    tens of milliseconds at import, which every command would pay)."""
    global _VERSION
    if _VERSION is None:
        from importlib import metadata

        try:
            _VERSION = metadata.version("tandem")
        except metadata.PackageNotFoundError:  # imported from a source tree that is not installed
            _VERSION = "0+unknown"
    return _VERSION


def __getattr__(name: str) -> Any:  # lazy: importing tandem must not load Unicorn
    if name == "Board":
        from tandem.machine.board import Board

        return Board
    if name == "RunResult":
        from tandem.machine.results import RunResult

        return RunResult
    if name == "__version__":
        return version()
    raise AttributeError(name)
