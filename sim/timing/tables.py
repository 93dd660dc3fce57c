"""Per-core instruction timing tables (data only) for the Cortex-M cost model.

The numbers are taken from the instruction timing tables and the "load/store timings" notes
of the Arm Cortex-M3 and Cortex-M4 Technical Reference Manuals (zero-wait-state figures).
Where the TRM gives a range (P = 1..3, SDIV 2..12) tandem picks one documented value;
docs/timing.md lists each choice. :mod:`tandem.timing.cortex_m` prices instructions with them.
"""
from __future__ import annotations

from dataclasses import dataclass

CORES = ("cortex-m3", "cortex-m4", "cortex-m4f")


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
    div: int = 7  # SDIV/UDIV: data dependent 2..12 in hardware; the midpoint, statically
    dsp: int = 1  # ARMv7E-M DSP/SIMD instructions (SMLAxy, SMLAD, QADD8, ...)
    agu_stall: int = 1  # load/store address register written by the previous ALU instruction
    it_folding: bool = True  # IT after a 16-bit instruction costs 0 cycles
    barrier: int = 1  # DMB/DSB (1 + B, B >= 0)
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
        return 1 + self.branch_refill  # ISB's B is at least one pipeline refill


# Cortex-M3 TRM: MLA/MLS 2, UMULL/SMULL 3..5, UMLAL/SMLAL 4..7 (early termination): the
# rounded-up midpoints. No DSP extension (those encodings are charged dsp=1 if seen).
CORTEX_M3 = CoreTable(name="cortex-m3", mla=2, mull=4, mlal=6)
# Cortex-M4 TRM: single-cycle multiplies incl. long and DSP.
CORTEX_M4 = CoreTable(name="cortex-m4")
CORTEX_M4F = CoreTable(name="cortex-m4f", fpu=FpuTable())

TABLES: dict[str, CoreTable] = {t.name: t for t in (CORTEX_M3, CORTEX_M4, CORTEX_M4F)}
