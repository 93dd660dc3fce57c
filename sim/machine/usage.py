"""Memory use a run leaves behind that the ELF alone does not tell: the C library's heap."""
from __future__ import annotations

import unicorn

from tandem.core.cpu import CortexM
from tandem.firmware.elf import ElfImage

# The C library's heap break, per _sbrk implementation: tandem's firmware/core/syscalls.c,
# newlib's libnosys, avr-libc style.
HEAP_POINTERS = ("heap_top", "heap_end", "__brkval")


def heap_bytes(elf: ElfImage, cpu: CortexM) -> int | None:
    """Bytes _sbrk handed out (its break minus ``_end``), if the ELF has a known heap pointer."""
    if "_end" not in elf.all_symbols:
        return None
    end = elf.all_symbols["_end"]
    for name in HEAP_POINTERS:
        addr = elf.all_symbols.get(name)
        if addr is None:
            continue
        try:
            brk = cpu.read_u32(addr)
        except unicorn.UcError:
            return None
        return max(0, brk - end) if brk else 0  # 0: newlib's lazily set break, never moved
    return None


__all__ = ["HEAP_POINTERS", "heap_bytes"]
