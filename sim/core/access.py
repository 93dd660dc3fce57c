"""Which instruction of the running block made an MMIO access, and at which cycle.

The cycle counter charges a whole basic block on entry, so inside an MMIO callback the clock
reads as the end of the block. Registers that expose time (DWT CYCCNT, SysTick) must read the
cycle of the accessing instruction instead. Unicorn does not report that instruction (the PC
reads as the block start), and stopping to look is unreliable: after ``emu_stop`` the PC is exact
only the first time a block runs. So the locator decodes the block once, and at an access finds
the first memory instruction, after the last one matched in this execution of the block, whose
effective address computed from the current registers covers the accessed address. Registers
are exact mid-block (the emulator syncs them before every memory helper call).
"""
from __future__ import annotations

from dataclasses import dataclass

import capstone
from capstone import arm_const as CA

from tandem.core.cpu import CortexM
from tandem.timing import BlockCost, CycleCounter

_REG_NAMES = {getattr(CA, f"ARM_REG_R{i}"): f"r{i}" for i in range(13)}
_REG_NAMES.update({CA.ARM_REG_SP: "sp", CA.ARM_REG_LR: "lr", CA.ARM_REG_PC: "pc"})
_MULTI = {"ldm", "ldmia", "ldmfd", "stm", "stmia", "stmea", "push", "pop", "ldmdb", "stmdb", "stmfd", "vpush", "vpop",
          "vldmia", "vstmia", "vldmdb", "vstmdb"}


@dataclass(frozen=True)
class _MemInsn:
    index: int  # position in the block
    address: int
    mnemonic: str
    base: str | None
    index_reg: str | None
    shift: int
    disp: int
    post_index: bool
    width: int  # bytes transferred
    multi: bool
    store: bool  # writes memory (STR*, STM*, PUSH, VSTR, VSTM, VPUSH); otherwise reads it


