"""What went wrong, in the core's words: a fault's kind, detail, CFSR bits and BFAR, and the
report a run that stops on it prints.

:func:`classify_uc_error` reads an error Unicorn raised (with the access the memory hook saw),
:func:`cpu_exception_fault` a CPU exception Unicorn reported through its interrupt hook, and
:func:`unmapped_mmio_fault` an access to an MMIO page no peripheral window covers. Whether the
fault stops the run or is taken by the firmware's handler is the exception model's decision
(:mod:`tandem.core.exceptions`); :func:`fault_report` builds the :class:`FirmwareFault` for a stop.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import unicorn

from tandem.core import cpu as C
from tandem.errors import FirmwareFault
from tandem.timing.memory import XN_FETCH_BASE, execute_never

# CFSR bits (UFSR << 16 | BFSR << 8 | MMFSR)
IACCVIOL = 1 << 0
IBUSERR = 1 << 8
PRECISERR = 1 << 9
IMPRECISERR = 1 << 10
BFARVALID = 1 << 15
UNDEFINSTR = 1 << 16
INVSTATE = 1 << 17
NOCP = 1 << 19
STKOF = 1 << 20  # ARMv8-M: a stack pointer went below MSPLIM/PSPLIM
UNALIGNED = 1 << 24
DIVBYZERO = 1 << 25


class Fault(NamedTuple):
    """A classified fault: ``cfsr`` holds the bits it sets, ``bfar`` the faulting data address."""

    kind: str  # HardFault, MemManage, BusFault, UsageFault
    detail: str
    cfsr: int
    bfar: int | None = None


def classify_uc_error(err: unicorn.UcError, access: C.UnmappedAccess | None) -> Fault:
    """The fault for an error Unicorn raised; ``access`` is the unmapped access it stopped on."""
    if access is not None and access.kind == "fetch" and access.address >= XN_FETCH_BASE:
        # a fetch from an execute-never region under the cycle counter's virtual TLB, which
        # sends it to an unmapped alias (timing/blockhook.c tm_tlb_fill)
        return XN_FETCH
    if access is not None:
        if "read-only" in access.kind:
            return Fault("BusFault", f"{access.kind} at 0x{access.address:08x} ({access.size} bytes)",
                         PRECISERR | BFARVALID, access.address)
        detail = (f"{access.kind} of 0x{access.address:08x} ({access.size} bytes): "
                  "no memory or peripheral mapped there")
        if access.kind == "fetch":
            return Fault("BusFault", detail, IBUSERR, None)
        return Fault("BusFault", detail, PRECISERR | BFARVALID, access.address)
    if err.errno == unicorn.UC_ERR_INSN_INVALID:
        return Fault("UsageFault", "UNDEFINSTR: undefined instruction", UNDEFINSTR, None)
    return Fault("HardFault", f"emulation stopped: {err}", 0, None)


_CPU_EXCEPTION_FAULTS = {
    C.EXCP_UDEF: Fault("UsageFault", "UNDEFINSTR: undefined instruction", UNDEFINSTR),
    C.EXCP_NOCP: Fault("UsageFault", "NOCP: coprocessor (FPU) instruction with the coprocessor disabled or absent",
                       NOCP),
    C.EXCP_INVSTATE: Fault("UsageFault", "INVSTATE: branch to an ARM-state address (bit 0 clear)", INVSTATE),
    C.EXCP_STKOF: Fault("UsageFault", "STKOF: stack pointer below its limit (MSPLIM/PSPLIM)", STKOF),
    C.EXCP_UNALIGNED: Fault("UsageFault", "UNALIGNED: unaligned access", UNALIGNED),
    C.EXCP_DIVBYZERO: Fault("UsageFault", "DIVBYZERO: division by zero", DIVBYZERO),
    C.EXCP_PREFETCH_ABORT: Fault("BusFault", "bus error", IMPRECISERR),
    C.EXCP_DATA_ABORT: Fault("BusFault", "bus error", IMPRECISERR),
}


# An instruction fetch from an execute-never region: a MemManage fault, IACCVIOL, with MMFAR not
# written (ARMv7-M ARM B3.1.1 "Execute Never"; B3.2.15, MMFSR). Escalated to HardFault while
# MemManage is disabled, and a HardFault on ARMv6-M (core/exceptions.py).
XN_FETCH = Fault("MemManage", "IACCVIOL: instruction fetch from an execute-never region", IACCVIOL)


def cpu_exception_fault(intno: int, pc: int | None = None) -> Fault:
    """The fault for a CPU exception number Unicorn's interrupt hook reported at ``pc`` (not
    BKPT, SVC or exception exit, which are not faults)."""
    if intno == C.EXCP_PREFETCH_ABORT and pc is not None and execute_never(pc):
        return XN_FETCH  # Unicorn's own TLB refuses such a fetch with a prefetch abort
    return _CPU_EXCEPTION_FAULTS.get(intno) or Fault("HardFault", f"CPU exception {intno}", 0)


def unmapped_mmio_fault(access: C.UnmappedAccess) -> Fault:
    """An access inside an MMIO page that no peripheral window covers."""
    detail = f"{access.kind} of 0x{access.address:08x} ({access.size} bytes): no peripheral or memory there"
    return Fault("BusFault", detail, PRECISERR | BFARVALID, access.address)


def fault_report(kind: str, detail: str, regs: Mapping[str, int], describe: Callable[[int], str],
                 cycles: int, instructions: int, recent_blocks: list[int]) -> FirmwareFault:
    """The error a run stopping on a fault raises: a one-line summary and the register report."""
    lines = [f"  PC   {describe(regs['pc'])}", f"  LR   {describe(regs['lr'])}"]
    names = [n for n in C.GPRS if n not in ("pc", "lr")] + ["xpsr", "primask", "control"]
    row = []
    for i, n in enumerate(names):
        row.append(f"{n:>7}=0x{regs[n]:08x}")
        if len(row) == 4 or i == len(names) - 1:
            lines.append(" ".join(row))
            row = []
    lines.append(f"  cycles {cycles:,}  instructions {instructions:,}")
    recent = recent_blocks[-8:]
    if recent:
        lines.append("  last blocks (oldest first):")
        lines.extend(f"    {describe(a)}" for a in recent)
    summary = f"{kind}: {detail} at {describe(regs['pc'])}"
    return FirmwareFault(summary, "\n".join(lines))


__all__ = ["Fault", "classify_uc_error", "cpu_exception_fault", "fault_report", "unmapped_mmio_fault"]
