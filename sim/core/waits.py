"""What a polling loop waits for: the bits of a loaded value that the next instructions test.

Best effort, from the few instructions after the load (up to the loop's branch): ``tst`` and
``and``/``ands`` with an immediate mask, ``lsls rX, rY, #n`` (the sign flag is then bit 31-n;
a following ``lsrs`` keeps a field), ``lsrs #n`` before a carry branch (bit n-1), ``ubfx``, ``cmp``
with an immediate and ``cbz``/``cbnz``. Moves of the value to another register are followed.
Anything else gives ``None``: the caller then names the value read instead.
"""
from __future__ import annotations

import capstone
from capstone import arm_const as CA

_LOOKAHEAD = 8  # instructions after the load


def _imm(op: object) -> int | None:
    return int(op.imm) & 0xFFFFFFFF if op.type == CA.ARM_OP_IMM else None  # type: ignore[attr-defined]


def _regs(insn: capstone.CsInsn) -> list[int]:
    return [op.reg if op.type == CA.ARM_OP_REG else -1 for op in insn.operands]


def bits_text(mask: int) -> str:
    """``bit 17``, ``bits 8-11`` or ``bits 1, 5``."""
    bits = [b for b in range(32) if mask >> b & 1]
    if len(bits) == 1:
        return f"bit {bits[0]}"
    if bits and bits == list(range(bits[0], bits[-1] + 1)):
        return f"bits {bits[0]}-{bits[-1]}"
    return "bits " + ", ".join(map(str, bits))


def tested_mask(code: bytes, addr: int) -> int | str | None:
    """What the instructions after the load at ``addr`` test of the loaded value.

    A bit mask; or a text (``value == 0x5``, ``value != 0``) for a comparison of the whole value;
    or None when the instructions do not say.
    """
    cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    cs.detail = True
    insns = list(cs.disasm(code, addr, _LOOKAHEAD + 1))
    if not insns or not insns[0].mnemonic.startswith("ldr") or not insns[0].operands:
        return None
    held = {insns[0].operands[0].reg}  # registers holding the loaded value (unshifted)
    for k, insn in enumerate(insns[1:], start=1):
        name = insn.mnemonic.split(".")[0]
        regs, ops = _regs(insn), insn.operands
        nxt = insns[k + 1].mnemonic.split(".")[0] if k + 1 < len(insns) else ""
        if name == "tst" and len(ops) == 2 and regs[0] in held and _imm(ops[1]) is not None:
            return _imm(ops[1])
        if name in ("and", "ands") and len(ops) >= 2 and _imm(ops[-1]) is not None and regs[-2] in held:
            return _imm(ops[-1])
        if name in ("lsl", "lsls") and len(ops) == 3 and regs[1] in held and _imm(ops[2]) is not None:
            n = _imm(ops[2]) or 0
            if nxt in ("lsr", "lsrs") and len(insns[k + 1].operands) == 3:
                m = _imm(insns[k + 1].operands[2]) or 0
                if m >= n:
                    return ((1 << (32 - m)) - 1) << (m - n)  # the field lsls/lsrs keep
            return 1 << (31 - n)
        if name == "lsrs" and len(ops) == 3 and regs[1] in held and nxt in ("bcc", "bcs", "blo", "bhs"):
            n = _imm(ops[2]) or 0
            return 1 << (n - 1) if n else None
        if name == "ubfx" and len(ops) == 4 and regs[1] in held:
            lsb, width = _imm(ops[2]) or 0, _imm(ops[3]) or 0
            return ((1 << width) - 1) << lsb
        if name == "cmp" and len(ops) == 2 and regs[0] in held and _imm(ops[1]) is not None:
            return f"value == 0x{_imm(ops[1]):x}"
        if name in ("cbz", "cbnz") and regs[0] in held:
            return "value != 0"
        if name in ("mov", "movs") and len(ops) == 2 and regs[1] in held:
            held.add(regs[0])
            continue
        if name.startswith("b") and name not in ("bic", "bics", "bfi", "bfc"):
            return None  # the loop's branch: nothing tested the value that we understand
        if regs and regs[0] in held and name not in ("str", "strb", "strh", "cmp", "cmn", "tst", "teq"):
            held.discard(regs[0])  # overwritten
            if not held:
                return None
    return None


__all__ = ["bits_text", "tested_mask"]
