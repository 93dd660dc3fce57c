"""Reading firmware ELF files: loadable segments, entry point, symbols for reports, and the source
file of code addresses from DWARF line information (:func:`source_files`).

Segments are loaded at their physical (load) addresses, as a flash programmer would; the
firmware's start-up code copies .data to RAM itself.
"""
from __future__ import annotations

import bisect
import io
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Section as _PyElfSection
from elftools.elf.sections import SymbolTableSection

from tandem.errors import ElfError
from tandem.files import MAX_ELF_BYTES, read_user_file


@dataclass(frozen=True)
class Segment:
    address: int
    data: bytes
    mem_size: int
    flags: int


@dataclass(frozen=True)
class Section:
    name: str
    address: int
    size: int
    kind: str  # "text", "data", "bss", "other"
    load_address: int


class Symbolizer:
    """Maps addresses to ``symbol+offset`` using the ELF's function and object symbols."""

    def __init__(self, symbols: list[tuple[int, int, bool, str]]) -> None:
        # one name per address: a strong symbol wins over weak aliases (Default_Handler over
        # the *_Handler aliases of it)
        best: dict[int, tuple[int, int, bool, str]] = {}
        for sym in symbols:
            old = best.get(sym[0])
            if old is None or (old[2], old[3]) > (sym[2], sym[3]):
                best[sym[0]] = sym
        self.symbols = [(a, size, name) for a, size, _w, name in sorted(best.values())]
        self.starts = [s[0] for s in self.symbols]

    def lookup(self, addr: int) -> tuple[str, int] | None:
        addr &= ~1
        i = bisect.bisect_right(self.starts, addr) - 1
        while i >= 0:
            start, size, name = self.symbols[i]
            if start <= addr < start + max(size, 1):
                return name, addr - start
            if size == 0 and start <= addr:
                return name, addr - start
            i -= 1
            break
        return None

    def describe(self, addr: int) -> str:
        found = self.lookup(addr)
        if not found:
            return f"0x{addr:08x}"
        name, off = found
        return f"0x{addr:08x} <{name}+0x{off:x}>" if off else f"0x{addr:08x} <{name}>"


@dataclass(frozen=True)
class ElfImage:
    path: Path
    entry: int
    segments: tuple[Segment, ...]
    sections: tuple[Section, ...]
    symbols: Symbolizer
    all_symbols: dict[str, int]

    @classmethod
    def load(cls, path: str | Path) -> ElfImage:
        path = Path(path)
        raw = read_user_file(path, "firmware", ElfError, MAX_ELF_BYTES)
        if raw[:4] == b"\x7fELF" and len(raw) < 52:
            raise ElfError(f"{path}: malformed ELF: {len(raw)} bytes, shorter than the 52-byte ELF32 header")
        try:
            with io.BytesIO(raw) as fh:
                head = fh.read(20)
                if head[:4] != b"\x7fELF":
                    raise ElfError(f"{path}: not an ELF file (bad magic {head[:4]!r})")
                if head[4] != 1 or head[5] != 1:
                    raise ElfError(f"{path}: not a 32-bit little-endian ELF (Cortex-M firmware is)")
                fh.seek(0)
                elf = ELFFile(fh)
                if elf["e_machine"] != "EM_ARM":
                    raise ElfError(f"{path}: built for {elf['e_machine']}, not ARM")
                if elf["e_type"] != "ET_EXEC":
                    raise ElfError(f"{path}: {elf['e_type']} is not an executable (link the firmware)")
                segments = []
                for seg in elf.iter_segments():
                    if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
                        continue
                    data = seg.data()
                    if len(data) != seg["p_filesz"]:
                        raise ElfError(f"{path}: segment at 0x{seg['p_paddr']:08x} is truncated")
                    segments.append(Segment(seg["p_paddr"], data, seg["p_memsz"], seg["p_flags"]))
                if not segments:
                    raise ElfError(f"{path}: no loadable segments")
                sections = []
                for sec in elf.iter_sections():
                    flags = sec["sh_flags"]
                    if not flags & 0x2:  # SHF_ALLOC
                        continue
                    if sec["sh_type"] == "SHT_NOBITS":
                        kind = "bss"
                    elif flags & 0x4:  # SHF_EXECINSTR
                        kind = "text"
                    elif flags & 0x1:  # SHF_WRITE
                        kind = "data"
                    else:
                        kind = "rodata"
                    sections.append(Section(sec.name, sec["sh_addr"], sec["sh_size"], kind, _lma(elf, sec)))
                syms: list[tuple[int, int, bool, str]] = []
                names: dict[str, int] = {}
                symtab = elf.get_section_by_name(".symtab")
                locals_by_name: dict[str, int] = {}
                entries: list[tuple[int, int, bool, str, bool, str]] = []  # + (local, source file)
                if isinstance(symtab, SymbolTableSection):
                    source = ""
                    for sym in symtab.iter_symbols():
                        typ = sym["st_info"]["type"]
                        if typ == "STT_FILE":
                            source = sym.name  # local symbols that follow come from this file
                            continue
                        if not sym.name or sym["st_shndx"] == "SHN_UNDEF":
                            continue
                        names[sym.name] = sym["st_value"]
                        if typ in ("STT_FUNC", "STT_OBJECT"):
                            bind = sym["st_info"]["bind"]
                            local = bind == "STB_LOCAL"
                            if local:
                                locals_by_name[sym.name] = locals_by_name.get(sym.name, 0) + 1
                            entries.append((sym["st_value"] & ~1, sym["st_size"], bind == "STB_WEAK",
                                            sym.name, local, source))
                for addr, size, weak, name, local, source in entries:
                    # static functions of the same name (every kernel's "eval") stay apart
                    if local and locals_by_name.get(name, 0) > 1 and source:
                        name = f"{name} [{source}]"
                    syms.append((addr, size, weak, name))
                return cls(path, elf["e_entry"], tuple(segments), tuple(sections), Symbolizer(syms), names)
        except OSError as exc:
            raise ElfError(f"{path}: cannot read: {exc.strerror}") from None
        except (_PyElfError, ValueError, KeyError, IndexError, struct.error, AttributeError) as exc:
            raise ElfError(f"{path}: malformed ELF: {exc}") from None


