"""The RTL's AHB-Lite memory port (``memoryBus: ahb``), through a test master
(rtl/examples/tests/ahb_probe.v) on generic_m4 with its flash at 5 wait states and its SRAM at 1.

Expected cycles follow from the AHB-Lite pipeline (ARM IHI 0033A 3.1) and the shim's slave
(sim/rtlsim/shim_ahb.inc): the probe presents its first address one edge after the CTRL write,
each data phase lasts 1 + W cycles (W the wait states of the memory the transfer touches) and
the next address phase is taken at the edge completing the current data phase, so N transfers
end 1 + N * (1 + W) edges after the CTRL write. Burst address arithmetic (INCR, WRAP4/8/16) and
the 1 KiB rule are those of IHI 0033A 3.5.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tandem.config import TandemConfig
from tandem.errors import AcceleratorError, PlatformError
from tandem.machine.board import Board
from tandem.platform import load_platform

FLASH_WS, SRAM_WS = 5, 1
BASE = 0x50000000
ADDR, CTRL, SUM, PATTERN, ERRS, CYCLES = range(0, 24, 4)
SINGLE, INCR, WRAP4, INCR4, WRAP8, INCR8, WRAP16, INCR16 = range(8)
SRAM, FLASH_DATA = 0x20000000, 0x8000


def _probe(cfg: TandemConfig, tmp_path: Path) -> Board:
    timed = tmp_path / "timed.repl"
    timed.write_text(f"flash:\n    waitStates: {FLASH_WS}\n\nsram:\n    waitStates: {SRAM_WS}\n")
    overlay = tmp_path / "probe.repl"
    probe = cfg.rtl_dir / "examples" / "tests" / "ahb_probe.v"
    overlay.write_text(f'probe: Tandem.RtlPeripheral @ sysbus <0x{BASE:08x}, +0x100>\n'
                       f'    sources: "{probe}"\n    top: "ahb_probe"\n    registerBus: "wishbone"\n'
                       '    memoryBus: "ahb"\n    timeoutCycles: 10000\n')
    board = Board(load_platform("generic_m4", cfg.platforms_search, [overlay, timed]), cfg)
    board.write_memory(SRAM, bytes((5 * i + 1) & 0xFF for i in range(0x800)))
    board.write_memory(FLASH_DATA, bytes((7 * i + 3) & 0xFF for i in range(256)))
    return board


def _run(board: Board, addr: int, count: int, size: int = 2, burst: int = INCR, write: bool = False,
         skip: bool = False) -> tuple[int, int, int]:
    """(SUM, ERRS, CYCLES) of ``count`` transfers."""
    board.bus_write(BASE + ADDR, 4, addr)
    board.bus_write(BASE + CTRL, 4, (count - 1) | size << 8 | burst << 12 | int(write) << 16 | int(skip) << 17)
    total = board.bus_read(BASE + SUM, 4)  # held until the run is done
    return total, board.bus_read(BASE + ERRS, 4), board.bus_read(BASE + CYCLES, 4)


def _sum(board: Board, addrs: list[int]) -> int:
    """The probe's SUM over transfers at ``addrs``: each returns its aligned word (HRDATA)."""
    return sum((i + 1) * int.from_bytes(board.read_memory(a & ~3, 4), "little")
               for i, a in enumerate(addrs)) & 0xFFFFFFFF


def test_bursts_follow_their_address_arithmetic_at_the_regions_wait_states(cfg: TandemConfig,
                                                                          tmp_path: Path) -> None:
    board = _probe(cfg, tmp_path)
    words = [SRAM + 0x10 + 4 * i for i in range(8)]
    assert _run(board, SRAM + 0x10, 8) == (_sum(board, words), 0, 1 + 8 * (1 + SRAM_WS))
    flash = [FLASH_DATA + 4 * i for i in range(8)]
    assert _run(board, FLASH_DATA, 8, burst=INCR8) == (_sum(board, flash), 0, 1 + 8 * (1 + FLASH_WS))
    for burst, n in ((INCR4, 4), (INCR16, 16), (SINGLE, 3)):
        addrs = [SRAM + 0x100 + 4 * i for i in range(n)]
        assert _run(board, SRAM + 0x100, n, burst=burst) == (_sum(board, addrs), 0, 1 + n * (1 + SRAM_WS)), burst
    # WRAP4 from 0x18 wraps at the 16-byte window, WRAP8 from 0x38 at 32 bytes, WRAP16 from 0x44 at 64
    for burst, start, n in ((WRAP4, 0x18, 4), (WRAP8, 0x38, 8), (WRAP16, 0x44, 16)):
        span = 4 * n
        addrs = [SRAM + (start & ~(span - 1)) + (start + 4 * i) % span for i in range(n)]
        assert _run(board, SRAM + start, n, burst=burst) == (_sum(board, addrs), 0, 1 + n * (1 + SRAM_WS)), burst
    # narrow: bytes from 0x21 (INCR), halfwords WRAP4 from 0x06 (8-byte window: 6, 0, 2, 4)
    assert _run(board, SRAM + 0x21, 4, size=0)[:2] == (_sum(board, [SRAM + 0x21 + i for i in range(4)]), 0)
    assert _run(board, SRAM + 0x06, 4, size=1, burst=WRAP4)[:2] == (
        _sum(board, [SRAM + o for o in (0x6, 0x0, 0x2, 0x4)]), 0)
    # an INCR of undefined length up to a 1 KiB boundary is fine
    assert _run(board, SRAM + 0x3C0, 16)[1:] == (0, 1 + 16 * (1 + SRAM_WS))


