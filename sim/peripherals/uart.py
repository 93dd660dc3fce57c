"""STM32 USARTs: the F1/F2/F4 layout (``UART.STM32_UART``) and the F7/L4 layout
(``UART.STM32F7_USART``). Transmit goes to the board console; receive takes console input.

Transmission is instantaneous: TXE and TC stay set, so polling code (HAL_UART_Transmit and
hand-written loops) never waits. A byte written while the USART is disabled (UE or TE clear)
is dropped, as on the part, and reported once. The console end is :class:`serial.ConsoleLine`,
shared with the other families' UARTs.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.peripherals.serial import ConsoleLine
from tandem.platform.model import PeripheralSpec

TXE = 1 << 7
TC = 1 << 6
RXNE = 1 << 5


class _Usart(Peripheral):
    # register offsets, set by subclasses
    SR: int
    DR_TX: int
    DR_RX: int
    CR1: int
    UE: int
    TE: int
    RE: int
    TXEIE = 1 << 7
    TCIE = 1 << 6
    RXNEIE = 1 << 5

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.regs: dict[int, int] = {}
        self.line = ConsoleLine(ctx)
        self.line.on_input = self.update_irq
        self.dropped_reported = False
        self.irq = spec.irqs[0].number if spec.irqs else None

    def enabled(self, bit: int) -> bool:
        cr1 = self.regs.get(self.CR1, 0)
        return bool(cr1 & self.UE) and bool(cr1 & bit)

    def status(self) -> int:
        received = self.line.peek() if self.enabled(self.RE) else self.line.pending
        return TXE | TC | (RXNE if received is not None else 0)

    def transmit(self, value: int) -> None:
        if self.enabled(self.TE):
            self.line.send(bytes([value & 0xFF]))
        elif not self.dropped_reported:
            self.dropped_reported = True
            self.ctx.note(f"{self.name}: byte written to the data register while UE/TE are clear was dropped")
        self.update_irq()

    def receive(self) -> int:
        value = self.line.take() if self.enabled(self.RE) else self.line.pending
        self.line.pending = None
        self.update_irq()
        return value if value is not None else 0

    def update_irq(self) -> None:
        if self.irq is None:
            return
        cr1 = self.regs.get(self.CR1, 0)
        sr = self.status()
        level = bool(
            (cr1 & self.TXEIE and sr & TXE) or (cr1 & self.TCIE and sr & TC) or (cr1 & self.RXNEIE and sr & RXNE)
        )
        self.ctx.set_irq(self.irq, level)

    def read(self, offset: int, size: int) -> int:
        if offset == self.SR:
            return self.status() | self.extra_status()
        if offset == self.DR_RX:
            return self.receive()
        return self.regs.get(offset, 0)

    def extra_status(self) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == self.DR_TX:
            self.transmit(value)
            return
        if offset == self.SR:
            return  # status flags here clear themselves; nothing to model
        self.regs[offset] = value
        if offset == self.CR1:
            self.update_irq()


class Stm32Uart(_Usart):
    """USART of STM32F1/F2/F4: SR 0x00, DR 0x04, BRR 0x08, CR1 0x0C (UE bit 13)."""

    SR = 0x00
    DR_TX = 0x04
    DR_RX = 0x04
    CR1 = 0x0C
    UE = 1 << 13
    TE = 1 << 3
    RE = 1 << 2


class Stm32F7Usart(_Usart):
    """USART/LPUART of STM32F7/L4/G4: CR1 0x00 (UE bit 0), ISR 0x1C, RDR 0x24, TDR 0x28."""

    SR = 0x1C
    DR_TX = 0x28
    DR_RX = 0x24
    CR1 = 0x00
    UE = 1 << 0
    TE = 1 << 3
    RE = 1 << 2
    TEACK = 1 << 21
    REACK = 1 << 22

    def extra_status(self) -> int:
        return (self.TEACK if self.enabled(self.TE) else 0) | (self.REACK if self.enabled(self.RE) else 0)
