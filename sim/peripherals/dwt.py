"""The DWT's cycle counter (``Miscellaneous.DWT`` at 0xE0001000).

CYCCNT reads the board's one modelled clock: it counts while DWT_CTRL.CYCCNTENA is set (and,
as on the part, only once DEMCR.TRCENA has enabled the trace block), and a write sets it. Reads
and writes are precise to the instruction.

The ARMv6-M DWT (Cortex-M0/M0+, DDI0419 C1.8) has no cycle counter and no profiling counters:
DWT_CTRL reads NOCYCCNT and NOPRFCNT set (with NOTRCPKT and NOEXTTRIG), the counter addresses
read as zero and ignore writes, and firmware that relies on CYCCNT sees it stand still.
"""
from __future__ import annotations

from collections.abc import Callable

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

CTRL, CYCCNT, CPICNT, EXCCNT, SLEEPCNT, LSUCNT, FOLDCNT, PCSR = 0x0, 0x4, 0x8, 0xC, 0x10, 0x14, 0x18, 0x1C
CYCCNTENA = 1
NUMCOMP = 4 << 28  # the M3/M4 DWT has four comparators
# ARMv6-M: two comparators (the M0/M0+ maximum), NOTRCPKT, NOEXTTRIG, NOCYCCNT, NOPRFCNT
V6M_CTRL = 2 << 28 | 0xF << 24
LAR = 0xFB0
LSR = 0xFB4


class Dwt(Peripheral):

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext, trace_enabled: Callable[[], bool],
                 cycle_counter: bool = True) -> None:
        super().__init__(spec, ctx)
        self.trace_enabled = trace_enabled
        self.cycle_counter = cycle_counter
        self.ctrl = NUMCOMP if cycle_counter else V6M_CTRL
        self.base_value = 0  # CYCCNT when counting (re)started or stopped
        self.base_cycle = 0
        self.regs: dict[int, int] = {}

    @property
    def counting(self) -> bool:
        return bool(self.ctrl & CYCCNTENA) and self.trace_enabled()

    def cyccnt(self) -> int:
        if not self.counting:
            return self.base_value
        return (self.base_value + self.ctx.now() - self.base_cycle) & 0xFFFFFFFF

    def read(self, offset: int, size: int) -> int:
        if not self.cycle_counter and CYCCNT <= offset <= FOLDCNT:
            return 0
        if offset == CTRL:
            return self.ctrl
        if offset == CYCCNT:
            return self.cyccnt()
        if offset == LSR:
            return 0
        return self.regs.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        if not self.cycle_counter:
            if offset != CTRL and not CYCCNT <= offset <= FOLDCNT:
                self.regs[offset] = value
            return  # CTRL's writable bits (CYCCNTENA, ...) are not implemented
        if offset == CTRL:
            self.base_value = self.cyccnt()
            self.base_cycle = self.ctx.now()
            self.ctrl = NUMCOMP | (value & 0x0FFFFFFF)
        elif offset == CYCCNT:
            self.base_value = value & 0xFFFFFFFF
            self.base_cycle = self.ctx.now()
        else:
            self.regs[offset] = value
