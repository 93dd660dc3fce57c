"""The memory checker (``tandem run --check-memory``, always on in ``tandem infer``): accesses
outside what the firmware owns stop the run with a fault-style report.

What the firmware owns comes from its ELF: its sections and the symbols of tandem's linker
script (firmware/link/cortex-m.ld: ``_end``/``_heap_limit`` bound the heap, ``_stack_limit``/
``_estack`` the main stack, ``__tandem_free_ram_start`` where the RAM no section uses begins),
and for a model run from the runtime image's layout (sim/tinyml/infer.py, protocol.py): the
arena, the I/O block and the mailbox. The checker guards only what is *not* owned, so the
accesses a correct program makes never reach it:

- code and constants (``.text``/``.rodata``) in writable memory: writes (in flash, the board's
  read-only mapping catches them, machine/board.py);
- the RAM between the heap limit and the stack limit that nothing claims (a plain program: all
  of it; a model run: the padding below the arena): reads and writes, which is where a stack
  that grew past ``_stack_limit`` or a heap or buffer overrun lands first;
- for a model run, the request half of the mailbox and the input block, which the host writes
  and the firmware only reads: writes.

The guards are checked in C: the cycle counter's virtual TLB sends stores to a guarded page (and
loads, where a guard checks reads) to a check mirror whose callbacks report an access inside a
guard and pass any other to the RAM (timing/dataloads.py ``guard``), so every other access stays
on Unicorn's fast path. Where that cannot be (a guard on a timed memory, or on memory without a
host buffer) each guard is a Unicorn memory hook bounded to its range, and Unicorn then sends
every load and store through its slower checked path (about 1.6x the simulation time of a
DS-CNN inference on the F4 board).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import unicorn

from tandem.core.access import AccessLocator
from tandem.core.cpu import CortexM
from tandem.errors import SimulationError
from tandem.firmware.elf import ElfImage
from tandem.platform.model import MemorySpec


@dataclass(frozen=True)
class Guard:
    """A range the firmware does not own: ``[start, end)``; ``reads`` too, or only writes."""

    name: str
    start: int
    end: int
    reads: bool = False


@dataclass(frozen=True)
class Violation:
    kind: str  # "read" or "write"
    address: int
    size: int
    pc: int
    guard: Guard
    sp: int = 0
    stack_limit: int | None = None

    def detail(self) -> str:
        """What the report's summary says before "at <pc>"."""
        g = self.guard
        text = (f"{self.kind} of {self.size} bytes at 0x{self.address:08x}, in {g.name} "
                f"(0x{g.start:08x}-0x{g.end - 1:08x})")
        if self.stack_limit is not None and self.sp < self.stack_limit:
            text += f"; SP 0x{self.sp:08x} is below _stack_limit 0x{self.stack_limit:08x}: the stack overflowed"
        return text


def firmware_guards(elf: ElfImage, read_only_memory: Callable[[int], bool], free_ram: bool = True) -> list[Guard]:
    """The guards an ELF's own layout gives (see the module docstring); ``read_only_memory``
    says whether an address is in memory the board maps read-only (flash). ``free_ram``: guard
    the RAM between the heap and the stack limit (not for a model run, whose arena and I/O
    block fill it: :func:`model_guards` guards what is left)."""
    guards = [Guard(f"section {s.name} (code and constants)", s.address, s.address + s.size)
              for s in elf.sections if s.kind == "text" and s.size > 0 and not read_only_memory(s.address)]
    syms = elf.all_symbols
    if free_ram and "_stack_limit" in syms and "_heap_limit" in syms:
        low, high = syms["_heap_limit"], syms["_stack_limit"]
        if high > low:
            guards.append(Guard("RAM between the heap limit (_heap_limit) and the stack limit (_stack_limit), "
                                "owned by nothing", low, high, reads=True))
    return guards


def model_guards(elf: ElfImage, arena: tuple[int, int], inputs: tuple[int, int], request: tuple[int, int]
                 ) -> list[Guard]:
    """A model run's guards: the padding below the arena, the input block and the mailbox's
    request half (each (start, end))."""
    syms = elf.all_symbols
    guards = []
    if "_heap_limit" in syms and arena[0] > syms["_heap_limit"]:
        guards.append(Guard("RAM below the arena", syms["_heap_limit"], arena[0], reads=True))
    if inputs[1] > inputs[0]:
        guards.append(Guard("the input block (written by the host, read-only to the firmware)", *inputs))
    guards.append(Guard("the mailbox's request half (written by the host, read-only to the firmware)", *request))
    return guards


