"""The data the cost model produces and the cycle counters consume.

:class:`BlockCost` (what entering one translated block costs, with its cache-dependent
:class:`LineEvent` s) is made by :meth:`tandem.timing.cortex_m.CoreTiming.block_cost` and
charged by :class:`tandem.timing.counter.CycleCounter`; :class:`CallTree` is the profiler's
result read back from the counter. Plain frozen records: this module imports nothing else
from the timing package.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineEvent:
    """A memory line a block touches whose cost depends on a cache's state.

    On every entry of the block the counter looks ``line`` up in cache ``cache`` (an index
    into ``CoreTiming.caches``); if it is absent it is inserted and ``miss_cost`` cycles are
    added. Used for the STM32 ART accelerator's instruction and literal-data caches.
    """

    cache: int
    line: int
    miss_cost: int


@dataclass(frozen=True)
class EntryCheck:
    """An access a guard checks at the block's entry (the trap guard's alignment checks): its
    address, ``reg + (index << shift) + disp`` (Unicorn register ids, ``index`` -1 for none),
    must be a multiple of ``align``; no earlier instruction of the block writes the registers.
    When it is not, the counter stops before the block (``CycleCounter.check_hit``)."""

    insn: int  # the instruction's address
    reg: int
    index: int = -1
    shift: int = 0
    disp: int = 0
    align: int = 4


@dataclass(frozen=True)
class BlockCost:
    """What entering one translated block costs.

    ``cost`` is charged on entry with the block's last branch counted not taken; if the next
    block entered is not ``fallthrough`` the branch was taken and ``taken_extra`` is added.
    """

    addr: int
    fallthrough: int  # address after the block's last instruction
    cost: int  # cycles charged on entering the block (last branch counted not-taken)
    taken_extra: int  # extra cycles charged if the next block entered != fallthrough
    insn_addrs: tuple[int, ...]
    insn_costs: tuple[int, ...]  # per instruction; sum == cost
    line_events: tuple[LineEvent, ...] = ()  # cache-dependent extra cycles, charged on entry
    sp_descent: int = 0  # bytes below its entry SP the block's pushes reach (sim/timing/stack.py)
    sp_dynamic: bool = False  # the block sets SP to a run-time value
    call: bool = False  # the block ends with BL/BLX
    entry_checks: tuple[EntryCheck, ...] = ()  # accesses checked on every entry (blockhook.c)


@dataclass(frozen=True)
class CallTree:
    """The profiler's calling-context tree, as parallel lists indexed by node.

    Node 0 is the root (no function, ``parent`` -1). ``func`` indexes the function table the
    profile was enabled with; ``self_cycles`` are the cycles charged while the node was the
    innermost frame; ``calls`` how often it was entered by a call or an exception.
    """

    parent: tuple[int, ...]
    func: tuple[int, ...]
    calls: tuple[int, ...]
    self_cycles: tuple[int, ...]
    open_depth: int  # frames still on the shadow stack when read
    lost_frames: int  # calls not recorded (shadow stack limit)
