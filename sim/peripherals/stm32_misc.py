"""STM32 EXTI (``IRQControllers.STM32F4_EXTI``, Renode's name for the F1/F4/L4 controllers),
and the registers that route port pins to it: SYSCFG on F4 (``Miscellaneous.STM32_SYSCFG``,
RM0090 9.2) and L4 (``Miscellaneous.STM32L4_SYSCFG``, RM0432 8.2), AFIO on F1
(``Miscellaneous.STM32F1_AFIO``, RM0008 9.4).

EXTI (RM0090 12.3, RM0008 10.3, RM0432 14.5): IMR, EMR, RTSR, FTSR, SWIER, PR per bank of 32
lines (bank 2 at 0x20 when the entry has more than 32 ``numberOfOutputLines``, as the L4 has).
Writing a 1 to an SWIER bit that is 0 sets the line's PR bit when IMR enables the line; writing
a 1 to PR clears it and the SWIER bit. A line's NVIC interrupt (the entry's ``[lines] ->
nvic@[irqs]`` connections; lines sharing an IRQ, EXTI9_5 and EXTI15_10, are ORed) is raised
while a PR bit of the line is set and IMR enables it. Lines 0-15 also take the port pins
SYSCFG/AFIO route to them (EXTICR): an edge RTSR/FTSR selects sets PR while IMR enables the line
(RM0090 12.2.3). Changing EXTICR sends nothing: the new port's level counts from its next change.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

IMR, EMR, RTSR, FTSR, SWIER, PR = range(0, 0x18, 4)
BANK = 0x20


class Stm32Exti(Peripheral):

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        lines = spec.properties.get("numberOfOutputLines", 23)
        self.lines = lines if isinstance(lines, int) else 23
        self.banks = (self.lines + 31) // 32
        self.regs: dict[int, int] = {b * BANK + r: 0 for b in range(self.banks) for r in range(0, 0x18, 4)}
        if self.banks > 1:
            # RM0432 14.5.1 / 14.5.9: the L4's direct lines (not pending-latched) reset enabled
            self.regs[IMR], self.regs[BANK + IMR] = 0xFF82_0000, 0x0000_0187
        self.levels: dict[int, bool] = {}  # line -> the level of the pin routed to it
        self.irq_of: dict[int, list[int]] = {}  # line -> NVIC IRQ numbers
        for c in spec.irqs:
            if c.target == "nvic" and c.source.isdigit():
                self.irq_of.setdefault(int(c.source), []).append(c.number)

    def _mask(self, bank: int) -> int:
        n = min(32, self.lines - 32 * bank)
        return (1 << n) - 1

    def read(self, offset: int, size: int) -> int:
        return self.regs.get(offset & ~3, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        offset &= ~3
        bank, reg = divmod(offset, BANK)
        if bank >= self.banks or reg >= 0x18:
            return
        value &= self._mask(bank)
        if reg == SWIER:
            rising = value & ~self.regs[offset]
            self.regs[offset] |= value
            self.regs[bank * BANK + PR] |= rising & self.regs[bank * BANK + IMR]
        elif reg == PR:
            self.regs[offset] &= ~value
            self.regs[bank * BANK + SWIER] &= ~value
        else:
            self.regs[offset] = value
        self.update_irqs()

    def signal(self, line: int, level: bool, index: int | None) -> None:
        bank, bit = divmod(line, 32)
        if bank >= self.banks or line >= self.lines:
            return
        old, self.levels[line] = self.levels.get(line, False), level
        base = bank * BANK
        trigger = self.regs[base + (RTSR if level else FTSR)]
        if level != old and trigger >> bit & 1 and self.regs[base + IMR] >> bit & 1:
            self.regs[base + PR] |= 1 << bit
            self.update_irqs()

    def pending(self, line: int) -> bool:
        bank, bit = divmod(line, 32)
        return bool(self.regs.get(bank * BANK + PR, 0) >> bit & 1)

    def update_irqs(self) -> None:
        level: dict[int, bool] = {}
        for line, irqs in self.irq_of.items():
            bank, bit = divmod(line, 32)
            on = bool((self.regs.get(bank * BANK + PR, 0) & self.regs.get(bank * BANK + IMR, 0)) >> bit & 1)
            for irq in irqs:
                level[irq] = level.get(irq, False) or on
        for irq, on in level.items():
            self.ctx.set_irq(irq, on)


class _RegisterFile(Peripheral):
    """Registers with reset values that read back; WRITE_ONLY bits read as 0, READ_ONLY keep."""

    RESETS: dict[int, int]
    WRITE_ONLY: dict[int, int] = {}
    READ_ONLY: dict[int, int] = {}
    EXTICR = 0x08

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.regs: dict[int, int] = dict(self.RESETS)

    def read(self, offset: int, size: int) -> int:
        offset &= ~3
        return self.regs.get(offset, 0) & ~self.WRITE_ONLY.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        offset &= ~3
        if offset not in self.regs:
            return  # reserved
        ro = self.READ_ONLY.get(offset, 0)
        self.regs[offset] = (value & ~ro | self.regs[offset] & ro) & 0xFFFFFFFF
        self.after_write(offset)

    def after_write(self, offset: int) -> None:
        """Status bits that follow a write."""

    def signal(self, line: int, level: bool, index: int | None) -> None:
        """Pin ``line`` of port ``index`` (0 = A): passed on to EXTI when EXTICR selects it."""
        if line < 16 and index == self.exti_port(line):
            self.send(line, level)

    def exti_port(self, line: int) -> int:
        """The port (0 = A) EXTICR routes to EXTI line ``line`` (0-15)."""
        return self.regs[self.EXTICR + 4 * (line // 4)] >> (4 * (line % 4)) & 0xF


class Stm32F4Syscfg(_RegisterFile):
    """MEMRMP 0x00, PMC 0x04, EXTICR1-4 0x08-0x14, CMPCR 0x20 (READY, bit 8, follows CMP_PD:
    the I/O compensation cell is modelled as ready at once)."""

    RESETS = {0x00: 0, 0x04: 0, 0x08: 0, 0x0C: 0, 0x10: 0, 0x14: 0, 0x20: 0}
    READ_ONLY = {0x20: 1 << 8}

    def after_write(self, offset: int) -> None:
        if offset == 0x20:
            self.regs[0x20] = self.regs[0x20] & ~(1 << 8) | (self.regs[0x20] & 1) << 8


class Stm32L4Syscfg(_RegisterFile):
    """MEMRMP 0x00, CFGR1 0x04 (reset: I/O analog switch voltage booster off, FPU interrupts
    enabled), EXTICR1-4 0x08-0x14, SCSR 0x18, CFGR2 0x1C, SWPR 0x20, SKR 0x24 (write-only),
    SWPR2 0x28."""

    RESETS = {0x00: 0, 0x04: 0x7C00_0001, 0x08: 0, 0x0C: 0, 0x10: 0, 0x14: 0, 0x18: 0, 0x1C: 0,
              0x20: 0, 0x24: 0, 0x28: 0}
    WRITE_ONLY = {0x24: 0xFF}


class Stm32F1Afio(_RegisterFile):
    """EVCR 0x00, MAPR 0x04 (SWJ_CFG[26:24] write-only), EXTICR1-4 0x08-0x14, MAPR2 0x1C."""

    RESETS = {0x00: 0, 0x04: 0, 0x08: 0, 0x0C: 0, 0x10: 0, 0x14: 0, 0x1C: 0}
    WRITE_ONLY = {0x04: 7 << 24}


__all__ = ["Stm32Exti", "Stm32F1Afio", "Stm32F4Syscfg", "Stm32L4Syscfg"]
