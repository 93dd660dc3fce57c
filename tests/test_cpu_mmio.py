"""The CPU's MMIO windows (core/cpu.py map_mmio): what a handler returns and takes reaches the
core, and an exception a handler raises stops emulation and comes out of ``start`` itself."""
from __future__ import annotations

import struct

import pytest

from tandem.core.cpu import CortexM

RAM, MMIO = 0x2000_0000, 0x4000_0000
# ldr r0, [r1]; adds r0, #1; str r0, [r1, #4] (Thumb: 0x6808, 0x3001, 0x6048); then zeros (LSLS r0,
# r0, #0) up to the end of RAM, where a fetch fails: a run that is not stopped ends there
CODE = struct.pack("<3H", 0x6808, 0x3001, 0x6048)


def _cpu(read, write) -> CortexM:
    cpu = CortexM("cortex-m4")
    cpu.map_memory((RAM,), 0x1000)
    cpu.write(RAM, CODE)
    cpu.map_mmio(MMIO, 0x1000, read, write)
    cpu.set_reg("r1", MMIO + 0x10)
    return cpu


def test_a_read_handler_value_reaches_the_core_and_a_store_reaches_the_write_handler():
    seen: list[tuple[int, int, int]] = []

    def write(addr: int, size: int, value: int) -> None:
        seen.append((addr, size, value))
        cpu.stop()

    cpu = _cpu(lambda addr, size: 0x1234_0000 + (addr & 0xFF) + size, write)
    cpu.start(RAM)
    assert seen == [(MMIO + 0x14, 4, 0x1234_0010 + 4 + 1)]
    assert cpu.reg("r0") == 0x1234_0015


@pytest.mark.parametrize("where", ["read", "write"])
def test_an_exception_in_a_handler_stops_emulation_and_is_raised_by_start(where):
    def read(addr: int, size: int) -> int:
        if where == "read":
            raise KeyError("a bug in a read handler")
        return 7

    def write(addr: int, size: int, value: int) -> None:
        raise KeyError("a bug in a write handler")

    cpu = _cpu(read, write)
    with pytest.raises(KeyError, match=f"a bug in a {where} handler"):
        cpu.start(RAM)
    assert cpu.reg("pc") < RAM + 8  # stopped at the access
