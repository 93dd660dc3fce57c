"""An idle core: asleep after WFI/WFE or spinning in ``b .``, and whether anything can wake it.

The run loop asks after each stop: :func:`asleep` when Unicorn returned by itself, :func:`spinning`
when the recent blocks are all one ``b .``; :func:`wake_or_lockup` then skips the clock to the
next timed event if it can end the wait, or says why nothing can (a lock-up).
"""
from __future__ import annotations

import struct
from collections.abc import Callable

import unicorn

from tandem.core.cpu import CortexM
from tandem.core.exceptions import ExceptionModel, exception_name
from tandem.machine.events import Timeline
from tandem.peripherals.nvic import Nvic
from tandem.peripherals.systick import SYSTICK_EXCEPTION
from tandem.timing import CycleCounter

_B_SELF = 0xE7FE  # "b ." in Thumb
_WFI, _WFE = 0xBF30, 0xBF20


def asleep(cpu: CortexM) -> bool:
    """Unicorn returned without a deadline: the instruction before PC is WFI/WFE."""
    pc = cpu.reg("pc")
    before = struct.unpack("<H", cpu.read(pc - 2, 2))[0] if pc >= 2 else 0
    return before in (_WFI, _WFE)


def spinning(cpu: CortexM, counter: CycleCounter) -> bool:
    """The recent blocks are all one block that is ``b .``."""
    recent = counter.recent_blocks()
    if len(recent) < 4 or len(set(recent)) != 1:
        return False
    try:
        insn: int = struct.unpack("<H", cpu.read(recent[-1], 2))[0]
    except unicorn.UcError:
        return False
    return insn == _B_SELF


def wake_or_lockup(cpu: CortexM, counter: CycleCounter, nvic: Nvic | None, exceptions: ExceptionModel,
                   events: Timeline, limit: int | None, what: str,
                   describe: Callable[[int], str], on_sleep: Callable[[], None] | None = None) -> str | None:
    """Skip to the next timed event if it can wake the core (None); else the lock-up's detail
    (``describe`` names the PC: symbol and offset). ``on_sleep`` runs once the core is known to
    wait (nothing due), before the next event is chosen: peripherals that run by themselves
    schedule their wake-up there."""
    assert nvic is not None or not events
    masks = exceptions.masks()
    if nvic is not None and nvic.next_due(*masks) is not None:
        return None
    if on_sleep is not None:
        on_sleep()
    # The timed events raise SysTick; sleeping or spinning ends only if it can preempt.
    wakeable = (nvic is not None
                and nvic.group(nvic.priority(SYSTICK_EXCEPTION)) < nvic.current_priority(*masks))
    nxt = events.next_cycle()
    if nxt is not None and (wakeable or what.startswith("sleeps")):
        if limit is not None:
            nxt = min(nxt, limit)
        if nxt > counter.cycles:
            counter.add(nxt - counter.cycles)
        events.fire(counter.cycles)
        if wakeable or (nvic is not None and nvic.next_due(*masks) is not None):
            return None
    context = ""
    if nvic is not None and nvic.active:
        context = f" inside the {exception_name(nvic.active[-1])} handler"
    return f"the CPU {what} at {describe(cpu.reg('pc'))}{context} and no interrupt can end it"


__all__ = ["asleep", "spinning", "wake_or_lockup"]
