"""Faulting floating-point instructions the way the core would (Unicorn never does).

Unicorn executes VFP instructions on every M-profile model, even on a Cortex-M3 and even while
CPACR leaves CP10/CP11 disabled. On the part either is a NOCP UsageFault, the classic symptom of
firmware built for the wrong core or start-up code that forgot to enable the FPU. The guard
wraps the timing model: when a newly translated block holds an FP instruction that may not run,
it records the instruction and stops emulation before the block executes; the board reports the
fault (or takes it). Blocks are checked when first translated, so a handler that enables the
FPU and returns lets the same code run.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import capstone

_FP_PREFIXES = ("v",)  # VFP/FPv4 mnemonics all start with "v" in Thumb-2 (vadd, vldr, vmov, ...)


class FpuGuard:
    def __init__(self, timing: Any, has_fpu: bool, fpu_enabled: Callable[[], bool], stop: Callable[[], None]) -> None:
        self._timing = timing
        self.has_fpu = has_fpu
        self.fpu_enabled = fpu_enabled
        self.stop = stop
        self.violation: int | None = None  # address of the offending instruction
        self.block = 0  # start of the block holding it
        self._cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._timing, name)

    def block_cost(self, uc: Any, addr: int, size: int) -> Any:
        cost = self._timing.block_cost(uc, addr, size)
        if not self.has_fpu or not self.fpu_enabled():
            code = bytes(uc.mem_read(addr, size))
            for insn in self._cs.disasm(code, addr):
                if insn.mnemonic.startswith(_FP_PREFIXES):
                    self.violation = insn.address
                    self.block = addr
                    self.stop()
                    break
        return cost

    def reason(self) -> str:
        if not self.has_fpu:
            return "NOCP: floating-point instruction on a core without an FPU (firmware built for another core?)"
        return "NOCP: floating-point instruction while CPACR leaves the FPU disabled (start-up code must set CP10/CP11)"
