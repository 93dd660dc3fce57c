"""nRF52840 UART and UARTE (``UART.NRF52840_UART``): one instance, the mode chosen by ENABLE.

Register map from the nRF52840 Product Specification v1.7, 6.33 UART (ENABLE = 4: TXD/RXD
registers, one byte at a time) and 6.34 UARTE (ENABLE = 8: EasyDMA from/to RAM). Tasks are
write-1 registers, events read 1 once generated and are cleared by writing 0; INTEN bit n
belongs to the event at 0x100 + 4n (the events' positions are their INTEN bits), INTENSET and
INTENCLR set and clear them, and the one IRQ line is the OR of the enabled events.

UARTE transmit: STARTTX reads TXD.MAXCNT bytes from TXD.PTR, generating TXSTARTED, a TXDRDY per
byte and ENDTX, and TXD.AMOUNT = the bytes sent. EasyDMA reaches Data RAM only (6.34, "EasyDMA": a
buffer elsewhere, as in flash, is not read): such a pointer sends nothing and is reported.
UARTE receive: STARTRX (RXSTARTED) writes console bytes to RXD.PTR as they arrive, a RXDRDY each,
and after RXD.MAXCNT bytes ENDRX (RXD.AMOUNT); STOPRX ends a shorter transfer with ENDRX and
RXTO. SHORTS ENDRX_STARTRX (bit 5) and ENDRX_STOPRX (bit 6) are honoured.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.peripherals.serial import ConsoleLine, IrqOutputs
from tandem.platform.model import PeripheralSpec

STARTRX, STOPRX, STARTTX, STOPTX, FLUSHRX = 0x000, 0x004, 0x008, 0x00C, 0x02C
EV_RXDRDY, EV_ENDRX, EV_TXDRDY, EV_ENDTX, EV_ERROR = 0x108, 0x110, 0x11C, 0x120, 0x124
EV_RXTO, EV_RXSTARTED, EV_TXSTARTED, EV_TXSTOPPED = 0x144, 0x14C, 0x150, 0x158
SHORTS, INTEN, INTENSET, INTENCLR, ERRORSRC, ENABLE = 0x200, 0x300, 0x304, 0x308, 0x480, 0x500
RXD, TXD, BAUDRATE = 0x518, 0x51C, 0x524  # UART mode
RXD_PTR, RXD_MAXCNT, RXD_AMOUNT = 0x534, 0x538, 0x53C  # UARTE mode
TXD_PTR, TXD_MAXCNT, TXD_AMOUNT = 0x544, 0x548, 0x54C
ENABLE_UART, ENABLE_UARTE = 4, 8
SHORT_ENDRX_STARTRX, SHORT_ENDRX_STOPRX = 1 << 5, 1 << 6
BAUD_115200 = 0x01D7E000  # BAUDRATE's reset value is 9600 (0x00275000)
# Data RAM as EasyDMA sees it (the memory map, 4.2: RAM at 0x20000000, 256 KiB)
DATA_RAM = (0x20000000, 0x20040000)


class Nrf52840Uart(Peripheral):
    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.line = ConsoleLine(ctx)
        self.line.on_input = self._receive
        self.irqs = IrqOutputs(spec, ctx, {"irq": ("", "IRQ")})
        self.regs: dict[int, int] = {BAUDRATE: 0x00275000}
        self.events: set[int] = set()
        self.tx_on = False  # legacy UART: STARTTX given
        self.rx_on = False
        self.rx_count = 0  # UARTE: bytes written to the current RXD buffer

    def mode(self) -> int:
        return self.regs.get(ENABLE, 0) & 0xF

    def _event(self, offset: int) -> None:
        self.events.add(offset)

    def _update(self) -> None:
        inten = self.regs.get(INTEN, 0)
        self.irqs.drive("irq", any(inten >> ((e - 0x100) // 4) & 1 for e in self.events))

    def _in_ram(self, ptr: int, count: int) -> bool:
        ok = DATA_RAM[0] <= ptr and ptr + count <= DATA_RAM[1]
        if not ok:
            self.ctx.note(f"{self.name}: EasyDMA buffer at 0x{ptr:08x} ({count} bytes) is not in Data RAM; "
                          "nothing was transferred")
        return ok

    # UARTE -----------------------------------------------------------------------------------
    def _start_tx(self) -> None:
        ptr, count = self.regs.get(TXD_PTR, 0), self.regs.get(TXD_MAXCNT, 0) & 0xFFFF
        self._event(EV_TXSTARTED)
        sent = 0
        if count and self._in_ram(ptr, count):
            data = bytes(self.ctx.bus_read(ptr + i, 1) for i in range(count))
            self.line.send(data)
            sent = count
            self._event(EV_TXDRDY)
        self.regs[TXD_AMOUNT] = sent
        self._event(EV_ENDTX)

    def _start_rx(self) -> None:
        self.rx_on, self.rx_count = True, 0
        self._event(EV_RXSTARTED)
        self._pump_rx()

    def _end_rx(self) -> None:
        self.regs[RXD_AMOUNT] = self.rx_count
        self.rx_on = False
        self._event(EV_ENDRX)
        shorts = self.regs.get(SHORTS, 0)
        if shorts & SHORT_ENDRX_STOPRX:
            self._event(EV_RXTO)
        elif shorts & SHORT_ENDRX_STARTRX:
            self._start_rx()

    def _pump_rx(self) -> None:
        """Write the console's waiting bytes into the RXD buffer until it is full."""
        if self.mode() != ENABLE_UARTE:
            return
        ptr, count = self.regs.get(RXD_PTR, 0), self.regs.get(RXD_MAXCNT, 0) & 0xFFFF
        while self.rx_on and self.rx_count < count and self.line.peek() is not None:
            if not self._in_ram(ptr, count):
                self.rx_on = False
                return
            self.ctx.bus_write(ptr + self.rx_count, 1, self.line.take() or 0)
            self.rx_count += 1
            self._event(EV_RXDRDY)
            if self.rx_count == count:
                self._end_rx()
                ptr, count = self.regs.get(RXD_PTR, 0), self.regs.get(RXD_MAXCNT, 0) & 0xFFFF

    # registers --------------------------------------------------------------------------------
    def _task(self, offset: int) -> None:
        uarte = self.mode() == ENABLE_UARTE
        if offset == STARTTX:
            if uarte:
                self._start_tx()
            else:
                self.tx_on = True
                self._event(EV_TXSTARTED)
        elif offset == STOPTX:
            self.tx_on = False
            self._event(EV_TXSTOPPED)
        elif offset == STARTRX:
            if uarte:
                self._start_rx()
            else:
                self.rx_on = True
        elif offset == STOPRX:
            if uarte and self.rx_on:
                self._end_rx()
            self.rx_on = False
            self._event(EV_RXTO)
        elif offset == FLUSHRX and uarte:
            self.regs[RXD_AMOUNT] = 0
            self._event(EV_ENDRX)

    def _receive(self) -> None:
        """Input waiting while the receiver runs: into the RXD buffer (UARTE) or RXDRDY (UART)."""
        if self.rx_on:
            if self.mode() == ENABLE_UARTE:
                self._pump_rx()
            elif self.line.peek() is not None:
                self._event(EV_RXDRDY)
            self._update()

    def read(self, offset: int, size: int) -> int:
        self._receive()
        if 0x100 <= offset < 0x200:
            return int(offset in self.events)
        if offset in (INTENSET, INTENCLR):
            return self.regs.get(INTEN, 0)
        if offset == RXD and self.mode() == ENABLE_UART:
            self.events.discard(EV_RXDRDY)
            value = self.line.take()
            return value if value is not None else 0
        return self.regs.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < 0x100:
            if value & 1:
                self._task(offset)
        elif offset < 0x200:
            if value & 1:
                self._event(offset)  # writing 1 to an event register generates the event
            else:
                self.events.discard(offset)
        elif offset == INTENSET:
            self.regs[INTEN] = self.regs.get(INTEN, 0) | value
        elif offset == INTENCLR:
            self.regs[INTEN] = self.regs.get(INTEN, 0) & ~value
        elif offset == TXD and self.mode() == ENABLE_UART:
            if self.tx_on:
                self.line.send(bytes([value & 0xFF]))
                self._event(EV_TXDRDY)
            else:
                self.ctx.note(f"{self.name}: byte written to TXD before TASKS_STARTTX was dropped")
        elif offset == ENABLE:
            self.regs[ENABLE] = value & 0xF
            if value & 0xF == 0:
                self.tx_on = self.rx_on = False
        elif offset not in (RXD_AMOUNT, TXD_AMOUNT):
            self.regs[offset] = value
        self._update()


__all__ = ["Nrf52840Uart"]
