"""The CPU emulator behind a small interface: memory, registers, execute.

Unicorn is the only emulator tandem uses; this module is the only one that maps memory or reads
registers through it directly, so the rest of the simulator (board, peripherals, reports) talks
to :class:`CortexM`.
"""
from __future__ import annotations

import ctypes
import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass

import unicorn
from unicorn import arm_const as A

from tandem.errors import TandemError
from tandem.timing.memory import MemoryMap

# QEMU's exception numbers as Unicorn reports them to UC_HOOK_INTR.
EXCP_UDEF = 1
EXCP_SWI = 2
EXCP_PREFETCH_ABORT = 3
EXCP_DATA_ABORT = 4
EXCP_BKPT = 7
EXCP_EXCEPTION_EXIT = 8
EXCP_NOCP = 17
EXCP_INVSTATE = 18
EXCP_STKOF = 19
EXCP_UNALIGNED = 22
EXCP_DIVBYZERO = 23
EXCP_HLT = 0x10001
XPSR_IT = 0x0600FC00  # xPSR ICI/IT bits [26:25] and [15:10] (ARMv7-M B1.4.2)

GPRS = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc")
_REGS = {name: getattr(A, f"UC_ARM_REG_{name.upper()}") for name in GPRS}
_REGS.update(
    xpsr=A.UC_ARM_REG_XPSR,
    ipsr=A.UC_ARM_REG_IPSR,
    primask=A.UC_ARM_REG_PRIMASK,
    basepri=A.UC_ARM_REG_BASEPRI,
    faultmask=A.UC_ARM_REG_FAULTMASK,
    control=A.UC_ARM_REG_CONTROL,
    msp=A.UC_ARM_REG_MSP,
    psp=A.UC_ARM_REG_PSP,
    fpscr=A.UC_ARM_REG_FPSCR,
)
_SREGS = [getattr(A, f"UC_ARM_REG_S{i}") for i in range(32)]
_PRIVILEGED = frozenset({"msp", "psp", "primask", "basepri", "faultmask", "control"})

# The M0+ runs on Unicorn's M0 model (the same ARMv6-M instruction set; timing differs).
_MODELS = {"cortex-m0": A.UC_CPU_ARM_CORTEX_M0, "cortex-m0+": A.UC_CPU_ARM_CORTEX_M0,
           "cortex-m3": A.UC_CPU_ARM_CORTEX_M3, "cortex-m4": A.UC_CPU_ARM_CORTEX_M4,
           "cortex-m7": A.UC_CPU_ARM_CORTEX_M7, "cortex-m33": A.UC_CPU_ARM_CORTEX_M33}

MmioRead = Callable[[int, int], int]
MmioWrite = Callable[[int, int, int], None]
def _keep(uc: unicorn.Uc, exc: BaseException) -> None:
    """Stop emulation with ``exc``, the first one kept, as the binding's own callbacks do."""
    if getattr(uc, "_hook_exception", None) is None:
        uc._hook_exception = exc
    uc.emu_stop()


@dataclass(frozen=True)
class MemoryWindow:
    """One of the board's RAM/ROM windows as a bus master outside the core sees it: the host
    buffer mapped there (``host``: its address in this process), whether it takes writes, and
    the wait states of one access now."""

    name: str
    base: int
    size: int
    host: int
    writable: bool
    wait_states: int


@dataclass(frozen=True)
class UnmappedAccess:
    kind: str  # "read", "write", "fetch", "write to read-only memory"
    address: int
    size: int


