"""The conv engine on a board through the generic RTL path (platforms/accel/conv8x8.repl):
firmware/tests/conv_engine_regs.c programs a 1x1 CONV_2D (filter in flash), two depthwise jobs
and a refused one through the registers; the outputs in board memory must equal the golden
model's (sim/reference/conv_engine.py) computed from the operands the firmware left there."""
from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from tandem.accel.regmap import ERR_BY_NAME, render_c_header
from tandem.config import TandemConfig
from tandem.cosim.rtl import RTL_INCLUDE_DIR
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.platform import load_platform
from tandem.reference.conv_engine import EngineJob, filter_elements, run_job

FLASH_WS = 5
DONE, ERROR = 2, 4
H = W = 8
C = 16


def _job(mode: str, out_c: int, out_hw: int, k: int, s: int, pad: int, filt: int, out: int,
         sym: dict[str, int]) -> EngineJob:
    return EngineJob(mode=mode, in_h=H, in_w=W, in_c=C, out_h=out_hw, out_w=out_hw, out_c=out_c,
                     kh=k, kw=k, sh=s, sw=s, pad_top=pad, pad_left=pad, in_offset=5, out_offset=-3,
                     in_addr=sym["input"], filter_addr=filt, bias_addr=sym["bias"],
                     mult_addr=sym["mult"], shift_addr=sym["shift"], out_addr=out)


def _gathered(board: Board, job: EngineJob) -> tuple[EngineJob, bytes]:
    """The job's operands copied from board memory into one image (the golden model's input)."""
    parts = [("in_addr", job.in_h * job.in_w * job.in_c), ("filter_addr", filter_elements(job)),
             ("bias_addr", 4 * job.out_c), ("mult_addr", 4 * job.out_c), ("shift_addr", 4 * job.out_c)]
    image = bytearray()
    moved: dict[str, int] = {}
    for field, size in parts:
        moved[field] = len(image)
        image += board.read_memory(getattr(job, field), size)
        image += bytes(-len(image) % 4)
    return EngineJob(**{**job.__dict__, **moved}), bytes(image)


def engine_board(cfg: TandemConfig, tmp: Path, **defines: str) -> Board:
    """generic_m4 with conv8x8 and FLASH_WS flash wait states, firmware/tests/conv_engine_regs.c
    loaded (built with ``defines``)."""
    timed = tmp / "timed.repl"
    timed.write_text(f"flash:\n    waitStates: {FLASH_WS}\n")
    platform = load_platform("generic_m4", cfg.platforms_search,
                             [cfg.platforms_dir / "accel" / "conv8x8.repl", timed])
    # the register header comes from rtl/generated; its digest in a define keys the build on it
    digest = hashlib.sha256(render_c_header().encode()).hexdigest()[:12]
    spec = FirmwareSpec(("tests/conv_engine_regs.c",), extra_cflags=(f"-I{RTL_INCLUDE_DIR}",),
                        defines={"TANDEM_REGMAP_DIGEST": f"0x{digest}", **defines})
    board = Board(platform, cfg)
    board.load_elf(build_firmware(platform, spec, cfg))
    return board


def _run_firmware(cfg: TandemConfig, tmp: Path, **defines: str) -> tuple[Board, dict[str, int], int]:
    board = engine_board(cfg, tmp, **defines)
    assert board.elf is not None
    result = board.run(max_cycles=5_000_000)
    return board, board.elf.all_symbols, result.exit_code


@pytest.fixture(scope="module")
def engine_run(cfg: TandemConfig, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Board, dict[str, int], int]:
    return _run_firmware(cfg, tmp_path_factory.mktemp("engine"))


def _words(board: Board, sym: dict[str, int], name: str) -> list[int]:
    return list(struct.unpack("<5I", board.read_memory(sym[name], 20)))


