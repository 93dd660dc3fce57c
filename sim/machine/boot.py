"""Where a board finds its vector table at reset, in Renode's order.

The reset exception loads SP_main from the vector table's word 0 and the PC from word 1, the
table being at VTOR (ARMv7-M ARM B1.5.5 "Reset behavior", TakeReset()). Renode's
``CPU.CortexM`` (renode-infrastructure, CortexM.cs ``InitPCAndSP``) sets VTOR at reset from,
in order:

1. ``VectorTableOffset`` set explicitly: the CPU's property in the platform file or an
   ``init:`` command (see tandem.platform.cpus); it is used as given.
2. the loaded ELF: Renode guesses VTOR as the address of the ELF's first section with a
   non-zero address (its ``SymbolLookup.FirstNotNullSectionAddress``). tandem looks first for
   the sections and symbols that toolchains name as the vector table (``.isr_vector``, ST's
   ``g_pfnVectors``, CMSIS's ``__Vectors``...), then applies Renode's rule.
3. VTOR's reset value, 0x00000000 on Cortex-M3/M4 (B3.2.5), when memory is there.

When the ELF's table is in a memory that is also mapped at 0 (STM32 flash aliased at boot),
VTOR stays 0 as on the part (RM0090 2.4 "Boot configuration"). A run reports in a note a
VectorTableOffset, and a table from the ELF that is neither at 0 nor at the start of the code
memory (where tandem's linker script puts it). A table found from the ELF (2) or at 0 (3)
is used only if it looks like one: 128-byte aligned (VTOR.TBLOFF is bits [31:7], B3.2.5), and
a reset vector with bit 0 set (Thumb) pointing into a memory. The initial SP is not checked:
the part loads any value, and a bad one faults at the first push. So a board whose flash is
mapped only at 0x08000000, as in Renode's STM32 files, boots its firmware from the ELF.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tandem.core.cpu import CortexM
from tandem.errors import ElfError, FirmwareFault, SimulationError
from tandem.firmware.elf import ElfImage
from tandem.platform.model import Platform

VECTOR_SECTIONS = (".isr_vector", ".vectors", ".vector_table", ".intvec", ".vector", ".isr_vectors")
VECTOR_SYMBOLS = ("g_pfnVectors", "__isr_vector", "__Vectors", "__vector_table", "_vectors", "vector_table",
                  "g_vectors", "__vectors", "_vector_table", "exception_table")
TBLOFF_ALIGN = 128


@dataclass(frozen=True)
class BootVector:
    """The vector table chosen at reset, its first two words, and a note on how it was found."""

    vtor: int
    sp: int
    pc: int
    note: str


class _Memories:
    def __init__(self, platform: Platform) -> None:
        self.spans = [(b, b + m.size, m.name) for m in platform.memories for b in (m.base, *m.aliases)]

    def in_memory(self, addr: int) -> bool:
        return any(b <= addr < e for b, e, _ in self.spans)

    def aliased_at_0(self, addr: int) -> bool:
        """``addr`` is the first byte of a memory that is also mapped at address 0."""
        names = {n for b, _, n in self.spans if b == addr}
        return any(b == 0 and n in names for b, _, n in self.spans)


def _valid(addr: int, pc: int, mem: _Memories) -> str | None:
    """Why the words at ``addr`` are not a vector table, or None when they look like one."""
    if addr % TBLOFF_ALIGN:
        return f"0x{addr:08x} is not {TBLOFF_ALIGN}-byte aligned"
    if not pc & 1:
        return f"its reset vector 0x{pc:08x} has bit 0 clear (not a Thumb address)"
    if not mem.in_memory(pc & ~1):
        return f"its reset vector 0x{pc:08x} is not in a memory"
    return None


def elf_candidates(elf: ElfImage) -> list[tuple[int, str]]:
    """Vector table addresses the ELF suggests, best first, each with how it was found."""
    found: list[tuple[int, str]] = []
    for name in VECTOR_SECTIONS:
        found += [(s.address, f"section {name}") for s in elf.sections if s.name == name and s.size >= 8]
    for name in VECTOR_SYMBOLS:
        if name in elf.all_symbols:
            found.append((elf.all_symbols[name], f"symbol {name}"))
    first = next((s for s in elf.sections if s.address != 0 and s.kind != "bss"), None)
    if first is not None:
        found.append((first.address, f"its first section {first.name} (Renode's rule)"))
    return found


def find_vector_table(platform: Platform, elf: ElfImage | None, read_u32: Callable[[int], int]) -> BootVector:
    """The reset's vector table (see the module docstring); ``read_u32(addr)`` reads memory."""
    mem = _Memories(platform)
    where = f"board {platform.name}" + (f", ELF {elf.path.name}" if elf is not None else "")

    def words(addr: int) -> tuple[int, int] | None:
        if not (mem.in_memory(addr) and mem.in_memory(addr + 7)):
            return None
        return read_u32(addr), read_u32(addr + 4)

    code_base = platform.memory(platform.code_memory).base
    explicit = platform.cpu.vector_table
    if explicit is not None:
        got = words(explicit)
        if got is None:
            raise SimulationError(f"{where}: VectorTableOffset 0x{explicit:08x} of {platform.cpu.name} "
                                  "is not in a memory")
        why = _valid(explicit, got[1], mem)
        if why is not None and "bit 0" in why:
            raise FirmwareFault(f"{where}: the vector table at VectorTableOffset 0x{explicit:08x}: {why}")
        return BootVector(explicit, *got, f"boot: vector table at 0x{explicit:08x}, the VectorTableOffset "
                                          f"of {platform.cpu.name}")
    tried: list[str] = []
    seen: set[int] = set()
    for addr, how in [*(elf_candidates(elf) if elf is not None else []), (0, "VTOR's reset value")]:
        if addr in seen:  # one address named several ways: the first way
            continue
        seen.add(addr)
        got = words(addr)
        if got is None:
            tried.append(f"0x{addr:08x} ({how}) is not in a memory")
            continue
        why = _valid(addr, got[1], mem)
        if why is None and addr and mem.aliased_at_0(addr):
            # the memory is also mapped at 0 (STM32 flash booting with BOOT0 low): VTOR keeps
            # its reset value 0 as on the part, where Renode would set it to the ELF's address
            return BootVector(0, *got, "")
        if why is None:
            source = f"the ELF's {how}" if how != "VTOR's reset value" else how
            usual = addr in (0, code_base)  # the boot address, or where tandem's builds put it
            return BootVector(addr, *got, "" if usual else f"boot: vector table at 0x{addr:08x}, {source}")
        tried.append(f"0x{addr:08x} ({how}): {why}")
    raise SimulationError(f"{where}: no valid vector table ({'; '.join(tried)}); "
                          "set VectorTableOffset on the cpu")


def place_segments(platform: Platform, cpu: CortexM, image: ElfImage) -> None:
    """Write the ELF's loadable segments into the board's memories (each must fit in one)."""
    for seg in image.segments:
        end = seg.address + len(seg.data)
        if not any(b <= seg.address and end <= b + m.size
                   for m in platform.memories for b in (m.base, *m.aliases)):
            mems = ", ".join(f"{m.name} 0x{m.base:08x}-0x{m.end - 1:08x}" for m in platform.memories)
            raise ElfError(
                f"{image.path}: segment 0x{seg.address:08x}-0x{end - 1:08x} does not fit in any "
                f"memory of board {platform.name} ({mems})"
            )
        cpu.write(seg.address, seg.data)
        if seg.flags & 1 and platform.cpu.fpu:  # PF_X
            cpu.hide_sfpa(seg.address, seg.data)
