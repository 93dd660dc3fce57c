"""Semihosting strings that end near the end of RAM (issue 15, item 4): SYS_WRITE0 reads the
string 64 bytes at a time while that stays in memory, then byte by byte up to the NUL."""
from __future__ import annotations

import pytest

from tandem.machine.board import Board

SYS_OPEN, SYS_WRITE0 = 0x01, 0x04


@pytest.mark.parametrize("length", [1, 10, 63, 64, 65, 200])
def test_write0_of_a_string_ending_at_the_last_byte_of_ram(cfg, length: int) -> None:
    b = Board.from_platform("generic_m4", cfg)
    sram = next(m for m in b.platform.memories if m.name == "sram")
    end = sram.base + sram.size
    text = bytes(0x41 + i % 26 for i in range(length - 1))
    b.cpu.write(end - length, text + b"\0")
    b.cpu.set_reg("r0", SYS_WRITE0)
    b.cpu.set_reg("r1", end - length)
    b.semihosting.call()
    assert bytes(b.console.out) == text
    assert not [n for n in b.notes if "semihosting" in n]


def test_write0_without_a_nul_before_the_end_of_ram_is_a_note(cfg) -> None:
    b = Board.from_platform("generic_m4", cfg)
    sram = next(m for m in b.platform.memories if m.name == "sram")
    end = sram.base + sram.size
    b.cpu.write(end - 5, b"abcde")
    b.cpu.set_reg("r0", SYS_WRITE0)
    b.cpu.set_reg("r1", end - 5)
    b.semihosting.call()
    assert b.console.out == bytearray()
    assert any(f"string at 0x{end - 5:08x} is not in the board's memory up to its NUL" in n for n in b.notes)
    assert b.cpu.reg("r0") == 0xFFFFFFFF


@pytest.mark.parametrize("mode,handle", [(0, 1), (4, 2), (8, 3)])
def test_open_of_tt_named_in_the_last_bytes_of_ram(cfg, mode: int, handle: int) -> None:
    """SYS_OPEN's name and its parameter block in the last 16 bytes of RAM: the name is read by
    its length (the block's third word), so nothing past the end of RAM is touched."""
    b = Board.from_platform("generic_m4", cfg)
    sram = next(m for m in b.platform.memories if m.name == "sram")
    end = sram.base + sram.size
    name, block = end - 4, end - 16
    b.cpu.write(name, b":tt\0")
    b.cpu.write(block, (name).to_bytes(4, "little") + mode.to_bytes(4, "little")
                + (3).to_bytes(4, "little"))
    b.cpu.set_reg("r0", SYS_OPEN)
    b.cpu.set_reg("r1", block)
    b.semihosting.call()
    assert b.cpu.reg("r0") == handle
    assert not [n for n in b.notes if "semihosting" in n]


def test_open_with_a_name_running_past_the_end_of_ram_is_minus_one(cfg) -> None:
    b = Board.from_platform("generic_m4", cfg)
    sram = next(m for m in b.platform.memories if m.name == "sram")
    end = sram.base + sram.size
    block = end - 16
    b.cpu.write(block, (end - 2).to_bytes(4, "little") + (0).to_bytes(4, "little")
                + (3).to_bytes(4, "little"))
    b.cpu.set_reg("r0", SYS_OPEN)
    b.cpu.set_reg("r1", block)
    b.semihosting.call()
    assert b.cpu.reg("r0") == 0xFFFFFFFF
    assert any("semihosting operation 0x1" in n and "file name" in n for n in b.notes)
