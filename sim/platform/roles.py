"""Which memory of a platform holds the code (and the vector table) and which the data.

``Tandem.Board``'s ``codeMemory`` and ``dataMemory`` say it explicitly. Without them the
memories are found by what they are used for, not by their names alone, since Renode's files
name them freely (``flash``, ``rom``, ``ram``, ``sram0``, ``dtcm``...):

- code: the memory holding the CPU's ``VectorTableOffset`` when the file gives one (the reset
  vector and the program live there); else one named ``flash`` or ``rom``; else the memory
  the core boots from at address 0 (VTOR's reset value, ARMv7-M ARM B3.2.5); else a memory
  whose name has ``flash`` in the Code region 0x00000000-0x1FFFFFFF (ARMv7-M ARM B3.1, table
  B3-1); else the lowest memory there.
- data: a memory named ``sram`` or ``ram``; else the largest memory in the SRAM region
  0x20000000-0x3FFFFFFF; else the largest memory that is not the code memory.

A choice not made by name is reported in a note. At run time the vector table is found from
the ELF as well (tandem.machine.boot), whatever these say.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class _Memory(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def base(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def aliases(self) -> tuple[int, ...]: ...


CODE_NAMES = ("flash", "rom")
DATA_NAMES = ("sram", "ram")
CODE_REGION_END = 0x20000000
SRAM_REGION_END = 0x40000000


def _holds(m: _Memory, addr: int) -> bool:
    return any(b <= addr < b + m.size for b in (m.base, *m.aliases))


def code_memory(memories: Sequence[_Memory], vector_table: int | None, notes: list[str]) -> str | None:
    """The code memory's name (None: the platform has no memory)."""
    if vector_table is not None:
        for m in memories:
            if _holds(m, vector_table):
                if m.name not in CODE_NAMES:
                    notes.append(f"code memory: {m.name!r}, which holds the VectorTableOffset 0x{vector_table:08x}")
                return m.name
    for name in CODE_NAMES:
        if any(m.name == name for m in memories):
            return name
    for m in memories:
        if _holds(m, 0):
            notes.append(f"code memory: {m.name!r}, the memory at address 0 where the core boots")
            return m.name
    # a flash of the Code region before any other memory there (FocalTech FT9001: a 4 KiB secure ROM
    # at 0x80000 below the 2 MiB flash0 at 0x10000000)
    low = sorted(("flash" not in m.name.lower(), m.base, m.name) for m in memories if m.base < CODE_REGION_END)
    if low:
        what = "the lowest memory of the Code region" if low[0][0] else "a flash memory of the Code region"
        notes.append(f"code memory: {low[0][2]!r}, {what}")
        return low[0][2]
    return memories[0].name if memories else None


def data_memory(memories: Sequence[_Memory], code: str | None, notes: list[str]) -> str | None:
    """The data memory's name (None: the platform has no memory)."""
    for name in DATA_NAMES:
        if any(m.name == name for m in memories):
            return name
    sram = [m for m in memories if CODE_REGION_END <= m.base < SRAM_REGION_END]
    others = sram or [m for m in memories if m.name != code]
    if not others:
        return code
    best = max(others, key=lambda m: (m.size, -m.base))
    where = "the largest memory of the SRAM region" if sram else "the largest memory besides the code"
    notes.append(f"data memory: {best.name!r}, {where}")
    return best.name
