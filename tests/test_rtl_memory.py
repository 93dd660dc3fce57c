"""The RTL's memory port (``memoryBus: axi4``): a Tandem.RtlPeripheral's AXI4 master reading and
writing the board's own memory at the wait states of the memory each beat touches.

The master is the example vector MAC unit (rtl/examples/vmac_axi.v, overlay
platforms/accel/vmac_axi.repl) driven by firmware/tests/vmac_mem.c on generic_m4 with its flash
at 5 wait states and its SRAM at 1 (an overlay below: no fetch accelerator, so the CPU's own
instruction timing is the same for every case). Expected RTL cycles come from the unit's state
machine (its header comment) and the shim's slave timing (sim/rtlsim/shim.cpp): a beat is
presented 1 + W edges after the address handshake or the previous beat, W the wait states of the
memory it touches, and a burst never crosses a 4 KiB boundary (ARM IHI 0022E A3.4.1).
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tandem.cli import main
from tandem.config import TandemConfig
from tandem.cosim.rtl import RtlDesign, run_tests
from tandem.cosim.rtl import build as build_rtl
from tandem.errors import AcceleratorError, PlatformError
from tandem.machine.board import Board
from tandem.platform import load_platform

FLASH_WS, SRAM_WS = 5, 1
NCASES = 8
IN_OFFSET, W_OFFSET = 3, -2
CHUNK = 16


def _timed(tmp_path: Path) -> Path:
    path = tmp_path / "timed.repl"
    path.write_text(f"flash:\n    waitStates: {FLASH_WS}\n\nsram:\n    waitStates: {SRAM_WS}\n")
    return path


def _board(cfg: TandemConfig, *extra: Path) -> Board:
    overlay = cfg.platforms_dir / "accel" / "vmac_axi.repl"
    return Board(load_platform("generic_m4", cfg.platforms_search, [overlay, *extra]), cfg)


def _wait(board: Board, addr: int) -> int:
    region = board.timing.memory.find(addr)
    assert region is not None
    return region.wait_states


def unit_edges(board: Board, in_addr: int, w_addr: int, length: int) -> int:
    """Edges from START's write edge to the edge that sets DONE (vmac_axi.v): per burst of N
    words, one edge to raise ARVALID, the input burst (address handshake + N beats of 1 + W),
    one edge to raise ARVALID again, the weight burst the same way; then one edge to see nothing
    is left."""
    edges, words = 0, (length + 3) // 4
    while words:
        room = min((4096 - (p & 0xFFF)) // 4 for p in (in_addr, w_addr))
        n = min(CHUNK, words, room)
        edges += 1 + 1 + n * (1 + _wait(board, in_addr)) + 1 + n * (1 + _wait(board, w_addr))
        in_addr, w_addr, words = in_addr + 4 * n, w_addr + 4 * n, words - n
    return edges + 1


@pytest.fixture(scope="module")
def vmac_run(cfg: TandemConfig, build: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Board, list[tuple[int, int, int, int]], list[int], list[int]]:
    elf = build("generic_m4", "tests/vmac_mem.c")
    board = _board(cfg, _timed(tmp_path_factory.mktemp("vmac")))
    board.load_elf(elf)
    result = board.run(max_cycles=20_000_000)
    assert result.exit_code == 0  # the STORE run's result, read back by the firmware
    symbols = board.elf.all_symbols
    raw = board.read_memory(symbols["cases"], 16 * NCASES)
    cases = [struct.unpack_from("<IIIi", raw, 16 * k) for k in range(NCASES)]
    cycles = list(struct.unpack(f"<{NCASES}I", board.read_memory(symbols["cycles"], 4 * NCASES)))
    results = list(struct.unpack(f"<{NCASES}i", board.read_memory(symbols["results"], 4 * NCASES)))
    return board, cases, cycles, results


def test_the_unit_computes_the_dot_product_from_board_memory(vmac_run: tuple) -> None:
    board, cases, _, results = vmac_run
    for (in_addr, w_addr, length, bias), got in zip(cases, results, strict=True):
        x = np.frombuffer(board.read_memory(in_addr, length), np.int8).astype(np.int64) + IN_OFFSET
        w = np.frombuffer(board.read_memory(w_addr, length), np.int8).astype(np.int64) + W_OFFSET
        assert got == bias + int((x * w).sum())


def test_flash_beats_pay_flash_wait_states_and_sram_beats_sram_s(vmac_run: tuple) -> None:
    board, cases, cycles, _ = vmac_run
    assert _wait(board, cases[1][1]) == FLASH_WS and _wait(board, cases[4][1]) == SRAM_WS
    # t1 - t0 = (the CPU's fixed part of the call) + the unit's edges, as the RESULT read is held
    # until DONE; the 1-word cases may be answered before the read starts, so they are left out
    expected = [unit_edges(board, i, w, n) for i, w, n, _ in cases]
    fixed = cycles[1] - expected[1]
    assert 0 < fixed < 40
    for k in (2, 4, 5, 6, 7):
        assert cycles[k] == fixed + expected[k], k
    # 16 words: flash weights cost 16 * (5 - 1) more edges than SRAM weights
    assert cycles[1] - cycles[4] == 16 * (FLASH_WS - SRAM_WS)


def test_the_store_lands_in_board_memory(vmac_run: tuple) -> None:
    board, _, _, results = vmac_run
    stored = struct.unpack("<i", board.read_memory(board.elf.all_symbols["stored"], 4))[0]
    assert stored == results[-1]
    accel = board.peripherals["accel"]
    assert "memory beats" in accel.describe()


def test_a_read_outside_memory_is_a_bus_error_report(cfg: TandemConfig, build: Callable[..., Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    elf = build("generic_m4", "tests/vmac_mem.c", extra_cflags=("-DBAD_ADDR=0x30000000",))
    board = _board(cfg)
    board.load_elf(elf)
    with pytest.raises(AcceleratorError, match=r"accel: bus error on the RTL's axi4 memory port: read at "
                                               r"0x30000000 outside the board's memory \(DECERR\)"):
        board.run(max_cycles=5_000_000)
    assert main(["run", "--board", "generic_m4", "--accel", "vmac_axi", str(elf)]) == 3
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if "bus error" in ln)
    assert "read at 0x30000000" in line


@pytest.mark.parametrize(("ports", "message"), [
    ("output wire [31:0] m_axi_araddr, output wire m_axi_arvalid, input wire m_axi_arready",
     r"odd: the top level has no port 'm_axi_rdata' \(the axi4 master's read signals need it"),
    ("output wire [15:0] m_axi_araddr, output wire m_axi_arvalid, input wire m_axi_arready, "
     "input wire [31:0] m_axi_rdata, input wire m_axi_rvalid, output wire m_axi_rready",
     r"port 'm_axi_araddr' is out \[16\], the axi4 convention wants out \[32\]"),
    ("output wire [31:0] m_axi_araddr, output wire m_axi_arvalid, input wire m_axi_arready, "
     "input wire [31:0] m_axi_rdata, input wire m_axi_rvalid, output wire m_axi_rready, output wire m_axi_go",
     r"port 'm_axi_go' does not match the wishbone convention \(not a signal of cocotbext-axi's AxiBus\)"),
])
def test_memory_ports_off_the_convention_are_one_line_errors(cfg: TandemConfig, tmp_path: Path, ports: str,
                                                              message: str) -> None:
    (tmp_path / "odd.v").write_text(
        "module odd(input wire clk, input wire rst, input wire [3:0] s_wb_adr, input wire s_wb_cyc,\n"
        "  input wire s_wb_stb, input wire s_wb_we, input wire [31:0] s_wb_datwr, output wire [31:0] s_wb_datrd,\n"
        f"  output wire s_wb_ack, {ports});\n"
        "  assign s_wb_datrd = 0; assign s_wb_ack = s_wb_stb;\nendmodule\n")
    overlay = tmp_path / "odd.repl"
    overlay.write_text('odd: Tandem.RtlPeripheral @ sysbus <0x50000000, +0x100>\n    sources: "odd.v"\n'
                       '    top: "odd"\n    registerBus: "wishbone"\n    memoryBus: "axi4"\n')
    with pytest.raises(PlatformError, match=message) as info:
        Board(load_platform("generic_m4", cfg.platforms_search, [overlay]), cfg)
    assert "\n" not in str(info.value)


def test_the_unit_under_cocotbext_axi_models(cfg: TandemConfig) -> None:
    """vmac_axi's own bench: AxiLiteMaster and AxiRam (Icarus) against sim/reference/vmac.py."""
    rtl = cfg.rtl_dir / "examples"
    design = RtlDesign(toplevel="vmac_axi", sources=(rtl / "vmac_axi.v",), parameters={"CHUNK": 16}, includes=())
    built = build_rtl("icarus", design, cfg.cache_dir / "rtl")
    total, _ = run_tests(built, "rtl.examples.tests.vmac_bench")
    assert total == 1


