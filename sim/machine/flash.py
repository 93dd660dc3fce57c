"""Flash as the core sees it: read-only outside the flash controller's programming sequence.

The board maps its flash memories read-only (:func:`flash_memories`: a memory named like flash,
or one a flash controller programs, unless it is the data memory); Unicorn asks about each store
to them (core/cpu.py ``on_write_protect``) and :func:`flash_store` answers as the part does: the
STM32 controllers (peripherals/stm32_flash.py) program it with CR.PG set, else ignore the store
and flag it; with no controller modelled (generic boards; the nRF52840, whose NVMC is not
modelled) the store is a bus fault. Under the memory checker a store that does not program is a
checker stop instead (machine/memcheck.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tandem.core.cpu import CortexM
from tandem.firmware.elf import ElfImage, Symbolizer
from tandem.machine.memcheck import MemoryChecker
from tandem.peripherals.base import Peripheral
from tandem.peripherals.stm32_flash import FLASH_CONTROLLERS, Stm32Flash
from tandem.platform.model import MemorySpec, Platform
from tandem.timing import CycleCounter


class FlashBoard(Protocol):
    """What :func:`flash_store` asks of the board."""

    platform: Platform
    cpu: CortexM
    counter: CycleCounter
    flash_memories: list[MemorySpec]
    peripherals: dict[str, Peripheral]
    symbols: Symbolizer
    memcheck: MemoryChecker | None
    elf: ElfImage | None

    def note(self, message: str) -> None: ...
    def now(self) -> int: ...
    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None: ...


def flash_memories(platform: Platform) -> list[MemorySpec]:
    """The memories the board maps read-only."""
    controlled = set()
    for p in platform.peripherals:
        if p.type in FLASH_CONTROLLERS:
            flash = p.properties.get("flash", "flash")
            controlled.add(str(getattr(flash, "name", flash)))
    return [m for m in platform.memories if m.name != platform.data_memory
            and ("flash" in m.name.lower() or m.name in controlled)]


def flash_store(self: FlashBoard, addr: int, size: int, value: int) -> bool:
    """A store to read-only memory: programmed or ignored as the flash controller says
    (peripherals/stm32_flash.py), else a bus fault (False)."""
    mem = next((m for m in self.flash_memories for b in (m.base, *m.aliases) if b <= addr < b + m.size), None)
    if mem is None:
        return False
    ctrl = next((p for p in self.peripherals.values() if isinstance(p, Stm32Flash) and p.memory == mem.name), None)
    where = self.symbols.describe(self.cpu.reg("pc"))
    if self.memcheck is not None and not (ctrl is not None and ctrl.programming):
        return self.memcheck.flash_store(self.elf, addr, size, self.cpu.reg("pc"))
    if ctrl is None:
        self.note(f"{mem.name}: flash is read-only and no flash controller on {self.platform.name} programs it: "
                  f"a store to it is a bus fault (first: {size} bytes at 0x{addr:08x} by {where})")
        return False
    if ctrl.store(addr, size):
        self.cpu.write(addr, value.to_bytes(size, "little"))
        self.schedule(self.now(), lambda _cycle: self.counter.invalidate(), ("flash program", mem.name))
        if ctrl.programmed == 1:
            self.note(f"{ctrl.name}: FLASH_CR.PG set: stores program {mem.name} (first: {size} bytes at "
                      f"0x{addr:08x} by {where})")
        return True
    flag = "sets FLASH_SR.PGSERR" if ctrl.PGSERR is not None else "sets no flag"
    if ctrl.refused == 1:
        self.note(f"{ctrl.name}: a store to {mem.name} without FLASH_CR.PG is ignored and {flag} ({ctrl.MANUAL}; "
                  f"first: {size} bytes at 0x{addr:08x} by {where})")
    return True


__all__ = ["flash_memories", "flash_store"]
