"""What a peripheral model is, and what it may ask of the board.

A peripheral is an address range with read and write handlers. It sees the board only through
:class:`BoardContext`: the modelled clock, the console, timed events and interrupt lines.
During an access, ``ctx.now()`` is the cycle at which the accessing instruction started, so
registers that expose time (cycle counters, timer values) are exact to the instruction.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from tandem.config import TandemConfig
from tandem.core.console import Console
from tandem.core.cpu import MemoryWindow
from tandem.platform.model import PeripheralSpec

if TYPE_CHECKING:
    from tandem.core.access import AccessLocator

__all__ = ["BoardContext", "Console", "MemoryWindow", "NativeHost", "Peripheral", "Unimplemented"]


class BoardContext(Protocol):
    """The services a peripheral may use. Implemented by the board."""

    @property
    def cpu_hz(self) -> int:
        """The core clock now (the one the firmware configured, once it has)."""
        ...

    @property
    def console(self) -> Console: ...

    @property
    def config(self) -> TandemConfig:
        """Paths and tools (the cache root a model that builds something writes under)."""
        ...

    def now(self) -> int:
        """The modelled cycle count at this access."""
        ...

    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None:
        """Call ``callback(cycle)`` once the clock reaches ``cycle`` (replaces owner's event)."""
        ...

    def cancel(self, owner: object) -> None: ...

    def pend_exception(self, number: int) -> None:
        """Make exception ``number`` (15 = SysTick, 16+n = IRQ n) pending."""
        ...

    def set_irq(self, line: int, level: bool) -> None: ...

    def reevaluate_exceptions(self) -> None:
        """Stop at the next block boundary and take whatever exception is now due (a store to
        the NVIC/SCB changed pending, enable, priority or grouping state)."""
        ...

    def note(self, message: str) -> None:
        """A diagnostic shown once in the run summary."""
        ...

    def stall(self, cycles: int) -> None:
        """Charge ``cycles`` the CPU waits on this access (bus wait states)."""
        ...

    def request_service(self, periph: Peripheral) -> None:
        """Stop at the next block boundary and hand ``periph`` to the co-simulation driver."""
        ...

    def request_exit(self, code: int) -> None: ...

    def trace_enabled(self) -> bool:
        """DEMCR.TRCENA: whether the debug trace blocks (DWT's cycle counter) are powered."""
        ...

    def set_cpu_hz(self, hz: int, reason: str) -> None:
        """The firmware changed the core clock (an RCC): ``cpu_hz`` becomes ``hz``, with a note."""
        ...

    def set_flash_timing(self, memory: str, wait_states: int, accelerated: bool) -> None:
        """The firmware set ``memory``'s latency (FLASH_ACR) and turned its accelerator on/off."""
        ...

    def bus_read(self, addr: int, size: int) -> int:
        """Read the system bus at ``addr`` (a peripheral register or memory), e.g. for bit-band."""
        ...

    def bus_write(self, addr: int, size: int, value: int) -> None: ...

    def peripheral(self, name: str) -> Peripheral | None:
        """Another part of the board by entry name, for signal connections (GPIO -> EXTI)."""
        ...

    def memory_windows(self) -> tuple[MemoryWindow, ...]:
        """The board's memories for a bus master (an RTL block's memory port). The same tuple
        object until the wait states change (the firmware set the flash latency)."""
        ...


class NativeHost(Protocol):
    """What a peripheral's C read path asks of the bus that maps it (machine/bus.py)."""

    locator: AccessLocator
    armed: list[Peripheral]


class Peripheral:
    """Base class: a register window with a reset state. A part that takes signals from others
    (a ``source -> target#index@line`` connection in the .repl) overrides :meth:`signal`."""

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        self.spec = spec
        self.name = spec.name
        self.ctx = ctx

    def read(self, offset: int, size: int) -> int:
        raise NotImplementedError

    def write(self, offset: int, size: int, value: int) -> None:
        raise NotImplementedError

    def static_read(self, offset: int) -> bool:
        """Whether the register at ``offset`` reads the same until the firmware writes this
        peripheral: the model never changes it by itself (no clock, event or input does). The
        board's poll detection counts repeated reads of such registers (machine/polling.py)."""
        return False

    def native_read(self) -> tuple[int, int] | None:
        """A C read callback (its address and user data) that serves some of the window's reads
        without Python, when the window has its MMIO pages to itself; None: Python serves all."""
        return None

    def bind_native(self, fallback: int, window: int, host: NativeHost) -> None:
        """The window is mapped with :meth:`native_read`'s callback: ``fallback`` is Python's read
        callback for the reads the C side leaves, ``window`` the window's offset of the mapping's
        first byte; the peripheral joins ``host.armed`` while the C side may serve reads, and
        ``host`` calls :meth:`settle` before any Python access and whenever emulation stops."""

    def settle(self) -> None:
        """Take in what the C read path did since it was armed, and disarm it."""

    def sleep(self, now: int, until: int | None) -> None:
        """The core sleeps (WFI/WFE) from cycle ``now`` with no interrupt due; ``until`` is the
        next timed event of any other owner. A model that runs by itself (an RTL block) may
        advance to the moment it would raise an interrupt and schedule an event there."""

    def signal(self, line: int, level: bool, index: int | None) -> None:
        """Input ``line`` (from the sender's ``#index``, if it gives one) changed to ``level``."""

    def send(self, source: int, level: bool) -> None:
        """Drive this part's output ``source`` onto every part its connections name."""
        for c in self.spec.irqs:
            if c.source == str(source):
                target = self.ctx.peripheral(c.target)
                if target is not None:
                    target.signal(c.number, level, c.local_index)


class Unimplemented(Peripheral):
    """A part tandem does not model: reads give ``readValue`` (default 0), writes are dropped.

    The first access is reported once, naming the peripheral, so that a user sees which part of
    the chip their firmware relied on.
    """

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        value = spec.properties.get("readValue", 0)
        self.read_value = value if isinstance(value, int) else 0
        self.reported = False

    def _report(self, offset: int, kind: str) -> None:
        if not self.reported:
            self.reported = True
            base = self.spec.base or 0
            self.ctx.note(
                f"{self.name} ({self.spec.type}) is not modelled: first access was a {kind} at "
                f"0x{base + offset:08x}; reads return 0x{self.read_value:x}, writes are ignored"
            )

    def read(self, offset: int, size: int) -> int:
        self._report(offset, "read")
        return self.read_value & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        self._report(offset, "write")

    def static_read(self, offset: int) -> bool:
        return True
