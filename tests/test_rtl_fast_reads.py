"""Repeated register reads of a Tandem.RtlPeripheral served by its library (rtlsim/shim_fast.inc):
the run must be the one the Python path gives, transaction for transaction.

firmware/tests/conv_engine_regs.c polls the conv engine's STATUS while each job runs (and the
engine reads its filter from 5-wait-state flash); the same firmware runs with the library's path
and without it (Peripheral.native_read giving None maps the window as before), and everything the
run leaves must be equal: cycles, instructions, every logged transaction (cycle, value, stall,
RTL end, beats), the RTL's cycle count and the outputs in memory."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tandem.accel.joblog import AccessLog
from tandem.accel.regmap import REG_BY_NAME
from tandem.config import TandemConfig
from tandem.machine.board import Board
from tandem.peripherals.rtl_peripheral import RtlPeripheral, model_spec
from tandem.rtlsim.model import build_model
from tests.test_conv_engine_board import engine_board

STATUS = REG_BY_NAME["STATUS"].offset


def _board(cfg: TandemConfig, tmp: Path) -> tuple[Board, RtlPeripheral]:
    board = engine_board(cfg, tmp)
    periph = next(p for p in board.peripherals.values() if isinstance(p, RtlPeripheral))
    periph.log = AccessLog()
    return board, periph


def _outcome(board: Board, periph: RtlPeripheral) -> dict[str, object]:
    result = board.run(max_cycles=5_000_000)
    sym = board.elf.all_symbols if board.elf else {}
    return {"exit": result.exit_code, "cycles": result.cycles, "instructions": result.instructions,
            "log": list(periph.log or []), "transactions": periph.transactions, "rtl_cycles": periph.rtl.cycles,
            "library_cycles": periph.rtl.library_cycles(),
            "memory": [board.read_memory(sym[n], 2048) for n in ("pw_out", "dw_out", "dw2_out", "status")]}


@pytest.fixture(scope="module")
def python_path(cfg: TandemConfig, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    mp = pytest.MonkeyPatch()
    mp.setattr(RtlPeripheral, "native_read", lambda self: None)
    try:
        board, periph = _board(cfg, tmp_path_factory.mktemp("python"))
        assert periph.rtl.fast.bound is False
        return _outcome(board, periph)
    finally:
        mp.undo()


def test_served_reads_give_the_python_paths_run(cfg: TandemConfig, tmp_path: Path,
                                                python_path: dict[str, object]) -> None:
    board, periph = _board(cfg, tmp_path)
    got = _outcome(board, periph)
    polls = sum(1 for a in got["log"] if not a.write and a.offset == STATUS)  # type: ignore[attr-defined]
    assert polls > 100  # the firmware does poll
    assert periph.rtl.fast.served > polls // 2  # most polls never reached Python
    assert got == python_path
    # each job's last poll saw DONE or ERROR: a read the library ran and Python finished
    finished = [a for a in got["log"] if not a.write and a.offset == STATUS and a.value & 6]  # type: ignore[attr-defined]
    assert len(finished) == 5


def test_a_model_loaded_after_the_window_was_mapped_serves_them_too(
        cfg: TandemConfig, tmp_path: Path, python_path: dict[str, object]) -> None:
    """The bench's profiling build replaces the model once the board is built: Unicorn still
    calls the first model's callback, which hands every read to the new one."""
    board, periph = _board(cfg, tmp_path)
    first = periph.rtl.fast
    periph.load_model(build_model(replace(model_spec(periph.spec), profile=True), cfg.cache_dir / "rtl", cfg.cxx)[0])
    assert periph.rtl.fast is not first and periph.rtl.fast.bound
    got = _outcome(board, periph)
    assert periph.rtl.fast.served > 100 and first.served == 0
    assert got == python_path
