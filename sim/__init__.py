"""tandem: simulated Cortex-M boards, cycle counts and RTL accelerators for tiny ML.

The public Python API starts at :class:`sim.board.Board`.
"""
from __future__ import annotations

from sim.errors import TandemError

__all__ = ["Board", "RunResult", "TandemError"]


def __getattr__(name: str):  # lazy: importing sim must not load Unicorn
    if name in ("Board", "RunResult"):
        from sim import board

        return getattr(board, name)
    raise AttributeError(name)
