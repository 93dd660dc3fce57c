"""Static stack and call facts of one decoded Thumb instruction, for the native hook.

The block hook measures the stack high-water mark exactly by reading SP only at entries of
blocks that move SP down; it needs, per block, the most the block's own instructions lower SP
below its entry value (``sp_descent``), whether some instruction sets SP to a value that is
not known statically (``MOV SP, Rn``, ``SUB SP, SP, Rn``: SP is then read at the next block
entry), and whether the block ends with a call (BL/BLX) for the profiler's shadow stack.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import capstone
from capstone import arm_const as A

_SP = A.ARM_REG_SP
_CALLS = {A.ARM_INS_BL, A.ARM_INS_BLX}
_FP_PUSHPOP = {A.ARM_INS_VPUSH: -1, A.ARM_INS_VPOP: 1}
_FP_MULTI = {A.ARM_INS_VSTMDB: -1, A.ARM_INS_VLDMIA: 1, A.ARM_INS_VSTMIA: 1, A.ARM_INS_VLDMDB: -1}
_INT_MULTI = {A.ARM_INS_STMDB: -1, A.ARM_INS_LDMDB: -1, A.ARM_INS_STM: 1, A.ARM_INS_LDM: 1}
_LISTS = {A.ARM_INS_PUSH, A.ARM_INS_POP, *_FP_PUSHPOP}
_MULTIS = {*_FP_MULTI, *_INT_MULTI}


@dataclass(frozen=True)
class StackShape:
    """What a block does to SP and whether it ends with a call."""

    sp_descent: int  # bytes below the entry SP the block's instructions reach (>= 0)
    sp_dynamic: bool  # some instruction sets SP to a run-time value
    call: bool  # the last instruction is BL or BLX


def _reg_bytes(insn: capstone.CsInsn, regs: Iterable[int]) -> int:
    return sum(8 if insn.reg_name(r).startswith("d") else 4 for r in regs)


def sp_change(insn: capstone.CsInsn, written: Iterable[int] | None = None) -> int | None:
    """How the instruction changes SP in bytes (negative: down); None if not static.

    ``written``: the registers it writes, if the caller has them (regs_access is slow).
    """
    iid = insn.id
    if iid in _LISTS or (iid in _MULTIS and insn.writeback):
        regs = [op.reg for op in insn.operands if op.type == A.ARM_OP_REG]
        if iid == A.ARM_INS_PUSH:
            return -4 * len(regs)
        if iid == A.ARM_INS_POP:
            return 4 * len(regs)
        if iid in _FP_PUSHPOP:
            return _FP_PUSHPOP[iid] * _reg_bytes(insn, regs)
        if regs and regs[0] == _SP:
            if iid in _FP_MULTI:
                return _FP_MULTI[iid] * _reg_bytes(insn, regs[1:])
            return _INT_MULTI[iid] * 4 * (len(regs) - 1)
        return 0
    if written is None:
        _, written = insn.regs_access()
    if _SP not in written:
        return 0
    ops = insn.operands
    if iid in (A.ARM_INS_SUB, A.ARM_INS_SUBW, A.ARM_INS_ADD, A.ARM_INS_ADDW) and ops \
            and ops[0].type == A.ARM_OP_REG and ops[0].reg == _SP and ops[-1].type == A.ARM_OP_IMM \
            and (len(ops) == 2 or (ops[1].type == A.ARM_OP_REG and ops[1].reg == _SP)):
        sign = -1 if iid in (A.ARM_INS_SUB, A.ARM_INS_SUBW) else 1
        return sign * ops[-1].imm
    mem = next((op.mem for op in ops if op.type == A.ARM_OP_MEM), None)
    if insn.writeback and mem is not None and mem.base == _SP and not mem.index:
        if getattr(insn, "post_index", False):
            imm = next((op for op in ops if op.type == A.ARM_OP_IMM), None)
            if imm is None:
                return None
            return -imm.imm if imm.subtracted else imm.imm
        return mem.disp
    return None


def is_call(insn: capstone.CsInsn) -> bool:
    return insn.id in _CALLS


def block_shape(changes: Iterable[int | None], ends_with_call: bool) -> StackShape:
    """The stack shape of a block from its instructions' :func:`sp_change` values in order.

    After a run-time SP write the offsets of later instructions in the block are unknown;
    SP is then read at the next block entry, which sees their net effect but not a lower
    point inside the block (compilers do not push right after such a write in one block).
    """
    offset = 0
    low = 0
    dynamic = False
    for change in changes:
        if change is None:
            dynamic = True
            break
        offset += change
        low = min(low, offset)
    return StackShape(sp_descent=-low, sp_dynamic=dynamic, call=ends_with_call)
