"""UsageFaults that depend on operand values, which Unicorn does not raise: divide by zero with
CCR.DIV_0_TRP, unaligned LDR/STR with CCR.UNALIGN_TRP, and the accesses that must always be
aligned.

What the part does (ARMv7-M ARM DDI0403E):
- SDIV/UDIV by zero returns 0 (A7.7.127, A7.7.204); with CCR.DIV_0_TRP (bit 4, B3.2.8) set it is
  a UsageFault with UFSR.DIVBYZERO (CFSR bit 25).
- A3.2.1: LDRD/STRD, LDM/STM (POP/PUSH), LDREX/STREX, VLDR/VSTR/VLDM/VSTM (VPUSH/VPOP) fault
  unless word-aligned, LDREXH/STREXH unless halfword-aligned, whatever CCR says; with
  CCR.UNALIGN_TRP (bit 3) set, so do unaligned LDR{T}/STR{T} (word) and LDR{S}H{T}/STRH{T}. The
  fault is a UsageFault with UFSR.UNALIGNED (CFSR bit 24).

Unicorn runs all of these (measured on 2.1.4: a misaligned LDRD loads, DIV_0_TRP is ignored).
The guard wraps the timing model like :class:`~tandem.core.isa_guard.IsaGuard`: when a block is
first costed, its instructions of those kinds are checked one of two ways; nothing else is
instrumented, so code without them runs at full speed.

- **At the block's entry** (the counter's C block hook, ``BlockCost.entry_checks``): an
  unconditional access that must always be aligned whose base and index registers no earlier
  instruction of the block writes has, at the block's entry, the address it will use. When one
  is not aligned the counter stops before the block and :meth:`TrapGuard.precise` hooks the
  block's instructions one by one (below), which then fault exactly at the instruction, with
  the instructions before it run. This is most of them (a loop's LDRD through a pointer), and a
  register read costs far less than a code hook.
- **By a code hook on the instruction's own address** (the block is translated again with the
  hook in it): every other one, and every one of a block an entry check stopped. The hook (C,
  sim/core/traps.c, built like the block hook) computes the address (or reads the divisor)
  before the instruction runs and stops there when it would fault; the board then takes the
  fault or reports it.

Accesses based on SP need no check: SP is word-aligned by construction (B1.4.1), and LDRD's and
LDM's offsets are multiples of 4; nor do literal (PC-relative) ones whose address is aligned,
known when the block is decoded. LDR/STR are hooked only while UNALIGN_TRP is set, SDIV/UDIV
only while DIV_0_TRP is.

ARMv6-M has no divide and faults every unaligned access; the ARMv6-M part is left to Unicorn's
model (see isa_guard's "not checked").
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import capstone
import unicorn
from capstone import arm_const as CA
from unicorn import arm_const as UA

from tandem.core.faults import DIVBYZERO, UNALIGNED
from tandem.errors import ToolchainError
from tandem.timing import native
from tandem.timing.costcache import source_digest
from tandem.timing.costs import EntryCheck

C_SOURCE = Path(__file__).resolve().parent / "traps.c"
_KINDS = {"div": 0, "always": 1, "trap": 2}  # TG_DIV, TG_ALWAYS, TG_TRAP
_CONDS_C = {getattr(CA, f"ARM_CC_{c.upper()}"): i for i, c in enumerate(
    ("eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"))}


class _State(ctypes.Structure):
    """Mirror of ``struct tg_state``."""

    _fields_ = (("reg_read", ctypes.c_void_p), ("stop", ctypes.c_void_p), ("xpsr_regid", ctypes.c_int32),
                ("ccr", ctypes.c_uint32), ("fired", ctypes.c_uint32), ("fault_pc", ctypes.c_uint32),
                ("fault_ea", ctypes.c_uint32), ("fault_check", ctypes.c_int32))


class _CCheck(ctypes.Structure):
    """Mirror of ``struct tg_check``."""

    _fields_ = (("state", ctypes.POINTER(_State)), ("index", ctypes.c_int32), ("kind", ctypes.c_int32),
                ("align", ctypes.c_int32), ("reg", ctypes.c_int32), ("index_reg", ctypes.c_int32),
                ("shift", ctypes.c_int32), ("disp", ctypes.c_int32), ("cond", ctypes.c_int32))

DIV_0_TRP = 1 << 4
UNALIGN_TRP = 1 << 3

_DIV = frozenset({"sdiv", "udiv"})
_ALWAYS4 = frozenset({"ldrd", "strd", "ldm", "ldmia", "ldmdb", "stm", "stmia", "stmdb", "stmea", "ldmfd",
                      "ldrex", "strex", "vldr", "vstr", "vldmia", "vldmdb", "vstmia", "vstmdb"})
_ALWAYS2 = frozenset({"ldrexh", "strexh"})
_TRAP4 = frozenset({"ldr", "str", "ldrt", "strt"})
_TRAP2 = frozenset({"ldrh", "ldrsh", "strh", "ldrht", "ldrsht", "strht"})
_CONDS = ("eq", "ne", "hs", "lo", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le")

_CS_REG_NAMES = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12"}


def _uc_reg(cs: capstone.Cs, reg: int) -> int:
    name = cs.reg_name(reg)
    name = _CS_REG_NAMES.get(name, name)
    return int(getattr(UA, f"UC_ARM_REG_{name.upper()}"))


def _address_regs(insn: Any) -> tuple[int, int]:
    """Capstone ids of the base and index registers of an access's address (index 0: none)."""
    mem = next((op.mem for op in insn.operands if op.type == CA.ARM_OP_MEM), None)
    if mem is None:  # LDM/STM: the base register is the first operand
        return insn.operands[0].reg, 0
    return mem.base, mem.index


