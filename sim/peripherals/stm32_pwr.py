"""STM32 power controllers: the regulator's voltage scaling and its ready flags, for F4
(RM0090 5.4, ``Miscellaneous.STM32_PWR``) and L4/L4+ (RM0432 5.4, ``Miscellaneous.STM32L4_PWR``).

Registers read back with their reset values. Changing the voltage scale takes a settling time
(a board event) during which the ready flag reads "not ready": F4 PWR_CSR.VOSRDY clears, L4
PWR_SR2.VOSF sets (also when PWR_CR5.R1MODE changes, the L4+ range 1 boost mode). The manuals
give no figure for it; tandem models 20 us, converted with the current CPU clock.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

SETTLE_NS = 20_000


class _Pwr(Peripheral):
    RESETS: dict[int, int]
    # (register, bits) whose change starts a settling period
    WATCHED: tuple[tuple[int, int], ...]
    FLAG_REG: int
    FLAG_BIT: int
    FLAG_READY: bool  # the flag's value once settled

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.regs: dict[int, int] = dict(self.RESETS)
        self._set_flag(True)

    def _set_flag(self, settled: bool) -> None:
        on = settled == self.FLAG_READY
        reg = self.regs.get(self.FLAG_REG, 0)
        self.regs[self.FLAG_REG] = reg | (1 << self.FLAG_BIT) if on else reg & ~(1 << self.FLAG_BIT)

    @property
    def settled(self) -> bool:
        return bool(self.regs.get(self.FLAG_REG, 0) >> self.FLAG_BIT & 1) == self.FLAG_READY

    def read(self, offset: int, size: int) -> int:
        return self.regs.get(offset & ~3, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        offset &= ~3
        old = self.regs.get(offset, 0)
        if offset == self.FLAG_REG:  # the flag is read-only
            flag = 1 << self.FLAG_BIT
            value = value & ~flag | old & flag
        self.regs[offset] = value & 0xFFFFFFFF
        if any(reg == offset and (old ^ value) & bits for reg, bits in self.WATCHED):
            self._set_flag(False)
            cycles = max(1, SETTLE_NS * self.ctx.cpu_hz // 1_000_000_000)
            self.ctx.schedule(self.ctx.now() + cycles, lambda _c: self._set_flag(True), self)


class Stm32F4Pwr(_Pwr):
    """F4: CR 0x00 (VOS bit 14, reset scale 1 on F405/407), CSR 0x04 (VOSRDY bit 14)."""

    RESETS = {0x00: 0x0000_4000, 0x04: 0}
    WATCHED = ((0x00, 3 << 14),)
    FLAG_REG, FLAG_BIT, FLAG_READY = 0x04, 14, True

    @property
    def vos(self) -> int:
        return self.regs[0x00] >> 14 & 3


class Stm32L4Pwr(_Pwr):
    """L4/L4+: CR1 0x00 (VOS[10:9], reset range 1), CR3 0x08 (EIWUL), SR2 0x14 (VOSF bit 10),
    CR5 0x80 (R1MODE bit 8: 1 = range 1 normal, 0 = boost)."""

    RESETS = {0x00: 0x0000_0200, 0x04: 0, 0x08: 0x0000_8000, 0x0C: 0, 0x10: 0, 0x14: 0, 0x80: 0x0000_0100}
    WATCHED = ((0x00, 3 << 9), (0x80, 1 << 8))
    FLAG_REG, FLAG_BIT, FLAG_READY = 0x14, 10, False

    @property
    def vos(self) -> int:
        return self.regs[0x00] >> 9 & 3

    @property
    def boost(self) -> bool:
        return self.vos == 1 and not self.regs[0x80] >> 8 & 1


__all__ = ["Stm32F4Pwr", "Stm32L4Pwr"]
