"""Per-core instruction timing tables (data only) for the Cortex-M cost model.

The numbers are taken from the instruction timing tables and the "load/store timings" notes
of the Arm Technical Reference Manuals (zero-wait-state figures): Cortex-M0 (DDI0432C, table
3-1), Cortex-M0+ (DDI0484C, table 3-1), Cortex-M3 and Cortex-M4. The Cortex-M33 TRM (100230)
and the Cortex-M7 TRM (DDI0489) publish no per-instruction cycle table: their tables here are
approximations, documented as such below and in docs/timing.md.
Where the TRM gives a range (P = 1..3, SDIV 2..12) tandem picks one documented value;
docs/timing.md lists each choice. :mod:`tandem.timing.cortex_m` prices instructions with them.
"""
from __future__ import annotations

from dataclasses import dataclass

CORES = ("cortex-m0", "cortex-m0+", "cortex-m3", "cortex-m4", "cortex-m4f", "cortex-m7", "cortex-m7f",
         "cortex-m33", "cortex-m33f")


@dataclass(frozen=True)
class FpuTable:
    """FPv4-SP timings (Cortex-M4 TRM, FPU instruction set table)."""

    alu: int = 1  # VADD VSUB VMUL VNMUL VABS VNEG VCMP VCVT, VMOV imm/Sn, VMRS/VMSR
    mac: int = 3  # VMLA VMLS VNMLA VNMLS VFMA VFMS VFNMA VFNMS
    div: int = 14  # VDIV
    sqrt: int = 14  # VSQRT
    load_single: int = 2  # VLDR Sd
    load_double: int = 3  # VLDR Dd
    store_single: int = 2  # VSTR Sd
    store_double: int = 3  # VSTR Dd
    mov_core: int = 2  # VMOV between core and FP registers (one float, two floats, a double)
    mov_half: int = 1  # VMOV Dn[x] <-> Rt (half of a double)
    multiple_base: int = 1  # VLDM/VSTM/VPUSH/VPOP: 1 + N (singles) or 1 + 2N (doubles)


@dataclass(frozen=True)
class CoreTable:
    """One core's instruction timings at zero wait states.

    The TRM's P (pipeline refill) "ranges from 1 to 3 depending on the alignment and width
    of the target instruction, and whether the processor manages to speculate the address
    early". The Cortex-M3 TRM (r2p0, ETM interface, table "Branches and stages evaluated by
    the processor") lists which branches issue their target fetch in decode (B, B<cond>, BL,
    BX LR, BLX LR, MOV PC,LR when LR is not written by the instruction in execute) and which
    only in execute (CBZ/CBNZ, BX/BLX Rm, MOV PC,Rm, ADD PC, loads to PC, TBB/TBH).
    ``decode_branch_refill`` is P for the former, ``branch_refill`` for the latter, and a
    target that is a 32-bit instruction at a halfword (not word) address needs a second
    fetch: ``unaligned_target`` more. ``load_pc_refill`` is the reload after a load to PC,
    three cycles by the TRM's load/store notes.
    """

    name: str
    # The architecture profile (decides the instruction set the ISA guard allows and the
    # exception model's rules): "v6m" (ARMv6-M), "v7m", "v7em" (with the DSP extension),
    # "v8m" (ARMv8-M Mainline with the DSP extension, no Security Extension).
    arch: str = "v7em"
    branch_refill: int = 2  # execute-time branches
    decode_branch_refill: int = 1  # decode-time (speculated) branches
    unaligned_target: int = 1  # target is a 32-bit instruction at an address = 2 mod 4
    load_pc_refill: int = 3
    table_branch: int = 6  # TBB/TBH: 2 load + 1 add + 3 refill
    load: int = 2  # LDR/LDRB/LDRH/LDRSB/LDRSH/LDREX/STREX
    load_pipelined: int = 1  # a load right after a load it does not depend on
    store: int = 1  # STR/STRB/STRH with an immediate offset (write buffer)
    store_reg_offset: int = 2  # STR [Rn, Rm]: nothing overlaps it, unless it follows a load
    dual: int = 3  # LDRD/STRD: 1 + N with N = 2, never pipelined
    multiple_base: int = 1  # LDM/STM/PUSH/POP: 1 + N
    mul: int = 1  # MUL
    mla: int = 1  # MLA/MLS
    mull: int = 1  # UMULL/SMULL
    mlal: int = 1  # UMLAL/SMLAL/UMAAL
    div: int = 7  # SDIV/UDIV: the midpoint, statically; div_range's rule at run time (divide.py)
    div_range: tuple[int, int] | None = (2, 12)  # TRM SDIV/UDIV range; None: div is exact
    dsp: int = 1  # ARMv7E-M DSP/SIMD instructions (SMLAxy, SMLAD, QADD8, ...)
    agu_stall: int = 1  # load/store address register written by the previous ALU instruction
    it_folding: bool = True  # IT after a 16-bit instruction costs 0 cycles
    barrier: int = 1  # DMB/DSB (1 + B, B >= 0)
    isb_cost: int | None = None  # ISB when the TRM gives it (else 1 + branch_refill)
    call_extra: int = 0  # BL beyond a decode-time branch (ARMv6-M cores: BL 4 vs B 3)
    sysreg: int = 1  # MRS/MSR
    dual_issue: bool = False  # Cortex-M7: two adjacent independent ALU instructions pair
    fpu: FpuTable | None = None
    # Exception timing for the board to charge with CycleCounter.add() (zero wait states):
    exception_entry: int = 12  # interrupt/exception latency to the handler's first instruction
    exception_return: int = 10  # EXC_RETURN to the interrupted instruction
    tail_chain: int = 6  # pending exception taken straight after another handler returns
    # Moving S0-S15, FPSCR and the reserved word of an extended frame (18 words): Arm's
    # application note AN298 (Cortex-M4(F) lazy stacking) gives 29 cycles of latency with the
    # FP context stacked against 12 without, i.e. 17 more; unstacking is charged the same.
    fp_context: int = 17

    @property
    def isb(self) -> int:
        if self.isb_cost is not None:
            return self.isb_cost
        return 1 + self.branch_refill  # ISB's B is at least one pipeline refill


