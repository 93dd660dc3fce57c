"""Decoded blocks on the Python side of the cycle counter: the native decoder's tables.

The per-instruction class codes and the core's cost values handed to the C decoder
(sim/timing/blockhook.c), reading back a block it costed (:func:`native_cost`), the guards the
board wraps around :class:`CoreTiming`, and :class:`BlockCache`, the record of decoded blocks that
the counter and the tests' oracle counter (tests/timing_oracle.py) share.
"""
from __future__ import annotations

import ctypes
from typing import Any

from tandem.errors import SimulationError
from tandem.timing import native
from tandem.timing.cortex_m import CoreTiming
from tandem.timing.costs import BlockCost, LineEvent
from tandem.timing.insn_classes import (
    _BARRIERS,
    _BRANCHES,
    _DIV,
    _DSP,
    _DUALS,
    _FP_ALU,
    _FP_MAC,
    _FP_MULTIPLES,
    _LOADS,
    _MLA,
    _MLAL,
    _MUL,
    _MULL,
    _MULTIPLES,
    _STORES,
    _TABLE_BRANCHES,
)

__all__ = ["BlockCache", "fill_info", "native_cost", "plain_timing"]


def plain_timing(timing: Any) -> CoreTiming | None:
    """The :class:`CoreTiming` under the guards wrapping it (each keeps it as ``_timing``), or
    None if some wrapper is not one of the board's guards (its checks are not known here)."""
    t = timing
    while not isinstance(t, CoreTiming):
        if type(t).__name__ not in _GUARDS:
            return None
        t = vars(t).get("_timing")
    return t


# The wrappers sim/machine/board.py puts around CoreTiming, and the guard bits (blockhook.c
# TG_*) of the blocks each must see when first costed; traps.py's also follows CCR.
_GUARDS = ("SpinGuard", "TrapGuard", "IsaGuard")
_GUARD_ARCH = {"v6m": native.G_V6M | native.G_FP, "v7m": native.G_DSP | native.G_FP}


def _classes() -> Any:
    """The class code (native.CLASSES) of every capstone instruction id, as in _base_cost."""
    from capstone import arm_const as A

    order: list[tuple[str, set[int]]] = [
        ("load", _LOADS), ("store", _STORES), ("dual", _DUALS), ("multiple", _MULTIPLES),
        ("table", _TABLE_BRANCHES), ("branch", _BRANCHES), ("sysreg", {A.ARM_INS_MRS, A.ARM_INS_MSR}),
        ("it", {A.ARM_INS_IT}), ("mul", _MUL), ("mla", _MLA), ("mull", _MULL), ("mlal", _MLAL),
        ("div", _DIV), ("dsp", _DSP), ("barrier", _BARRIERS), ("isb", {A.ARM_INS_ISB}),
        ("vldr", {A.ARM_INS_VLDR}), ("vstr", {A.ARM_INS_VSTR}), ("fp_multiple", _FP_MULTIPLES),
        ("fp_mac", _FP_MAC), ("vdiv", {A.ARM_INS_VDIV}), ("vsqrt", {A.ARM_INS_VSQRT}),
        ("vmov", {A.ARM_INS_VMOV}), ("fp_alu", _FP_ALU)]
    arr = (ctypes.c_uint8 * A.ARM_INS_ENDING)()
    for name, ids in reversed(order):  # the first class of _base_cost's chain wins
        for i in ids:
            arr[i] = native.CLASSES.index(name)
    return arr


def _core_values(timing: CoreTiming) -> Any:
    from tandem.timing.tables import FpuTable

    t = timing.table
    fpu = t.fpu or FpuTable()
    vals: list[int] = []
    for name in native.CORE_FIELDS:
        if name == "div_range":
            vals.append(1 if t.div_range else 0)
        elif name.startswith("fp_"):
            vals.append(int(getattr(fpu, name[3:])))
        else:
            vals.append(int(getattr(t, name)))
    return (ctypes.c_int32 * len(vals))(*vals)


def native_cost(addr: int, size: int, info: Any) -> BlockCost:
    """The BlockCost the native decoder filled ``info`` (a BlockInfo) with."""
    n = int(info.ninsn)
    return BlockCost(
        addr=addr, fallthrough=addr + size, cost=int(info.cost), taken_extra=int(info.taken_extra),
        insn_addrs=tuple(info.insn_addrs[:n]), insn_costs=tuple(info.insn_costs[:n]),
        line_events=tuple(LineEvent(int(info.ev[k].cache), int(info.ev[k].line), int(info.ev[k].miss_cost))
                          for k in range(int(info.n_ev))),
        sp_descent=int(info.sp_descent), sp_dynamic=bool(info.flags & native.FLAG_SP_DYNAMIC),
        call=bool(info.flags & native.FLAG_CALL))


