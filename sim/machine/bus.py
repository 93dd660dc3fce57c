"""The MMIO bus: peripheral windows mapped as MMIO pages, each access dispatched by address.

Windows need not fill their pages; an access to the rest of a page is a bus error, recorded in
``fault`` (with the accessing instruction's address in ``fault_pc``) for the run loop to
report or vector. While a peripheral handles an access, ``mmio_addr`` is the accessed address,
so that the board's clock can read the cycle of the accessing instruction. A TandemError raised
by a handler (an RTL block that never answers) stops the CPU and waits in ``error`` for the run
loop to raise it: an exception must not cross Unicorn's C callback.
"""
from __future__ import annotations

import bisect

from tandem.core import cpu as C
from tandem.core.access import AccessLocator
from tandem.core.cpu import CortexM
from tandem.errors import TandemError
from tandem.machine.polling import PollWatch
from tandem.peripherals.base import Peripheral
from tandem.platform.model import PAGE


class Bus:
    """Peripheral windows mapped as MMIO pages, dispatching each access by address."""

    def __init__(self, cpu: CortexM, locator: AccessLocator) -> None:
        self.cpu = cpu
        self.locator = locator
        self.starts: list[int] = []
        self.windows: list[tuple[int, int, Peripheral]] = []
        self.fault: C.UnmappedAccess | None = None
        self.fault_pc: int | None = None
        self.mmio_addr: int | None = None  # the address of the access in progress
        self.polls: PollWatch | None = None  # sees every read's value (machine/polling.py)
        self.error: TandemError | None = None  # raised by a handler, for the run loop
        self.armed: list[Peripheral] = []  # whose C read path may serve reads (settle)

    def add(self, base: int, size: int, periph: Peripheral) -> None:
        i = bisect.bisect(self.starts, base)
        self.starts.insert(i, base)
        self.windows.insert(i, (base, size, periph))

    def map_all(self) -> None:
        spans: list[tuple[int, int, list[tuple[int, Peripheral]]]] = []
        for base, size, periph in self.windows:
            lo, hi = base & ~(PAGE - 1), (base + size + PAGE - 1) & ~(PAGE - 1)
            if spans and lo <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], hi), [*spans[-1][2], (base, periph)])
            else:
                spans.append((lo, hi, [(base, periph)]))
        for lo, hi, members in spans:
            # a window with its pages to itself may serve reads in C (Peripheral.native_read)
            native = members[0][1].native_read() if len(members) == 1 else None
            fallback = self.cpu.map_mmio(lo, hi - lo, self.read, self.write, native)
            if native is not None:
                members[0][1].bind_native(fallback, lo - members[0][0], self)

    def settle(self) -> None:
        """Let every peripheral whose C read path is armed take in what it did (and disarm it):
        before any Python access, and whenever emulation stops."""
        if not self.armed:
            return
        armed, self.armed = self.armed, []
        for periph in armed:
            periph.settle()

    def find(self, addr: int) -> tuple[Peripheral, int] | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            base, size, periph = self.windows[i]
            if addr < base + size:
                return periph, addr - base
        return None

    def miss(self, kind: str, addr: int, size: int) -> None:
        self.fault = C.UnmappedAccess(kind, addr, size)
        self.fault_pc = self.locator.instruction_at(addr)
        self.cpu.stop()

    def read(self, addr: int, size: int) -> int:
        if self.armed:
            self.settle()
        self.locator.begin_access(False)
        hit = self.find(addr)
        if hit is None:
            self.miss("read", addr, size)
            return 0
        periph, off = hit
        self.mmio_addr = addr
        try:
            value = periph.read(off, size)
        except TandemError as exc:
            self.error = exc
            self.cpu.stop()
            return 0
        finally:
            self.mmio_addr = None
        if self.polls is not None:
            self.polls.observe(periph, off, addr, value)
        return value

    def write(self, addr: int, size: int, value: int) -> None:
        if self.armed:
            self.settle()
        self.locator.begin_access(True)
        hit = self.find(addr)
        if hit is None:
            self.miss("write", addr, size)
            return
        periph, off = hit
        self.mmio_addr = addr
        try:
            periph.write(off, size, value)
        except TandemError as exc:
            self.error = exc
            self.cpu.stop()
        finally:
            self.mmio_addr = None

    def system_read(self, addr: int, size: int) -> int:
        """A read by another bus master (the bit-band alias): a peripheral register or memory;
        an unmapped address is a bus fault as for the CPU. ``mmio_addr`` stays the CPU's."""
        if self.armed:
            self.settle()
        hit = self.find(addr)
        if hit is not None:
            return hit[0].read(hit[1], size)
        if not self.cpu.is_mapped(addr):
            self.miss("read", addr, size)
            return 0
        return int.from_bytes(self.cpu.read(addr, size), "little")

    def system_write(self, addr: int, size: int, value: int) -> None:
        if self.armed:
            self.settle()
        hit = self.find(addr)
        if hit is not None:
            hit[0].write(hit[1], size, value)
        elif not self.cpu.is_mapped(addr):
            self.miss("write", addr, size)
        else:
            self.cpu.write(addr, value.to_bytes(size, "little"))


__all__ = ["Bus"]
