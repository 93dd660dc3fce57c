"""NXP LPUART (``UART.LowPower_UART``, Renode's class for it): the layout with VERID/PARAM/GLOBAL
of S32K1xx, i.MX RT and Kinetis KL28/K32L parts.

Register map from the S32K1xx reference manual (S32K1XXRM, "LPUART", memory map; the i.MX RT1060
RM has the same): VERID 0x00, PARAM 0x04, GLOBAL 0x08 (RST bit 1), PINCFG 0x0C, BAUD 0x10
(reset 0x0F000004: OSR 16, SBR 4), STAT 0x14 (RDRF bit 21, TC 22, TDRE 23, OR 19 write 1 to
clear; reset 0x00C00000), CTRL 0x18 (RE bit 18, TE 19, RIE 21, TCIE 22, TIE 23), DATA 0x1C
(RXEMPT bit 12), MATCH 0x20, MODIR 0x24, FIFO 0x28 (TXEMPT bit 23, RXEMPT 22), WATER 0x2C
(TXCOUNT bits 10:8, RXCOUNT bits 26:24).

Transmission is instantaneous: with TE set, TDRE and TC stay set. A byte written while TE is
clear waits in the transmit buffer (TDRE and TC clear) until TE is set. RDRF says a received
byte waits in DATA (the receiver enabled and console input present); reading DATA takes it. The
one interrupt line is TIE&TDRE | TCIE&TC | RIE&RDRF.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.peripherals.serial import ConsoleLine, IrqOutputs
from tandem.platform.model import PeripheralSpec

VERID, PARAM, GLOBAL, BAUD, STAT, CTRL, DATA, FIFO, WATER = (0x00, 0x04, 0x08, 0x10, 0x14, 0x18, 0x1C, 0x28,
                                                            0x2C)
RST = 1 << 1
OR, RDRF, TC, TDRE = 1 << 19, 1 << 21, 1 << 22, 1 << 23
RE, TE, RIE, TCIE, TIE = 1 << 18, 1 << 19, 1 << 21, 1 << 22, 1 << 23
DATA_RXEMPT = 1 << 12
FIFO_RXEMPT, FIFO_TXEMPT = 1 << 22, 1 << 23
# Reset values: a 4-word FIFO each way (PARAM's TXFIFO bits 7:0 and RXFIFO bits 15:8 hold log2 of
# the depth: 0x0202; FIFO's TXFIFOSIZE/RXFIFOSIZE 001 = 4 words). VERID: a version-4.1 value with
# the modem/IrDA feature set; drivers do not branch on it.
RESET = {VERID: 0x04010003, PARAM: 0x00000202, BAUD: 0x0F000004, FIFO: 0x00000011}


class NxpLpuart(Peripheral):
    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.line = ConsoleLine(ctx)
        self.line.on_input = self._update
        self.irqs = IrqOutputs(spec, ctx, {"irq": ("", "IRQ")})
        self.global_ = 0
        self._reset()

    def _reset(self) -> None:
        self.regs: dict[int, int] = dict(RESET)
        self.held: int | None = None  # a byte written while TE was clear
        self.stat_w1c = 0

    def _ctrl(self) -> int:
        return self.regs.get(CTRL, 0)

    def stat(self) -> int:
        value = self.stat_w1c
        if self.held is None:
            value |= TDRE | TC
        if self._ctrl() & RE and self.line.peek() is not None:
            value |= RDRF
        return value

    def _update(self) -> None:
        ctrl, stat = self._ctrl(), self.stat()
        self.irqs.drive("irq", bool((ctrl & TIE and stat & TDRE) or (ctrl & TCIE and stat & TC)
                                    or (ctrl & RIE and stat & RDRF)))

    def read(self, offset: int, size: int) -> int:
        if offset == GLOBAL:
            value = self.global_
        elif offset == STAT:
            value = self.stat()
        elif offset == DATA:
            byte = self.line.take() if self._ctrl() & RE else None
            value = byte if byte is not None else DATA_RXEMPT
        elif offset == FIFO:
            stat = self.stat()
            value = (self.regs[FIFO] | (FIFO_TXEMPT if stat & TDRE else 0)
                     | (0 if stat & RDRF else FIFO_RXEMPT))
        elif offset == WATER:
            value = (self.regs.get(WATER, 0) & 0x00030003) | ((self.held is not None) << 8) | (
                (bool(self.stat() & RDRF)) << 24)
        else:
            value = self.regs.get(offset, 0)
        self._update()
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == GLOBAL:
            self.global_ = value & RST
            if value & RST:
                self._reset()  # RST holds every other register at its reset value
        elif self.global_ & RST or offset in (VERID, PARAM):
            pass
        elif offset == STAT:
            self.stat_w1c &= ~(value & OR)
        elif offset == DATA:
            if self._ctrl() & TE:
                self.line.send(bytes([value & 0xFF]))
            elif self.held is None:
                self.held = value & 0xFF
        else:
            self.regs[offset] = (value & ~0x77) | (self.regs[FIFO] & 0x77) if offset == FIFO else value
            if offset == CTRL and value & TE and self.held is not None:
                self.line.send(bytes([self.held]))
                self.held = None
        self._update()


__all__ = ["NxpLpuart"]
