"""A persistent cache of block costs, so that a second run of the same firmware decodes nothing.

:meth:`tandem.timing.cortex_m.CoreTiming.block_cost` decodes a new block with capstone, which
is most of the simulation time of large firmware (many distinct blocks). This cache keeps its
results across runs, in one file per *timing context* under ``$TANDEM_CACHE/costs/``:

* the context is a hash of the core's table, the memory map as it is now (wait states and
  accelerators change at run time with FLASH_ACR), the cache indexes of the accelerators and
  the source of the timing package's modules, so a changed model never reuses old costs;
* an entry is keyed by (address, size) and records every memory read the decode made (the
  block's bytes, and the halfword at an odd-halfword branch target) with the bytes it saw;
  a hit re-reads them and is used only if all are equal, so different firmware sharing a
  context file can never get each other's costs;
* an entry also replays the decoder's one side effect, the addresses of SDIV/UDIV in IT
  blocks (``CoreTiming.conditional_divides``).

The trap guard (sim/core/traps.py) keeps its plan of a block (which accesses it checks at the
block's entry, which it hooks) in the same files, in contexts of its own (a hash of its source,
capstone's version and SCB->CCR's trap bits), keyed and checked the same way.

A file carries a SHA-256 of its payload: a partial, corrupt or foreign file fails the check and
is ignored (and rewritten on save). Files are bounded to :data:`MAX_ENTRIES` entries (the
oldest are dropped) and written atomically, merged with what another process saved meanwhile.
Set ``TANDEM_COST_CACHE=off`` to decode every block (the differential tests do).
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

__all__ = ["MAGIC", "MAX_ENTRIES", "CostCache", "Read", "shared", "source_digest"]

MAGIC = b"tandem-costs-1\n"
MAX_ENTRIES = 1 << 14  # per context file: about 2.8 MB, 0.1-0.2 s to load (~170 B, ~10 us an entry)
_DIGEST = 32

# One memory read a decode made: (address, size, bytes seen, or None: the read failed).
Read = tuple[int, int, bytes | None]
# What an entry holds: the cost (a BlockCost; the trap guard's plan in its contexts), the reads
# it depends on, the conditional divides it added.
V = TypeVar("V")
Entry = tuple[V, tuple[Read, ...], tuple[int, ...]]

_MODULES = ("cortex_m.py", "costs.py", "insn_classes.py", "memory.py", "stack.py", "tables.py",
            "costcache.py")


@functools.cache
def source_digest() -> str:
    """Hash of the timing model's source: part of every context."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _MODULES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()


class CostCache(Generic[V]):
    """Block costs by timing context, loaded from and saved to one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._contexts: dict[str, dict[tuple[int, int], Entry[V]]] = {}
        self._dirty: set[str] = set()
        self.hits = 0
        self.misses = 0
        self.rejected = 0  # files ignored: wrong magic, checksum or format

    def _path(self, context: str) -> Path:
        return self.directory / f"costs-{context[:32]}.bin"

    def _table(self, context: str) -> dict[tuple[int, int], Entry[V]]:
        table = self._contexts.get(context)
        if table is None:
            table = self._load(self._path(context))
            self._contexts[context] = table
        return table

    def _load(self, path: Path) -> dict[tuple[int, int], Entry[V]]:
        try:
            raw = path.read_bytes()
        except OSError:
            return {}
        head = len(MAGIC) + _DIGEST
        payload = raw[head:]
        if (len(raw) < head or raw[:len(MAGIC)] != MAGIC
                or hashlib.sha256(payload).digest() != raw[len(MAGIC):head]):
            self.rejected += 1
            return {}
        try:
            table = pickle.loads(payload)
        except Exception:  # a checksum-valid file of another format: ignore it
            self.rejected += 1
            return {}
        if not isinstance(table, dict):
            self.rejected += 1
            return {}
        return table

    def get(self, context: str, addr: int, size: int,
            read: Callable[[int, int], bytes | None]) -> Entry[V] | None:
        """The entry for the block if every read it depends on still sees the same bytes."""
        entry = self._table(context).get((addr, size))
        if entry is not None and all(read(a, n) == seen for a, n, seen in entry[1]):
            self.hits += 1
            return entry
        self.misses += 1
        return None

    def put(self, context: str, addr: int, size: int, entry: Entry[V]) -> None:
        table = self._table(context)
        table.pop((addr, size), None)  # re-inserted last: the newest survive trimming
        table[(addr, size)] = entry
        self._dirty.add(context)

    def save(self) -> None:
        """Write every context with new entries (merged with the file as it is now)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # a cache that cannot be written costs speed, never counts
        for context in sorted(self._dirty):
            path = self._path(context)
            merged = self._load(path)
            for key, entry in self._contexts[context].items():
                merged.pop(key, None)
                merged[key] = entry
            while len(merged) > MAX_ENTRIES:
                del merged[next(iter(merged))]
            payload = pickle.dumps(merged, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                fd, tmp = tempfile.mkstemp(prefix=".costs-", dir=self.directory)
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC + hashlib.sha256(payload).digest() + payload)
                os.replace(tmp, path)
            except OSError:
                continue
            self._contexts[context] = merged
        self._dirty.clear()


_SHARED: dict[Path, CostCache[Any]] = {}


def shared(directory: Path) -> CostCache[Any] | None:
    """The process's cache for ``directory`` (saved at exit), or None if disabled."""
    if os.environ.get("TANDEM_COST_CACHE", "").lower() in ("0", "off", "no", "false"):
        return None
    directory = directory.expanduser()
    cache = _SHARED.get(directory)
    if cache is None:
        cache = _SHARED[directory] = CostCache(directory)
        atexit.register(cache.save)
    return cache
