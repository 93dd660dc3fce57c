"""Data loads from wait-stated memory, timed one by one without a Unicorn memory hook.

While any ``UC_HOOK_MEM_READ`` is registered Unicorn sends every load and store of the run
through its slow path, RAM ones included. Instead each timed memory (flash with wait states or
an ART) gets a read mirror, an MMIO window above the 4 GiB the core addresses
(``MIRROR_BASE`` + its address) whose C read callback charges the wait states and returns the
bytes, and the core runs on Unicorn's virtual TLB with a C fill callback that sends data reads
of the memory's pages to the mirror and every other access to the address itself. The C side
is blockhook.c ("data loads from wait-stated memory"); :class:`~tandem.timing.counter.CycleCounter`
installs it.
"""
from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tandem.errors import SimulationError
from tandem.timing.memory import MIRROR_BASE, XN_FETCH_BASE

if TYPE_CHECKING:
    import unicorn

    from tandem.timing.cortex_m import CoreTiming

DATA_REGIONS = 4  # TM_DATA_REGIONS in blockhook.c
# unicorn.h UC_CTL_WRITE(type, nr): type | nr << 26 | UC_CTL_IO_WRITE << 30 (nr: the arguments)
_CTL_WRITE = 1 << 30
_CTL_ONE_ARG = 1 << 26


@dataclass
class DataMirrors:
    """The timed memories of one counter: ``names`` in the C state's region order, ``timed``
    their (address, size), ``mapped`` the (physical address, size) of each mirror mapped so far
    (unmapped with :func:`unmap`)."""

    names: list[str] = field(default_factory=list)
    timed: list[tuple[int, int]] = field(default_factory=list)
    mapped: list[tuple[int, int]] = field(default_factory=list)

    def offsets(self, begin: int, end: int) -> list[int]:
        """The offsets at which data reads of ``[begin, end]`` reach a mirror (a memory hook sees
        the address plus the offset): ``[MIRROR_BASE]`` if the range overlaps a timed memory."""
        return [MIRROR_BASE] if any(begin < base + size and base <= end for base, size in self.timed) else []


def install(lib: ctypes.CDLL, state: ctypes.c_void_p, uc: unicorn.Uc, uclib: ctypes.CDLL,
            timing: CoreTiming, host_windows: Sequence[tuple[int, int, int, bool]],
            mirrors: DataMirrors, hooks: list[int]) -> None:
    """Mirror each of ``timing``'s data regions and put ``uc`` on the virtual TLB; the fill
    hook's handle goes into ``hooks``, each mirror into ``mirrors`` as soon as it is mapped.
    ``host_windows`` (``CortexM.host_windows``) give the memories' host buffers; a memory not
    among them is read with ``uc_mem_read``. Raises SimulationError."""
    import unicorn
    from unicorn import arm_const as A

    regions = timing.data_regions()
    if not regions:
        return
    lib.tm_set_xpsr_access(state, ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p),
                           ctypes.cast(uclib.uc_reg_write, ctypes.c_void_p), A.UC_ARM_REG_XPSR)
    mem_read = ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p)
    read_cb = ctypes.cast(lib.tm_mirror_read, ctypes.c_void_p)
    write_cb = ctypes.cast(lib.tm_mirror_write, ctypes.c_void_p)
    for region, cache in regions:
        ptr = lib.tm_add_data_region(state, cache, region.wait_states)
        size = region.end - region.base
        pbase = MIRROR_BASE + region.base
        host: Any = next((h + region.base - b for b, n, h, _w in host_windows
                          if b <= region.base and region.end <= b + n), None)
        err = 1
        if ptr:
            lib.tm_mirror_region(ptr, region.base, size, pbase, host, mem_read)
            err = uclib.uc_mmio_map(uc._uch, ctypes.c_uint64(pbase), ctypes.c_size_t(size),
                                    read_cb, ctypes.c_void_p(ptr), write_cb, ctypes.c_void_p(ptr))
        if err != 0:
            raise SimulationError(
                f"cannot time data loads from memory '{region.name}' at 0x{region.base:08x} "
                f"(Unicorn error {err}; at most {DATA_REGIONS} regions)")
        mirrors.mapped.append((pbase, size))
        mirrors.timed.append((region.base, size))
        mirrors.names.append(region.name)
    lib.tm_set_xn_base(state, XN_FETCH_BASE)
    err = uclib.uc_ctl(uc._uch, ctypes.c_int(unicorn.UC_CTL_TLB_TYPE | _CTL_ONE_ARG | _CTL_WRITE),
                       ctypes.c_int(unicorn.UC_TLB_VIRTUAL))
    if err != 0:
        raise SimulationError(f"uc_ctl(UC_CTL_TLB_TYPE, UC_TLB_VIRTUAL) failed with Unicorn error {err}")
    handle = ctypes.c_size_t()
    err = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), unicorn.UC_HOOK_TLB_FILL,
                            ctypes.cast(lib.tm_tlb_fill, ctypes.c_void_p), state,
                            ctypes.c_uint64(1), ctypes.c_uint64(0))
    if err != 0:
        raise SimulationError(f"uc_hook_add(UC_HOOK_TLB_FILL) failed with Unicorn error {err}")
    hooks.append(handle.value)
    uclib.uc_ctl(uc._uch, ctypes.c_int(unicorn.UC_CTL_TLB_FLUSH | _CTL_WRITE))  # entries from before


def unmap(uclib: ctypes.CDLL, uch: Any, mirrors: DataMirrors) -> None:
    """Unmap the mirrors (their callbacks' user data is the C state, about to be freed)."""
    for base, size in mirrors.mapped:
        uclib.uc_mem_unmap(uch, ctypes.c_uint64(base), ctypes.c_size_t(size))
    mirrors.mapped.clear()