class MemoryChecker:
    """Installs the guards as memory hooks; the first access into one stops emulation and is
    kept as :attr:`violation`."""

    def __init__(self, cpu: CortexM, locator: AccessLocator, guards: Sequence[Guard],
                 stack_limit: int | None = None) -> None:
        self.cpu = cpu
        self.stack_limit = stack_limit
        self.locator = locator
        self.guards = [g for g in guards if g.end > g.start]
        self.violation: Violation | None = None
        self._handles: list[int] = []
        # in C where the cycle counter can (timing/dataloads.py guard), else as memory hooks
        self.native = locator.counter.guard([(g.start, g.end, g.reads) for g in self.guards], self._on_guard)
        for g in self.guards if not self.native else ():
            kinds = unicorn.UC_HOOK_MEM_WRITE | (unicorn.UC_HOOK_MEM_READ if g.reads else 0)
            self._handles.append(cpu.uc.hook_add(kinds, self._on_access, g, begin=g.start, end=g.end - 1))

    @staticmethod
    def drop(checker: MemoryChecker | None) -> None:
        """Remove a checker's hooks (if any); None, for ``board.memcheck = MemoryChecker.drop(...)``."""
        if checker is not None:
            checker.remove()

    def remove(self) -> None:
        for h in self._handles:
            self.cpu.uc.hook_del(h)
        self._handles.clear()
        if self.native:
            self.locator.counter.guard([], self._on_guard)
            self.native = False

    def _on_access(self, uc: unicorn.Uc, access: int, address: int, size: int, _value: int, guard: Guard) -> None:
        if self.violation is not None:  # the run goes on past the stop the first one made
            self.cpu.undo_restored_it()
        self.locator.begin_access(access == unicorn.UC_MEM_WRITE)
        self._record(access == unicorn.UC_MEM_WRITE, address, size, guard)

    def _on_guard(self, address: int, size: int, write: bool, index: int) -> None:
        self.locator.begin_access(write)
        span = self.locator.span_at(address)
        if span is not None and span[0] <= address < span[0] + span[1]:
            address, size = span  # the instruction's access, not the piece of it QEMU split off
        self._record(write, address, size, self.guards[index])

    def _record(self, write: bool, address: int, size: int, guard: Guard) -> None:
        if self.violation is not None:
            return
        pc = self.locator.instruction_at(address)
        self.violation = Violation("write" if write else "read", address, size,
                                   pc if pc is not None else self.cpu.reg("pc"), guard, self.cpu.reg("sp"),
                                   self.stack_limit)
        self.cpu.stop()

    def flash_store(self, elf: ElfImage | None, address: int, size: int, pc: int) -> bool:
        """A store to read-only flash the controller would not program: a violation if it hits
        one of the ELF's sections (True), else left to the board's flash model (False)."""
        if elf is None or self.violation is not None:
            return self.violation is not None
        section = next((s for s in elf.sections if s.address <= address < s.address + s.size), None)
        name = f"section {section.name} (in flash)" if section is not None else "flash"
        if section is not None:
            start, end = section.address, section.address + section.size
        else:
            start, end = address, address + size
        self.violation = Violation("write", address, size, pc, Guard(name, start, end))
        self.cpu.stop()
        return True


class CheckedBoard(Protocol):
    """What :func:`check_memory` asks of the board (machine/board.py)."""

    cpu: CortexM
    locator: AccessLocator
    elf: ElfImage | None
    flash_memories: list[MemorySpec]
    memcheck: MemoryChecker | None


def check_memory(board: CheckedBoard, extra: Sequence[Guard] = (), model: bool = False) -> MemoryChecker:
    """Make ``board`` stop at the first access outside what its loaded firmware owns: its
    sections, heap and stack, and ``extra`` guards; ``model``: the free RAM holds a model run's
    arena and I/O block (whose guards :func:`model_guards` gives) instead of being unowned."""
    elf = board.elf
    if elf is None:
        raise SimulationError("no firmware loaded: call load_elf() before check_memory()")
    flash = board.flash_memories

    def read_only(addr: int) -> bool:
        return any(b <= addr < b + m.size for m in flash for b in (m.base, *m.aliases))

    MemoryChecker.drop(board.memcheck)
    guards = [*firmware_guards(elf, read_only, not model), *extra]
    board.memcheck = MemoryChecker(board.cpu, board.locator, guards, elf.all_symbols.get("_stack_limit"))
    return board.memcheck


__all__ = ["CheckedBoard", "Guard", "MemoryChecker", "Violation", "check_memory", "firmware_guards", "model_guards"]
