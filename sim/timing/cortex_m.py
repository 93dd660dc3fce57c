"""Cortex-M instruction timing: turns a basic block's bytes into a :class:`BlockCost`.

``core_timing("cortex-m4", memories)`` builds a :class:`CoreTiming` for one core and memory
map; the cycle counters (sim/timing/counter.py) call :meth:`CoreTiming.block_cost` once per
new translated block and charge the result on every entry of that block.

The per-core numbers are data (:class:`CoreTable`, :class:`FpuTable` in
:mod:`tandem.timing.tables`), from the Arm Cortex-M3/M4 Technical Reference Manuals.
Adding a core with the same 3-stage in-order pipeline (M0+, M33) means adding a table;
a dual-issue core (M7, M55) would also need its own pairing rule in :meth:`CoreTiming._costs`.

Memory timing (wait states, flash accelerators) comes from :mod:`tandem.timing.memory`:
fixed fetch stalls are folded into the block's static cost; the STM32 ART caches are modelled
as *line events* whose cost depends on cache state and is charged by the counter at run time.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, TypeAlias, runtime_checkable

import capstone
from capstone import arm_const as A

from tandem.errors import PlatformError
from tandem.timing.costcache import CostCache, Read, source_digest
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
from tandem.timing.memory import MemoryMap, MemoryTiming
from tandem.timing.operands import (
    _REG_LR,
    _address_regs,
    _decode_time_branch,
    _direct_target,
    _is_conditional,
    _is_double,
    _list_length,
    _literal_address,
    _mem_operand,
    _writes_pc,
)
from tandem.timing.stack import block_shape, is_call, sp_change
from tandem.timing.tables import CORES, TABLES, CoreTable, FpuTable

__all__ = ["CORES", "TABLES", "CoreTable", "CoreTiming", "FpuTable", "Reader", "core_timing"]


@runtime_checkable
class MemReader(Protocol):
    def mem_read(self, address: int, size: int) -> bytes | bytearray: ...


# A Unicorn instance (or anything with mem_read), or a plain read(address, size) function.
Reader: TypeAlias = MemReader | Callable[[int, int], bytes | bytearray]


def _read(src: Reader, addr: int, size: int) -> bytes:
    mem_read = getattr(src, "mem_read", None)  # not isinstance(MemReader): a Protocol check is slow
    return bytes(mem_read(addr, size) if mem_read is not None else src(addr, size))  # type: ignore[operator]


@dataclass
class _Insn:
    addr: int
    size: int
    cost: int
    # "load" (single, pipelinable), "store", "store_reg" (register offset), "alu" (data
    # processing: its result reaches a following address computation late), "it",
    # "table" (TBB/TBH), "other"
    kind: str
    writes: frozenset[int] = field(default_factory=frozenset)
    data_writes: frozenset[int] = field(default_factory=frozenset)  # writes minus writeback
    addr_regs: frozenset[int] = field(default_factory=frozenset)
    literal: int | None = None
    conditional: bool = False
    writes_pc: bool = False
    is_mem: bool = False
    sp_change: int | None = 0  # bytes SP moves (negative: down); None: set at run time
    call: bool = False
    lr_branch: bool = False  # a decode-time return through LR (BX LR, BLX LR, MOV PC, LR)
    reads: frozenset[int] = field(default_factory=frozenset)


class CoreTiming:
    """Timing of one core with one memory map; decodes blocks with capstone."""

    def __init__(self, table: CoreTable, memory: MemoryMap) -> None:
        self.table = table
        self.core = table.name
        self.memory = memory
        # SDIV/UDIV in IT blocks seen by the decoder: their static cost is 1 (sim/timing/divide.py)
        self.conditional_divides: set[int] = set()
        self._cs = capstone.Cs(
            capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS
        )
        self._cs.detail = True
        self.cost_cache: CostCache[BlockCost] | None = None  # set by the board: costs kept across runs
        # A block's cost computed by the native decoder (blockhook.c): block_cost returns it
        # (once) for that block, so that the guards wrapping this model do not decode it again.
        self.precomputed: BlockCost | None = None
        self._context: tuple[MemoryMap, str] | None = None  # (memory map, its context hash)
        # One I-cache and one D-cache tag array per ART memory (counter cache indexes); the
        # aliases of a memory (same name, other base, e.g. flash at 0) share its caches.
        self.caches: list[tuple[int, int]] = []  # (slots, line bytes) per cache index
        self._cache_index: dict[tuple[str, str], int] = {}
        # (Every ART memory gets them, so that FLASH_ACR may raise its wait states at run time.)
        self.declared = {m.name: m.accelerator for m in memory.regions}
        self._accelerated = frozenset(n for n, a in self.declared.items() if a is not None)
        for m in memory.regions:
            if m.accelerator == "stm32-art" and (m.name, "i") not in self._cache_index:
                for side, slots in (("i", m.icache_lines), ("d", m.dcache_lines)):
                    self._cache_index[(m.name, side)] = len(self.caches)
                    self.caches.append((slots, m.art_line_bytes))

    def set_flash_timing(self, name: str, wait_states: int, accelerated: bool) -> None:
        """Run-time flash timing (FLASH_ACR): ``wait_states`` and the declared accelerator on or
        off. Cached block costs must be dropped after it (CycleCounter.invalidate)."""
        accel = self.declared.get(name) if accelerated else None
        self.memory = self.memory.retimed(name, wait_states, accel)

    def data_regions(self) -> list[tuple[MemoryTiming, int]]:
        """Regions whose data loads the counter times (every load from them, literal or through a
        register, is charged at run time), with their D-cache index (-1: none): those with wait
        states, and those with a flash accelerator, whose wait states the firmware may raise."""
        return [(m, self.data_cache(m.name) if m.accelerator == "stm32-art" else -1)
                for m in self.memory.regions if m.wait_states > 0 or m.name in self._accelerated]

    def data_cache(self, name: str) -> int:
        """The D-cache index of ART memory ``name`` (-1: it has none)."""
        return self._cache_index.get((name, "d"), -1)

    def instruction_cache(self, name: str) -> int:
        """The I-cache index of ART memory ``name`` (-1: it has none)."""
        return self._cache_index.get((name, "i"), -1)

    # -- per-instruction ------------------------------------------------------------------

    def _base_cost(self, insn: capstone.CsInsn) -> tuple[int, str]:
        t = self.table
        i = insn.id
        if i in _LOADS:
            if _writes_pc(insn):
                return t.load + t.load_pc_refill, "other"
            return t.load, "load"
        if i in _STORES:
            mem = _mem_operand(insn)
            if mem is not None and mem.index:
                return t.store_reg_offset, "store_reg"
            return t.store, "store"
        if i in _DUALS:
            return t.dual, "other"
        if i in _MULTIPLES:
            n = _list_length(insn)
            if _writes_pc(insn):
                return t.multiple_base + n + t.load_pc_refill, "other"
            return t.multiple_base + n, "other"
        if i in _TABLE_BRANCHES:
            return t.table_branch, "table"
        if i in _BRANCHES:
            if _decode_time_branch(insn):
                return 1 + t.decode_branch_refill + (t.call_extra if i == A.ARM_INS_BL else 0), "other"
            return 1 + t.branch_refill, "other"
        if i == A.ARM_INS_MRS or i == A.ARM_INS_MSR:
            return t.sysreg, "alu"  # its result reaches an address computation late, as an ALU one
        if i == A.ARM_INS_IT:
            return 1, "it"
        if i in _MUL:
            return t.mul, "alu"
        if i in _MLA:
            return t.mla, "alu"
        if i in _MULL:
            return t.mull, "alu"
        if i in _MLAL:
            return t.mlal, "alu"
        if i in _DIV:
            # In an IT block: 1, what a failed condition costs; with a divide range the board
            # charges the operand-dependent rest when the division executes (timing/divide.py).
            if t.div_range and _is_conditional(insn):
                self.conditional_divides.add(insn.address)
                return 1, "alu"
            return t.div, "alu"
        if i in _DSP:
            return t.dsp, "alu"
        if i in _BARRIERS:
            return t.barrier, "other"
        if i == A.ARM_INS_ISB:
            return t.isb, "other"
        fpu = t.fpu or FpuTable()
        if i == A.ARM_INS_VLDR or i == A.ARM_INS_VSTR:
            dbl = _is_double(insn, insn.operands[0].reg)
            if i == A.ARM_INS_VLDR:
                return (fpu.load_double if dbl else fpu.load_single), "other"
            return (fpu.store_double if dbl else fpu.store_single), "store"
        if i in _FP_MULTIPLES:
            n = _list_length(insn)
            regs = [op.reg for op in insn.operands if op.type == A.ARM_OP_REG]
            if regs and _is_double(insn, regs[-1]):
                n *= 2
            return fpu.multiple_base + n, "other"
        if i in _FP_MAC:
            return fpu.mac, "other"
        if i == A.ARM_INS_VDIV:
            return fpu.div, "other"
        if i == A.ARM_INS_VSQRT:
            return fpu.sqrt, "other"
        if i == A.ARM_INS_VMOV:
            return self._vmov_cost(insn, fpu), "alu"
        if i in _FP_ALU:
            return fpu.alu, ("alu" if i == A.ARM_INS_VMRS else "other")
        if _writes_pc(insn):  # MOV pc / ADD pc
            if _decode_time_branch(insn):
                return 1 + t.decode_branch_refill, "other"
            return 1 + t.branch_refill, "other"
        return 1, "alu"

    @staticmethod
    def _vmov_cost(insn: capstone.CsInsn, fpu: FpuTable) -> int:
        regs = [insn.reg_name(op.reg) for op in insn.operands if op.type == A.ARM_OP_REG]
        core = [r for r in regs if not (r.startswith("s") and r[1:].isdigit()) and
                not (r.startswith("d") and r[1:].isdigit())]
        if not core:
            return fpu.alu  # FP register to FP register, or immediate
        if "[" in insn.op_str:
            return fpu.mov_half
        return fpu.mov_core

    def _decode(self, code: bytes, addr: int, src: Reader | None = None) -> list[_Insn]:
        out: list[_Insn] = []
        end = addr
        for insn in self._cs.disasm(code, addr):
            cost, kind = self._base_cost(insn)
            target = _direct_target(insn)
            if target is not None and target & 2 and src is not None:
                try:
                    hw = int.from_bytes(_read(src, target, 2), "little")
                except Exception:  # unmapped target: it faults, no refill to time
                    hw = 0
                if (hw >> 11) in (0b11101, 0b11110, 0b11111):  # a 32-bit encoding
                    cost += self.table.unaligned_target
            read, written = insn.regs_access()
            data_writes = set(written)
            mem = _mem_operand(insn)
            if insn.writeback and mem is not None:
                # The AGU updates the base in the address phase; only the loaded value is
                # late, so a writeback base does not block pipelining of the next load.
                data_writes.discard(mem.base)
            is_mem = (insn.id in _LOADS or insn.id in _STORES or insn.id in _DUALS
                      or insn.id in _MULTIPLES or insn.id in _FP_MULTIPLES
                      or insn.id in _TABLE_BRANCHES
                      or insn.id in (A.ARM_INS_VLDR, A.ARM_INS_VSTR))
            out.append(_Insn(
                addr=insn.address,
                size=insn.size,
                cost=cost,
                kind=kind,
                writes=frozenset(written),
                reads=frozenset(read),
                data_writes=frozenset(data_writes),
                addr_regs=frozenset(_address_regs(insn)) if is_mem else frozenset(),
                literal=_literal_address(insn),
                conditional=_is_conditional(insn),
                writes_pc=_writes_pc(insn),
                is_mem=is_mem,
                sp_change=sp_change(insn, written),
                call=is_call(insn),
                lr_branch=insn.id != A.ARM_INS_B and insn.id != A.ARM_INS_BL
                and _decode_time_branch(insn),
            ))
            end = insn.address + insn.size
        # Bytes capstone cannot decode still execute (or fault) in Unicorn: one per halfword.
        while end < addr + len(code):
            out.append(_Insn(addr=end, size=2, cost=1, kind="other"))
            end += 2
        return out

    # -- per-block --------------------------------------------------------------------------

    def block_cost(self, uc_or_reader: Reader, addr: int, size: int) -> BlockCost:
        """Decode the ``size`` bytes at ``addr`` and cost them on this core and memory map
        (from ``cost_cache`` when it has the block with the same bytes: sim/timing/costcache.py)."""
        pre = self.precomputed
        if pre is not None:
            self.precomputed = None
            if pre.addr == addr and pre.fallthrough == addr + size:
                return pre
        cache = self.cost_cache
        if cache is None:
            return self._block_cost(uc_or_reader, addr, size)
        if self._context is None or self._context[0] is not self.memory:
            ctx = repr((self.table, self.memory, sorted(self._cache_index.items()), source_digest()))
            self._context = (self.memory, hashlib.sha256(ctx.encode()).hexdigest())
        context = self._context[1]

        def reread(a: int, n: int) -> bytes | None:
            try:
                return _read(uc_or_reader, a, n)
            except Exception:
                return None

        hit = cache.get(context, addr, size, reread)
        if hit is not None:
            self.conditional_divides.update(hit[2])
            return hit[0]
        reads: list[Read] = []

        def record(a: int, n: int) -> bytes:
            seen = reread(a, n)
            reads.append((a, n, seen))
            return _read(uc_or_reader, a, n) if seen is None else seen  # raises as it did

        known, self.conditional_divides = self.conditional_divides, set()
        try:
            bc = self._block_cost(record, addr, size)
        finally:
            added, self.conditional_divides = self.conditional_divides, known
            known |= added
        cache.put(context, addr, size, (bc, tuple(reads), tuple(sorted(added))))
        return bc

    def _block_cost(self, uc_or_reader: Reader, addr: int, size: int) -> BlockCost:
        insns = self._decode(_read(uc_or_reader, addr, size), addr, uc_or_reader)
        costs = self._costs(insns)
        taken_extra = 0
        events: list[LineEvent] = []
        region = self.memory.find(addr)
        ws = region.wait_states if region is not None else 0

        # Final instruction: a branch is charged not-taken in `cost`; the rest if taken.
        if insns and insns[-1].writes_pc:
            last = insns[-1]
            full = costs[-1]
            fetch = ws if (region is not None and region.accelerator != "stm32-art") else 0
            if last.conditional:
                costs[-1] = 1  # a failed condition costs one cycle
                taken_extra = full - 1 + fetch
            else:
                costs[-1] = full + fetch

        # Literal-pool loads from wait-stated memory: the counter charges them at run time, as
        # every data load from such memory; the fetch-overlap estimate below sees the wait.
        busy = list(costs)
        for k, ins in enumerate(insns):
            if ins.literal is None:
                continue
            lit_region = self.memory.find(ins.literal)
            if lit_region is not None and lit_region.accelerator != "stm32-art":
                busy[k] += lit_region.wait_states

        # Instruction fetch from wait-stated memory.
        if region is not None and ws > 0:
            self._fetch_costs(region, insns, costs, busy, events)

        seen: set[tuple[int, int]] = set()
        unique: list[LineEvent] = []
        for ev in events:  # a line touched twice in a block can only miss the first time
            if (ev.cache, ev.line) not in seen:
                seen.add((ev.cache, ev.line))
                unique.append(ev)
        shape = block_shape((i.sp_change for i in insns), bool(insns) and insns[-1].call)
        return BlockCost(
            addr=addr,
            fallthrough=addr + size,
            cost=sum(costs),
            taken_extra=taken_extra,
            insn_addrs=tuple(i.addr for i in insns),
            insn_costs=tuple(costs),
            line_events=tuple(unique),
            sp_descent=shape.sp_descent,
            sp_dynamic=shape.sp_dynamic,
            call=shape.call,
        )

    def _costs(self, insns: list[_Insn]) -> list[int]:
        """Per-instruction cycles with the pairing rules of the 3-stage pipeline."""
        t = self.table
        costs: list[int] = []
        prev: _Insn | None = None
        paired = False  # prev issued as the second of a pair (dual-issue cores)
        for ins in insns:
            c = ins.cost
            if t.dual_issue and prev is not None:
                # Cortex-M7 (approximation, tables.py): two adjacent single-cycle ALU
                # instructions, the second not reading what the first writes, issue together.
                pair = (not paired and ins.kind == prev.kind == "alu" and ins.cost == prev.cost == 1
                        and not (prev.writes & ins.reads) and not ins.writes_pc)
                paired, c = (True, 0) if pair else (False, c)
            if prev is not None:
                if (ins.kind in ("load", "store_reg") and prev.kind == "load"
                        and not (prev.data_writes & ins.addr_regs)):
                    c = t.load_pipelined
                if t.agu_stall and ins.is_mem and prev.kind == "alu" and prev.writes & ins.addr_regs:
                    c += t.agu_stall
                if ins.kind == "it" and t.it_folding and prev.size == 2:
                    c = 0
                if ins.lr_branch and _REG_LR in prev.writes:
                    # LR written while the return is in decode: target issued in execute.
                    c += t.branch_refill - t.decode_branch_refill
            costs.append(c)
            prev = ins
        return costs

    def _fetch_costs(self, region: MemoryTiming, insns: list[_Insn], costs: list[int],
                     busy: list[int], events: list[LineEvent]) -> None:
        """Instruction-fetch stalls of a block in a region with wait states.

        The core fetches sequentially ahead; a line fetch takes 1 + wait_states cycles and
        overlaps with executing the previous line, so a sequential line stalls by
        max(0, 1 + ws - cycles spent in the previous line). The first line of a block entered
        by a taken branch costs the full wait states (charged with the branch, or as the ART
        miss cost of the block's first line).
        """
        ws = region.wait_states
        line = region.line_bytes or 4  # no accelerator: every 32-bit fetch waits
        # Cycles spent executing the instructions that start in each line, in block order.
        lines: list[tuple[int, int, int]] = []  # (line address, cycles, index of first insn)
        for k, ins in enumerate(insns):
            la = ins.addr & ~(line - 1)
            if not lines or lines[-1][0] != la:
                lines.append((la, 0, k))
            lines[-1] = (la, lines[-1][1] + busy[k], lines[-1][2])
            # A 32-bit instruction straddling into the next line also needs that line.
            la2 = (ins.addr + ins.size - 1) & ~(line - 1)
            if la2 != la:
                lines.append((la2, 0, k))
        art = region.accelerator == "stm32-art"
        # An ART region with wait states always has its caches (see __init__).
        icache = self._cache_index[(region.name, "i")] if art else -1
        for n, (la, _cyc, first) in enumerate(lines):
            if n == 0:
                if art:
                    events.append(LineEvent(icache, la, ws))
                continue
            stall = max(0, 1 + ws - lines[n - 1][1])
            if art:
                if stall:
                    events.append(LineEvent(icache, la, stall))
                else:
                    events.append(LineEvent(icache, la, 0))
            elif stall:
                costs[first] += stall


def core_timing(core: str, memories: Sequence[MemoryTiming], *,
                multiplier: int | None = None) -> CoreTiming:
    """The timing model of ``core`` (a name in :data:`CORES`); ``multiplier`` overrides MULS.

    Data loads from wait-stated memory (literal pools, constant tables, model weights) are
    charged at run time by the cycle counter (docs/timing.md).
    """
    table = TABLES.get(core)
    if table is None:
        raise PlatformError(f"no timing model for core '{core}' (known: {', '.join(CORES)})")
    if multiplier is not None:  # ARMv6-M cores: MULS takes 1 (fast) or 32 (small multiplier)
        table = replace(table, mul=multiplier)
    return CoreTiming(table, MemoryMap.of(memories))
