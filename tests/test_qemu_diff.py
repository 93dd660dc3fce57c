"""Differential tests: the same ELF on QEMU's mps2-an386 and on tandem's mps2_an386 board
must print the same output and exit with the same code."""
from __future__ import annotations

from pathlib import Path

import pytest
from qemu_oracle import run_qemu

from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.platform.model import load_platform

# semihost_hello.c is left out: QEMU sends SYS_WRITE on ":tt" to its own stdout but SYS_WRITE0
# to the semihosting chardev, so the two streams cannot be compared in order.
PROGRAMS = ["tests/hello.c", "tests/exit_code.c", "tests/float.c", "tests/primes.c", "tests/svc.c"]


@pytest.mark.parametrize("program", PROGRAMS)
def test_same_output_as_qemu(build, cfg, tmp_path, program):
    elf = build("mps2_an386", program)
    q_out, q_code = run_qemu(elf, tmp_path / "qemu.out")
    board = Board.from_platform("mps2_an386", cfg)
    board.load_elf(elf)
    result = board.run()
    assert q_out, "QEMU printed nothing"
    assert result.output == q_out
    assert result.exit_code == q_code


# Other cores: QEMU's mps2-an500 is a Cortex-M7 with code memory at 0 and SRAM at 0x20000000
# like generic_m7; the micro:bit (nRF51, Cortex-M0) has 256 KiB of flash at 0 like generic_m0
# but only 16 KiB of RAM, so the program is built for generic_m0 with its SRAM cut to 16 KiB.
# (QEMU's Cortex-M33 machines boot in the Secure state from a Secure alias: not comparable to a
# board without the Security Extension.)
@pytest.mark.parametrize(("board", "machine", "sram"), [("generic_m7", "mps2-an500", None),
                                                         ("generic_m0", "microbit", 0x4000)])
@pytest.mark.parametrize("program", ["tests/hello.c", "tests/exit_code.c"])
def test_same_output_as_qemu_on_other_cores(cfg, tmp_path, board, machine, sram, program):
    overlays: list[Path] = []
    if sram is not None:
        overlays.append(tmp_path / "sram.repl")
        overlays[0].write_text(f"sram:\n    size: 0x{sram:x}\n")
    platform = load_platform(board, cfg.platforms_dir, overlays)
    elf = build_firmware(platform, FirmwareSpec((program,), stack_size=0x800, heap_size=0x800), cfg)
    q_out, q_code = run_qemu(elf, tmp_path / "qemu.out", machine=machine)
    b = Board(platform, cfg)
    b.load_elf(elf)
    result = b.run()
    assert q_out, "QEMU printed nothing"
    assert result.output == q_out
    assert result.exit_code == q_code
