"""The pure-Python oracle for the native cycle counter (tests and benchmarks only).

:class:`PyCycleCounter` implements the accounting rules of
:class:`tandem.timing.counter.CycleCounter` with a Python ``UC_HOOK_BLOCK`` (about 30x
slower), including the LRU replacement and re-check generations of the C hook's accelerator
caches, so tests can check the native counter against an independent implementation.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tandem.timing import BlockCost, CoreTiming
from tandem.timing.counter import RING, BlockCache

if TYPE_CHECKING:
    import unicorn

__all__ = ["PyCycleCounter"]


class _LruCache:
    """A fully associative cache of ``slots`` lines with LRU replacement (as the C hook's)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.clear()

    def clear(self) -> None:
        self.tags = [0] * self.slots
        self.stamps = [0] * self.slots
        self.clock = 0

    def access(self, line: int) -> bool:
        """Look ``line`` up; on a miss replace the least recently used slot. True: a miss."""
        tag = line | 1
        self.clock += 1
        victim, oldest = 0, None
        for k in range(self.slots):
            if self.tags[k] == tag:
                self.stamps[k] = self.clock
                return False
            if oldest is None or self.stamps[k] < oldest:
                oldest, victim = self.stamps[k], k
        self.tags[victim] = tag
        self.stamps[victim] = self.clock
        return True


class PyCycleCounter:
    """The same accounting as :class:`CycleCounter` with a Python block hook (for tests)."""

    def __init__(
        self, uc: unicorn.Uc, timing: CoreTiming, cache_dir: Path | None = None
    ) -> None:
        from unicorn import UC_HOOK_BLOCK, UC_HOOK_MEM_READ

        self._uc = uc
        self._blocks = BlockCache(uc, timing)
        self._cycles = 0
        self._instructions = 0
        self._deadline: int | None = None
        self._deadline_hit = False
        self._pending: tuple[int, int] | None = None
        self._cur = (0, 0)
        self._ring: list[int] = []
        self._caches = [_LruCache(slots) for slots, _ in timing.caches]
        self._cache_shift = [line.bit_length() - 1 for _, line in timing.caches]
        # The native hook re-checks a block's lines only on its first entry after a miss
        # anywhere (a new generation); recency follows those checks, so mirror them exactly.
        self._gen = 1
        self._block_gen: dict[tuple[int, int], int] = {}
        self.line_misses = 0
        self._hooks = [uc.hook_add(UC_HOOK_BLOCK, self._on_block)]
        for region, cache in timing.data_regions():
            self._hooks.append(uc.hook_add(
                UC_HOOK_MEM_READ, self._on_data, (cache, region.wait_states),
                begin=region.base, end=region.end - 1))

    def _on_data(self, uc: Any, access: int, addr: int, size: int, value: int,
                 info: tuple[int, int]) -> None:
        cache, ws = info
        if cache < 0:
            self._cycles += ws
            return
        shift = self._cache_shift[cache]
        if self._caches[cache].access((addr >> shift) << shift):
            self._cycles += ws
            self.line_misses += 1
            self._gen += 1

    def _on_block(self, uc: Any, addr: int, size: int, _user: Any) -> None:
        if self._pending is not None:
            fallthrough, extra = self._pending
            if addr != fallthrough:
                self._cycles += extra
            self._pending = None
        if self._deadline is not None and self._cycles >= self._deadline:
            self._deadline_hit = True
            uc.emu_stop()
            return
        bc = self._blocks.by_key.get((addr, size))
        if bc is None:
            bc = self._blocks.decode(addr, size)
        key = (addr, size)
        if self._block_gen.get(key, 0) != self._gen:
            for ev in bc.line_events:
                if self._caches[ev.cache].access(ev.line):
                    self._cycles += ev.miss_cost
                    self.line_misses += 1
                    self._gen += 1
            per_cache: dict[int, int] = {}
            for ev in bc.line_events:
                per_cache[ev.cache] = per_cache.get(ev.cache, 0) + 1
            self_conflict = any(n > self._caches[c].slots for c, n in per_cache.items())
            # As in the C hook: blocks that move SP take its slow path on every entry.
            always = self_conflict or bool(bc.sp_descent) or bc.sp_dynamic
            self._block_gen[key] = 0 if always else self._gen
        self._cycles += bc.cost
        self._instructions += len(bc.insn_addrs)
        self._pending = (bc.fallthrough & 0xFFFFFFFF, bc.taken_extra)
        self._cur = (addr, size)
        self._ring.append(addr)
        if len(self._ring) > RING:
            del self._ring[0]

    @property
    def cycles(self) -> int:
        return self._cycles

    @property
    def instructions(self) -> int:
        return self._instructions

    def add(self, cycles: int) -> None:
        self._cycles += cycles

    def set_deadline(self, cycle: int | None) -> None:
        self._deadline = None if cycle is None else max(0, cycle)

    @property
    def deadline_hit(self) -> bool:
        return self._deadline_hit

    def clear_stop(self) -> None:
        self._deadline_hit = False

    def rewind_to(self, pc: int) -> None:
        cycles, insns = self._blocks.rewind_amounts(self._cur, pc)
        self._cycles -= cycles
        self._instructions -= insns
        self._pending = None

    def recent_blocks(self) -> list[int]:
        return list(self._ring)

    def block(self, addr: int) -> BlockCost | None:
        return self._blocks.by_addr.get(addr)

    @property
    def current_block(self) -> BlockCost | None:
        return self._blocks.by_key.get(self._cur)

    def invalidate(self) -> None:
        self._blocks.clear()
        self._block_gen.clear()

    @property
    def decode_errors(self) -> list[str]:
        return list(self._blocks.errors)

    def flush_caches(self) -> None:
        for cache in self._caches:
            cache.clear()
        self._gen += 1

    def close(self) -> None:
        for hook in self._hooks:
            self._uc.hook_del(hook)
        self._hooks = []
