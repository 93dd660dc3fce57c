"""Loads from wait-stated flash through every addressing mode, under the cycle model (issue 15).

firmware/tests/flash_loads.c reads flatbuffer-style tables from flash the way the flatbuffers
library does (vtable = table - soffset read as int32, vtable entries as uint16, fields as
uint8/int8/uint16/int16/uint32/int64) and runs flash_probe.S (LDRB/LDRSB/LDRH/LDRSH/LDR/LDRD/LDM
with immediate, register, shifted-register, pre- and post-indexed and literal addressing, in IT
blocks and a TBB, at alignments 0..3) on the same bytes in flash and in RAM; it exits 0 only if
every value (and every written-back base) agrees. Data loads from flash are timed by the
counter's shadow window (sim/timing/blockhook.c); the Unicorn memory hook it replaced made
Unicorn skip instructions after an IT block holding a load (the TFLM fault of the issue).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tandem.config import TandemConfig
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.platform.model import load_platform

SOURCES = ("tests/flash_loads.c", "tests/flash_probe.S")
# (board, flash wait states to add with an overlay: the generic boards' memories have none)
BOARDS = [("generic_m0plus", 3), ("bluepill", None), ("nucleo_l4r5zi", None),
          ("generic_m7", 3), ("generic_m33", 2)]


@pytest.mark.parametrize("board,ws", BOARDS, ids=[b for b, _ in BOARDS])
def test_flash_reads_match_ram_reads(board: str, ws: int | None, cfg: TandemConfig, tmp_path: Path) -> None:
    overlays = []
    if ws is not None:
        overlay = tmp_path / "flash_ws.repl"
        overlay.write_text(f"flash:\n    waitStates: {ws}\n")
        overlays.append(overlay)
    platform = load_platform(board, cfg.platforms_search, overlays)
    flash = next(m for m in platform.memories if m.name == "flash")
    assert flash.wait_states > 0  # the loads under test are the timed ones
    b = Board(platform, cfg)
    b.load_elf(build_firmware(platform, FirmwareSpec(SOURCES), cfg))
    result = b.run(max_cycles=5_000_000)
    assert "MISMATCH" not in result.output
    assert result.exit_code == 0, result.output
    words = 21 if platform.cpu.core.startswith("cortex-m0") else 69
    assert f"flash loads ok: {words} probe words" in result.output


@pytest.mark.parametrize("offset", [1, 2, 3])
def test_an_unaligned_load_from_flash_is_timed_as_two_accesses(offset: int, cfg: TandemConfig,
                                                               tmp_path: Path) -> None:
    """With no cache in front of the flash every access waits. An unaligned word load is two
    aligned accesses (QEMU splits it so; the core makes two or three transfers, Cortex-M4 TRM
    3.3.2, docs/timing.md), so firmware/tests/flash_unaligned.c's eight LDRs cost 8 x ws more
    at an unaligned offset than at offset 0; every other flash load of the two builds is the
    same."""
    ws = 3
    overlay = tmp_path / "flash_ws.repl"
    overlay.write_text(f"flash:\n    waitStates: {ws}\n")
    platform = load_platform("generic_m4", cfg.platforms_search, [overlay])

    def data_cycles(off: int) -> int:
        board = Board(platform, cfg)
        spec = FirmwareSpec(("tests/flash_unaligned.c",), name=f"flash_unaligned{off}",
                            extra_cflags=(f"-DOFFSET={off}",))
        board.load_elf(build_firmware(platform, spec, cfg))
        result = board.run(max_cycles=1_000_000)
        assert result.exit_code == 0, result.output  # the words read match their bytes
        return board.counter.data_cycles

    aligned = data_cycles(0)
    assert aligned >= 8 * ws  # the eight loads are timed at all
    assert data_cycles(offset) - aligned == 8 * ws