# Cortex-M0 TRM (DDI0432C) table 3-1, 3-stage pipeline, no prediction: every taken branch 3
# (B, B<cond> taken, BX, BLX, MOV/ADD PC), BL 4, LDR/STR 2 (stores too; loads never pipeline),
# LDM/STM/PUSH/POP 1 + N, POP {..., PC} 4 + N (N the other registers: 1 + (N + 1) + 2),
# MRS/MSR 4, DMB/DSB/ISB 4, MULS 1 with the fast multiplier or 32 with the small one (the
# ``multiplier`` CPU property). Interrupt latency 16 cycles (TRM, interrupt latency, zero wait
# states). The TRMs give no return figure: the return pops the same 8-word frame as the entry
# stacks, so 16 too (an approximation); tail-chain kept at 6.
CORTEX_M0 = CoreTable(name="cortex-m0", arch="v6m", branch_refill=2, decode_branch_refill=2,
                      unaligned_target=0, load_pc_refill=2, load_pipelined=2, store=2, store_reg_offset=2,
                      agu_stall=0, barrier=4, isb_cost=4, call_extra=1, sysreg=4,
                      exception_entry=16, exception_return=16)
# Cortex-M0+ TRM (DDI0484C) table 3-1, 2-stage pipeline: taken branches 2, BL 3, POP {.., PC}
# 3 + N (1 + (N + 1) + 1), MRS/MSR 3, barriers 3, LDR/STR 2 (1 through the single-cycle I/O
# port, which tandem's boards do not map), MULS 1 or 32. Interrupt latency 15 cycles (TRM, zero
# wait states); the return is taken equal to the entry, as for the M0 (an approximation).
CORTEX_M0P = CoreTable(name="cortex-m0+", arch="v6m", branch_refill=1, decode_branch_refill=1,
                       unaligned_target=0, load_pc_refill=1, load_pipelined=2, store=2,
                       store_reg_offset=2, agu_stall=0, barrier=3, isb_cost=3, call_extra=1,
                       sysreg=3, exception_entry=15, exception_return=15)
# Cortex-M3 TRM: MLA/MLS 2, UMULL/SMULL 3..5, UMLAL/SMLAL 4..7 (early termination): the
# rounded-up midpoints. No DSP extension (those encodings are charged dsp=1 if seen).
CORTEX_M3 = CoreTable(name="cortex-m3", arch="v7m", mla=2, mull=4, mlal=6)
# Cortex-M4 TRM: single-cycle multiplies incl. long and DSP.
CORTEX_M4 = CoreTable(name="cortex-m4")
CORTEX_M4F = CoreTable(name="cortex-m4f", fpu=FpuTable())
# Cortex-M33 (TRM 100230): a 3-stage pipeline like the M4's with single-cycle 32x32 multiplies
# and the DSP extension; the TRM gives interrupt latency 12 cycles without the Security
# Extension but no instruction table, so the M4's figures are used (approximation). SDIV/UDIV
# take 2..11 cycles (divide.py's rule between those end points; midpoint 7 statically).
CORTEX_M33 = CoreTable(name="cortex-m33", arch="v8m", div_range=(2, 11))
CORTEX_M33F = CoreTable(name="cortex-m33f", arch="v8m", fpu=FpuTable(), div_range=(2, 11))
# Cortex-M7 (TRM DDI0489): 6-stage dual-issue superscalar pipeline with a branch predictor
# (BTAC). Arm publishes no cycle table: an approximation. Two adjacent independent single-cycle
# ALU instructions issue together (the second costs 0), predicted branches are charged as
# decode-time ones with one refill cycle, loads 2 (1 when pipelined), interrupt latency 12 cycles
# (the TRM's figure with zero-wait-state TCM), caches and TCM not modelled (zero wait states).
# Every Cortex-M7 part ships with its FPv5 unit ("cortex-m7" and "cortex-m7f" are the same
# core); its FP figures are taken from the FPv4 table (approximation). SDIV/UDIV: the constant 7
# (no range published for the M7's divider).
CORTEX_M7 = CoreTable(name="cortex-m7", arch="v7em", dual_issue=True, fpu=FpuTable(), div_range=None)

TABLES: dict[str, CoreTable] = {t.name: t for t in (CORTEX_M0, CORTEX_M0P, CORTEX_M3, CORTEX_M4, CORTEX_M4F,
                                                     CORTEX_M7, CORTEX_M33, CORTEX_M33F)}
TABLES["cortex-m7f"] = CORTEX_M7
