"""Print the accelerator's cycle figures: build times, MAC utilisation and cycles per phase.

Builds tb_conv_accel with Verilator for each array size, runs the cocotb coroutines
``utilisation_1x1`` and ``cycle_figures`` from rtl/tests/accel_bench.py and prints a table.
Usage (from the repository root): python -m rtl.perf_report [--arrays 8x8,16x16] [--wait REQ,LAT]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tandem.config import TandemConfig
from tandem.cosim.rtl import accel_design, build, run_tests

SHAPES = [
    {"h": 16, "w": 16, "ic": 32, "oc": 32, "kh": 1, "kw": 1},
    {"h": 8, "w": 8, "ic": 64, "oc": 64, "kh": 1, "kw": 1},
    {"h": 16, "w": 16, "ic": 16, "oc": 16, "kh": 3, "kw": 3},
    {"h": 16, "w": 16, "ic": 16, "oc": 32, "kh": 3, "kw": 3, "stride": 2},
    {"h": 24, "w": 24, "ic": 3, "oc": 16, "kh": 3, "kw": 3, "stride": 2},
    {"h": 12, "w": 12, "ic": 8, "oc": 8, "kh": 5, "kw": 5, "padding": "VALID"},
]


def params_for(array: str) -> dict[str, int]:
    po, pi = (int(v) for v in array.split("x"))
    return {"PO": po, "PI": pi, "IBUF_WORDS": 4096, "WBUF_WORDS": 1024, "OBUF_WORDS": 4096,
            "MAX_OC": 64, "MEM_WORDS": 65536}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrays", default="8x8,16x16")
    parser.add_argument("--wait", default="0,0", help="request wait states, extra read latency")
    args = parser.parse_args()
    report = (TandemConfig.from_env().cache_dir / "rtl") / "perf_report.json"
    report.unlink(missing_ok=True)
    for array in args.arrays.split(","):
        params = params_for(array)
        built = build("verilator", accel_design(params), TandemConfig.from_env().cache_dir / "rtl")
        env = {"TANDEM_BENCH_REPORT": str(report), "TANDEM_BENCH_SHAPES": json.dumps(SHAPES),
               "TANDEM_BENCH_WAIT": args.wait, "TANDEM_BENCH_PARAMS": json.dumps(params)}
        start = time.perf_counter()
        run_tests(built, "rtl.tests.accel_bench", ["utilisation_1x1", "cycle_figures"], env)
        print(f"array {array}: verilator build {built.build_seconds:.1f} s, "
              f"run {time.perf_counter() - start:.1f} s ({built.build_dir})")
    data = json.loads(Path(report).read_text())
    print(f"{'figures':<22} {'shape':<30} {'util':>6} {'total':>6} {'cycles':>7} "
          f"{'load':>6} {'comp':>6} {'store':>6}")
    for key, block in data.items():
        rows = block.values() if isinstance(block, dict) else block
        for row in rows:
            if not isinstance(row, dict) or "CYCLES" not in row:
                continue
            print(f"{key:<22} {row['shape']:<30} {row['util_compute']:>6.3f} {row['util_total']:>6.3f} "
                  f"{row['CYCLES']:>7} {row['LOAD_CYCLES']:>6} {row['COMPUTE_CYCLES']:>6} "
                  f"{row['STORE_CYCLES']:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