def fill_info(info: Any, bc: BlockCost, func: int) -> tuple[Any, Any]:
    """Write ``bc`` into ``info`` (a BlockInfo the miss callback returns to C); the arrays its
    events and entry checks point into, which must stay alive until C has copied them."""
    info.fallthrough = bc.fallthrough & 0xFFFFFFFF
    info.cost = bc.cost
    info.taken_extra = bc.taken_extra
    info.ninsn = len(bc.insn_addrs)
    info.sp_descent = bc.sp_descent
    info.flags = (native.FLAG_CALL if bc.call else 0) | (native.FLAG_SP_DYNAMIC if bc.sp_dynamic else 0)
    info.func = func
    events = checks = None
    info.n_ev = len(bc.line_events)
    if bc.line_events:
        events = (native.Event * len(bc.line_events))(
            *(native.Event(ev.line & 0xFFFFFFFF, min(ev.miss_cost, 0xFFFF), ev.cache) for ev in bc.line_events))
        info.ev = ctypes.cast(events, ctypes.POINTER(native.Event))
    info.n_chk = len(bc.entry_checks)
    if bc.entry_checks:
        checks = (native.Check * len(bc.entry_checks))(
            *(native.Check(c.reg, c.index, c.shift, c.disp, c.align, c.insn & 0xFFFFFFFF) for c in bc.entry_checks))
        info.chk = ctypes.cast(checks, ctypes.POINTER(native.Check))
    return events, checks


class BlockCache:
    """Python-side record of decoded blocks (for block(), rewind_to() and error reports).

    Shared with the tests' pure-Python oracle counter (tests/timing_oracle.py), so that both
    counters decode, fall back and rewind identically. Blocks the native decoder costed
    without Python are decoded here only when asked for (:meth:`lookup`).
    """

    def __init__(self, uc: Any, timing: CoreTiming) -> None:
        self.uc = uc
        self.timing = timing
        self.plain = plain_timing(timing)
        self.by_key: dict[tuple[int, int], BlockCost] = {}
        self.by_addr: dict[int, BlockCost] = {}
        self.errors: list[str] = []  # cost-model failures (the block got a fallback cost)

    def lookup(self, key: tuple[int, int]) -> BlockCost | None:
        """The cost of block ``key`` (addr, size) the counter holds, decoded in Python (without
        the guards) if only the native decoder saw it."""
        bc = self.by_key.get(key)
        if bc is None and self.plain is not None:
            try:
                bc = self.plain.block_cost(self.uc, *key)
            except Exception:
                return None
            self.by_key[key] = bc
        return bc

    def decode(self, addr: int, size: int, precomputed: BlockCost | None = None) -> BlockCost:
        try:
            if precomputed is not None and self.plain is not None:
                self.plain.precomputed = precomputed  # the guards' block_cost returns it
            bc = self.timing.block_cost(self.uc, addr, size)
        except Exception as exc:
            # A model bug must not stop the firmware (the board would see an unexplained
            # stop and retry forever): charge one cycle per halfword and record it.
            if len(self.errors) < 100:
                self.errors.append(f"block 0x{addr:08x}+{size}: {type(exc).__name__}: {exc}")
            halves = tuple(range(addr, addr + size, 2))
            bc = BlockCost(addr=addr, fallthrough=addr + size, cost=len(halves), taken_extra=0,
                           insn_addrs=halves, insn_costs=(1,) * len(halves))
        finally:
            if self.plain is not None:
                self.plain.precomputed = None
        self.by_key[(addr, size)] = bc
        self.by_addr[addr] = bc
        return bc

    def clear(self) -> None:
        self.by_key.clear()
        self.by_addr.clear()

    def rewind_amounts(self, cur: tuple[int, int], pc: int) -> tuple[int, int]:
        """Cycles and instructions to un-charge from the current block ``cur`` for a resume at pc.

        The instructions from ``pc`` to the block end re-execute in a new block starting at
        ``pc``, which is charged what the model says that block costs; un-charging exactly that
        amount keeps the total equal to an uninterrupted run even where the model's cost of an
        instruction depends on the one before it.
        """
        bc = self.lookup(cur)
        if bc is None or pc not in bc.insn_addrs:
            raise SimulationError(
                f"rewind_to(0x{pc:08x}): not an instruction of the current block "
                f"0x{cur[0]:08x}+{cur[1]}"
            )
        if pc == bc.addr:
            return bc.cost, len(bc.insn_addrs)
        end = cur[0] + cur[1]
        tail = self.timing.block_cost(self.uc, pc, end - pc)
        return tail.cost, len(tail.insn_addrs)
