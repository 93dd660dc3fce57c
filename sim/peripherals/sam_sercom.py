"""SAM D5x/E5x SERCOM in USART mode (``UART.SAMD5_UART``); SAM D21's SERCOM USART has the
same register layout.

Register map from the SAM D5x/E5x Family Data Sheet (DS60001507), "SERCOM USART", register
summary (the SAM D21 data sheet, DS40001882, has the same offsets): CTRLA 0x00 (SWRST bit 0,
ENABLE bit 1), CTRLB 0x04 (TXEN bit 16, RXEN bit 17), CTRLC 0x08, BAUD 0x0C, RXPL 0x0E,
INTENCLR 0x14, INTENSET 0x16, INTFLAG 0x18 (DRE 0, TXC 1, RXC 2, RXS 3, CTSIC 4, RXBRK 5,
ERROR 7), STATUS 0x1A, SYNCBUSY 0x1C, RXERRCNT 0x20, LENGTH 0x22, DATA 0x28, DBGCTRL 0x30.

Synchronisation across clock domains is instantaneous here, so SYNCBUSY reads 0. DRE is set
while the USART is enabled with TXEN (transmission is instantaneous, DATA is always empty); TXC
is set by each transmitted byte and cleared by writing 1 to it; RXC says a received byte waits
in DATA and is cleared by reading DATA. Writing DATA while DRE is clear is ignored (reported).
Interrupt lines: SAM D5x gives each SERCOM four (``0``: DRE, ``1``: TXC, ``2``: RXC, ``3``: the
other flags); the unnamed default output (SAM D21's one line, Renode's files) is their OR.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.peripherals.serial import ConsoleLine, IrqOutputs
from tandem.platform.model import PeripheralSpec

CTRLA, CTRLB, INTENCLR, INTENSET, INTFLAG, SYNCBUSY, DATA = 0x00, 0x04, 0x14, 0x16, 0x18, 0x1C, 0x28
SWRST, ENABLE = 1 << 0, 1 << 1
TXEN, RXEN = 1 << 16, 1 << 17
DRE, TXC, RXC, RXS, ERROR = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 7
W1C = TXC | RXS | 0x30 | ERROR  # INTFLAG bits cleared by writing 1 (DRE and RXC are read-only)


class SamSercomUsart(Peripheral):
    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.line = ConsoleLine(ctx)
        self.line.on_input = self._update
        self.irqs = IrqOutputs(spec, ctx, {"dre": ("0",), "txc": ("1",), "rxc": ("2",), "other": ("3",),
                                           "any": ("", "IRQ")})
        self.dropped_reported = False
        self._reset()

    def _reset(self) -> None:
        self.regs: dict[int, int] = {}
        self.inten = 0
        self.flags = 0  # the W1C flags (TXC, RXS, ...); DRE and RXC are computed

    def _on(self, bit: int) -> bool:
        return bool(self.regs.get(CTRLA, 0) & ENABLE) and bool(self.regs.get(CTRLB, 0) & bit)

    def intflag(self) -> int:
        value = self.flags
        if self._on(TXEN):
            value |= DRE
        if self._on(RXEN) and self.line.peek() is not None:
            value |= RXC
        return value

    def _update(self) -> None:
        active = self.intflag() & self.inten
        self.irqs.drive("dre", bool(active & DRE))
        self.irqs.drive("txc", bool(active & TXC))
        self.irqs.drive("rxc", bool(active & RXC))
        self.irqs.drive("other", bool(active & ~(DRE | TXC | RXC)))
        self.irqs.drive("any", bool(active))

    def read(self, offset: int, size: int) -> int:
        if offset in (INTENCLR, INTENSET):
            value = self.inten
        elif offset == INTFLAG:
            value = self.intflag()
        elif offset == SYNCBUSY:
            value = 0
        elif offset == DATA:
            value = (self.line.take() or 0) if self._on(RXEN) else 0
        else:
            value = self.regs.get(offset, 0)
        self._update()
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == CTRLA and value & SWRST:
            self._reset()  # every register back to its reset value (SYNCBUSY.SWRST clears at once)
        elif offset == INTENCLR:
            self.inten &= ~value & 0xFF
        elif offset == INTENSET:
            self.inten |= value & 0xFF
        elif offset == INTFLAG:
            self.flags &= ~(value & W1C)
        elif offset == DATA:
            if self._on(TXEN):
                self.line.send(bytes([value & 0xFF]))
                self.flags |= TXC
            elif not self.dropped_reported:
                self.dropped_reported = True
                self.ctx.note(f"{self.name}: DATA written while DRE is clear (USART disabled or TXEN "
                              "clear) was ignored")
        elif offset != SYNCBUSY:
            self.regs[offset] = value
        self._update()


__all__ = ["SamSercomUsart"]
