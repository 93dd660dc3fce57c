"""tandem: simulated Cortex-M boards, cycle counts and RTL accelerators for tiny ML.

The public Python API starts at :class:`tandem.Board` (``tandem.machine.board``); the layout of
the package is described in docs/architecture.md.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from tandem.errors import TandemError

if TYPE_CHECKING:
    from tandem.machine.board import Board
    from tandem.machine.results import RunResult

__all__ = ["Board", "RunResult", "TandemError", "__version__", "version"]

@functools.cache
def version() -> str:
    """The installed package's version, looked up once on first use (importlib.metadata costs
    tens of milliseconds at import, which every command would pay)."""
    from importlib import metadata

    try:
        return metadata.version("tandem")
    except metadata.PackageNotFoundError:  # imported from a source tree that is not installed
        return "0+unknown"


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
