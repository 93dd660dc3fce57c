"""Cortex-M instruction timing: turns a basic block's bytes into a :class:`BlockCost`.

``core_timing("cortex-m4", memories)`` builds a :class:`CoreTiming` for one core and memory
map; the cycle counters (sim/timing/counter.py) call :meth:`CoreTiming.block_cost` once per
new translated block and charge the result on every entry of that block.
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence, Union

import capstone

from sim.errors import PlatformError
from sim.timing.counter import BlockCost
from sim.timing.memory import MemoryMap, MemoryTiming

CORES = ("cortex-m3", "cortex-m4", "cortex-m4f")


class MemReader(Protocol):
    def mem_read(self, address: int, size: int) -> bytes | bytearray: ...


Reader = Union[MemReader, Callable[[int, int], "bytes | bytearray"]]


def _read(src: Reader, addr: int, size: int) -> bytes:
    if hasattr(src, "mem_read"):
        return bytes(src.mem_read(addr, size))  # type: ignore[union-attr]
    return bytes(src(addr, size))  # type: ignore[operator]


class CoreTiming:
    """Timing of one core with one memory map; decodes blocks with capstone."""

    def __init__(self, core: str, memory: MemoryMap) -> None:
        self.core = core
        self.memory = memory
        self._cs = capstone.Cs(
            capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS
        )
        self._cs.detail = True

    def block_cost(self, uc_or_reader: Reader, addr: int, size: int) -> BlockCost:
        """Decode the ``size`` bytes at ``addr`` and cost them (1 cycle per instruction)."""
        code = _read(uc_or_reader, addr, size)
        addrs: list[int] = []
        costs: list[int] = []
        end = addr
        for insn in self._cs.disasm(code, addr):
            addrs.append(insn.address)
            costs.append(1)
            end = insn.address + insn.size
        # Bytes capstone cannot decode still execute (or fault) in Unicorn: one per halfword.
        while end < addr + size:
            addrs.append(end)
            costs.append(1)
            end += 2
        return BlockCost(
            addr=addr,
            fallthrough=addr + size,
            cost=sum(costs),
            taken_extra=0,
            insn_addrs=tuple(addrs),
            insn_costs=tuple(costs),
        )


def core_timing(core: str, memories: Sequence[MemoryTiming]) -> CoreTiming:
    """The timing model of ``core`` ("cortex-m3", "cortex-m4", "cortex-m4f")."""
    if core not in CORES:
        raise PlatformError(f"no timing model for core '{core}' (known: {', '.join(CORES)})")
    return CoreTiming(core, MemoryMap.of(memories))
