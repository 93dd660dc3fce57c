"""Running a board in slices: N more cycles from where the core is, then a pause.

:meth:`Board.run` with ``reset=False`` resumes where the last run stopped; its cycle limit is
what ends a slice. Here that limit is a pause, not an error: the board keeps its state, so
slices add up to the uninterrupted run (a Renode ``emulation RunFor``, a test waiting for a UART
line, a debugger's continue). Faults and the other limits (wall clock, handler) raise as in a run,
but a core asleep in WFI/WFE that nothing on the board can wake is not a lock-up here: input from
outside (a byte sent to a UART between slices) may wake it, so the slice's time passes and the
core sleeps on, to execute the WFI again in the next slice.
"""
from __future__ import annotations

from typing import BinaryIO

from tandem.errors import CycleLimitExceeded, FirmwareFault
from tandem.machine.board import Board
from tandem.machine.idle import asleep
from tandem.machine.limits import RunLimits
from tandem.machine.results import RunResult


def run_slice(board: Board, cycles: int, stream: BinaryIO | None = None,
              limits: RunLimits | None = None) -> RunResult | None:
    """Run ``cycles`` more cycles; the run's result if the firmware exited in them, else None."""
    if cycles <= 0:
        return None
    end = board.counter.cycles + cycles
    try:
        return board.run(max_cycles=cycles, stream=stream, reset=False, limits=limits,
                         vector_faults=board.vector_faults)
    except CycleLimitExceeded as err:
        if type(err) is not CycleLimitExceeded:  # the wall-clock or handler limit
            raise
        board.exceptions.deliver()  # what the run loop does after any other stop at a deadline
        return None
    except FirmwareFault as err:
        if err.stop_reason != "lockup" or not asleep(board.cpu):
            raise
        if board.counter.cycles < end:
            board.counter.add(end - board.counter.cycles)
        board.cpu.set_reg("pc", board.cpu.reg("pc") - 2)  # back to the WFI/WFE (16-bit)
        return None
