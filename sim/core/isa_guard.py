"""Faulting the instructions the core does not have (Unicorn runs them anyway).

Unicorn's Cortex-M models accept more than the silicon does (measured on Unicorn 2.1.4): the M0
model runs 32-bit Thumb-2 data processing (``add.w``), every model runs the ARMv7E-M DSP
extension (SMLAD on the M3 and M0 models) and VFP instructions, even on a core without an FPU
and while CPACR leaves CP10/CP11 disabled. The guard wraps the timing model: when a newly
translated block holds an instruction the core may not run, it records the instruction and
stops emulation before the block executes; the board reports the fault (or takes it). Blocks
are checked only when first translated (the plain path's speed is kept), so a handler that
enables the FPU and returns lets the same code run. The instructions before the offending one
in its block do run first (the board restarts the block and stops before the instruction).

What the part raises (ARMv7-M ARM DDI0403E; ARMv6-M ARM DDI0419):
- ARMv6-M (M0, M0+): the only 32-bit instructions are BL, DMB, DSB, ISB, MRS and MSR, and
  CBZ/CBNZ/IT are absent (DDI0419 A5.2, A5.3); anything else is UNDEFINED, and with no
  UsageFault on ARMv6-M the fault is a HardFault (B1.5.5). FP instructions are 32-bit: the same.
- ARMv7-M without the DSP extension (M3): the DSP/SIMD instructions are UNDEFINED, a
  UsageFault with UFSR.UNDEFINSTR (A5.3, "ARMv7E-M" rows).
- An FP instruction without an FPU, or with CP10/CP11 disabled: UsageFault with UFSR.NOCP.

Not checked: ARMv6-M faults every unaligned word or halfword access (DDI0419 A3.2), but that
depends on the address, not the instruction; Unicorn's M0 model performs such accesses
(measured) and tandem does too. Instructions newer than the core (ARMv8-M's LDA/STL/TT on an
ARMv7-M core) are left to Unicorn's models.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import capstone

from tandem.core.faults import NOCP, UNDEFINSTR
from tandem.timing.insn_classes import _DSP

_FP_PREFIXES = ("v",)  # VFP/FPv4 mnemonics all start with "v" in Thumb-2 (vadd, vldr, vmov, ...)
_CONDS = frozenset("eq ne hs lo cs cc mi pl vs vc hi ls ge lt gt le".split())  # inside an IT block
_V6M_WIDE = frozenset({"bl", "dmb", "dsb", "isb", "mrs", "msr"})  # DDI0419 A5.3
_V6M_ABSENT = frozenset({"cbz", "cbnz", "it", "ite", "itt", "itee", "itet", "itte", "ittt", "iteee", "iteet",
                         "itete", "itett", "ittee", "ittet", "ittte", "itttt"})


class IsaGuard:
    def __init__(self, timing: Any, has_fpu: bool, fpu_enabled: Callable[[], bool], stop: Callable[[], None]) -> None:
        self._timing = timing
        self.arch: str = timing.table.arch
        self.has_fpu = has_fpu
        self.fpu_enabled = fpu_enabled
        self.stop = stop
        self.violation: int | None = None  # address of the offending instruction
        self.block = 0  # start of the block holding it
        self._why = ""
        self._cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        # the DSP check by mnemonic: decoding without details is the cheaper one
        self._dsp = frozenset(self._cs.insn_name(i) for i in _DSP)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._timing, name)

    def block_cost(self, uc: Any, addr: int, size: int) -> Any:
        cost = self._timing.block_cost(uc, addr, size)
        fp_ok = self.has_fpu and self.fpu_enabled()
        if self.arch in ("v7em", "v8m") and fp_ok:
            return cost  # everything capstone decodes runs on these cores
        code = bytes(uc.mem_read(addr, size))
        why = self._check(code, addr, fp_ok)
        if why is not None:
            self.block = addr
            self._why = why
            self.stop()
        return cost

    def _check(self, code: bytes, addr: int, fp_ok: bool) -> str | None:
        for address, size, mnemonic, op_str in self._cs.disasm_lite(code, addr):
            m = mnemonic.split(".")[0]
            if self.arch == "v6m" and ((size == 4 and m not in _V6M_WIDE) or m in _V6M_ABSENT):
                self.violation = address
                return (f"UNDEFINSTR: '{mnemonic} {op_str}' is not an ARMv6-M instruction "
                        "(firmware built for another core?)")
            if self.arch == "v7m" and (m in self._dsp or (m[-2:] in _CONDS and m[:-2] in self._dsp)):
                self.violation = address
                return (f"UNDEFINSTR: '{mnemonic} {op_str}' is an ARMv7E-M DSP instruction, "
                        "which the Cortex-M3 does not have (firmware built for another core?)")
            if m.startswith(_FP_PREFIXES) and not fp_ok:
                self.violation = address
                return self._nocp()
        return None

    def _nocp(self) -> str:
        if not self.has_fpu:
            return "NOCP: floating-point instruction on a core without an FPU (firmware built for another core?)"
        return "NOCP: floating-point instruction while CPACR leaves the FPU disabled (start-up code must set CP10/CP11)"

    def fault(self) -> tuple[str, str, int]:
        """The fault the part raises for the recorded violation: kind, detail, CFSR bits."""
        if self.arch == "v6m":
            return "HardFault", self._why + "; ARMv6-M has no UsageFault", 0
        return "UsageFault", self._why, NOCP if self._why.startswith("NOCP") else UNDEFINSTR