_STEPS = frozenset({CA.ARM_INS_MOV, CA.ARM_INS_ADD, CA.ARM_INS_SUB, CA.ARM_INS_ADDW, CA.ARM_INS_SUBW})


def _step(insn: Any) -> tuple[int, int, int] | None:
    """(rd, rn, constant) when the instruction sets register rd to rn plus the constant and
    changes no other register holding an address: MOV rd, rn, ADD/SUB rd, rn, #imm (rd, #imm),
    and a single load or store writing back an immediate offset (rd = rn = its base; the
    registers it loads are written as usual). None for any other, or one that may not run."""
    ops = insn.operands
    if insn.cc != CA.ARM_CC_AL or any(op.type == CA.ARM_OP_REG and op.reg == CA.ARM_REG_PC for op in ops):
        return None  # it may not run; PC at the block's entry is not PC here
    if insn.id == CA.ARM_INS_MOV and len(ops) == 2 and ops[0].type == ops[1].type == CA.ARM_OP_REG:
        return ops[0].reg, ops[1].reg, 0
    if insn.id in (CA.ARM_INS_ADD, CA.ARM_INS_SUB, CA.ARM_INS_ADDW, CA.ARM_INS_SUBW):
        sign = 1 if insn.id in (CA.ARM_INS_ADD, CA.ARM_INS_ADDW) else -1
        if len(ops) == 2 and ops[0].type == CA.ARM_OP_REG and ops[1].type == CA.ARM_OP_IMM:
            return ops[0].reg, ops[0].reg, sign * ops[1].imm
        if len(ops) == 3 and ops[0].type == ops[1].type == CA.ARM_OP_REG and ops[2].type == CA.ARM_OP_IMM:
            return ops[0].reg, ops[1].reg, sign * ops[2].imm
        return None
    mem = next((op.mem for op in ops if op.type == CA.ARM_OP_MEM), None)
    if mem is None or not insn.writeback or mem.index or any(
            op.type == CA.ARM_OP_REG and op.reg == mem.base for op in ops):
        return None
    if insn.post_index:
        return (mem.base, mem.base, ops[-1].imm) if ops[-1].type == CA.ARM_OP_IMM else None
    return mem.base, mem.base, mem.disp


def _base_mnemonic(mnemonic: str) -> str:
    m = mnemonic.split(".")[0]
    if m not in _DIV and m not in _ALWAYS4 and m not in _ALWAYS2 and m not in _TRAP4 and m not in _TRAP2 \
            and len(m) > 2 and m[-2:] in _CONDS:
        m = m[:-2]  # a condition inside an IT block: ldrdeq -> ldrd
    return m


