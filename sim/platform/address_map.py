"""Checks of a platform's address map: windows that overlap, leave the 32-bit space, or are too many.

A platform maps each memory (and its aliases) and each peripheral window into the CPU's
address space; these checks run once the windows are known, so that the board never meets an
overlap or a mapping Unicorn would take minutes over.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tandem.errors import PlatformError


class _Window(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...


class MemoryWindows(_Window, Protocol):
    @property
    def base(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def aliases(self) -> tuple[int, ...]: ...


class PeripheralWindows(_Window, Protocol):
    @property
    def base(self) -> int | None: ...
    @property
    def size(self) -> int: ...
    @property
    def extra_windows(self) -> tuple[tuple[int, int], ...]: ...


def check_address_map(memories: Sequence[MemoryWindows], peripherals: Sequence[PeripheralWindows], path: str) -> None:
    _check_overlaps(memories, peripherals)
    _check_window_count(memories, peripherals, path)


def _check_overlaps(memories: Sequence[MemoryWindows], peripherals: Sequence[PeripheralWindows]) -> None:
    spans: list[tuple[int, int, str, str, int]] = []
    for m in memories:
        for b in (m.base, *m.aliases):
            spans.append((b, b + m.size, m.name, m.path, m.line))
    for p in peripherals:
        if p.base is not None:
            spans.append((p.base, p.base + p.size, p.name, p.path, p.line))
        for b, size in p.extra_windows:
            spans.append((b, b + size, p.name, p.path, p.line))
    spans.sort()
    for (a0, a1, an, _, _), (b0, b1, bn, bpath, bline) in zip(spans, spans[1:], strict=False):
        if b0 < a1:
            raise PlatformError(
                f"{bn!r} at 0x{b0:08x}-0x{b1 - 1:08x} overlaps {an!r} at 0x{a0:08x}-0x{a1 - 1:08x}",
                bpath,
                bline,
            )
    for _b0, b1, name, path, line in spans:
        if b1 > 1 << 32:
            raise PlatformError(f"{name!r} extends past the 4 GiB address space", path, line)


# Unicorn (QEMU's memory API) rebuilds its address map on every mapping, so mapping n windows costs
# O(n^2): 2,000 memories take 5.4 s, 20,000 would take about 9 minutes. Renode's largest Cortex-M
# platforms have a few dozen memories and under 200 peripherals.
MAX_MEMORY_WINDOWS = 256
MAX_WINDOWS = 1024


def _check_window_count(memories: Sequence[MemoryWindows], peripherals: Sequence[PeripheralWindows], path: str) -> None:
    mems = sum(1 + len(m.aliases) for m in memories)
    total = mems + sum((p.base is not None) + len(p.extra_windows) for p in peripherals)
    if mems > MAX_MEMORY_WINDOWS:
        raise PlatformError(f"{mems:,} memory windows (memories and their aliases); tandem maps at most "
                            f"{MAX_MEMORY_WINDOWS}", path)
    if total > MAX_WINDOWS:
        raise PlatformError(f"{total:,} address windows (memories and peripherals); tandem maps at most "
                            f"{MAX_WINDOWS}", path)
