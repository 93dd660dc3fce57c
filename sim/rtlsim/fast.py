"""Repeated register reads served by the model's library without Python (shim_fast.inc).

:class:`FastReads` wraps the library's side: the callback Unicorn calls for the peripheral's
window, the site Python arms it with, the reads it did (taken as log records) and a read whose
outcome Python finishes. :class:`~tandem.peripherals.rtl_peripheral.RtlPeripheral` decides when
to arm it; docs/bring-your-own-accelerator.md ("Repeated reads") says why it is exact.
"""
from __future__ import annotations

import ctypes
from typing import NamedTuple

RECORDS = 4096  # kFastRecords in shim_fast.inc


class Pending(NamedTuple):
    """A read the library ran whose outcome differed from the armed one."""

    now: int
    start: int
    n: int
    read_data: int
    response: int
    irq: bool
    bus_error: bool
    beats: int


class Site(NamedTuple):
    """What a read is armed with (the arguments of tb_fast_arm, in order)."""

    key: int  # the block's key in the cycle counter's table
    back: int  # cycles from the reading instruction's start to the block's end
    offset: int  # the register's offset in the peripheral's window
    size: int
    addr: int  # the bus address the transaction presents
    value: int  # the 32-bit read data the armed read returned
    irq: int
    rtl0: int
    cpu0: int
    rtl_hz: int
    cpu_hz: int
    timeout: int


class FastReads:
    """The library's repeated-read path of one loaded model (``lib``, its handle ``h``)."""

    def __init__(self, lib: ctypes.CDLL, h: ctypes.c_void_p) -> None:
        vp, u64 = ctypes.c_void_p, ctypes.c_uint64
        lib.tb_fast_new.restype = vp
        lib.tb_fast_new.argtypes = [vp]
        lib.tb_fast_free.argtypes = [vp]
        lib.tb_fast_flags.argtypes = [vp, ctypes.POINTER(u64)]
        lib.tb_fast_bind.argtypes = [vp, vp, vp, vp, vp, u64, u64]
        lib.tb_fast_arm.argtypes = [vp, ctypes.POINTER(u64)]
        lib.tb_fast_delegate.argtypes = [vp, vp, vp]
        lib.tb_fast_take.restype = ctypes.c_uint32
        lib.tb_fast_take.argtypes = [vp, ctypes.POINTER(u64)]
        lib.tb_fast_pending.restype = ctypes.c_int
        lib.tb_fast_pending.argtypes = [vp, ctypes.POINTER(ctypes.c_int64)]
        self._lib = lib
        self.handle = vp(lib.tb_fast_new(h))
        flags = (u64 * 3)()
        lib.tb_fast_flags(self.handle, flags)
        self._count = ctypes.c_uint32.from_address(flags[0])
        self.pending_flag = ctypes.c_int.from_address(flags[1])  # nonzero while a read waits for Python
        self._armed = ctypes.c_int.from_address(flags[2])
        self._args = (u64 * 12)()
        self._records = (u64 * (4 * RECORDS))()
        self._p = (ctypes.c_int64 * 8)()
        self.bound = False
        self.served = 0  # reads the library served, taken so far

    def callback(self) -> tuple[int, int]:
        """(the library's MMIO read callback, its user data) for Unicorn's mapping."""
        fn = ctypes.cast(self._lib.tb_mmio_read, ctypes.c_void_p).value
        assert fn is not None and self.handle.value is not None
        return fn, self.handle.value

    def bind(self, fallback: int, cycles: int, cur: int, key_offset: int, window: int) -> None:
        """``fallback``: Python's read callback for everything not served here; ``cycles`` and
        ``cur``: where the cycle counter keeps its count and its current entry, the key
        ``key_offset`` bytes into an entry; ``window``: the peripheral's offset of the mapping's
        first byte."""
        self._lib.tb_fast_bind(self.handle, fallback, None, cycles, cur, key_offset, window & (1 << 64) - 1)
        self.bound = True

    def delegate(self, other: FastReads) -> None:
        """Hand every read Unicorn gives this one to ``other`` (bound the same way): the
        peripheral loaded another build of its model after the window was mapped."""
        fn, user = other.callback()
        self._lib.tb_fast_delegate(self.handle, fn, user)

    def arm(self, site: Site) -> None:
        a = self._args
        for i, v in enumerate(site):
            a[i] = v
        self._lib.tb_fast_arm(self.handle, a)

    def take(self) -> int:
        """Disarm; the number of reads done since the last take (:meth:`records` gives them)."""
        if not self._count.value:
            self._armed.value = 0
            return 0
        n = int(self._lib.tb_fast_take(self.handle, self._records))
        self.served += n
        return n

    def records(self, n: int) -> bytes:
        """The ``n`` reads the last :meth:`take` counted: (cycle, stall, RTL end, beats) each, as
        four native u64 (32 bytes a read)."""
        return bytes(memoryview(self._records).cast("B")[:32 * n])

    def pending(self) -> Pending | None:
        """The read whose outcome Python finishes, if there is one (then cleared)."""
        if not self.pending_flag.value:
            return None
        p = self._p
        self._lib.tb_fast_pending(self.handle, p)
        return Pending(p[0], p[1], p[2], p[3], p[4], p[5] != 0, p[6] != 0, p[7])

    def free(self) -> None:
        """Free the library's side unless Unicorn maps its callback (then it must outlive the
        mapping, disarmed)."""
        if not self.bound and self.handle:
            self._lib.tb_fast_free(self.handle)
            self.handle = ctypes.c_void_p()
