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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tandem.errors import SimulationError
from tandem.timing.memory import CHECK_BASE, MIRROR_BASE, XN_FETCH_BASE

if TYPE_CHECKING:
    import unicorn

    from tandem.timing.cortex_m import CoreTiming

DATA_REGIONS = 4  # TM_DATA_REGIONS in blockhook.c
GUARDS = 8  # TM_GUARDS
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
    virtual: bool = False  # the core runs on the virtual TLB (virtual_tlb)
    checked: list[tuple[int, int, bool]] = field(default_factory=list)  # guarded pages (base, size, reads)
    guard_callback: Any = None  # the C callback of the guards' hits, kept alive

    def offsets(self, begin: int, end: int, write: bool = False) -> list[int]:
        """The offsets at which data reads (``write``: stores) of ``[begin, end]`` reach a mirror
        (a memory hook sees the address plus the offset): ``MIRROR_BASE`` if reads overlap a
        timed memory, ``CHECK_BASE`` if they overlap pages the memory checker guards."""
        found = [] if write or not any(begin < base + size and base <= end for base, size in self.timed) \
            else [MIRROR_BASE]
        if any(begin < base + size and base <= end and (write or reads) for base, size, reads in self.checked):
            found.append(CHECK_BASE)
        return found


def install(lib: ctypes.CDLL, state: ctypes.c_void_p, uc: unicorn.Uc, uclib: ctypes.CDLL,
            timing: CoreTiming, host_windows: Sequence[tuple[int, int, int, bool]],
            mirrors: DataMirrors, hooks: list[int]) -> None:
    """Mirror each of ``timing``'s data regions and put ``uc`` on the virtual TLB; the fill
    hook's handle goes into ``hooks``, each mirror into ``mirrors`` as soon as it is mapped.
    ``host_windows`` (``CortexM.host_windows``) give the memories' host buffers; a memory not
    among them is read with ``uc_mem_read``. Raises SimulationError."""
    regions = timing.data_regions()
    if not regions:
        return
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
    virtual_tlb(lib, state, uc, uclib, mirrors, hooks)


def virtual_tlb(lib: ctypes.CDLL, state: ctypes.c_void_p, uc: unicorn.Uc, uclib: ctypes.CDLL,
                mirrors: DataMirrors, hooks: list[int]) -> None:
    """Put ``uc`` on the virtual TLB with tm_tlb_fill (once); raises SimulationError."""
    import unicorn
    from unicorn import arm_const as A

    if mirrors.virtual:
        uclib.uc_ctl(uc._uch, ctypes.c_int(unicorn.UC_CTL_TLB_FLUSH | _CTL_WRITE))  # new destinations
        return
    lib.tm_set_xpsr_access(state, ctypes.cast(uclib.uc_reg_read, ctypes.c_void_p),
                           ctypes.cast(uclib.uc_reg_write, ctypes.c_void_p), A.UC_ARM_REG_XPSR)
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
    mirrors.virtual = True
    uclib.uc_ctl(uc._uch, ctypes.c_int(unicorn.UC_CTL_TLB_FLUSH | _CTL_WRITE))  # entries from before


GUARD_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int32, ctypes.c_int32)
_PAGE = 0x1000


def guard(lib: ctypes.CDLL, state: ctypes.c_void_p, uc: unicorn.Uc, uclib: ctypes.CDLL,
          host_windows: Sequence[tuple[int, int, int, bool]], mirrors: DataMirrors, hooks: list[int],
          guards: Sequence[tuple[int, int, bool]], on_hit: Callable[[int, int, bool, int], None]) -> bool:
    """Check ``guards`` ((start, end, reads) each) through check mirrors: ``on_hit(address, size,
    write, index)`` for an access inside one. False (nothing installed) where this cannot: a
    guard outside RAM the CPU maps from a host buffer, on a timed memory, or too many."""
    unguard(lib, state, uclib, uc._uch, mirrors)
    if not guards:
        return True
    spans: list[list[int]] = []
    for start, end, _reads in sorted(guards):
        lo, hi = start & ~(_PAGE - 1), (end + _PAGE - 1) & ~(_PAGE - 1)
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    hosts = []
    for lo, hi in spans:
        host = next((h + lo - b for b, n, h, w in host_windows if w and b <= lo and hi <= b + n), None)
        if host is None or any(lo < base + size and base < hi for base, size in mirrors.timed):
            return False
        hosts.append(host)
    if len(guards) > GUARDS or len(spans) > GUARDS:
        return False
    for start, end, reads in guards:
        lib.tm_guard_add(state, start, end, 1 if reads else 0)

    def hit(addr: int, size: int, write: int, index: int) -> None:
        on_hit(addr, size, bool(write), index)

    mirrors.guard_callback = GUARD_CALLBACK(hit)
    lib.tm_guard_set_hit(state, ctypes.cast(mirrors.guard_callback, ctypes.c_void_p))
    read_cb = ctypes.cast(lib.tm_guard_read, ctypes.c_void_p)
    write_cb = ctypes.cast(lib.tm_guard_write, ctypes.c_void_p)
    for (lo, hi), host in zip(spans, hosts, strict=True):
        ptr = lib.tm_guard_map(state, lo, hi - lo, CHECK_BASE + lo, host)
        err = uclib.uc_mmio_map(uc._uch, ctypes.c_uint64(CHECK_BASE + lo), ctypes.c_size_t(hi - lo),
                                read_cb, ctypes.c_void_p(ptr), write_cb, ctypes.c_void_p(ptr)) if ptr else 1
        if err != 0:
            unguard(lib, state, uclib, uc._uch, mirrors)
            raise SimulationError(f"cannot map the memory checker's mirror of 0x{lo:08x}-0x{hi - 1:08x} "
                                  f"(Unicorn error {err})")
        mirrors.checked.append((lo, hi - lo, any(r for s, e, r in guards if s < hi and lo < e)))
    virtual_tlb(lib, state, uc, uclib, mirrors, hooks)
    return True


def unguard(lib: ctypes.CDLL, state: ctypes.c_void_p, uclib: ctypes.CDLL, uch: Any, mirrors: DataMirrors) -> None:
    """Remove the guards and their check mirrors (the TLB is flushed by the next ``guard`` or
    here)."""
    if not mirrors.checked:
        return
    lib.tm_guard_clear(state)
    for base, size, _reads in mirrors.checked:
        uclib.uc_mem_unmap(uch, ctypes.c_uint64(CHECK_BASE + base), ctypes.c_size_t(size))
    mirrors.checked.clear()
    import unicorn

    uclib.uc_ctl(uch, ctypes.c_int(unicorn.UC_CTL_TLB_FLUSH | _CTL_WRITE))


def unmap(uclib: ctypes.CDLL, uch: Any, mirrors: DataMirrors) -> None:
    """Unmap the mirrors (their callbacks' user data is the C state, about to be freed)."""
    for base, size in mirrors.mapped:
        uclib.uc_mem_unmap(uch, ctypes.c_uint64(base), ctypes.c_size_t(size))
    mirrors.mapped.clear()
    for base, size, _reads in mirrors.checked:
        uclib.uc_mem_unmap(uch, ctypes.c_uint64(CHECK_BASE + base), ctypes.c_size_t(size))
    mirrors.checked.clear()
