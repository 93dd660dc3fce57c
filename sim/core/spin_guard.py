"""Seeing a branch-to-self (``b .``) as soon as the timing model first costs it.

The board looks for a core spinning in a one-branch loop only when emulation stops (a chunk of
up to 2^27 cycles while nothing else happens), so ``cpsid i; b .`` at the end of a program (the
CubeMX ``Error_Handler``) used to run for a chunk before the lock-up report. This guard wraps
the timing model like :class:`~tandem.core.isa_guard.IsaGuard`: when a newly translated block is
a single branch to itself it tells the board, with the cycles one iteration costs, so that the
board sets its deadline a few iterations ahead and decides at once whether an interrupt can end
the loop (then it keeps running) or not (a lock-up).
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

B_SELF = 0xE7FE  # T2 encoding of B with imm11 = -2: "b ." (ARMv7-M ARM A7.7.12)


class SpinGuard:
    def __init__(self, timing: Any, on_spin: Callable[[int, int], None]) -> None:
        self._timing = timing
        self.on_spin = on_spin  # (block address, cycles per iteration)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._timing, name)

    def block_cost(self, uc: Any, addr: int, size: int) -> Any:
        cost = self._timing.block_cost(uc, addr, size)
        if size == 2 and struct.unpack("<H", bytes(uc.mem_read(addr, 2)))[0] == B_SELF:
            self.on_spin(addr, cost.cost + cost.taken_extra)
        return cost