# -- the shim's burst rules, through a test master (rtl/examples/tests/axi_probe.v) --------------
PROBE_BASE = 0x50000000
P_ADDR, P_CTRL, P_SUM, P_PATTERN, P_RESP, P_CYCLES = range(0, 24, 4)
INCR, WRAP, FIXED = 1, 2, 0
SRAM = 0x20000000


def _probe(cfg: TandemConfig, tmp_path: Path) -> Board:
    overlay = tmp_path / "probe.repl"
    probe = cfg.rtl_dir / "examples" / "tests" / "axi_probe.v"
    overlay.write_text(f'probe: Tandem.RtlPeripheral @ sysbus <0x{PROBE_BASE:08x}, +0x100>\n'
                       f'    sources: "{probe}"\n    top: "axi_probe"\n    registerBus: "wishbone"\n'
                       '    memoryBus: "axi4"\n    timeoutCycles: 10000\n')
    return Board(load_platform("generic_m4", cfg.platforms_search, [overlay, _timed(tmp_path)]), cfg)


def _burst(board: Board, addr: int, beats: int, size: int, burst: int, write: bool = False) -> tuple[int, int, int]:
    """(SUM, RESP, CYCLES) of one burst."""
    board.bus_write(PROBE_BASE + P_ADDR, 4, addr)
    board.bus_write(PROBE_BASE + P_CTRL, 4, (beats - 1) | size << 8 | burst << 12 | int(write) << 16)
    total = board.bus_read(PROBE_BASE + P_SUM, 4)  # held until the burst is done
    return total, board.bus_read(PROBE_BASE + P_RESP, 4), board.bus_read(PROBE_BASE + P_CYCLES, 4)