class AccessLocator:
    def __init__(self, cpu: CortexM, counter: CycleCounter) -> None:
        self.cpu = cpu
        self.counter = counter
        self._cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self._cs.detail = True
        self._decoded: dict[tuple[int, int], list[_MemInsn]] = {}
        self._last: tuple[int, int, int] | None = None  # (block addr, instructions, matched index)
        # one access may be located twice (the clock and the poll detection): the answer of
        # the access in progress, (serial, address, index), so the second ask matches the first
        self._serial = 0
        self._memo: tuple[int, int, int | None] | None = None
        self._write: bool | None = None  # the access in progress is a write (None: not known)

    def begin_access(self, write: bool | None = None) -> None:
        """A new MMIO access starts (called by the bus before its handler runs); ``write`` says
        whether it is a store, so only instructions of that kind are candidates (a load and a
        store in one block then need no register reads to tell apart)."""
        self._serial += 1
        self._write = write

    def invalidate(self) -> None:
        self._decoded.clear()

    def now(self, addr: int) -> int:
        """The cycle at which the instruction accessing ``addr`` started."""
        block = self.counter.current_block
        if block is None:
            return self.counter.cycles
        start = self.counter.cycles - block.cost
        index = self._locate(block, addr)
        if index is None:
            return self.counter.cycles
        return start + sum(block.insn_costs[:index])

    def instruction_at(self, addr: int) -> int | None:
        """The address of the instruction of the running block that is accessing ``addr``."""
        block = self.counter.current_block
        if block is None:
            return None
        index = self._locate(block, addr)
        return None if index is None else block.insn_addrs[index]

    def span_at(self, addr: int) -> tuple[int, int] | None:
        """(address, bytes) of the whole access that the running block's single-transfer load or
        store covering ``addr`` makes (QEMU splits an unaligned access to an MMIO page into
        smaller ones: the memory checker reports the instruction's); None for LDM/STM-style ones."""
        block = self.counter.current_block
        index = None if block is None else self._locate(block, addr)
        if block is None or index is None:
            return None
        m = next(m for m in self._insns(block) if m.index == index)
        span = None if m.multi else self._span(m)
        return None if span is None else (span[0], span[1] - span[0])

    def site(self) -> tuple[int, int] | None:
        """During a read: (the running block's key in the cycle counter, the cycles from the
        reading instruction's start to the block's end) when the block has a single load
        instruction of one transfer, so that every read the block makes is that instruction's
        at that offset (an RTL peripheral's repeated reads, rtlsim/fast.py); else None."""
        block = self.counter.current_block
        if block is None:
            return None
        loads = [m for m in self._insns(block) if not m.store]
        if len(loads) != 1 or loads[0].multi or loads[0].width > 4:
            return None
        return self.counter.current_key, block.cost - sum(block.insn_costs[:loads[0].index])

    def volatile_loads(self, block: BlockCost) -> int:
        """How many loads of the block read memory that another context may change: all but
        those from the stack (SP) and literal pools (PC)."""
        return sum(1 for m in self._insns(block) if m.mnemonic.startswith(("ld", "pop", "vld", "vpop"))
                   and m.base not in ("sp", "pc"))

    def _insns(self, block: BlockCost) -> list[_MemInsn]:
        key = (block.addr, len(block.insn_addrs))
        found = self._decoded.get(key)
        if found is None:
            end = block.fallthrough
            code = self.cpu.read(block.addr, end - block.addr)
            found = []
            for i, insn in enumerate(self._cs.disasm(code, block.addr)):
                mem = self._mem_operand(i, insn)
                if mem is not None:
                    found.append(mem)
            self._decoded[key] = found
        return found

    def _mem_operand(self, index: int, insn: capstone.CsInsn) -> _MemInsn | None:
        name = insn.mnemonic.split(".")[0]
        if name in _MULTI:
            regs = [op for op in insn.operands if op.type == CA.ARM_OP_REG]
            base = "sp" if name in ("push", "pop", "vpush", "vpop") else _REG_NAMES.get(regs[0].reg) if regs else None
            count = len(regs) - (0 if name in ("push", "pop", "vpush", "vpop") else 1)
            return _MemInsn(index, insn.address, name, base, None, 0, 0, False, 4 * max(count, 1), True,
                            name.startswith(("st", "push", "vst", "vpush")))
        for op in insn.operands:
            if op.type == CA.ARM_OP_MEM:
                width = 8 if name in ("ldrd", "strd") else 2 if name.endswith("h") else 1 if name.endswith("b") else 4
                return _MemInsn(index, insn.address, name, _REG_NAMES.get(op.mem.base),
                                _REG_NAMES.get(op.mem.index), op.mem.lshift, op.mem.disp,
                                bool(getattr(insn, "post_index", False)), width, False,
                                name.startswith(("st", "vst")))
        return None

    def _span(self, m: _MemInsn) -> tuple[int, int] | None:
        if m.base is None:
            return None
        base = self.cpu.reg(m.base)
        if m.base == "pc":
            base = (m.address + 4) & ~3
        if m.multi:
            descending = m.mnemonic in ("push", "stmdb", "stmfd", "ldmdb", "vpush", "vstmdb", "vldmdb")
            lo = base - m.width if descending else base
            return lo, lo + m.width
        ea = base
        if not m.post_index:
            offset = m.disp
            if m.index_reg is not None:
                offset += self.cpu.reg(m.index_reg) << m.shift
            ea = (base + offset) & 0xFFFFFFFF
        return ea, ea + m.width

    def _locate(self, block: BlockCost, addr: int) -> int | None:
        memo = self._memo
        if memo is not None and memo[0] == self._serial and memo[1] == addr:
            return memo[2]
        index = self._search(block, addr)
        self._memo = (self._serial, addr, index)
        return index

    def _search(self, block: BlockCost, addr: int) -> int | None:
        execution = (block.addr, self.counter.instructions)
        after = -1
        if self._last is not None and self._last[:2] == execution:
            after = self._last[2]
        # an LDRD/STRD/LDM/STM may make several accesses; any other instruction makes one
        write = self._write
        left = [m for m in self._insns(block)
                if not (m.index < after or (m.index == after and not (m.multi or m.width > 4)))
                and (write is None or m.store == write)]
        if len(left) == 1:
            # one memory instruction can have made it: that one (no registers to read)
            self._last = (*execution, left[0].index)
            return left[0].index
        for m in left:
            span = self._span(m)
            if span is not None and span[0] <= addr < span[1]:
                self._last = (*execution, m.index)
                return m.index
        return None
