"""Running a board in slices: N more cycles from where the core is, then a pause.

:meth:`Board.run` with ``reset=False`` resumes where the last run stopped; its cycle limit is
what ends a slice. Here that limit is a pause, not an error: the board keeps its state, so
slices add up to the uninterrupted run (a Renode ``emulation RunFor``, a test waiting for a UART
line, a debugger's continue). Faults and the other limits (wall clock, handler) raise as in a run.
"""
from __future__ import annotations

from typing import BinaryIO

from tandem.errors import CycleLimitExceeded
from tandem.machine.board import Board
from tandem.machine.limits import RunLimits
from tandem.machine.results import RunResult


def run_slice(board: Board, cycles: int, stream: BinaryIO | None = None,
              limits: RunLimits | None = None) -> RunResult | None:
    """Run ``cycles`` more cycles; the run's result if the firmware exited in them, else None."""
    if cycles <= 0:
        return None
    try:
        return board.run(max_cycles=cycles, stream=stream, reset=False, limits=limits,
                         vector_faults=board.vector_faults)
    except CycleLimitExceeded as err:
        if type(err) is not CycleLimitExceeded:  # the wall-clock or handler limit
            raise
        board.exceptions.deliver()  # what the run loop does after any other stop at a deadline
        return None