def _words(board: Board, addrs: list[int]) -> int:
    """The probe's SUM over beats at ``addrs``: each beat returns its aligned word."""
    return sum((i + 1) * int.from_bytes(board.read_memory(a & ~3, 4), "little")
               for i, a in enumerate(addrs)) & 0xFFFFFFFF


def test_incr_wrap_fixed_and_narrow_bursts(cfg: TandemConfig, tmp_path: Path) -> None:
    board = _probe(cfg, tmp_path)
    board.write_memory(SRAM, bytes(range(256)))
    flash_data = 0x8000
    board.write_memory(flash_data, bytes((7 * i + 3) & 0xFF for i in range(256)))
    # INCR, 8 beats from SRAM (1 wait state): the address, then 8 beats of 1 + 1 edges
    assert _burst(board, SRAM + 0x10, 8, 2, INCR) == (_words(board, [SRAM + 0x10 + 4 * i for i in range(8)]), 0,
                                                      1 + 8 * (1 + SRAM_WS))
    # the same from flash: 8 beats of 1 + 5 edges
    assert _burst(board, flash_data, 8, 2, INCR) == (_words(board, [flash_data + 4 * i for i in range(8)]), 0,
                                                     1 + 8 * (1 + FLASH_WS))
    # WRAP of 4 words from 0x18 wraps at the 16-byte window: 0x18, 0x1C, 0x10, 0x14
    wrapped = [SRAM + o for o in (0x18, 0x1C, 0x10, 0x14)]
    assert _burst(board, SRAM + 0x18, 4, 2, WRAP)[:2] == (_words(board, wrapped), 0)
    # FIXED: the same word four times
    assert _burst(board, SRAM + 0x20, 4, 2, FIXED)[:2] == (_words(board, [SRAM + 0x20] * 4), 0)
    # narrow INCR of bytes from 0x21: 0x21, 0x22, 0x23, 0x24, each beat on its lane of its word
    assert _burst(board, SRAM + 0x21, 4, 0, INCR)[:2] == (_words(board, [SRAM + 0x21 + i for i in range(4)]), 0)
    # 256 beats, the longest INCR
    assert _burst(board, SRAM + 0x400, 256, 2, INCR)[2] == 1 + 256 * (1 + SRAM_WS)


def test_writes_land_in_memory(cfg: TandemConfig, tmp_path: Path) -> None:
    board = _probe(cfg, tmp_path)
    board.bus_write(PROBE_BASE + P_PATTERN, 4, 0x11223344)
    _, resp, cycles = _burst(board, SRAM + 0x200, 4, 2, INCR, write=True)
    assert resp == 0
    assert board.read_memory(SRAM + 0x200, 16) == b"".join((0x11223344 + i).to_bytes(4, "little") for i in range(4))
    # AW, then 4 data beats of 1 + 1 edges, then the response one edge after the last one
    assert cycles == 1 + 4 * (1 + SRAM_WS) + 1