class CortexM:
    """One Cortex-M core on Unicorn, with helpers that speak in addresses and register names."""

    def __init__(self, core: str) -> None:
        if core not in _MODELS:
            raise TandemError(f"unsupported core {core!r}")
        self.core = core
        self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(_MODELS[core])
        # host memory behind each RAM/ROM window: anonymous mappings, so the host commits only the
        # pages the firmware touches (a board may declare far more memory than a program uses)
        self._buffers: list[tuple[mmap.mmap, ctypes.c_char]] = []
        # (base, size, host address, writable) of every RAM/ROM window, aliases included
        self.host_windows: list[tuple[int, int, int, bool]] = []
        self._windows: tuple[MemoryMap | None, tuple[MemoryWindow, ...]] = (None, ())
        self.last_unmapped: UnmappedAccess | None = None
        self._mrs_control: dict[int, int] = {}  # address of an MRS Rd, CONTROL -> d
        self._mrs_pending: int | None = None
        self._until = 0xFFFFFFFE  # where the next start() stops (see stop_before)
        self._memory_spans: list[tuple[int, int]] = []  # RAM/ROM windows (not MMIO), sorted
        self._mmio_callbacks: list[tuple[object, object]] = []
        # asked about a store to read-only memory (flash): True = handled (the store is dropped and
        # execution goes on), False = a fault (the error Unicorn raises)
        self.on_write_protect: Callable[[int, int, int], bool] | None = None
        self.uc.hook_add(unicorn.UC_HOOK_MEM_INVALID, self._on_invalid)

    # memory -------------------------------------------------------------------------------
    def map_memory(self, bases: tuple[int, ...], size: int, writable: bool = True) -> None:
        """Map RAM/ROM at one or more addresses sharing one host buffer (aliases), zero-filled."""
        buf = mmap.mmap(-1, size)
        head = ctypes.c_char.from_buffer(buf)
        self._buffers.append((buf, head))
        perms = unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC | (unicorn.UC_PROT_WRITE if writable else 0)
        for base in bases:
            self.uc.mem_map_ptr(base, size, perms, ctypes.addressof(head))
            self._memory_spans.append((base, base + size))
            self.host_windows.append((base, size, ctypes.addressof(head), writable))
        self._memory_spans.sort()

    def memory_windows(self, timing: MemoryMap) -> tuple[MemoryWindow, ...]:
        """The RAM/ROM windows with ``timing``'s wait states; the same tuple while ``timing`` is
        the same map (a bus master compares it to follow flash latency changes)."""
        if self._windows[0] is not timing:
            found = [(timing.find(base), base, size, host, writable)
                     for base, size, host, writable in self.host_windows]
            self._windows = (timing, tuple(MemoryWindow(r.name if r else "", base, size, host, writable,
                                                        r.wait_states if r else 0)
                                           for r, base, size, host, writable in found))
        return self._windows[1]

    def map_mmio(self, base: int, size: int, read: MmioRead, write: MmioWrite,
                 native_read: tuple[int, int] | None = None) -> int:
        """Map ``[base, base + size)`` to ``read`` and ``write``; with ``native_read`` (a C read
        callback's address and user data) Unicorn calls that one for reads, and it calls the
        returned address (Python's read callback, alive as long as the CPU) for those it does
        not serve itself."""
        # Raw ctypes callbacks rather than Uc.mmio_map's, which add two Python frames to every
        # peripheral access (tandem bench cosim). An exception is kept as the binding keeps its
        # own (Uc._hook_exception, raised by Uc.emu_start once emulation stops).
        uc = self.uc

        def on_read(_h: object, offset: int, sz: int, _data: object) -> int:
            try:
                return read(base + offset, sz)
            except BaseException as exc:  # noqa: BLE001 - ctypes would print and drop it
                _keep(uc, exc)
                return 0

        def on_write(_h: object, offset: int, sz: int, value: int, _data: object) -> None:
            try:
                write(base + offset, sz, value)
            except BaseException as exc:  # noqa: BLE001
                _keep(uc, exc)

        from unicorn.unicorn_py3 import unicorn as binding  # the types uc_mmio_map's prototype names

        callbacks = (binding.MMIO_READ_CFUNC(on_read), binding.MMIO_WRITE_CFUNC(on_write))
        python_read = ctypes.cast(callbacks[0], ctypes.c_void_p).value or 0
        read_fn, read_user = callbacks[0], None
        if native_read is not None:
            read_fn, read_user = ctypes.cast(ctypes.c_void_p(native_read[0]), binding.MMIO_READ_CFUNC), native_read[1]
        err = binding.uclib.uc_mmio_map(uc._uch, ctypes.c_uint64(base), ctypes.c_size_t(size), read_fn, read_user,
                                        callbacks[1], None)
        if err != unicorn.UC_ERR_OK:
            raise unicorn.UcError(err)
        self._mmio_callbacks.append(callbacks)  # the C side holds only their addresses
        return python_read

    def read(self, addr: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(addr, size))

    def write(self, addr: int, data: bytes) -> None:
        self.uc.mem_write(addr, bytes(data))

    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.uc.mem_read(addr, 4), "little")

    def write_u32(self, addr: int, value: int) -> None:
        self.uc.mem_write(addr, struct.pack("<I", value & 0xFFFFFFFF))

    def in_memory(self, addr: int, size: int) -> bool:
        """Whether ``[addr, addr + size)`` lies in RAM/ROM (adjacent windows join), not MMIO or a hole."""
        end = addr + size
        for b, e in self._memory_spans:
            if b <= addr < e or (b == addr == end):
                if end <= e:
                    return True
                addr = e  # continue into a window that starts where this one ends
        return size == 0

    def is_mapped(self, addr: int) -> bool:
        return any(b <= addr <= e for b, e, _ in self.uc.mem_regions())

    # registers ----------------------------------------------------------------------------
    def reg(self, name: str) -> int:
        if name in _PRIVILEGED and self._unprivileged():
            return self._as_privileged(lambda: self.raw_reg(name))
        return self.raw_reg(name)

    def mask_regs(self) -> tuple[int, int, int]:
        """PRIMASK, BASEPRI and FAULTMASK as the core has them: privileged (the usual case, and
        the exception model reads them at every stop), one privilege check for the three."""
        if self._unprivileged():
            return (self.reg("primask"), self.reg("basepri"), self.reg("faultmask"))
        return (self.raw_reg("primask"), self.raw_reg("basepri"), self.raw_reg("faultmask"))

    def raw_reg(self, name: str) -> int:
        """A register as Unicorn reads it (MSP, PSP and the masks read 0 when unprivileged)."""
        return int(self.uc.reg_read(_REGS[name])) & 0xFFFFFFFF

    def set_reg(self, name: str, value: int) -> None:
        if name == "pc":
            value |= 1  # M-profile runs Thumb only; Unicorn leaves Thumb state on an even PC
        if name in _PRIVILEGED and self._unprivileged():
            self._as_privileged(lambda: self.uc.reg_write(_REGS[name], value & 0xFFFFFFFF))
            return
        self.uc.reg_write(_REGS[name], value & 0xFFFFFFFF)

    def _unprivileged(self) -> bool:
        return bool(self.raw_reg("control") & 1) and self.raw_reg("ipsr") == 0

    def _as_privileged(self, access: Callable[[], int | None]) -> int:
        """Unicorn treats the model's own accesses as MRS/MSR: in unprivileged Thread mode MSP,
        PSP, PRIMASK, BASEPRI, FAULTMASK read as 0 and writes (and CONTROL's) are ignored
        (measured). The access runs with IPSR briefly non-zero (Handler mode, privileged);
        Unicorn switches the SP bank there and back, so nothing else changes."""
        xpsr = self.raw_reg("xpsr")
        self.uc.reg_write(_REGS["xpsr"], xpsr | 1)
        try:
            return int(access() or 0)
        finally:
            self.uc.reg_write(_REGS["xpsr"], xpsr)

    def rebuild_flags(self) -> None:
        """Make Unicorn recompute its cached CPU state flags (QEMU's hflags: Handler mode,
        CONTROL.FPCA with FPCCR.ASPEN, ...) after CONTROL or xPSR were written from outside.

        Unicorn's CONTROL, xPSR and IPSR writes do not rebuild them (its APSR_NZCV write does),
        so code translated afterwards could still see the old mode; measured: an FP
        instruction after an exception return that set CONTROL.FPCA reset FPSCR to FPDSCR, as
        for a new FP context. Writing NZCV back unchanged rebuilds them.
        """
        nzcv = self.uc.reg_read(A.UC_ARM_REG_APSR)
        self.uc.reg_write(A.UC_ARM_REG_APSR_NZCV, int(nzcv) & 0xF0000000)

    def undo_restored_it(self) -> None:
        """Call first in a Python memory hook (UC_HOOK_MEM_READ/WRITE, or UC_HOOK_MEM_INVALID
        that lets the access go on). Before calling one Unicorn restores the CPU state of the
        accessing instruction from its translation data, IT state included (cpu_restore_state);
        inside an IT block that value outlives the translated block (nothing writes the IT state
        again when the IT block ends inside it) and the next block runs as if still in the IT
        block. The translated code of the current block never reads that copy, and QEMU's ARM
        translator zeroes it at every block's start (arm_tr_tb_start), so zero is the value to
        put back; the C block hook does the same for its TLB fills (tm_undo_restored_it)."""
        xpsr = int(self.uc.reg_read(A.UC_ARM_REG_XPSR))
        if xpsr & XPSR_IT:
            self.uc.reg_write(A.UC_ARM_REG_XPSR, xpsr & ~XPSR_IT)

    def regs(self) -> dict[str, int]:
        return {n: self.reg(n) for n in (*GPRS, "xpsr", "primask", "control", "msp", "psp")}

    def fp_state(self) -> tuple[list[int], int]:
        return [int(self.uc.reg_read(r)) for r in _SREGS], self.reg("fpscr")

    def sregs(self, count: int) -> list[int]:
        """S0..S(count-1) as raw 32-bit values."""
        return [int(self.uc.reg_read(r)) & 0xFFFFFFFF for r in _SREGS[:count]]

    def set_sregs(self, values: list[int]) -> None:
        for r, v in zip(_SREGS, values, strict=False):
            self.uc.reg_write(r, v & 0xFFFFFFFF)

    def set_fp_state(self, state: tuple[list[int], int]) -> None:
        regs, fpscr = state
        for r, v in zip(_SREGS, regs, strict=True):
            self.uc.reg_write(r, v)
        self.set_reg("fpscr", fpscr)

    # QEMU's v8-M SFPA --------------------------------------------------------------------
    def hide_sfpa(self, base: int, code: bytes) -> int:
        """Make ``MRS Rd, CONTROL`` in ``code`` (loaded at ``base``) read CONTROL bit 3 as 0.

        Unicorn's core runs its FP context logic as v8-M Secure state: an FP instruction sets
        CONTROL.SFPA (bit 3) next to FPCA and MRS shows it, where an ARMv7-M part reads bit 3 as
        0 (measured; the exception model must also keep SFPA set, see exc_frames). Each MRS of
        CONTROL found (T1 encoding 0xF3EF 0x8d14) gets a hook on itself and on the next
        instruction that clears bit 3 of Rd right after it ran; nothing else is instrumented.
        Returns how many were found.
        """
        found = 0
        for off in range(0, len(code) - 3, 2):
            hw1, hw2 = struct.unpack_from("<HH", code, off)
            if hw1 != 0xF3EF or hw2 & 0xF0FF != 0x8014:
                continue
            addr, rd = base + off, (hw2 >> 8) & 0xF
            if rd > 12:
                continue
            found += 1
            self._mrs_control[addr] = rd
            self.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_mrs_control, begin=addr, end=addr)
            self.uc.hook_add(unicorn.UC_HOOK_CODE, self._after_mrs_control, begin=addr + 4, end=addr + 4)
        return found

    def _on_mrs_control(self, uc: unicorn.Uc, addr: int, size: int, _d: object) -> None:
        self._mrs_pending = addr

    def _after_mrs_control(self, uc: unicorn.Uc, addr: int, size: int, _d: object) -> None:
        prev, self._mrs_pending = self._mrs_pending, None
        if prev == addr - 4:
            reg = _REGS[GPRS[self._mrs_control[prev]]]
            uc.reg_write(reg, int(uc.reg_read(reg)) & ~8)

    # execution ----------------------------------------------------------------------------
    def hook_interrupt(self, handler: Callable[[int], None]) -> None:
        self.uc.hook_add(unicorn.UC_HOOK_INTR, lambda uc, intno, _d: handler(intno))

    def start(self, pc: int) -> None:
        """Run from ``pc`` until something calls :meth:`stop` (or Unicorn raises), or until the
        address :meth:`stop_before` set."""
        self.last_unmapped = None
        until, self._until = self._until, 0xFFFFFFFE
        self.uc.emu_start(pc | 1, until)

    def stop_before(self, addr: int, block: int) -> None:
        """Make the next :meth:`start` stop before executing ``addr``, inside the block that
        starts at ``block``: that block's translation is dropped, so it is translated again up
        to ``addr`` (measured: a cached block would run past it)."""
        self.uc.ctl_remove_cache(block, addr + 4)
        self._until = addr

    def drop_translation(self, begin: int, end: int) -> None:
        """Make Unicorn translate the code in ``[begin, end)`` again (new hooks take effect)."""
        self.uc.ctl_remove_cache(begin, end)

    def stop(self) -> None:
        self.uc.emu_stop()

    def _on_invalid(self, uc: unicorn.Uc, access: int, address: int, size: int, value: int, _d: object) -> bool:
        kinds = {
            unicorn.UC_MEM_READ_UNMAPPED: "read",
            unicorn.UC_MEM_WRITE_UNMAPPED: "write",
            unicorn.UC_MEM_FETCH_UNMAPPED: "fetch",
            unicorn.UC_MEM_WRITE_PROT: "write to read-only memory",
            unicorn.UC_MEM_READ_PROT: "read of protected memory",
            unicorn.UC_MEM_FETCH_PROT: "fetch from non-executable memory",
        }
        if access == unicorn.UC_MEM_WRITE_PROT and self.on_write_protect is not None \
                and self.on_write_protect(address, size, value & ((1 << (8 * size)) - 1)):
            return True  # measured (Unicorn 2.1.4): the store is not performed, the program goes on
        self.last_unmapped = UnmappedAccess(kinds.get(access, f"access type {access}"), address, size)
        return False
