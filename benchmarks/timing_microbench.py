"""Print tandem's cycle count for each TRM microbenchmark next to the expected count.

    python benchmarks/timing_microbench.py

The expected counts and their derivations are in each firmware/bench/*.S header and in
docs/timing.md; tests/test_timing_bench.py asserts the same numbers.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_timing_bench import FLASH_CASES, TRM_CASES, _build, _run  # noqa: E402

from tandem.timing import CycleCounter  # noqa: E402


def main() -> None:
    cache = Path("~/.cache/tandem/native").expanduser()
    print(f"{'program':<20} {'core':<11} {'memory':<16} {'expected':>8} {'tandem':>8} "
          f"{'insns':>6}")
    rows = [(n, c, m, e) for n, c, m, e, _ in TRM_CASES]
    rows += [(n, "cortex-m4", m, e) for n, m, e in FLASH_CASES]
    for name, core, mems, expected in rows:
        flash = mems[0]
        memdesc = (f"{flash.wait_states}ws {flash.accelerator or 'plain'}"
                   if flash.wait_states else "0ws")
        with tempfile.TemporaryDirectory() as tmp:
            prog = _build(name, Path(tmp), core)
            _, c = _run(CycleCounter, prog, core, mems, cache)
        exp = "-" if expected is None else str(expected)
        print(f"{name:<20} {core:<11} {memdesc:<16} {exp:>8} {c.cycles:>8} "
              f"{c.instructions:>6}")
        c.close()


if __name__ == "__main__":
    main()