@dataclass(frozen=True)
class _Check:
    """One hooked instruction: what it needs and how its address (or divisor) is formed."""

    text: str  # "ldrd r6, r7, [r5]"
    kind: str  # "div", "always" or "trap" (only with UNALIGN_TRP)
    align: int  # bytes; 0 for a divide
    reg: int  # Unicorn id of the divisor or the base register
    index: int = 0  # Unicorn id of the index register, 0 for none
    shift: int = 0
    disp: int = 0  # added before the access (0 for post-indexed forms)
    pc_base: bool = False  # literal: Align(PC, 4) + disp
    cc: int = CA.ARM_CC_AL


# A block's plan: (address, check, the check at the block's entry or None: hook it) for each
# instruction checked, in order.
_Plan = tuple[tuple[int, _Check, EntryCheck | None], ...]


@functools.cache
def _plan_context(mode: int, precise: bool) -> str:
    """The cost cache's context for plans: what one depends on besides the bytes (this module,
    the timing model's source with the entry check's form, capstone, the CCR trap bits, whether
    every check is hooked)."""
    h = hashlib.sha256(b"traps\0" + Path(__file__).read_bytes())
    h.update(f"\0{source_digest()}\0{capstone.__version__}\0{mode}\0{int(precise)}".encode())
    return h.hexdigest()