@pytest.mark.parametrize(("addr", "beats", "size", "burst", "write", "message"), [
    (SRAM + 0xFF8, 4, 2, INCR, False, r"AR INCR burst at 0x20000ff8 of 4 beats crosses a 4 KiB boundary"),
    (SRAM + 0x14, 4, 2, WRAP, False, r"AR WRAP burst at 0x20000014 of 4 beats"),  # fine: aligned to 4
    (SRAM + 0x16, 4, 2, WRAP, False, r"AR WRAP burst at 0x20000016 of 4 beats \(needs 2, 4, 8 or 16 and an aligned"),
    (SRAM, 3, 2, WRAP, False, r"AR WRAP burst at 0x20000000 of 3 beats"),
    (SRAM, 17, 2, FIXED, False, r"AR FIXED burst at 0x20000000 of 17 beats \(at most 16\)"),
    (SRAM, 1, 3, INCR, False, r"AR burst at 0x20000000 has ARsize 3, wider than the 32-bit bus"),
    (0x30000000, 2, 2, INCR, True, r"write at 0x30000000 outside the board's memory \(DECERR\)"),
    (0x100000, 1, 2, INCR, False, r"read at 0x00100000 outside the board's memory \(DECERR\)"),  # past flash
])
def test_bad_bursts_are_bus_errors(cfg: TandemConfig, tmp_path: Path, addr: int, beats: int, size: int, burst: int,
                                   write: bool, message: str) -> None:
    board = _probe(cfg, tmp_path)
    if addr == SRAM + 0x14:  # the control case: a legal WRAP from an aligned address
        assert _burst(board, addr, beats, size, burst)[1] == 0
        return
    with pytest.raises(AcceleratorError, match="probe: bus error on the RTL's axi4 memory port: " + message):
        _burst(board, addr, beats, size, burst, write)


# -- the Wishbone memory port, through rtl/examples/tests/wb_probe.v ----------------------------
def _wb_probe(cfg: TandemConfig, tmp_path: Path) -> Board:
    overlay = tmp_path / "wbprobe.repl"
    probe = cfg.rtl_dir / "examples" / "tests" / "wb_probe.v"
    overlay.write_text(f'probe: Tandem.RtlPeripheral @ sysbus <0x{PROBE_BASE:08x}, +0x100>\n'
                       f'    sources: "{probe}"\n    top: "wb_probe"\n    registerBus: "wishbone"\n'
                       '    memoryBus: "wishbone"\n    timeoutCycles: 10000\n')
    return Board(load_platform("generic_m4", cfg.platforms_search, [overlay, _timed(tmp_path)]), cfg)


def _wb_run(board: Board, addr: int, count: int, write: bool = False) -> tuple[int, int, int]:
    """(SUM, ERRS, CYCLES) of ``count`` classic cycles from ``addr``."""
    board.bus_write(PROBE_BASE + P_ADDR, 4, addr)
    board.bus_write(PROBE_BASE + P_CTRL, 4, count | int(write) << 16)
    total = board.bus_read(PROBE_BASE + P_SUM, 4)
    return total, board.bus_read(PROBE_BASE + 16, 4), board.bus_read(PROBE_BASE + P_CYCLES, 4)


def test_wishbone_master_reads_and_writes_at_the_wait_states(cfg: TandemConfig, tmp_path: Path) -> None:
    board = _wb_probe(cfg, tmp_path)
    board.write_memory(SRAM, bytes((5 * i + 1) & 0xFF for i in range(64)))
    board.write_memory(0x8000, bytes((3 * i + 2) & 0xFF for i in range(64)))
    # a classic cycle with registered ACK: 2 + W edges each (ACK W edges after the sampling edge)
    assert _wb_run(board, SRAM, 8) == (_words(board, [SRAM + 4 * i for i in range(8)]), 0, 8 * (2 + SRAM_WS))
    assert _wb_run(board, 0x8000, 8) == (_words(board, [0x8000 + 4 * i for i in range(8)]), 0, 8 * (2 + FLASH_WS))
    board.bus_write(PROBE_BASE + P_PATTERN, 4, 0xA0B0C0D0)
    assert _wb_run(board, SRAM + 0x100, 3, write=True)[1:] == (0, 3 * (2 + SRAM_WS))
    assert board.read_memory(SRAM + 0x100, 12) == b"".join((0xA0B0C0D0 + i).to_bytes(4, "little") for i in range(3))
    with pytest.raises(AcceleratorError, match=r"probe: bus error on the RTL's wishbone memory port: read at "
                                               r"0x00100000 outside the board's memory \(ERR\)"):
        _wb_run(board, 0x100000, 1)


def test_the_port_follows_a_flash_latency_change(cfg: TandemConfig, tmp_path: Path) -> None:
    """What the board does when firmware writes FLASH_ACR (Board.set_flash_timing's event): the
    memory port's next beats pay the new wait states."""
    board = _probe(cfg, tmp_path)
    assert _burst(board, 0x8000, 8, 2, INCR)[2] == 1 + 8 * (1 + FLASH_WS)
    board.timing.set_flash_timing("flash", 2, False)
    assert _burst(board, 0x8000, 8, 2, INCR)[2] == 1 + 8 * (1 + 2)
