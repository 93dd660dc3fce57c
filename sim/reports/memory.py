"""Static memory use of a firmware ELF on a board: ``tandem size``.

Every allocated section is placed in the board memory that holds it: loadable contents
(code, read-only data, the initial values of .data) at their load address (flash), and
run-time data (.data, .bss, the heap reserve) at their run address (RAM), so .data counts in
both, as on hardware. The report lists the sections, the totals per memory against its size,
the largest symbols, and the stack reserve the linker script set aside. The stack and heap a
run really used come from ``tandem run`` (``stack_bytes``, ``heap_bytes``).
"""
from __future__ import annotations

from dataclasses import dataclass

from tandem.firmware.elf import ElfImage
from tandem.platform.model import MemorySpec, Platform


@dataclass(frozen=True)
class SectionUse:
    name: str
    kind: str  # text, rodata, data, bss
    size: int
    address: int  # run address
    load_address: int
    load_memory: str | None  # memory holding its contents in the image (None: NOLOAD)
    run_memory: str | None  # memory it occupies at run time, if other than load_memory


@dataclass(frozen=True)
class MemoryUse:
    name: str
    base: int
    size: int
    used: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.size if self.size else 0.0


@dataclass(frozen=True)
class SymbolUse:
    name: str
    address: int
    size: int
    memory: str | None


@dataclass(frozen=True)
class MemoryReport:
    board: str
    program: str
    sections: tuple[SectionUse, ...]
    memories: tuple[MemoryUse, ...]
    symbols: tuple[SymbolUse, ...]  # largest first
    stack_reserve: int | None  # _estack - _stack_limit (the linker script's stack size)
    heap_reserve: int | None  # _heap_limit - _end
    code_memory: str = ""  # the board's code (flash) memory
    data_memory: str = ""  # the board's data (RAM) memory

    @property
    def flash(self) -> MemoryUse:
        """Use of the board's code memory, whatever the board calls it."""
        return self.memory(self.code_memory)

    @property
    def ram(self) -> MemoryUse:
        """Use of the board's main data memory."""
        return self.memory(self.data_memory)

    def memory(self, name: str) -> MemoryUse:
        for m in self.memories:
            if m.name == name:
                return m
        raise KeyError(f"board {self.board} has no memory {name!r}")

    def text(self, top: int = 15) -> str:
        out = [f"{self.program} on {self.board}", "",
               f"{'section':<20} {'kind':<7} {'size':>10}  {'address':>10}  memory"]
        for s in self.sections:
            where = s.load_memory or "-"
            if s.run_memory and s.run_memory != s.load_memory:
                where = f"{s.run_memory}" + (f" (image in {s.load_memory})" if s.load_memory else "")
            out.append(f"{s.name:<20} {s.kind:<7} {s.size:>10,}  0x{s.address:08x}  {where}")
        out += ["", f"{'memory':<12} {'used':>12} {'size':>12} {'%':>7}"]
        for m in self.memories:
            out.append(f"{m.name:<12} {m.used:>12,} {m.size:>12,} {m.percent:>6.1f}%")
        if self.stack_reserve is not None or self.heap_reserve is not None:
            out.append("")
            if self.heap_reserve is not None:
                out.append(f"heap reserve  {self.heap_reserve:,} B (in .heap above)")
            if self.stack_reserve is not None:
                out.append(f"stack reserve {self.stack_reserve:,} B (top of RAM; not a section)")
        if top > 0 and self.symbols:
            out += ["", f"largest symbols (top {min(top, len(self.symbols))}):",
                    f"{'symbol':<32} {'size':>10}  {'address':>10}  memory"]
            for sym in self.symbols[:top]:
                out.append(f"{sym.name:<32} {sym.size:>10,}  0x{sym.address:08x}  {sym.memory or '-'}")
        return "\n".join(out)

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board,
            "program": self.program,
            "sections": [s.__dict__ for s in self.sections],
            "memories": [{**m.__dict__, "percent": m.percent} for m in self.memories],
            "symbols": [s.__dict__ for s in self.symbols],
            "stack_reserve": self.stack_reserve,
            "heap_reserve": self.heap_reserve,
        }


def _memory_at(platform: Platform, addr: int) -> MemorySpec | None:
    for m in platform.memories:
        for base in (m.base, *m.aliases):
            if base <= addr < base + m.size:
                return m
    return None


def memory_report(image: ElfImage, platform: Platform) -> MemoryReport:
    used: dict[str, int] = {m.name: 0 for m in platform.memories}
    sections = []
    for sec in image.sections:
        if sec.size == 0:
            continue
        load = None
        if sec.kind != "bss":
            lm = _memory_at(platform, sec.load_address)
            load = lm.name if lm is not None else None
        rm = _memory_at(platform, sec.address)
        run = rm.name if rm is not None else None
        for name in {load, run}:
            if name is not None:
                used[name] += sec.size
        sections.append(SectionUse(sec.name, sec.kind, sec.size, sec.address, sec.load_address,
                                   load, run if run != load else None))
    syms = sorted(((addr, size, name) for addr, size, name in image.symbols.symbols if size > 0),
                  key=lambda t: (-t[1], t[2]))
    symbols = []
    for addr, size, name in syms:
        m = _memory_at(platform, addr)
        symbols.append(SymbolUse(name, addr, size, m.name if m is not None else None))
    names = image.all_symbols
    stack = names["_estack"] - names["_stack_limit"] if {"_estack", "_stack_limit"} <= names.keys() else None
    heap = names["_heap_limit"] - names["_end"] if {"_heap_limit", "_end"} <= names.keys() else None
    memories = tuple(MemoryUse(m.name, m.base, m.size, used[m.name]) for m in platform.memories)
    return MemoryReport(platform.name, image.path.name, tuple(sections), memories, tuple(symbols),
                        stack, heap, platform.code_memory, platform.data_memory)
