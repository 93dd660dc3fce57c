"""Faults, lock-ups and runaway programs stop the run with a report, never a hang or traceback."""
from __future__ import annotations

import pytest

from sim.board import Board
from sim.errors import CycleLimitExceeded, FirmwareFault


def _run(build, cfg, board, program, **kw):
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, program))
    return b, b.run(**kw)


@pytest.mark.parametrize("board", ["stm32f4_discovery", "mps2_an386"])
def test_unmapped_read_report(build, cfg, board):
    with pytest.raises(FirmwareFault) as err:
        _run(build, cfg, board, "tests/fault.c")
    f = err.value
    assert f.summary.startswith("BusFault: read of 0x70000000 (4 bytes): no memory or peripheral mapped there at 0x")
    assert "<read_nowhere+0x" in f.summary
    assert "  LR   0x" in f.report and "<main+0x" in f.report.split("LR")[1].splitlines()[0]
    assert "r3=0x70000000" in f.report  # the registers, including the faulting pointer
    assert "last blocks (oldest first):" in f.report and "<read_nowhere>" in f.report


def test_undefined_instruction_report(build, cfg):
    with pytest.raises(FirmwareFault) as err:
        _run(build, cfg, "nucleo_l4r5zi", "tests/undef.c")
    assert err.value.summary.startswith("UsageFault: UNDEFINSTR: undefined instruction at 0x")
    assert "<trap_here>" in err.value.summary


def test_output_before_a_fault_is_kept(build, cfg):
    b = Board.from_platform("bluepill", cfg)
    b.load_elf(build("bluepill", "tests/fault.c"))
    with pytest.raises(FirmwareFault):
        b.run()
    assert b.console.out.decode() == "about to fault\n"


def test_runaway_program_hits_the_limit(build, cfg):
    with pytest.raises(CycleLimitExceeded) as err:
        _run(build, cfg, "stm32f4_discovery", "tests/runaway.c", max_cycles=3_000_000)
    msg = str(err.value)
    assert msg.startswith("cycle limit reached: 3,000,000 cycles without the firmware exiting (PC 0x")
    assert "<main+0x" in msg and "--max-cycles" in msg


def test_limit_is_exact_to_a_block(build, cfg):
    b = Board.from_platform("stm32f4_discovery", cfg)
    b.load_elf(build("stm32f4_discovery", "tests/runaway.c"))
    with pytest.raises(CycleLimitExceeded):
        b.run(max_cycles=1_000_000)
    # the deadline stops before the first block that starts at or past the limit
    assert 1_000_000 <= b.counter.cycles < 1_000_000 + 20


def test_lockup_in_default_handler(build, cfg):
    """SysTick fires with no handler installed: the default handler spins forever."""
    with pytest.raises(FirmwareFault) as err:
        _run(build, cfg, "stm32f4_discovery", "tests/lockup.c", max_cycles=50_000_000)
    s = err.value.summary
    assert s.startswith("Lockup: the CPU spins in a loop of one branch at 0x")
    assert "<Default_Handler> inside the SysTick handler" in s
    # found at the first deadline after the spin starts, long before the cycle limit
    assert "cycles" in err.value.report
