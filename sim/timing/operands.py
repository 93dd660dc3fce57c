"""What a decoded instruction's operands say, for the cost model (sim/timing/cortex_m.py):
conditional or not, whether it writes the PC or branches in decode, its direct target, the
registers that form its address, its register-list length and its literal-pool address.
"""
from __future__ import annotations

import capstone
from capstone import arm_const as A
from capstone.arm import ArmOpMem

from tandem.timing.insn_classes import _BRANCHES, _DUALS, _FP_MULTIPLES, _LOADS, _MULTIPLES, _TABLE_BRANCHES

_REG_PC = A.ARM_REG_PC
_REG_SP = A.ARM_REG_SP
_REG_LR = A.ARM_REG_LR


def _is_conditional(insn: capstone.CsInsn) -> bool:
    if insn.id in (A.ARM_INS_CBZ, A.ARM_INS_CBNZ):
        return True
    if insn.id == A.ARM_INS_IT:
        return False  # its cc field is the block's first condition
    return insn.cc not in (A.ARM_CC_AL, A.ARM_CC_INVALID)


def _writes_pc(insn: capstone.CsInsn) -> bool:
    if insn.id in _BRANCHES or insn.id in _TABLE_BRANCHES:
        return True
    _, written = insn.regs_access()
    return _REG_PC in written


def _decode_time_branch(insn: capstone.CsInsn) -> bool:
    """Branches whose target fetch the core issues in decode (Cortex-M3 TRM, ETM chapter).

    B/B<cond>/BL with an immediate target, and BX LR / BLX LR / MOV PC, LR (16-bit). The
    TRM adds "if LR is not being written during decode": :meth:`CoreTiming._costs` moves
    a return right after an instruction that writes LR to execute time.
    """
    if insn.id in (A.ARM_INS_B, A.ARM_INS_BL):
        return True
    if insn.id in (A.ARM_INS_BX, A.ARM_INS_BLX) or (insn.id == A.ARM_INS_MOV and insn.size == 2):
        regs = [op.reg for op in insn.operands if op.type == A.ARM_OP_REG]
        return bool(regs) and regs[-1] == A.ARM_REG_LR
    return False


def _direct_target(insn: capstone.CsInsn) -> int | None:
    """The target address of B/B<cond>/BL/CBZ/CBNZ (an immediate), else None."""
    if insn.id not in (A.ARM_INS_B, A.ARM_INS_BL, A.ARM_INS_CBZ, A.ARM_INS_CBNZ):
        return None
    for op in insn.operands:
        if op.type == A.ARM_OP_IMM:
            return op.imm & 0xFFFFFFFF
    return None


def _mem_operand(insn: capstone.CsInsn) -> ArmOpMem | None:
    for op in insn.operands:
        if op.type == A.ARM_OP_MEM:
            return op.mem
    return None


def _address_regs(insn: capstone.CsInsn) -> set[int]:
    """Registers a load/store uses to form its address."""
    mem = _mem_operand(insn)
    if mem is not None:
        regs = {mem.base}
        if mem.index:
            regs.add(mem.index)
        return regs - {0}
    if insn.id in (A.ARM_INS_PUSH, A.ARM_INS_POP, A.ARM_INS_VPUSH, A.ARM_INS_VPOP):
        return {_REG_SP}
    if insn.id in _MULTIPLES or insn.id in _FP_MULTIPLES:
        return {insn.operands[0].reg} if insn.operands else set()
    return set()


def _list_length(insn: capstone.CsInsn) -> int:
    """N for LDM/STM/PUSH/POP and FP multiples: registers in the list (base excluded)."""
    ops = [op for op in insn.operands if op.type == A.ARM_OP_REG]
    if insn.id in (A.ARM_INS_PUSH, A.ARM_INS_POP, A.ARM_INS_VPUSH, A.ARM_INS_VPOP):
        return len(ops)
    return max(0, len(ops) - 1)  # LDM/STM/VLDM/VSTM: first register operand is the base


def _is_double(insn: capstone.CsInsn, reg: int) -> bool:
    return insn.reg_name(reg).startswith("d")


def _literal_address(insn: capstone.CsInsn) -> int | None:
    """Address read by a PC-relative load (Thumb: Align(PC + 4, 4) + offset), else None."""
    if insn.id not in _LOADS and insn.id not in _DUALS and insn.id != A.ARM_INS_VLDR:
        return None
    mem = _mem_operand(insn)
    if mem is None or mem.base != _REG_PC or mem.index:
        return None
    return ((insn.address + 4) & ~3) + mem.disp
