"""Function profiles of a run: where the modelled cycles went, without changing the firmware.

The native block hook (sim/native/blockhook.c, profiling variant) builds a calling-context
tree while the firmware runs: a shadow call stack follows BL/BLX calls, their returns and the
exceptions the board takes, and every charged cycle lands in exactly one tree node. This
module turns that tree into per-function figures (exclusive and inclusive cycles, calls), a
top-N table for the terminal and a speedscope file (https://www.speedscope.app, "sampled"
profile: one stack per tree node, weighted by its exclusive cycles).

Exclusive cycles of a function: those charged while one of its blocks was the innermost frame
(its instructions, taken-branch extras, memory stalls, and the exception entry/return cycles
of a handler). Inclusive: everything between entering and leaving its outermost activation
(recursion is not counted twice). Calls: BL/BLX into it plus exceptions that entered it.
A tail call (a plain branch into another function) replaces the caller's frame, so the
callee appears under the caller's caller.
"""
from __future__ import annotations

from dataclasses import dataclass

from tandem.firmware.elf import ElfImage
from tandem.timing.counter import CallTree

UNKNOWN = "(no symbol)"
SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


class FunctionTable:
    """Maps code addresses to function ids (0: no symbol) using the ELF's function symbols."""

    def __init__(self, image: ElfImage | None) -> None:
        self.names: list[str] = [UNKNOWN]
        self._ids: dict[str, int] = {UNKNOWN: 0}
        self._symbols = image.symbols if image is not None else None

    def id_of(self, addr: int) -> int:
        if self._symbols is None:
            return 0
        found = self._symbols.lookup(addr)
        if found is None:
            return 0
        name = found[0]
        fid = self._ids.get(name)
        if fid is None:
            fid = len(self.names)
            self.names.append(name)
            self._ids[name] = fid
        return fid

    def name(self, fid: int) -> str:
        return self.names[fid] if 0 <= fid < len(self.names) else UNKNOWN


@dataclass(frozen=True)
class FunctionStats:
    name: str
    self_cycles: int
    inclusive_cycles: int
    calls: int


@dataclass(frozen=True)
class Profile:
    """Per-function figures and the call tree of one run."""

    total_cycles: int
    functions: tuple[FunctionStats, ...]  # by exclusive cycles, largest first
    tree: CallTree
    names: tuple[str, ...]  # function id -> name
    board: str = ""
    program: str = ""

    @classmethod
    def from_tree(cls, tree: CallTree, table: FunctionTable, board: str = "",
                  program: str = "") -> Profile:
        n = len(tree.parent)
        subtotal = list(tree.self_cycles)
        for i in range(n - 1, 0, -1):  # a child's index is always above its parent's
            subtotal[tree.parent[i]] += subtotal[i]
        exclusive: dict[int, int] = {}
        inclusive: dict[int, int] = {}
        calls: dict[int, int] = {}
        # Walk the tree in index order; `active` counts each function's ancestors-or-self.
        on_path: list[frozenset[int]] = [frozenset()] * n
        for i in range(n):
            f = tree.func[i]
            above = on_path[tree.parent[i]] if i > 0 else frozenset()
            if i > 0:
                on_path[i] = above | {f}
            exclusive[f] = exclusive.get(f, 0) + tree.self_cycles[i]
            calls[f] = calls.get(f, 0) + tree.calls[i]
            if i > 0 and f not in above:
                inclusive[f] = inclusive.get(f, 0) + subtotal[i]
        rows = []
        for f, ex in exclusive.items():
            if f < 0:
                if ex:
                    rows.append(FunctionStats("(outside any function)", ex, ex, 0))
                continue
            if ex == 0 and calls.get(f, 0) == 0 and inclusive.get(f, 0) == 0:
                continue
            rows.append(FunctionStats(table.name(f), ex, inclusive.get(f, 0), calls.get(f, 0)))
        rows.sort(key=lambda r: (-r.self_cycles, -r.inclusive_cycles, r.name))
        return cls(total_cycles=sum(tree.self_cycles), functions=tuple(rows), tree=tree,
                   names=tuple(table.names), board=board, program=program)

    def function(self, name: str) -> FunctionStats:
        for row in self.functions:
            if row.name == name:
                return row
        raise KeyError(f"no function {name!r} ran in this profile "
                       f"(ran: {', '.join(r.name for r in self.functions[:12])}...)")

    def __contains__(self, name: object) -> bool:
        return any(r.name == name for r in self.functions)

    def table(self, top: int = 20) -> str:
        """The top-N functions by exclusive cycles, as aligned text."""
        rows = self.functions[:top] if top > 0 else self.functions
        width = max([len("function")] + [len(r.name) for r in rows])
        total = self.total_cycles or 1
        out = [f"{'function':<{width}}  {'self cycles':>14}  {'self %':>6}  {'inclusive':>14}  {'calls':>10}"]
        for r in rows:
            out.append(f"{r.name:<{width}}  {r.self_cycles:>14,}  {100 * r.self_cycles / total:>5.1f}%  "
                       f"{r.inclusive_cycles:>14,}  {r.calls:>10,}")
        hidden = len(self.functions) - len(rows)
        if hidden > 0:
            rest = sum(r.self_cycles for r in self.functions[len(rows):])
            out.append(f"{f'({hidden} more)':<{width}}  {rest:>14,}  {100 * rest / total:>5.1f}%")
        out.append(f"{'total':<{width}}  {self.total_cycles:>14,}  100.0%")
        return "\n".join(out)

    def stacks(self) -> list[tuple[tuple[str, ...], int]]:
        """(call path from the outermost function, exclusive cycles) for every tree node."""
        t = self.tree
        paths: list[tuple[str, ...]] = [()] * len(t.parent)
        out = []
        for i in range(1, len(t.parent)):
            name = self.names[t.func[i]] if 0 <= t.func[i] < len(self.names) else UNKNOWN
            paths[i] = paths[t.parent[i]] + (name,)
            if t.self_cycles[i]:
                out.append((paths[i], t.self_cycles[i]))
        if t.self_cycles and t.self_cycles[0]:
            out.append((("(outside any function)",), t.self_cycles[0]))
        return out

    def to_speedscope(self) -> dict[str, object]:
        """A speedscope file: one sampled profile whose weights are cycles (unit "none")."""
        frames: list[dict[str, object]] = []
        index: dict[str, int] = {}
        samples: list[list[int]] = []
        weights: list[int] = []
        for path, cycles in self.stacks():
            stack = []
            for name in path:
                if name not in index:
                    index[name] = len(frames)
                    frames.append({"name": name})
                stack.append(index[name])
            samples.append(stack)
            weights.append(cycles)
        title = f"{self.program} on {self.board} (cycles)" if self.program else "tandem (cycles)"
        return {
            "$schema": SPEEDSCOPE_SCHEMA,
            "shared": {"frames": frames},
            "profiles": [{
                "type": "sampled",
                "name": title,
                "unit": "none",
                "startValue": 0,
                "endValue": self.total_cycles,
                "samples": samples,
                "weights": weights,
            }],
            "name": title,
            "activeProfileIndex": 0,
            "exporter": "tandem",
        }

    def to_json(self) -> dict[str, object]:
        return {"total_cycles": self.total_cycles,
                "functions": [{"name": r.name, "self_cycles": r.self_cycles,
                               "inclusive_cycles": r.inclusive_cycles, "calls": r.calls}
                              for r in self.functions]}


__all__ = ["FunctionStats", "FunctionTable", "Profile", "SPEEDSCOPE_SCHEMA", "UNKNOWN"]
