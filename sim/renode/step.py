"""``cpu Step [n]``: execute n instructions and stop, keeping the cycle count exact.

The cycle counter charges a whole block when it starts; after stopping inside a block, the
instructions not executed are un-charged (``CycleCounter.rewind_to``), and the rest of the block
is charged again as a block of its own when the run resumes, so a stepped run counts what an
uninterrupted one does.
"""
from __future__ import annotations

import unicorn

from tandem.core.faults import classify_uc_error
from tandem.errors import SimulationError
from tandem.machine.board import Board


def step(board: Board, count: int) -> None:
    """Run ``count`` instructions from the current PC (exception entry and semihosting as in a run)."""
    cpu, counter = board.cpu, board.counter
    counter.clear_stop()
    counter.set_deadline(None)
    pc = cpu.reg("pc")
    before = counter.instructions
    try:
        cpu.uc.emu_start(pc | 1, 0xFFFFFFFE, count=count)
    except unicorn.UcError as err:
        kind, detail, _cfsr, _bfar = classify_uc_error(err, cpu.last_unmapped)
        raise SimulationError(f"cpu Step: {kind}: {detail}") from None
    finally:
        board.bus.settle()  # the reads a peripheral's C path served (machine/bus.py)
    now = cpu.reg("pc")
    block = counter.current_block
    # charged beyond the instructions run: the current block's tail from PC (all of it when
    # Unicorn entered a block and stopped before its first instruction)
    if counter.instructions - before > count and block is not None and now in block.insn_addrs:
        counter.rewind_to(now)
    board.exceptions.deliver()
