"""pytest plugin that records every modelled cycle count a test session produces.

Used to show that a refactoring changed no figure: run the suite twice (before and after) with
``python -m pytest -p benchmarks.cycle_record --cycle-record OUT.json -p no:randomly
--hypothesis-seed=0`` and compare the two files with ``python -m benchmarks.cycle_record A B``.
Every ``RunResult`` and ``OpProfile`` built in the test process is recorded with the test's node
id, in order (runs inside a co-simulation child reach the parent as the same dataclasses).
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

_FIELDS = {
    "RunResult": ("exit_code", "instructions", "cycles", "stack_bytes", "heap_bytes"),
    "OpProfile": ("op", "macs", "cycles", "accel_cycles", "stall_cycles", "bytes_moved"),
}
_CANDIDATES = {
    "RunResult": ("tandem.machine.results", "tandem.board", "tandem.machine.board"),
    "OpProfile": ("tandem.tinyml.results", "tandem.tinyml.infer", "tandem.infer", "tandem.tinyml.infer"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cycle-record", default=None, help="write every recorded cycle count here")


class _Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.current = "<collection>"
        self.rows: list[list[Any]] = []

    def patch(self) -> None:
        for cls_name, modules in _CANDIDATES.items():
            for mod_name in modules:
                try:
                    mod = importlib.import_module(mod_name)
                except ImportError:
                    continue
                cls = getattr(mod, cls_name, None)
                if cls is not None:
                    self._wrap(cls, cls_name)
                    break

    def _wrap(self, cls: Any, name: str) -> None:  # a class found by name at run time, patched
        original = cls.__init__
        fields = _FIELDS[name]
        rec = self

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            rec.rows.append([rec.current, name] + [getattr(self, f, None) for f in fields])

        cls.__init__ = __init__

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.current = item.nodeid

    def pytest_sessionfinish(self) -> None:
        self.path.write_text(json.dumps(self.rows, indent=0))


def pytest_configure(config: pytest.Config) -> None:
    out = config.getoption("--cycle-record")
    if out:
        # The same inputs every time: without this, Hypothesis replays examples from its database
        # (.hypothesis/), so two recordings of the same tree could differ in property tests.
        from hypothesis import settings

        settings.register_profile("cycle-record", database=None, derandomize=True)
        settings.load_profile("cycle-record")
        rec = _Recorder(Path(out))
        rec.patch()
        config.pluginmanager.register(rec, "cycle-record")


def compare(a: Path, b: Path) -> int:
    """Print the rows that differ between two recordings; 0 when every figure is identical."""
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    by_test: dict[str, list[list[list[Any]]]] = {}
    for i, rows in enumerate((ra, rb)):
        for row in rows:
            by_test.setdefault(row[0], [[], []])[i].append(row[1:])
    differ = 0
    for test, (xa, xb) in sorted(by_test.items()):
        if xa != xb:
            differ += 1
            print(f"DIFFERS {test}: {len(xa)} vs {len(xb)} records")
            for p, q in zip(xa, xb, strict=False):  # the lengths may differ: report the first change
                if p != q:
                    print(f"    {p}\n != {q}")
                    break
    total = sum(len(x) for x, _ in by_test.values())
    print(f"{len(by_test)} tests, {total} records in {a.name}, {sum(len(y) for _, y in by_test.values())} in "
          f"{b.name}; {differ} tests differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