class TrapGuard:
    """Wraps a timing model; see the module docstring. ``ccr`` reads SCB->CCR, ``stop`` stops
    emulation. After a stop, :attr:`restart` (a block to translate again) or :attr:`pending`
    (the fault at :attr:`pending_pc`) says why."""

    def __init__(self, timing: Any, uc: unicorn.Uc, arch: str, ccr: Callable[[], int],
                 stop: Callable[[], None], cache_dir: Path, cc: str = "cc") -> None:
        self._timing = timing
        self._uc = uc
        self.arch = arch
        self._ccr = ccr
        self._stop = stop
        self._cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self._cs_detail = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self._cs_detail.detail = True
        self._hooked: dict[int, _Check] = {}
        self._precise: set[tuple[int, int]] = set()  # blocks whose checks are all code hooks
        self._handles: list[int] = []
        self._checks: list[tuple[_Check, _CCheck]] = []  # kept alive while their hooks are
        self.restart: tuple[int, int] | None = None  # (address, size) of a block to translate again
        self._cache_dir, self._cc = cache_dir, cc
        self._lib: ctypes.CDLL | None = None  # built on the first hook (most programs need one)
        self._uclib = native.unicorn_lib()
        self._state = _State(xpsr_regid=UA.UC_ARM_REG_XPSR)
        self._state.reg_read = ctypes.cast(self._uclib.uc_reg_read, ctypes.c_void_p).value
        self._state.stop = ctypes.cast(self._uclib.uc_emu_stop, ctypes.c_void_p).value

    def set_ccr(self, value: int) -> None:
        """SCB->CCR changed (the hooks read it at run time)."""
        self._state.ccr = value & 0xFFFFFFFF

    @property
    def pending(self) -> tuple[str, str, int] | None:
        """The fault a hook stopped for: (kind, detail, CFSR bits) at :attr:`pending_pc`."""
        st = self._state
        if not st.fired:
            return None
        check = self._checks[st.fault_check][0]
        if check.kind == "div":
            return ("UsageFault", f"DIVBYZERO: '{check.text}' divides by zero with CCR.DIV_0_TRP set", DIVBYZERO)
        why = "with CCR.UNALIGN_TRP set" if check.kind == "trap" else "(always faults, ARMv7-M A3.2.1)"
        return ("UsageFault", f"UNALIGNED: '{check.text}' accesses 0x{st.fault_ea:08x}, not {check.align}-byte "
                              f"aligned {why}", UNALIGNED)

    @pending.setter
    def pending(self, value: None) -> None:
        self._state.fired = 0

    @property
    def pending_pc(self) -> int:
        return int(self._state.fault_pc)

    def _native(self) -> ctypes.CDLL:
        if self._lib is None:
            path = native.build(self._cache_dir, self._cc, C_SOURCE)
            try:
                self._lib = ctypes.CDLL(str(path))
            except OSError as exc:
                raise ToolchainError(f"{path}: cannot load the trap guard's hook library: {exc}") from exc
        return self._lib

    def __getattr__(self, name: str) -> Any:
        return getattr(self._timing, name)

    def block_cost(self, uc: Any, addr: int, size: int) -> Any:
        cost = self._timing.block_cost(uc, addr, size)
        if self.arch == "v6m":
            return cost
        ccr = self._ccr()
        self._state.ccr = ccr
        mode = ccr & (DIV_0_TRP | UNALIGN_TRP)
        plan = self._plan_of(uc, addr, size, mode, (addr, size) in self._precise)
        if not plan:
            return cost
        entry, hooks = self._split(plan)
        if self._hook_all(hooks):
            self.restart = (addr, size)
            self._stop()
        return replace(cost, entry_checks=entry) if entry else cost

    def precise(self, addr: int, size: int) -> None:
        """An entry check of block (addr, size) found an address that is not aligned: check its
        instructions by code hooks from now on (the caller translates the block again)."""
        self._precise.add((addr, size))
        mode = self._state.ccr & (DIV_0_TRP | UNALIGN_TRP)
        self._hook_all(self._split(self._plan(bytes(self._uc.mem_read(addr, size)), addr, mode, True))[1])

    def _plan_of(self, uc: Any, addr: int, size: int, mode: int, precise: bool) -> _Plan:
        """The block's plan: from the cost cache when it holds one for the same bytes (a second
        run of the firmware disassembles nothing here), else made and put there."""
        code = bytes(uc.mem_read(addr, size))
        cache = getattr(self._timing, "cost_cache", None)
        context = _plan_context(mode, precise)
        if cache is not None:
            hit = cache.get(context, addr, size, lambda a, n: code if (a, n) == (addr, size) else None)
            if hit is not None:
                return tuple(hit[0])
        end = max((a + n for a, n, m, _o in self._cs.disasm_lite(code, addr) if self._wanted(_base_mnemonic(m), mode)),
                  default=addr)
        plan = self._plan(code[:end - addr], addr, mode, precise) if end > addr else ()
        if cache is not None:
            cache.put(context, addr, size, (plan, ((addr, size, code),), ()))
        return plan

    def _split(self, plan: _Plan) -> tuple[tuple[EntryCheck, ...], list[tuple[int, _Check]]]:
        """The checks made at the block's entry, and the instructions to hook: those the plan
        hooks and those already hooked (a hook stays until :meth:`forget`)."""
        entry: list[EntryCheck] = []
        hooks: list[tuple[int, _Check]] = []
        for a, check, at_entry in plan:
            if at_entry is None or a in self._hooked:
                hooks.append((a, check))
            else:
                entry.append(at_entry)
        return tuple(entry), hooks

    @staticmethod
    def _wanted(m: str, mode: int) -> bool:
        return (m in _ALWAYS4 or m in _ALWAYS2 or (bool(mode & DIV_0_TRP) and m in _DIV)
                or (bool(mode & UNALIGN_TRP) and (m in _TRAP4 or m in _TRAP2)))

    def _plan(self, code: bytes, addr: int, mode: int, precise: bool) -> _Plan:
        """The checks of the block's instructions in ``code`` (up to its last one checked), each
        with the check made at the block's entry instead of a hook where one can be (whatever
        is hooked now: :meth:`_split` sees to that, so that a plan depends on the bytes alone)."""
        plan: list[tuple[int, _Check, EntryCheck | None]] = []
        # what earlier instructions left in a register: (register, constant) for its value being
        # that register's at the block's entry plus the constant, None for not known; a register
        # not in the map holds its entry value; the map None: nothing is known
        known: dict[int, tuple[int, int] | None] | None = {}
        for insn in self._cs_detail.disasm(code, addr):
            a = insn.address
            check = self._check_of(insn) if self._wanted(_base_mnemonic(insn.mnemonic), mode) else None
            if check is not None and check.pc_base:
                if (((a + 4) & ~3) + check.disp) % check.align:
                    plan.append((a, check, None))  # a literal never aligned: the hook reports it
            elif check is not None:
                base_reg, index_reg = _address_regs(insn)
                base = known.get(base_reg, (base_reg, 0)) if known is not None else None
                index = known.get(index_reg, (index_reg, 0)) if known is not None and index_reg else (0, 0)
                if (precise or check.kind != "always" or check.cc != CA.ARM_CC_AL
                        or base is None or index is None or index[1]):
                    plan.append((a, check, None))
                else:
                    cs = self._cs_detail
                    at_entry = EntryCheck(a, _uc_reg(cs, base[0]), _uc_reg(cs, index[0]) if index[0] else -1,
                                          check.shift, check.disp + base[1], check.align)
                    plan.append((a, check, at_entry))
            if known is not None:
                try:
                    writes = insn.regs_access()[1]
                except capstone.CsError:
                    known = None  # not known: no entry checks after it
                    continue
                step = _step(insn) if writes and (insn.id in _STEPS or insn.writeback) else None
                after = known.get(step[1], (step[1], 0)) if step is not None else None
                for r in writes:
                    known[r] = None
                if step is not None and after is not None:
                    known[step[0]] = (after[0], after[1] + step[2])
        return tuple(plan)

    def _hook_all(self, hooks: list[tuple[int, _Check]]) -> bool:
        """Hook the instructions not hooked yet; True if there were any."""
        new = [(a, c) for a, c in hooks if a not in self._hooked]
        for a, check in new:
            self._hooked[a] = check
            self._add_hook(a, check)
        return bool(new)

    def _add_hook(self, addr: int, check: _Check) -> None:
        c = _CCheck(ctypes.pointer(self._state), len(self._checks), _KINDS[check.kind], check.align,
                    -1 if check.pc_base else check.reg, check.index or -1, check.shift, check.disp,
                    _CONDS_C.get(check.cc, 14))
        self._checks.append((check, c))
        fn = ctypes.cast(self._native().tg_check_hook, ctypes.c_void_p)
        handle = ctypes.c_size_t()
        err = self._uclib.uc_hook_add(self._uc._uch, ctypes.byref(handle), unicorn.UC_HOOK_CODE, fn,
                                      ctypes.cast(ctypes.byref(c), ctypes.c_void_p), addr, addr)
        if err != 0:
            raise ToolchainError(f"uc_hook_add(UC_HOOK_CODE) at 0x{addr:08x} failed with Unicorn error {err}")
        self._handles.append(handle.value)

    def forget(self) -> None:
        """New code was loaded: drop every hook (blocks are looked at again when next costed)."""
        for h in self._handles:
            self._uclib.uc_hook_del(self._uc._uch, ctypes.c_size_t(h))
        self._handles.clear()
        self._checks.clear()
        self._hooked.clear()
        self._precise.clear()
        self._state.fired = 0

    @property
    def hooks(self) -> int:
        """Instructions hooked now."""
        return len(self._hooked)

    def _check_of(self, insn: Any) -> _Check | None:
        m = _base_mnemonic(insn.mnemonic)
        text = f"{insn.mnemonic} {insn.op_str}"
        cc = insn.cc
        if m in _DIV:
            return _Check(text, "div", 0, _uc_reg(self._cs_detail, insn.operands[-1].reg), cc=cc)
        if m in _ALWAYS4 or m in _ALWAYS2:
            kind, align = "always", 4 if m in _ALWAYS4 else 2
        elif m in _TRAP4 or m in _TRAP2:
            kind, align = "trap", 4 if m in _TRAP4 else 2
        else:
            return None
        mem = next((op.mem for op in insn.operands if op.type == CA.ARM_OP_MEM), None)
        if mem is None:  # LDM/STM: the base register is the first operand
            base = insn.operands[0].reg
            if base == CA.ARM_REG_SP:
                return None
            return _Check(text, kind, align, _uc_reg(self._cs_detail, base), cc=cc)
        if mem.base == CA.ARM_REG_SP and not mem.index and mem.disp % align == 0:
            return None
        # post-indexed (an immediate operand after the memory one): the access uses the base alone
        post = insn.operands[-1].type == CA.ARM_OP_IMM and insn.operands[-1] is not insn.operands[0]
        disp = 0 if post else mem.disp
        index = _uc_reg(self._cs_detail, mem.index) if mem.index else 0
        shift = mem.lshift if index else 0
        if mem.base == CA.ARM_REG_PC:
            return _Check(text, kind, align, 0, disp=disp, pc_base=True, cc=cc)
        return _Check(text, kind, align, _uc_reg(self._cs_detail, mem.base), index, shift, disp, cc=cc)


__all__ = ["DIV_0_TRP", "UNALIGN_TRP", "TrapGuard"]