def test_writes_land_on_their_byte_lanes(cfg: TandemConfig, tmp_path: Path) -> None:
    board = _probe(cfg, tmp_path)
    board.bus_write(BASE + PATTERN, 4, 0x11223344)
    # no write response phase on AHB: the same 1 + N * (1 + W) edges as reads
    assert _run(board, SRAM + 0x200, 4, write=True)[1:] == (0, 1 + 4 * (1 + SRAM_WS))
    assert board.read_memory(SRAM + 0x200, 16) == b"".join((0x11223344 + i).to_bytes(4, "little") for i in range(4))
    board.write_memory(SRAM + 0x300, bytes(4))
    # bytes at 0x301 and 0x302: lane 1 of PATTERN + 0, lane 2 of PATTERN + 1
    assert _run(board, SRAM + 0x301, 2, size=0, write=True)[1] == 0
    assert board.read_memory(SRAM + 0x300, 4) == bytes([0, 0x33, 0x22, 0])


def test_the_port_follows_a_flash_latency_change(cfg: TandemConfig, tmp_path: Path) -> None:
    board = _probe(cfg, tmp_path)
    assert _run(board, FLASH_DATA, 8)[2] == 1 + 8 * (1 + FLASH_WS)
    board.timing.set_flash_timing("flash", 2, False)
    assert _run(board, FLASH_DATA, 8)[2] == 1 + 8 * (1 + 2)


@pytest.mark.parametrize(("addr", "count", "size", "burst", "write", "skip", "message"), [
    (SRAM + 0x3F8, 4, 2, INCR, False, False, r"read burst crosses a 1 KiB boundary at 0x20000400 \(HBURST 1\)"),
    (SRAM, 5, 2, INCR4, False, False, r"SEQ read at 0x20000010 after the end of its burst \(HBURST 3\)"),
    (SRAM, 2, 2, INCR, False, True, r"SEQ read at 0x20000008, where its burst's next address is 0x20000004"),
    (SRAM, 1, 3, INCR, False, False, r"read at 0x20000000 has HSIZE 3, wider than the 32-bit bus \(ERROR\)"),
    (SRAM + 2, 1, 2, INCR, False, False, r"read at 0x20000002 is not aligned to its HSIZE 2 \(ERROR\)"),
    (0x30000000, 2, 2, INCR, True, False, r"write at 0x30000000 outside the board's memory \(ERROR\)"),
    (0x100000, 1, 2, SINGLE, False, False, r"read at 0x00100000 outside the board's memory \(ERROR\)"),
    (FLASH_DATA, 1, 2, SINGLE, True, False, r"write at 0x00008000 to read-only memory \(ERROR\)"),
])
def test_bad_transfers_are_one_line_bus_errors(cfg: TandemConfig, tmp_path: Path, addr: int, count: int, size: int,
                                               burst: int, write: bool, skip: bool, message: str) -> None:
    board = _probe(cfg, tmp_path)
    with pytest.raises(AcceleratorError, match="probe: bus error on the RTL's ahb memory port: " + message) as info:
        _run(board, addr, count, size, burst, write, skip)
    assert "\n" not in str(info.value)


_GOOD = ("output wire [31:0] m_ahb_haddr, output wire [1:0] m_ahb_htrans, output wire m_ahb_hwrite, "
         "input wire [31:0] m_ahb_hrdata, input wire m_ahb_hready")


@pytest.mark.parametrize(("ports", "message"), [
    (_GOOD, r"odd: the top level has no port 'm_ahb_hresp' \(the ahb master's master signals need it"),
    (_GOOD.replace("[1:0] m_ahb_htrans", "[2:0] m_ahb_htrans") + ", input wire m_ahb_hresp",
     r"port 'm_ahb_htrans' is out \[3\], the ahb convention wants out \[2\]"),
    (_GOOD + ", input wire m_ahb_hresp, output wire m_ahb_hsel",
     r"port 'm_ahb_hsel' does not match the wishbone convention \(not a signal of an AHB-Lite master\)"),
])
def test_ahb_ports_off_the_convention_are_one_line_errors(cfg: TandemConfig, tmp_path: Path, ports: str,
                                                           message: str) -> None:
    (tmp_path / "odd.v").write_text(
        "module odd(input wire clk, input wire rst, input wire [3:0] s_wb_adr, input wire s_wb_cyc,\n"
        "  input wire s_wb_stb, input wire s_wb_we, input wire [31:0] s_wb_datwr, output wire [31:0] s_wb_datrd,\n"
        f"  output wire s_wb_ack, {ports});\n"
        "  assign s_wb_datrd = 0; assign s_wb_ack = s_wb_stb;\nendmodule\n")
    overlay = tmp_path / "odd.repl"
    overlay.write_text('odd: Tandem.RtlPeripheral @ sysbus <0x50000000, +0x100>\n    sources: "odd.v"\n'
                       '    top: "odd"\n    registerBus: "wishbone"\n    memoryBus: "ahb"\n')
    with pytest.raises(PlatformError, match=message) as info:
        Board(load_platform("generic_m4", cfg.platforms_search, [overlay]), cfg)
    assert "\n" not in str(info.value)
