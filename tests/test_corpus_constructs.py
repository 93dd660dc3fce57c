"""Constructs met when loading Renode's own Cortex-M platform files (tandem issue 10).

The files here are this project's own, written in Renode's style (tests/data/repl/).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tandem.errors import PlatformError
from tandem.machine.board import Board
from tandem.platform import load_platform

DATA = Path(__file__).parent / "data" / "repl"


def test_a_modelled_peripheral_keeps_its_registers_and_leaves_a_named_region_unmodelled():
    """The flash interface's registers (RM0090 3.9, 0x40023C00) are modelled; the option bytes
    (RM0090 3.6, 0x1FFFC000) registered as a named region of the same entry are not."""
    p = load_platform(str(DATA / "flash_regions.repl"), DATA)
    fi = p.peripheral("flashIf")
    assert (fi.base, fi.size, fi.extra_windows) == (0x40023C00, 0x400, ())
    assert fi.modelled
    ob = p.peripheral("flashIf.optionBytes")
    assert (ob.base, ob.size) == (0x1FFFC000, 0x10)
    assert not ob.modelled
    assert any(n.startswith("flashIf (MTD.STM32F4_FlashController): region 'optionBytes' at 0x1fffc000 "
                            "is not modelled") for n in p.notes)
    # on the bus: the registers go to the model, the option bytes to an unimplemented window
    board = Board(p)
    regs, opt = board.bus.find(0x40023C00), board.bus.find(0x1FFFC004)
    assert regs is not None and regs[0] is board.peripherals["flashIf"]
    assert opt is not None and opt[0] is board.peripherals["flashIf.optionBytes"]
    assert board.bus.find(0x1FFFC010) is None


def test_a_modelled_peripheral_with_two_unnamed_registrations_is_still_refused(tmp_path):
    text = (DATA / "flash_regions.repl").read_text().replace(
        'sysbus new Bus.BusMultiRegistration { address: 0x1FFFC000; size: 0x10; region: "optionBytes" }',
        "sysbus <0x1FFFC000, +0x10>")
    (tmp_path / "c.repl").write_text(text)
    with pytest.raises(PlatformError, match=r"'flashIf': a modelled peripheral needs exactly one registration "
                                            r"without 'region:' \(found 2\)") as err:
        load_platform(str(tmp_path / "c.repl"), tmp_path)
    assert err.value.line == 16


def _chip_text() -> str:
    return (DATA / "flash_regions.repl").read_text()


def test_a_using_sees_what_the_usings_before_it_defined(tmp_path):
    """A board made of fragments, as Renode's discovery kits are: the second included file
    amends an entry the first one brought in (and is not a board on its own)."""
    (tmp_path / "chip.repl").write_text(_chip_text())
    (tmp_path / "leds.repl").write_text("cpu:\n    frequency: 48000000\n\nflashIf:\n    latency: 2\n")
    (tmp_path / "kit.repl").write_text('using "chip.repl"\nusing "leds.repl"\n')
    p = load_platform(str(tmp_path / "kit.repl"), tmp_path)
    assert p.cpu.frequency_hz == 48_000_000
    assert p.peripheral("flashIf").properties["latency"] == 2
    with pytest.raises(PlatformError, match="entry 'cpu' has no type and amends nothing defined before it"):
        load_platform(str(tmp_path / "leds.repl"), tmp_path)


def test_a_prefixed_using_still_stands_alone(tmp_path):
    (tmp_path / "chip.repl").write_text(_chip_text())
    (tmp_path / "frag.repl").write_text("flashIf:\n    latency: 2\n")
    (tmp_path / "b.repl").write_text('using "chip.repl"\nusing "frag.repl" prefixed "x_"\n')
    with pytest.raises(PlatformError, match="frag.repl:1: entry 'flashIf' has no type and amends nothing"):
        load_platform(str(tmp_path / "b.repl"), tmp_path)


def test_the_machine_exists_without_being_defined(tmp_path):
    """``machine:`` holds monitor commands for the machine (Renode defines it, like sysbus);
    tandem keeps them as commands and makes no peripheral of it."""
    (tmp_path / "chip.repl").write_text(_chip_text())
    (tmp_path / "b.repl").write_text('using "chip.repl"\n\nmachine:\n    init:\n'
                                     '        PyDevFromFile @scripts/x.py 0x40023800 0x4 True\n')
    p = load_platform(str(tmp_path / "b.repl"), tmp_path)
    assert [(c.entry, c.text) for c in p.commands if c.entry == "machine"] == [
        ("machine", "PyDevFromFile @scripts/x.py 0x40023800 0x4 True")]
    assert all(s.name != "machine" for s in p.peripherals)


def test_a_flash_of_the_code_region_is_the_code_memory_before_a_lower_rom(tmp_path):
    """No memory is named flash or rom and none is at 0: the flash of the Code region holds the
    code, not a small boot ROM below it (as Renode's FocalTech FT9001 file lays them out)."""
    (tmp_path / "c.repl").write_text(
        "bootRom: Memory.MappedMemory @ sysbus 0x40000\n    size: 0x1000\n\n"
        "flash1: Memory.MappedMemory @ sysbus 0x10000000\n    size: 0x80000\n\n"
        "sram1: Memory.MappedMemory @ sysbus 0x20000000\n    size: 0x10000\n\n"
        "nvic: IRQControllers.NVIC @ sysbus 0xE000E000\n    -> cpu@0\n\n"
        'cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m4"\n    nvic: nvic\n')
    p = load_platform(str(tmp_path / "c.repl"), tmp_path)
    assert (p.code_memory, p.data_memory) == ("flash1", "sram1")
    assert "code memory: 'flash1', a flash memory of the Code region" in p.notes


def test_a_chip_without_memories_says_so(tmp_path):
    """Renode's STM32F0 chip file has no memory (its boards add flash and SRAM): loaded alone
    the error names the missing memory, not a default name."""
    (tmp_path / "c.repl").write_text("nvic: IRQControllers.NVIC @ sysbus 0xE000E000\n    -> cpu@0\n\n"
                                     'cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m0"\n    nvic: nvic\n')
    with pytest.raises(PlatformError, match=r"c\.repl: the platform has no Memory\.MappedMemory on sysbus"):
        load_platform(str(tmp_path / "c.repl"), tmp_path)