def test_jobs_end_with_the_expected_status(engine_run: tuple[Board, dict[str, int], int]) -> None:
    board, sym, exit_code = engine_run
    status = _words(board, sym, "status")
    assert status == [DONE, DONE, DONE, ERROR | (ERR_BY_NAME["BAD_DEPTH"] << 8), DONE]
    assert exit_code == 0


@pytest.mark.parametrize("which", ["pointwise", "depthwise_m1", "depthwise_m2_s2"])
def test_outputs_in_board_memory_match_the_golden_model(
        engine_run: tuple[Board, dict[str, int], int], which: str) -> None:
    board, sym, _ = engine_run
    job = {
        "pointwise": _job("conv", 32, 8, 1, 1, 0, sym["pw_filter"], sym["pw_out"], sym),
        "depthwise_m1": _job("depthwise", C, 8, 3, 1, 1, sym["dw_filter"], sym["dw_out"], sym),
        "depthwise_m2_s2": _job("depthwise", 32, 4, 3, 2, 0, sym["dw2_filter"], sym["dw2_out"], sym),
    }[which]
    local, image = _gathered(board, job)
    want = run_job(local, image)
    got = np.frombuffer(board.read_memory(job.out_addr, want.size), np.int8).reshape(want.shape)
    assert np.array_equal(got, want)
    assert len(set(got.ravel().tolist())) > 16  # not a saturated or constant output


def test_engine_cycles_are_reported_and_bounded_by_the_cpu_wait(
        engine_run: tuple[Board, dict[str, int], int]) -> None:
    """CYCLES (START to DONE in the engine) fits inside the CPU's START-to-not-BUSY interval,
    and a 1x1 conv's compute phase is at least its MAC steps: 64 pixels x 4 output groups x
    2 input groups on the 8x8 array."""
    board, sym, _ = engine_run
    engine = _words(board, sym, "engine_cycles")
    cpu = _words(board, sym, "cpu_cycles")
    for e, c in zip(engine[:3] + engine[4:], cpu[:3] + cpu[4:], strict=True):
        assert 0 < e <= c
    assert engine[0] > 64 * 4 * 2
    print("engine cycles", engine, "cpu cycles", cpu, "load", _words(board, sym, "load_cycles"),
          "compute", _words(board, sym, "compute_cycles"), "store", _words(board, sym, "store_cycles"))


def test_the_filter_in_flash_pays_flash_wait_states(engine_run: tuple[Board, dict[str, int], int]) -> None:
    """The same 1x1 conv with its 512-byte filter in flash and in SRAM (0 wait states): the
    filter streams a word per cycle into the buffer (aligned, channels a multiple of 4), so the
    bus sets the pace, and each of its 128 beats costs 1 + W edges (sim/rtlsim/shim.cpp): the
    flash run takes 128 * 5 cycles more, and writes the same output."""
    board, sym, _ = engine_run
    for name, ws in (("pw_filter", FLASH_WS), ("pw_filter_ram", 0)):
        region = board.timing.memory.find(sym[name])
        assert region is not None and region.wait_states == ws, name
    engine = _words(board, sym, "engine_cycles")
    assert engine[0] - engine[4] == 128 * FLASH_WS
    assert board.read_memory(sym["pw_out"], 2048) == board.read_memory(sym["pw_out_ram"], 2048)


def test_waiting_in_wfi_gives_the_same_engine_cycles(
        cfg: TandemConfig, tmp_path: Path, engine_run: tuple[Board, dict[str, int], int]) -> None:
    """Sleeping in WFI until irq instead of polling STATUS changes nothing the engine does."""
    polled, sym, _ = engine_run
    board, wsym, exit_code = _run_firmware(cfg, tmp_path, WAIT_WFI="1")
    assert exit_code == 0
    for name in ("status", "engine_cycles", "load_cycles", "compute_cycles", "store_cycles"):
        assert _words(board, wsym, name) == _words(polled, sym, name), name
    for name in ("pw_out", "dw_out", "dw2_out"):
        assert board.read_memory(wsym[name], 512) == polled.read_memory(sym[name], 512), name
