"""Exception stack frames in memory: PushStack and PopStack of the ARMv7-M ARM (DDI0403E
B1.5.6 and B1.5.8), on the banked stack pointers as Unicorn keeps them.

A basic frame is eight words (R0-R3, R12, LR, return address, xPSR); with the FP extension and
CONTROL.FPCA set, an extended frame adds S0-S15, FPSCR and a reserved word (0x68 bytes) and is
always 8-byte aligned; a basic frame is realigned only when CCR.STKALIGN is set. The pad is
recorded in bit 9 of the stacked xPSR and undone on return.

Unicorn (QEMU's v7-M code underneath) banks SP itself, which this module relies on (measured
with Unicorn 2.1: writing ``msp`` or ``psp`` writes SP when that stack is the current one;
writing CONTROL.SPSEL or IPSR switches SP to the other bank; an FP instruction sets
CONTROL.FPCA, in Thread and Handler mode, and QEMU's CONTROL also shows the v8-M SFPA bit 3,
masked off here). The frames therefore only ever write ``msp``/``psp`` by name, never ``sp``,
and a return writes CONTROL and the stack pointer while still in Handler mode, then the mode:
in unprivileged Thread mode Unicorn reads MSP, PSP and the mask registers as 0 and ignores
writes to them and to CONTROL (as MRS/MSR would; CortexM works around it for the model).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from tandem.core.cpu import CortexM

BASIC_FRAME, EXTENDED_FRAME = 0x20, 0x68
CONTROL_NPRIV, CONTROL_SPSEL, CONTROL_FPCA = 1, 2, 4
CONTROL_MASK = 7  # the ARMv7-M bits (QEMU also reports v8-M's SFPA in bit 3)
# Unicorn's core behaves as a v8-M Secure state for FP context purposes: an FP instruction with
# CONTROL.SFPA clear is a new FP context (FPSCR reset to FPDSCR) even with FPCA set (measured),
# so SFPA is written along with FPCA and carries no ARMv7-M meaning.
_QEMU_SFPA = 1 << 3
CCR_NONBASETHRDENA, CCR_STKALIGN = 1, 1 << 9
FPCCR_ASPEN, FPCCR_LSPEN, FPCCR_THREAD, FPCCR_USER, FPCCR_LSPACT = 1 << 31, 1 << 30, 1 << 3, 1 << 1, 1
XPSR_ALIGN = 1 << 9
_IT_BITS = 0x0600FC00  # EPSR.ICI/IT: cleared on exception entry (B1.5.7)
_GPRS = ("r0", "r1", "r2", "r3", "r12", "lr")


@dataclass(frozen=True)
class Frame:
    """Where PushStack put a frame, and the EXC_RETURN value that returns through it."""

    ptr: int
    extended: bool
    exc_return: int
    on_psp: bool


def control(cpu: CortexM) -> int:
    return cpu.reg("control") & CONTROL_MASK


def push_stack(cpu: CortexM, return_address: int, ccr: int, has_fp: bool) -> Frame:
    """PushStack(): write the frame below the current stack and lower that stack pointer.

    Raises unicorn.UcError (nothing changed) if the frame's memory is not writable RAM.
    The FP part of an extended frame is written here even when FPCCR.LSPEN asks for lazy
    preservation: see ExceptionModel for why that gives the same memory contents.
    """
    ctrl = control(cpu)
    handler = cpu.reg("ipsr") & 0x1FF != 0
    extended = has_fp and bool(ctrl & CONTROL_FPCA)
    size, forcealign = (EXTENDED_FRAME, True) if extended else (BASIC_FRAME, bool(ccr & CCR_STKALIGN))
    on_psp = not handler and bool(ctrl & CONTROL_SPSEL)
    sp = cpu.reg("psp" if on_psp else "msp")
    pad = bool(sp & 4) and forcealign
    ptr = (sp - size) & (0xFFFFFFF8 if forcealign else 0xFFFFFFFC)
    xpsr = (cpu.reg("xpsr") & ~XPSR_ALIGN) | (XPSR_ALIGN if pad else 0)
    words = [cpu.reg(r) for r in _GPRS] + [return_address & ~1, xpsr]
    if extended:
        words += cpu.sregs(16) + [cpu.reg("fpscr"), 0]
    cpu.write(ptr, struct.pack(f"<{len(words)}I", *words))
    cpu.set_reg("psp" if on_psp else "msp", ptr)
    if has_fp:
        exc_return = 0xFFFFFFE1 | (0 if extended else 0x10)
    else:
        exc_return = 0xFFFFFFF1
    if not handler:
        exc_return |= 8 | (4 if on_psp else 0)
    return Frame(ptr, extended, exc_return, on_psp)


@dataclass(frozen=True)
class Popped:
    """A frame read back by :func:`read_frame`: registers, return address, xPSR and new SP."""

    gprs: tuple[int, ...]
    pc: int
    psr: int
    sp: int
    fp: tuple[int, ...]  # S0-S15 then FPSCR, for an extended frame; empty otherwise


def read_frame(cpu: CortexM, ptr: int, exc_return: int, ccr: int, has_fp: bool) -> Popped:
    """The first half of PopStack(): read the frame at ``ptr`` (the caller commits it)."""
    extended = has_fp and not exc_return & 0x10
    size, forcealign = (EXTENDED_FRAME, True) if extended else (BASIC_FRAME, bool(ccr & CCR_STKALIGN))
    words = struct.unpack(f"<{size // 4}I", cpu.read(ptr, size))
    psr = words[7]
    sp = ((ptr + size) | (4 if psr & XPSR_ALIGN and forcealign else 0)) & 0xFFFFFFFF
    return Popped(words[:6], words[6], psr, sp, words[8:25] if extended else ())


def commit_frame(cpu: CortexM, frame: Popped, exc_return: int, has_fp: bool) -> None:
    """The second half of PopStack(): registers, mode (IPSR), CONTROL, then the stack pointer."""
    for name, value in zip(_GPRS, frame.gprs, strict=True):
        cpu.set_reg(name, value)
    if frame.fp:
        cpu.set_sregs(list(frame.fp[:16]))
        cpu.set_reg("fpscr", frame.fp[16])
    # APSR, IPSR and EPSR from the frame (B1.5.8, the alignment bit is not a PSR bit) last
    ctrl = control(cpu) & ~(CONTROL_SPSEL | CONTROL_FPCA)
    if exc_return & 0xF == 0xD:
        ctrl |= CONTROL_SPSEL
    if has_fp and not exc_return & 0x10:
        ctrl |= CONTROL_FPCA
    # still in Handler mode (privileged): CONTROL and the stack pointer first, then the mode
    cpu.set_reg("control", ctrl | (_QEMU_SFPA if ctrl & CONTROL_FPCA else 0))
    cpu.set_reg("psp" if exc_return & 0xF == 0xD else "msp", frame.sp)
    cpu.set_reg("xpsr", frame.psr & ~XPSR_ALIGN)
    cpu.rebuild_flags()
    cpu.set_reg("pc", frame.pc & ~1)


def enter_handler(cpu: CortexM, number: int, handler: int) -> None:
    """The register part of ExceptionTaken() (B1.5.7): Handler mode, IPSR, T from the vector,
    IT cleared, CONTROL.SPSEL and FPCA cleared (nPRIV kept), PC at the handler."""
    xpsr = cpu.reg("xpsr") & ~(_IT_BITS | 0x1FF | (1 << 24))
    cpu.set_reg("xpsr", xpsr | number | ((handler & 1) << 24))
    cpu.set_reg("control", control(cpu) & CONTROL_NPRIV)
    cpu.rebuild_flags()
    cpu.set_reg("pc", handler & ~1)


__all__ = ["BASIC_FRAME", "CCR_NONBASETHRDENA", "CCR_STKALIGN", "CONTROL_FPCA", "CONTROL_NPRIV", "CONTROL_SPSEL",
           "EXTENDED_FRAME", "FPCCR_ASPEN", "FPCCR_LSPACT", "FPCCR_LSPEN", "FPCCR_THREAD", "FPCCR_USER", "Frame",
           "Popped", "commit_frame", "control", "enter_handler", "push_stack", "read_frame"]
