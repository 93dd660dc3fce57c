"""The exception model: ARMv7-M (and ARMv6-M, ARMv8-M) exception entry and return.

Unicorn does not model them.

:class:`ExceptionModel` follows the pseudocode of the ARMv7-M ARM (DDI0403E): PushStack (B1.5.6,
frames in :mod:`tandem.core.exc_frames`), ExceptionTaken (B1.5.7) and ExceptionReturn with
PopStack (B1.5.8), on the banked MSP/PSP, CONTROL.SPSEL/nPRIV/FPCA and Thread/Handler mode as
Unicorn keeps them. Every EXC_RETURN form is honoured (0xFFFFFFE1/E9/ED with an extended FP
frame, F1/F9/FD basic) and an illegal one (bad value, returning from an exception that is not
active, to Thread with other exceptions active while CCR.NONBASETHRDENA is 0, or a stacked IPSR
that contradicts the mode) is a UsageFault with UFSR.INVPC, taken without stacking as the
pseudocode does. Preemption uses the NVIC's execution priority (B1.5.4: group priorities under
AIRCR.PRIGROUP, BASEPRI, PRIMASK, FAULTMASK); FAULTMASK is cleared by any exception return but
NMI's. A fault whose handler is disabled or cannot preempt escalates to HardFault (HFSR.FORCED),
as does an SVC that SVCall cannot preempt; a fault HardFault cannot preempt is a lock-up.

Floating point: Unicorn sets CONTROL.FPCA itself when an FP instruction runs (measured, also in
Handler mode), so the frame type follows the architecture. With FPCCR.LSPEN set (lazy
preservation, the reset state) the hardware reserves the FP space, records it in FPCAR and sets
LSPACT, and stores S0-S15/FPSCR there only when the handler first executes an FP instruction.
This model writes those registers into the reserved space at entry instead: no FP instruction
runs between entry and the point where the lazy save would happen, so the memory contents are
the same ones (B1.5.7; ARMv7-M FP extension, lazy context save). FPCCR.LSPACT reads 1 as on
the part until the handler has used the FPU (FPCCR reads ask :meth:`ExceptionModel.fpccr_read`,
which sees CONTROL.FPCA set by Unicorn), but the return always restores S0-S15/FPSCR from the
frame whatever LSPACT says: where the part skips the restore the registers hold the same values,
and an RTOS that switched PSP to another task's frame gets that task's registers. FPCCR.ASPEN
clear is not modelled: Unicorn sets FPCA regardless.

Cycles: entry ``exception_entry``, return ``exception_return``, tail-chain ``tail_chain`` from the
core table. An extended frame adds ``fp_context`` (AN298) at entry when LSPEN is clear; with
lazy preservation the save is charged when the model sees that the handler used the FPU (at its
next exception entry or return, or an FPCCR read; the hardware pays it at the handler's first
FP instruction), and the FP unstacking at the return whenever the save happened. Exceptions are
taken at block boundaries (a store that pends one lets the rest of its block run). Late arrival
is modelled for the board's timed events (and so the interrupt lines they raise) that fall in
an entry's stacking cycles: a higher group priority exception takes over the frame.

Architecture profiles (the core table's ``arch``). ARMv6-M (Cortex-M0/M0+, DDI0419): no BASEPRI
or FAULTMASK (the masks read as clear), no configurable fault handlers and no UsageFault,
BusFault or MemManage: every fault is a HardFault (B1.5.5), with no CFSR/HFSR to record it.
ARMv8-M Mainline without the Security Extension (Cortex-M33, DDI0553): as ARMv7-M, but
EXC_RETURN has the v8-M layout (bits 6 S = 0, 5 DCRS = 1, 4 FType, 3 Mode, 2 SPSEL, 0 ES = 0,
e.g. 0xFFFFFFBC for Thread mode on PSP with a basic frame), which entry writes to LR and return
checks; MSPLIM/PSPLIM violations by instructions are raised by Unicorn itself (STKOF), the
stacking at entry is not checked against them.

The board owns one model and calls it from its interrupt hook and run loop; the model sees the
NVIC through :class:`ExceptionController` and the board through four callbacks.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import unicorn

from tandem.core import exc_frames as F
from tandem.core.cpu import CortexM
from tandem.timing import CycleCounter
from tandem.timing.cortex_m import CoreTable

EXCEPTION_NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
                   11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}
NMI, HARDFAULT, USAGEFAULT, SVCALL = 2, 3, 6, 11
# System Control Block registers: offsets in the System Control Space, the same as
# tandem.peripherals.nvic's (which sits above this layer; tests/test_faults.py checks they agree).
CCR, SHCSR, CFSR, HFSR, BFAR = 0xD14, 0xD24, 0xD28, 0xD2C, 0xD38
FPCCR, FPCAR = 0xF34, 0xF38
INVPC = 1 << 18  # UFSR.INVPC in CFSR
HFSR_FORCED = 1 << 30
V8M_EXC_RETURN = 0xFFFFFFA0  # prefix, S = 0, DCRS = 1, ES = 0 (ARMv8-M ARM, EXC_RETURN)
_FAULT_NUMBERS = {"MemManage": 4, "BusFault": 5, "UsageFault": 6}  # anything else: HardFault


def exception_name(number: int) -> str:
    return EXCEPTION_NAMES.get(number, f"IRQ{number - 16}" if number >= 16 else f"exception {number}")


class ExceptionController(Protocol):
    """What the exception model needs of the NVIC: priorities, pending and active exceptions,
    and the SCB registers (``regs``, by offset)."""

    active: list[int]  # active exception numbers, in activation order
    pending: set[int]
    regs: dict[int, int]

    @property
    def vtor(self) -> int: ...

    def activate(self, number: int) -> None: ...

    def deactivate(self, number: int | None = None) -> int | None: ...

    def next_due(self, primask: bool, basepri: int, faultmask: bool = False) -> int | None: ...

    def priority(self, number: int) -> int: ...

    def group(self, priority: int) -> int: ...

    def current_priority(self, primask: bool, basepri: int, faultmask: bool = False) -> int: ...


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
        self.arch = table.arch  # "v6m", "v7m", "v7em" or "v8m"
        self.stop_fault = stop_fault
        self.note = note
        self.describe = describe
        self.vector_faults = False
        self.function_id: Callable[[int], int] | None = None
        # fire_events(cycle): the board's timed events due by then (late arrival looks inside
        # an entry's stacking window)
        self.fire_events: Callable[[int], None] | None = None
        self._lazy = False  # an extended frame's FP save is still deferred (the hardware's LSPACT)
        self.handler_since: int | None = None  # cycle of the last entry from Thread mode, while in Handler

    # state ---------------------------------------------------------------------------------
    def masks(self) -> tuple[bool, int, bool]:
        """PRIMASK, BASEPRI and FAULTMASK as the core has them now."""
        cpu = self.cpu
        if self.arch == "v6m":  # PRIMASK only (DDI0419 B1.4.3)
            return bool(cpu.reg("primask") & 1), 0, False
        primask, basepri, faultmask = cpu.mask_regs()
        return bool(primask & 1), basepri & 0xFF, bool(faultmask & 1)

    def _lr_value(self, exc_return: int) -> int:
        """The EXC_RETURN the core writes to LR, from the ARMv7-M form tandem works with."""
        return V8M_EXC_RETURN | (exc_return & 0x1C) if self.arch == "v8m" else exc_return

    def _v7m_form(self, exc_return: int) -> int:
        """An ARMv8-M EXC_RETURN in the ARMv7-M form (illegal values stay illegal: 0)."""
        if self.arch != "v8m":
            return exc_return
        # S set or DCRS clear: no such state without the Security Extension. Bit 0 (ES) cannot be
        # seen: the board passes the branch target with the Thumb bit set, as ARMv7-M wants it.
        if exc_return & 0xFFFFFFE2 != V8M_EXC_RETURN:
            return 0
        return 0xFFFFFFE1 | (exc_return & 0x1C)

    def as_raised(self, kind: str, detail: str) -> tuple[str, str]:
        """A fault as the part reports it: on ARMv6-M every fault is a HardFault."""
        if self.arch == "v6m" and kind in _FAULT_NUMBERS:
            return "HardFault", f"{detail} ({kind} on ARMv7-M; ARMv6-M escalates every fault to HardFault)"
        return kind, detail

    def _reg(self, offset: int) -> int:
        assert self.nvic is not None
        return self.nvic.regs.get(offset, 0)

    # entry ---------------------------------------------------------------------------------
    def enter(self, number: int, tail_chain: bool = False) -> None:
        """Take exception ``number``: PushStack (unless tail-chaining) then ExceptionTaken."""
        assert self.nvic is not None
        cpu = self.cpu
        cost = self.table.tail_chain if tail_chain else self.table.exception_entry
        self._settle_lazy()
        if not tail_chain:
            try:
                frame = F.push_stack(cpu, cpu.reg("pc"), self._reg(CCR), self.fpu)
            except unicorn.UcError:
                sp = cpu.reg("sp")
                self.stop_fault("HardFault",
                                f"stacking for {exception_name(number)} failed: SP 0x{sp:08x} is not in RAM")
                return
            if not frame.on_psp:
                self.counter.note_sp(frame.ptr)
            if frame.extended:
                cost += self._fp_entry(frame)
            cpu.set_reg("lr", self._lr_value(frame.exc_return))
        self._taken(number)
        self.counter.add(cost)

    def _fp_entry(self, frame: F.Frame) -> int:
        """FPCCR/FPCAR for an extended frame; the cycles it adds to the entry."""
        assert self.nvic is not None
        fpccr = self._reg(FPCCR)
        if not fpccr & F.FPCCR_LSPEN:
            return self.table.fp_context
        # UpdateFPCCR (B1.5.6): FPCAR at the FP space, LSPACT; the values are already there
        # (see the module docstring)
        thread = frame.exc_return & 8
        user = thread and self.cpu.reg("control") & F.CONTROL_NPRIV
        fpccr &= ~(F.FPCCR_THREAD | F.FPCCR_USER)
        fpccr |= F.FPCCR_LSPACT | (F.FPCCR_THREAD if thread else 0) | (F.FPCCR_USER if user else 0)
        self.nvic.regs[FPCCR] = fpccr
        self.nvic.regs[FPCAR] = frame.ptr + 0x20
        self._lazy = True
        return 0

    def _set_lazy(self, on: bool) -> None:
        assert self.nvic is not None
        self._lazy = on
        fpccr = self._reg(FPCCR)
        self.nvic.regs[FPCCR] = fpccr | F.FPCCR_LSPACT if on else fpccr & ~F.FPCCR_LSPACT

    def _settle_lazy(self) -> None:
        """If the current context used the FPU (Unicorn set CONTROL.FPCA) while a lazy save was
        pending, the save happened at that instruction: charge it, clear LSPACT."""
        if self._lazy and F.control(self.cpu) & F.CONTROL_FPCA:
            self.counter.add(self.table.fp_context)
            self._set_lazy(False)

    def fpccr_read(self) -> int:
        """FPCCR as the firmware reads it now (LSPACT clears once the handler used the FPU)."""
        self._settle_lazy()
        return self._reg(FPCCR)

    def _taken(self, number: int) -> None:
        """ExceptionTaken(number): vector, mode, CONTROL, active state."""
        assert self.nvic is not None
        handler = self.cpu.read_u32(self.nvic.vtor + 4 * number)
        if not self.nvic.active:
            self.handler_since = self.counter.cycles  # Thread -> Handler: the run's handler limit counts from here
        self.nvic.activate(number)
        F.enter_handler(self.cpu, number, handler | 1)
        if self.function_id is not None:
            self.counter.note_exception_entry(self.function_id(handler & ~1))

    # return --------------------------------------------------------------------------------
    def exception_return(self, exc_return: int) -> None:
        """ExceptionReturn (B1.5.8) for a branch to ``exc_return`` in Handler mode: tail-chain a
        due exception, or pop the frame and resume; an illegal return is a UsageFault (INVPC)."""
        assert self.nvic is not None
        nvic, cpu = self.nvic, self.cpu
        written, exc_return = exc_return, self._v7m_form(exc_return)
        number = cpu.reg("ipsr") & 0x1FF
        nested = len(nvic.active)
        form = exc_return & 0xF
        if number not in nvic.active:
            self._invpc(written, number, f"return from {exception_name(number)}, which is not active")
            return
        shape = 0x0FFFFFE0 if self.fpu else 0x0FFFFFF0
        if exc_return & shape != shape or form not in (1, 9, 0xD):
            self._invpc(written, number, "illegal EXC_RETURN value")
            return
        if form != 1 and nested != 1 and not self._reg(CCR) & F.CCR_NONBASETHRDENA:
            self._invpc(written, number, f"return to Thread mode with {nested} exceptions active "
                                            "(CCR.NONBASETHRDENA is 0)")
            return
        ptr = cpu.reg("psp" if form == 0xD else "msp")
        try:
            frame = F.read_frame(cpu, ptr, exc_return, self._reg(CCR), self.fpu)
        except unicorn.UcError:
            self.stop_fault("HardFault", f"unstacking for EXC_RETURN 0x{written:08x} failed: "
                                         f"frame at 0x{ptr:08x} is not in memory")
            return
        to_handler = form == 1
        if to_handler == (frame.psr & 0x1FF == 0):
            self._invpc(written, number, f"the stacked IPSR {frame.psr & 0x1FF} does not match "
                                            f"a return to {'Handler' if to_handler else 'Thread'} mode")
            return
        self._deactivate(number)
        self._settle_lazy()
        due = nvic.next_due(*self.masks())
        if due is not None:
            # tail-chain: the frame stays stacked; the next handler returns through it
            cpu.set_reg("lr", written)
            self.counter.note_exception_return()
            self.enter(due, tail_chain=True)
            return
        cost = self.table.exception_return
        if frame.fp:
            # unstacked unless the lazy save never happened (LSPACT still set: the part skips
            # the FP words and clears it; the registers hold the same values)
            if not self._lazy:
                cost += self.table.fp_context
            self._set_lazy(False)
        F.commit_frame(cpu, frame, exc_return, self.fpu)
        if not to_handler:
            self.handler_since = None
        self.counter.add(cost)
        self.counter.note_exception_return()
        self.watch()

    def _deactivate(self, number: int) -> None:
        """DeActivate(): the exception is no longer active; FAULTMASK clears except for NMI."""
        assert self.nvic is not None
        self.nvic.deactivate(number)
        if number != NMI:
            self.cpu.set_reg("faultmask", 0)

    def _invpc(self, exc_return: int, number: int, why: str) -> None:
        """An illegal exception return: DeActivate, UFSR.INVPC, LR = EXC_RETURN, and
        ExceptionTaken(UsageFault) on the frame already stacked (no PushStack)."""
        assert self.nvic is not None
        detail = f"INVPC: {why} (EXC_RETURN 0x{exc_return:08x})"
        if not self.vector_faults:
            self.stop_fault("UsageFault", detail)
            return
        if number in self.nvic.active:
            self._deactivate(number)
        self.cpu.set_reg("lr", exc_return)
        target = self._fault_target(USAGEFAULT, INVPC, None, "UsageFault", detail)
        if target is not None:
            self._taken(target)
            self.counter.add(self.table.tail_chain)

    # delivery ------------------------------------------------------------------------------
    def deliver(self) -> None:
        """Take the pending exception that should preempt now, if any; watch the masks if one
        is held off only by PRIMASK/BASEPRI/FAULTMASK."""
        if self.nvic is None:
            return
        masks = self.masks()
        due = self.nvic.next_due(*masks)
        if due is not None:
            started = self.counter.cycles
            self.enter(due)
            if self.fire_events is not None and self.nvic.active[-1:] == [due]:
                self._late_arrival(due, started)
        self.watch(None if due is not None else masks)  # an entry may change them

    def _late_arrival(self, first: int, started: int) -> None:
        """Late arrival (Cortex-M3/M4 TRM, exception model): an exception that becomes pending
        while ``first``'s frame is being stacked and has a higher group priority is taken
        instead, on the same frame and within the same entry latency; ``first`` stays pending
        (and tail-chains later). The board's timed events inside the entry window fire here."""
        nvic = self.nvic
        assert nvic is not None and self.fire_events is not None
        if self.counter.cycles <= started:
            return
        self.fire_events(self.counter.cycles)
        nvic.active.remove(first)
        late = nvic.next_due(*self.masks())
        if late is None or nvic.group(nvic.priority(late)) >= nvic.group(nvic.priority(first)):
            nvic.active.append(first)
            return
        nvic.pending.add(first)
        if self.function_id is not None:
            self.counter.note_exception_return()  # the profile's frame for first's entry
        self._taken(late)

    def watch(self, masks: tuple[bool, int, bool] | None = None) -> None:
        """Ask the block hook to stop when a mask changes while an exception waits on it
        (``masks``: :meth:`masks` if the caller has just read them)."""
        if self.nvic is None:
            return
        if masks is None:
            masks = self.masks()
        if self.nvic.next_due(*masks) is None and self.nvic.next_due(False, 0, False) is not None:
            # the snapshot as the C hook reads them (0 in unprivileged Thread mode, where MSR
            # and CPS cannot change them anyway)
            cpu = self.cpu
            self.counter.watch_masks((cpu.raw_reg("primask"), cpu.raw_reg("basepri"), cpu.raw_reg("faultmask")))
        else:
            self.counter.watch_off()

    def supervisor_call(self) -> None:
        """SVC: take SVCall, or HardFault if SVCall cannot preempt (B1.5.6, SVCall priority)."""
        nvic = self.nvic
        if nvic is None:
            self.stop_fault("UsageFault", "SVC with no NVIC on the board")
            return
        if nvic.group(nvic.priority(SVCALL)) < nvic.current_priority(*self.masks()):
            self.enter(SVCALL)
            return
        detail = "SVC while SVCall cannot preempt (its priority, PRIMASK, BASEPRI or FAULTMASK)"
        if not self.vector_faults:
            self.stop_fault("HardFault", detail + ": escalated to HardFault")
            return
        if nvic.current_priority(*self.masks()) <= -1:
            self.stop_fault("Lockup", f"{detail} inside a handler HardFault cannot preempt")
            return
        nvic.regs[HFSR] = nvic.regs.get(HFSR, 0) | HFSR_FORCED
        self.note(f"{detail} at {self.describe(self.cpu.reg('pc'))}: escalated to HardFault")
        self.enter(HARDFAULT)

    # faults --------------------------------------------------------------------------------
    def fault(self, kind: str, detail: str, cfsr: int, bfar: int | None = None) -> None:
        """A fault at the current PC: stop with a report or, with vector_faults, take it."""
        if not self.vectored(kind, detail, cfsr, bfar):
            self.stop_fault(*self.as_raised(kind, detail))

    def vectored(self, kind: str, detail: str, cfsr: int, bfar: int | None) -> bool:
        """Enter the firmware's fault handler as the core would (with vector_faults on)."""
        if not self.vector_faults or self.nvic is None:
            return False
        target = self._fault_target(_FAULT_NUMBERS.get(kind, HARDFAULT), cfsr, bfar, kind, detail)
        if target is not None:
            self.enter(target)
        return True

    def _fault_target(self, number: int, cfsr: int, bfar: int | None, kind: str, detail: str) -> int | None:
        """Record a fault and pick its handler: the specific one if enabled and able to preempt,
        else HardFault (HFSR.FORCED); None (and a Lockup stop) if HardFault cannot preempt."""
        nvic = self.nvic
        assert nvic is not None
        current = nvic.current_priority(*self.masks())
        if current <= -1:  # in HardFault or NMI, or FAULTMASK set: lock-up (B1.5.15)
            where = exception_name(nvic.active[-1]) if nvic.active else "FAULTMASK-boosted"
            self.stop_fault("Lockup", f"{kind} inside the {where} handler: {detail}")
            return None
        if self.arch == "v6m":  # no CFSR, BFAR or HFSR; every fault is a HardFault (B1.5.5)
            self.note(f"{kind} ({detail}) at {self.describe(self.cpu.reg('pc'))} taken by the "
                      "firmware's HardFault handler (ARMv6-M)")
            return HARDFAULT
        nvic.regs[CFSR] = nvic.regs.get(CFSR, 0) | cfsr
        if bfar is not None:
            nvic.regs[BFAR] = bfar
        enabled = number != HARDFAULT and nvic.regs.get(SHCSR, 0) >> (12 + number) & 1
        if number != HARDFAULT and not (enabled and nvic.group(nvic.priority(number)) < current):
            number = HARDFAULT
            nvic.regs[HFSR] = nvic.regs.get(HFSR, 0) | HFSR_FORCED  # escalated
        self.note(f"{kind} ({detail}) at {self.describe(self.cpu.reg('pc'))} taken by the "
                  f"firmware's {exception_name(number)} handler")
        return number


__all__ = ["EXCEPTION_NAMES", "ExceptionController", "ExceptionModel", "exception_name"]
