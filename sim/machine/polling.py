"""Poll detection: a firmware waiting on a register that cannot change is stopped and told so.

Reads of a register that the model never changes by itself (every register of a part tandem
does not model, :class:`~tandem.peripherals.base.Unimplemented`; a modelled register whose
peripheral says so through ``static_read``) are counted per load instruction: consecutive reads
by the same instruction of the same address returning the same value. A read of anything else
by that instruction, another value or console input starts the count again; so does a timed
event firing (its handler may change what else the loop reads, e.g. a HAL tick), unless the
loop is closed: its blocks load nothing but the polled register (and the stack or literal
pools), as in ``while (!(REG & RDY)) {}``, which no interrupt can end. At :data:`POLL_BOUND`
reads in a row the run stops with :class:`~tandem.errors.UnmodelledWait`, naming the register,
the bits the loop tests (:mod:`tandem.core.waits`) and the load's function.

The count belongs to the load, not to a loop of one block: a HAL-style loop also calls its tick
function, so its body is several blocks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tandem.core.access import AccessLocator
from tandem.core.waits import bits_text, tested_mask
from tandem.peripherals.base import Peripheral, Unimplemented

# Reads in a row before the run stops. A bounded HAL time-out loop runs a few thousand times
# (HAL's 2 ms PLL time-out at 16 MHz: 32,000 cycles of ~20-cycle iterations, ~1,600 reads; a
# 1 ms wait at 100 MHz in tests/test_polling.py: ~8,700); the Standard Peripheral Library's
# counted HSE wait in SetSysClock() polls up to HSE_STARTUP_TIMEOUT, 0x5000 = 20,480 times on
# the F4, and must end by itself too. Each read is a Python callback: 30,000 of them take
# ~0.1 s of host time in a tight loop, ~0.6-0.9 s in a HAL-style loop whose tick reads DWT
# CYCCNT (a second MMIO read per iteration).
POLL_BOUND = 30_000
_MAX_TRACKED = 256  # load instructions tracked at once (a bound on memory; then start over)
_CLOSED_CHECKS = (8, 64, 512)  # reads at which the loop's blocks are looked at (an interrupt
# taken in the iteration looked at hides the loop: look again later)


@dataclass
class _Count:
    addr: int
    value: int
    reads: int
    closed: bool = False  # the loop loads nothing else (timed events do not reset it)


@dataclass(frozen=True)
class StuckPoll:
    """The poll that reached the bound."""

    periph: Peripheral
    offset: int
    addr: int
    value: int
    pc: int  # the load instruction
    reads: int


class PollWatch:
    """Counts repeated reads of static registers (see the module docstring)."""

    def __init__(self, locator: AccessLocator, stop: Callable[[], None], bound: int = POLL_BOUND) -> None:
        self.locator = locator
        self.stop = stop
        self.bound = bound
        self.stuck: StuckPoll | None = None
        self._counts: dict[int, _Count] = {}

    def reset(self) -> None:
        """Input reached the firmware (console): every count starts again."""
        self._counts.clear()

    def event(self) -> None:
        """A timed event fired: the counts of loops that read something else start again."""
        if self._counts:
            self._counts = {k: c for k, c in self._counts.items() if c.closed}

    def _closed(self, key: int) -> bool:
        """Whether the blocks entered since the previous entry of block ``key`` (one iteration)
        load nothing but the polled register."""
        recent = self.locator.counter.recent_blocks()
        if len(recent) < 2 or recent[-1] != key or key not in recent[:-1]:
            return False
        start = len(recent) - 2 - recent[-2::-1].index(key)
        loads = 0
        for addr in set(recent[start + 1:]):
            block = self.locator.counter.block(addr)
            if block is None:
                return False
            loads += self.locator.volatile_loads(block)
        return loads == 1

    def _block(self) -> int:
        block = self.locator.counter.current_block
        return block.addr if block is not None else -1

    def observe(self, periph: Peripheral, offset: int, addr: int, value: int) -> None:
        """A read of ``addr`` (``offset`` in ``periph``) returned ``value``."""
        if not periph.static_read(offset):
            if self._counts:
                self._counts.pop(self._block(), None)  # that instruction read something else
            return
        # Keyed by the block holding the load: the same instruction as long as the block
        # holds one load of the address (a block is a straight line: a second load of the
        # same register would be read twice per iteration anyway); finding the instruction
        # itself costs several register reads, so it is done once, at the stop.
        key = self._block()
        count = self._counts.get(key)
        if count is None or count.addr != addr or count.value != value:
            if len(self._counts) >= _MAX_TRACKED:
                self._counts.clear()
            self._counts[key] = _Count(addr, value, 1)
            return
        count.reads += 1
        if not count.closed and count.reads in _CLOSED_CHECKS:
            count.closed = self._closed(key)
        if count.reads >= self.bound and self.stuck is None:
            pc = self.locator.instruction_at(addr)
            self.stuck = StuckPoll(periph, offset, addr, value, key if pc is None else pc, count.reads)
            self.stop()

    def detail(self, read_code: Callable[[int, int], bytes]) -> str:
        """The one-line description of the stuck poll (``read_code(addr, size)`` reads memory)."""
        s = self.stuck
        assert s is not None
        name, kind = s.periph.name, s.periph.spec.type
        try:
            tested = tested_mask(read_code(s.pc, 40), s.pc)
        except Exception:  # memory at the end of a region: fewer bytes to decode
            tested = None
        if isinstance(tested, int) and tested:
            state = "be set" if s.value & tested == 0 else "be cleared" if s.value & tested == tested else "change"
            waits = f"for {bits_text(tested)} to {state}"
        elif isinstance(tested, str):
            waits = f"until {tested}"
        else:
            waits = "for the value to change"
        why = (f"tandem does not model {name} ({kind})" if isinstance(s.periph, Unimplemented)
               else f"tandem's {name} model does not change this register by itself")
        return (f"the firmware waits {waits} at offset 0x{s.offset:x} of {name} ({kind}), address "
                f"0x{s.addr:08x}, which read 0x{s.value:08x} {s.reads:,} times in a row: {why}; polled")


__all__ = ["POLL_BOUND", "PollWatch", "StuckPoll"]
