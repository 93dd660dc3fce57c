"""Bit-band aliases (``Miscellaneous.BitBanding``, as in Renode's STM32F4 chip file): a word in
the alias window stands for one bit of the bit-band region (ARMv7-M ARM B3.1 / Cortex-M3 and M4
TRMs, "Bit-banding": SRAM 0x20000000-0x200FFFFF aliased at 0x22000000, peripherals
0x40000000-0x400FFFFF at 0x42000000).

Alias offset ``o`` maps to bit ``(o % 32) // 4`` of byte ``peripheralBase + o // 32``. A read
returns that bit as 0 or 1; a write stores bit 0 of the value there with a read-modify-write of
the aligned 32-bit word holding it, through the system bus (the peripheral's handler or RAM).
The manuals give the target transfer the size of the alias access; tandem's register models
decode whole words, so the word holding the byte is read and written instead (same result for
every register and for RAM). The entry's window is the alias span: 32 MiB for the whole 1 MiB
region (Renode's SRAM entry uses 2 MiB, 64 KiB of SRAM).
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec


class BitBanding(Peripheral):

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        base = spec.properties.get("peripheralBase", 0x40000000)
        self.target_base = base if isinstance(base, int) else 0x40000000

    def target(self, offset: int) -> tuple[int, int]:
        """The aligned target word and the bit in it that alias ``offset`` stands for."""
        byte = self.target_base + offset // 32
        return byte & ~3, (byte & 3) * 8 + (offset % 32) // 4

    def read(self, offset: int, size: int) -> int:
        word, bit = self.target(offset)
        return self.ctx.bus_read(word, 4) >> bit & 1

    def write(self, offset: int, size: int, value: int) -> None:
        word, bit = self.target(offset)
        old = self.ctx.bus_read(word, 4)
        new = old | (1 << bit) if value & 1 else old & ~(1 << bit)
        self.ctx.bus_write(word, 4, new & 0xFFFFFFFF)


__all__ = ["BitBanding"]
