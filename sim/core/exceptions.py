"""The exception model: exception entry and return as the board emulates them (Unicorn does not).

:class:`ExceptionModel` stacks the 8-word frame (with the 8-byte alignment pad), vectors through
the NVIC's VTOR, tail-chains a pending exception on return, unstacks on EXC_RETURN, and, with
``vector_faults``, takes a fault into the firmware's handler (setting CFSR/BFAR/HFSR as the core
would, escalating to HardFault unless SHCSR enables the specific handler; a fault inside
HardFault or NMI is a lock-up). It charges the core table's entry, return and tail-chain cycles.

It is the model as it has always been in tandem, not yet every ARMv7-M detail (no FP lazy
stacking in memory, no late arrival); this module is the seam where that will change. The board
owns one and calls it from its interrupt hook and run loop; it sees the NVIC through
:class:`ExceptionController` and the board through three callbacks.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Protocol

import unicorn

from tandem.core.cpu import CortexM
from tandem.timing import CycleCounter
from tandem.timing.cortex_m import CoreTable

EXCEPTION_NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
                   11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}
SVCALL = 11
# System Control Block fault registers: offsets in the System Control Space, the same as
# tandem.peripherals.nvic's (which sits above this layer; tests/test_faults.py checks they agree).
SHCSR, CFSR, HFSR, BFAR = 0xD24, 0xD28, 0xD2C, 0xD38
_FAULT_NUMBERS = {"MemManage": 4, "BusFault": 5, "UsageFault": 6}  # anything else: HardFault


def exception_name(number: int) -> str:
    return EXCEPTION_NAMES.get(number, f"IRQ{number - 16}" if number >= 16 else f"exception {number}")


class ExceptionController(Protocol):
    """What the exception model needs of the NVIC: priorities, pending and active exceptions,
    and the SCB registers (``regs``, by offset)."""

    active: list[int]  # stack of active exception numbers
    regs: dict[int, int]

    @property
    def vtor(self) -> int: ...

    def activate(self, number: int) -> None: ...

    def deactivate(self) -> int | None: ...

    def next_due(self, primask: bool, basepri: int) -> int | None: ...

    def priority(self, number: int) -> int: ...

    def current_priority(self, primask: bool, basepri: int) -> int: ...


class ExceptionModel:
    """Exception entry, return and fault vectoring for one core; see the module docstring.

    ``stop_fault(kind, detail)`` stops the run with a fault report, ``note`` adds a run note and
    ``describe`` names an address (symbol and offset). ``function_id`` is set while profiling:
    exception entry is then attributed to the handler's function.
    """

    def __init__(self, cpu: CortexM, nvic: ExceptionController | None, counter: CycleCounter, table: CoreTable,
                 fpu: bool, stop_fault: Callable[[str, str], None], note: Callable[[str], None],
                 describe: Callable[[int], str]) -> None:
        self.cpu = cpu
        self.nvic = nvic
        self.counter = counter
        self.table = table
        self.fpu = fpu
        self.stop_fault = stop_fault
        self.note = note
        self.describe = describe
        self.vector_faults = False
        self.function_id: Callable[[int], int] | None = None
        self._fp_stack: list[tuple[list[int], int]] = []

    def enter(self, number: int, tail_chain: bool = False) -> None:
        """Take exception ``number``: stack a frame (unless tail-chaining) and jump to its handler."""
        assert self.nvic is not None
        cpu = self.cpu
        ipsr = cpu.reg("xpsr") & 0x1FF
        control = cpu.reg("control")
        use_psp = ipsr == 0 and bool(control & 2)
        if not tail_chain:
            sp = cpu.reg("sp")
            xpsr = cpu.reg("xpsr")
            pad = sp & 4
            sp = (sp - pad) - 32
            if pad:
                xpsr |= 1 << 9
            ret = cpu.reg("pc")
            frame = [cpu.reg(r) for r in ("r0", "r1", "r2", "r3", "r12", "lr")] + [ret & ~1, xpsr]
            try:
                cpu.write(sp, struct.pack("<8I", *frame))
            except unicorn.UcError:
                self.stop_fault("HardFault",
                                f"stacking for {exception_name(number)} failed: SP 0x{sp:08x} is not in RAM")
                return
            if self.fpu:
                self._fp_stack.append(cpu.fp_state())
            if use_psp:
                cpu.set_reg("psp", sp)
                cpu.set_reg("control", control & ~2)
            else:
                cpu.set_reg("sp", sp)
                self.counter.note_sp(sp)
            exc_return = 0xFFFFFFF1 if ipsr else (0xFFFFFFFD if use_psp else 0xFFFFFFF9)
            cpu.set_reg("lr", exc_return)
        handler = cpu.read_u32(self.nvic.vtor + 4 * number)
        self.nvic.activate(number)
        cpu.set_reg("xpsr", (cpu.reg("xpsr") & ~0x1FF) | number)
        cpu.set_reg("pc", handler & ~1)
        if self.function_id is not None:
            self.counter.note_exception_entry(self.function_id(handler & ~1))
        self.counter.add(self.table.tail_chain if tail_chain else self.table.exception_entry)

    def exception_return(self, exc_return: int) -> None:
        """A branch to EXC_RETURN: tail-chain a due exception or unstack the frame and resume."""
        assert self.nvic is not None
        cpu = self.cpu
        returning = self.nvic.deactivate()
        if returning is None:
            self.stop_fault("UsageFault", f"exception return (EXC_RETURN 0x{exc_return:08x}) with no active exception")
            return
        due = self.nvic.next_due(bool(cpu.reg("primask")), cpu.reg("basepri"))
        if due is not None:
            # tail-chain: the stacked frame stays; the next handler returns through it
            cpu.set_reg("lr", exc_return)
            self.counter.note_exception_return()
            self.enter(due, tail_chain=True)
            return
        use_psp = bool(exc_return & 4)
        sp = cpu.reg("psp") if use_psp else cpu.reg("msp")
        r0, r1, r2, r3, r12, lr, pc, xpsr = struct.unpack("<8I", cpu.read(sp, 32))
        sp += 32 + (4 if xpsr & (1 << 9) else 0)
        for name, value in zip(("r0", "r1", "r2", "r3", "r12", "lr"), (r0, r1, r2, r3, r12, lr), strict=True):
            cpu.set_reg(name, value)
        if self._fp_stack:
            cpu.set_fp_state(self._fp_stack.pop())
        if use_psp:
            cpu.set_reg("control", cpu.reg("control") | 2)
            cpu.set_reg("psp", sp)
            cpu.set_reg("sp", sp)
        else:
            cpu.set_reg("msp", sp)
            cpu.set_reg("sp", sp)
        cpu.set_reg("xpsr", xpsr & ~(1 << 9))
        cpu.set_reg("pc", pc & ~1)
        self.counter.add(self.table.exception_return)
        self.counter.note_exception_return()

    def deliver(self) -> None:
        """Take the pending exception that should preempt now, if any."""
        if self.nvic is None:
            return
        due = self.nvic.next_due(bool(self.cpu.reg("primask")), self.cpu.reg("basepri"))
        if due is not None:
            self.enter(due)

    def supervisor_call(self) -> None:
        """SVC: take SVCall (a board without an NVIC cannot)."""
        if self.nvic is None:
            self.stop_fault("UsageFault", "SVC with no NVIC on the board")
        else:
            self.enter(SVCALL)

    def fault(self, kind: str, detail: str, cfsr: int, bfar: int | None = None) -> None:
        """A fault at the current PC: stop with a report or, with vector_faults, take it."""
        if not self.vectored(kind, detail, cfsr, bfar):
            self.stop_fault(kind, detail)

    def vectored(self, kind: str, detail: str, cfsr: int, bfar: int | None) -> bool:
        """Enter the firmware's fault handler as the core would (with vector_faults on)."""
        nvic = self.nvic
        if not self.vector_faults or nvic is None:
            return False
        if 3 in nvic.active or 2 in nvic.active:
            self.stop_fault("Lockup", f"{kind} inside the {exception_name(nvic.active[-1])} handler: {detail}")
            return True
        nvic.regs[CFSR] = nvic.regs.get(CFSR, 0) | cfsr
        if bfar is not None:
            nvic.regs[BFAR] = bfar
        number = _FAULT_NUMBERS.get(kind, 3)
        enabled = number != 3 and nvic.regs.get(SHCSR, 0) >> (12 + number) & 1
        primask, basepri = bool(self.cpu.reg("primask")), self.cpu.reg("basepri")
        if number != 3 and not (enabled and nvic.priority(number) < nvic.current_priority(primask, basepri)):
            number = 3
            nvic.regs[HFSR] = nvic.regs.get(HFSR, 0) | (1 << 30)  # FORCED: escalated
        self.note(f"{kind} ({detail}) at {self.describe(self.cpu.reg('pc'))} taken by the "
                  f"firmware's {exception_name(number)} handler")
        self.enter(number)
        return True


__all__ = ["EXCEPTION_NAMES", "ExceptionController", "ExceptionModel", "exception_name"]
