"""The run loop's stops for the guards that watch single instructions and accesses: the memory
checker's violation (machine/memcheck.py), the trap guard's UsageFaults, re-translations and the
blocks one of its entry checks stopped before (core/traps.py), and the CCR bits it follows."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tandem.core.cpu import CortexM
from tandem.core.exceptions import ExceptionModel
from tandem.core.isa_guard import IsaGuard
from tandem.core.traps import TrapGuard
from tandem.errors import FirmwareFault
from tandem.machine.memcheck import MemoryChecker
from tandem.peripherals.nvic import CCR, Nvic
from tandem.timing import CycleCounter


class GuardedBoard(Protocol):
    """What the functions here ask of the board."""

    cpu: CortexM
    nvic: Nvic | None
    counter: CycleCounter
    traps: TrapGuard
    isa_guard: IsaGuard
    exceptions: ExceptionModel
    memcheck: MemoryChecker | None

    def now(self) -> int: ...
    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None: ...
    # the run loop's own fault plumbing (machine/board.py)
    _pending_fault: tuple[str, str] | None

    def _raise_fault(self, kind: str, detail: str) -> None: ...
    def _make_fault(self, kind: str, detail: str) -> FirmwareFault: ...


def ccr(board: GuardedBoard) -> int:
    """SCB->CCR as the firmware last wrote it."""
    return board.nvic.regs.get(CCR, 0) if board.nvic is not None else 0


def ccr_changed(board: GuardedBoard) -> None:
    """DIV_0_TRP or UNALIGN_TRP changed: every block is looked at again from the next block
    boundary on."""
    board.traps.set_ccr(ccr(board))
    board.schedule(board.now(), lambda _cycle: board.counter.invalidate(), ("ccr", 0))


def guard_stop(board: GuardedBoard) -> bool:
    """Handle a stop one of the guards asked for; True if the run loop should go on at once.
    A memory-check violation raises the fault report."""
    cpu, traps = board.cpu, board.traps
    if board.memcheck is not None and board.memcheck.violation is not None:
        stray = board.memcheck.violation
        cpu.set_reg("pc", stray.pc)
        raise board._make_fault("Memory check", stray.detail())
    hit = board.counter.check_hit()
    if hit is not None:  # an entry check stopped before the block (not charged): hook it instead
        block, size = hit
        traps.precise(block, size)
        board.counter.drop_checks(block, size)
        cpu.drop_translation(block, block + size)
        cpu.set_reg("pc", block)
        return True
    if traps.pending is not None:
        trap, traps.pending = traps.pending, None
        board.counter.rewind_to(traps.pending_pc)  # it did not run
        cpu.set_reg("pc", traps.pending_pc)
        board.exceptions.fault(*trap)
        if board._pending_fault is not None:
            board._raise_fault(*board._pending_fault)
        return True
    if traps.restart is not None:
        (block, size), traps.restart = traps.restart, None
        cpu.drop_translation(block, block + size)  # translated again with its hooks
        if board.isa_guard.violation is None:
            board.counter.rewind_to(block)
            cpu.set_reg("pc", block)
            return True
    return False


__all__ = ["ccr", "ccr_changed", "guard_stop"]