def _lma(elf: ELFFile, sec: _PyElfSection) -> int:
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_LOAD" and seg.section_in_segment(sec):
            return int(seg["p_paddr"] + sec["sh_addr"] - seg["p_vaddr"])
    return int(sec["sh_addr"])


def source_files(path: str | Path, addresses: Iterable[int]) -> dict[int, str]:
    """The source file of the code at each address, from the ELF's DWARF line information: the
    first line-table row at the address, or the last one before it in the same sequence (for a
    function's first address, the file its body is written in, also for a template or inline
    function a header defines). Addresses without line information are left out; an ELF without
    DWARF gives an empty map. Only the compilation units that hold the addresses are read when
    the ELF has ``.debug_aranges``."""
    wanted = sorted({a & ~1 for a in addresses})
    try:
        with open(path, "rb") as fh:
            elf = ELFFile(fh)
            if not elf.has_dwarf_info():
                return {}
            dwarf = elf.get_dwarf_info()
            sequences = _line_sequences(dwarf, wanted)
    except OSError as exc:
        raise ElfError(f"{path}: cannot read: {exc.strerror}") from None
    except (_PyElfError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ElfError(f"{path}: malformed DWARF line information: {exc}") from None
    sequences.sort(key=lambda s: s[0])
    starts = [s[0] for s in sequences]
    found: dict[int, str] = {}
    for addr in wanted:
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and addr >= sequences[i][1]:
            # sequences of sections the linker dropped are left at address 0 and overlap code
            # there: taken only where no other sequence holds the address
            i = next((k for k, seq in enumerate(sequences) if seq[0] == 0 and addr < seq[1]), -1)
        if i < 0:  # no line information for this address
            continue
        rows = sequences[i][2]
        j = bisect.bisect_left(rows, (addr, -1))
        if j == len(rows) or rows[j][0] != addr:
            j -= 1
        if j >= 0:
            found[addr] = sequences[i][3][rows[j][1]]
    return found


def _line_sequences(dwarf: Any, wanted: list[int]) -> list[tuple[int, int, list[tuple[int, int]], list[str]]]:
    """(start, end, [(address, file number)], file names) per line-table sequence of the CUs that
    hold ``wanted`` (all CUs without .debug_aranges)."""
    cus: list[Any] = []
    aranges = dwarf.get_aranges()
    if aranges is not None:
        offsets = {aranges.cu_offset_at_addr(a) for a in wanted}
        cus = [dwarf.get_CU_at(o) for o in sorted(o for o in offsets if o is not None)]
    else:
        cus = list(dwarf.iter_CUs())
    out: list[tuple[int, int, list[tuple[int, int]], list[str]]] = []
    for cu in cus:
        prog = dwarf.line_program_for_CU(cu)
        if prog is None:
            continue
        names = _file_names(prog)
        rows: list[tuple[int, int]] = []
        for entry in prog.get_entries():
            state = entry.state
            if state is None:
                continue
            if state.end_sequence:
                if rows:
                    out.append((rows[0][0], state.address, sorted(rows), names))
                rows = []
                continue
            rows.append((state.address, state.file))
    return out


def _file_names(prog: Any) -> list[str]:
    """File names by DWARF file number (DWARF 5 counts from 0, earlier versions from 1)."""
    version = prog.header.version
    dirs = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in prog.header.include_directory]
    names = [] if version >= 5 else ["?"]
    for fe in prog.header.file_entry:
        name = fe.name.decode("utf-8", "replace") if isinstance(fe.name, bytes) else str(fe.name)
        d = fe.dir_index if version >= 5 else fe.dir_index - 1
        if not name.startswith("/") and 0 <= d < len(dirs):
            name = f"{dirs[d]}/{name}"
        names.append(name)
    return names
