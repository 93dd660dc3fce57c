"""``Tandem.Trace``: a simulator-only register that firmware writes to mark events.

It stands where a real board has a debug probe watching a GPIO or ITM: each 32-bit store is
recorded with the exact cycle of the storing instruction, at the cost of that one store. The
micro runtime writes op start/end markers here so tandem can attribute cycles per op. Reads
return 0. The window is declared in platforms/cpus/armv7m.repl, in the vendor system region
where no Cortex-M part has hardware.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec


class Trace(Peripheral):
    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.events: list[tuple[int, int, int]] = []  # (cycle, register offset, value)

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self.events.append((self.ctx.now(), offset, value))
