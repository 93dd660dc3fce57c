"""Arm CMSDK APB UART (``UART.CMSDK_APB_UART``), the UART of the MPS2 FPGA images (AN385/AN386).

Register map from the Cortex-M System Design Kit TRM (Arm DDI0479C, 4.3 "UART"): DATA 0x00,
STATE 0x04 (TX buffer full, RX buffer full, TX/RX overrun: write 1 to clear), CTRL 0x08 (TX/RX
enable, TX/RX interrupt enables, overrun interrupt enables, high-speed test mode), INTSTATUS /
INTCLEAR 0x0C (write 1 to clear), BAUDDIV 0x10, and the peripheral/component ID registers at
0xFD0-0xFFC. One byte of buffer each way. A byte written while the transmitter is disabled waits
in the TX buffer (STATE.TXFULL) until CTRL.TXEN is set; a second one is a TX overrun.

Interrupt outputs, as Renode names them: ``TxInterrupt`` (INTSTATUS.TX: set when the TX buffer
empties, with TXINTEN), ``RxInterrupt`` (INTSTATUS.RX: a byte arrived, with RXINTEN), and the
unnamed default output, the TRM's combined UARTINTR (any INTSTATUS bit).
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.peripherals.serial import ConsoleLine, IrqOutputs
from tandem.platform.model import PeripheralSpec

DATA, STATE, CTRL, INTSTATUS, BAUDDIV = 0x00, 0x04, 0x08, 0x0C, 0x10
TXFULL, RXFULL, TXOVR, RXOVR = 1 << 0, 1 << 1, 1 << 2, 1 << 3  # STATE
TXEN, RXEN, TXINTEN, RXINTEN, TXOVRINTEN, RXOVRINTEN = (1 << n for n in range(6))  # CTRL
INT_TX, INT_RX, INT_TXOVR, INT_RXOVR = 1 << 0, 1 << 1, 1 << 2, 1 << 3  # INTSTATUS
# PID4-7, PID0-3, CID0-3 (DDI0479C table 4-7)
ID_REGS = {0xFD0: 0x04, 0xFE0: 0x21, 0xFE4: 0xB8, 0xFE8: 0x1B, 0xFEC: 0x00,
           0xFF0: 0x0D, 0xFF4: 0xF0, 0xFF8: 0x05, 0xFFC: 0xB1}


class CmsdkApbUart(Peripheral):
    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.line = ConsoleLine(ctx)
        self.line.on_input = self._on_input
        self.irqs = IrqOutputs(spec, ctx, {"tx": ("TxInterrupt",), "rx": ("RxInterrupt",),
                                           "combined": ("", "IRQ")})
        self.state = 0
        self.ctrl = 0
        self.intstatus = 0
        self.bauddiv = 0
        self.tx_held = 0

    # receive: the console's next byte fills the RX buffer while the receiver is enabled
    def _fill_rx(self) -> None:
        if self.ctrl & RXEN and not self.state & RXFULL and self.line.peek() is not None:
            self.state |= RXFULL
            if self.ctrl & RXINTEN:
                self.intstatus |= INT_RX

    def _on_input(self) -> None:
        self._fill_rx()
        self._update()

    def _drain_tx(self) -> None:
        if self.state & TXFULL and self.ctrl & TXEN:
            self.line.send(bytes([self.tx_held]))
            self.state &= ~TXFULL
            if self.ctrl & TXINTEN:
                self.intstatus |= INT_TX

    def _update(self) -> None:
        self.irqs.drive("tx", bool(self.intstatus & INT_TX))
        self.irqs.drive("rx", bool(self.intstatus & INT_RX))
        self.irqs.drive("combined", bool(self.intstatus))

    def read(self, offset: int, size: int) -> int:
        if offset in (DATA, STATE, INTSTATUS):
            self._fill_rx()
            self._update()
        if offset == DATA:
            if not self.state & RXFULL:
                return 0
            self.state &= ~RXFULL
            value = self.line.take() or 0
            self._fill_rx()
            self._update()
            return value
        if offset == STATE:
            return self.state
        if offset == CTRL:
            return self.ctrl
        if offset == INTSTATUS:
            return self.intstatus
        if offset == BAUDDIV:
            return self.bauddiv
        return ID_REGS.get(offset & ~3, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == DATA:
            if self.state & TXFULL:
                self.state |= TXOVR  # the held byte is kept, the new one lost
                if self.ctrl & TXOVRINTEN:
                    self.intstatus |= INT_TXOVR
            else:
                self.tx_held = value & 0xFF
                self.state |= TXFULL
                self._drain_tx()
        elif offset == STATE:
            self.state &= ~(value & (TXOVR | RXOVR))
        elif offset == CTRL:
            self.ctrl = value & 0x7F
            self._drain_tx()
            self._fill_rx()
        elif offset == INTSTATUS:
            self.intstatus &= ~(value & 0xF)
        elif offset == BAUDDIV:
            self.bauddiv = value & 0xFFFFF
        self._update()


__all__ = ["CmsdkApbUart"]
