"""cocotb runs of the convolution accelerator against the golden model (Icarus and Verilator).

Each test builds tb_conv_accel with tandem.cosim.rtl into the cache (TandemConfig.cache_dir / "rtl")
and runs the coroutines in rtl/tests/accel_bench.py.  Icarus covers a small 4x4 array; Verilator the full-size arrays.
"""
from __future__ import annotations

import fcntl
import json
import subprocess
import threading
from pathlib import Path

import pytest

from tandem.config import TandemConfig
from tandem.cosim.rtl import (
    RTL_DIR,
    RTL_INCLUDE_DIR,
    accel_design,
    build,
    find_verilator,
    run_tests,
)

BENCH = "rtl.tests.accel_bench"

SMALL = {"PO": 4, "PI": 4, "IBUF_WORDS": 256, "WBUF_WORDS": 128, "OBUF_WORDS": 256,
         "MAX_OC": 16, "MEM_WORDS": 4096}
# MEDIUM places the testbench memory where a board's SRAM would be.
MEDIUM = {"PO": 8, "PI": 8, "IBUF_WORDS": 1024, "WBUF_WORDS": 512, "OBUF_WORDS": 1024,
          "MAX_OC": 64, "MEM_WORDS": 16384, "MEM_BASE": 0x2000_0000}
LARGE = {"PO": 16, "PI": 16, "IBUF_WORDS": 1024, "WBUF_WORDS": 256, "OBUF_WORDS": 1024,
         "MAX_OC": 64, "MEM_WORDS": 16384}


def _run(simulator: str, params: dict[str, int], tests: list[str], cases: int, max_hw: int,
         seed: int, report: Path | None = None) -> None:
    built = build(simulator, accel_design(params), TandemConfig.from_env().cache_dir / "rtl")
    env = {"TANDEM_BENCH_SEED": str(seed), "TANDEM_BENCH_CASES": str(cases),
           "TANDEM_BENCH_MAX_HW": str(max_hw), "TANDEM_BENCH_PARAMS": json.dumps(params)}
    if report is not None:
        env["TANDEM_BENCH_REPORT"] = str(report)
    total, _ = run_tests(built, BENCH, testcase=tests, extra_env=env, seed=seed)
    assert total == len(tests)
    print(f"{simulator} {params['PO']}x{params['PI']}: build {built.build_seconds:.1f} s")


def test_accel_icarus_small() -> None:
    _run("icarus", SMALL, ["registers", "random_convolutions", "fc_rounding", "misconfigurations",
                           "busy_ignores_writes"],
         cases=5, max_hw=5, seed=11)


def test_accel_verilator_8x8() -> None:
    _run("verilator", MEDIUM, ["registers", "random_convolutions", "fc_rounding", "misconfigurations",
                               "busy_ignores_writes",
                               "utilisation_1x1"], cases=25, max_hw=10, seed=23,
         report=(TandemConfig.from_env().cache_dir / "rtl") / "accel_report.json")


def test_accel_verilator_16x16() -> None:
    _run("verilator", LARGE, ["random_convolutions", "fc_rounding", "utilisation_1x1"], cases=8, max_hw=8,
         seed=37, report=(TandemConfig.from_env().cache_dir / "rtl") / "accel_report.json")


@pytest.mark.parametrize("params", [SMALL, MEDIUM, LARGE], ids=["4x4", "8x8", "16x16"])
def test_rtl_lint_clean(params: dict[str, int]) -> None:
    """verilator --lint-only -Wall as Verilog-2005: no warnings for any array size."""
    gparams = [f"-G{k}={v}" for k, v in params.items() if k not in ("MEM_WORDS", "MEM_BASE")]
    proc = subprocess.run(
        [str(find_verilator()), "--lint-only", "-Wall", "--default-language", "1364-2005",
         f"-I{RTL_INCLUDE_DIR}", *gparams, str(RTL_DIR / "tandem_conv_accel.v")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr


def test_a_build_waits_while_another_process_holds_its_lock(tmp_path: Path) -> None:
    """pytest-xdist workers and checkouts share the cache: a build of a design whose lock is held
    (as another process's build or test run holds it) does not touch the directory until it is
    released. An Icarus build takes well under a second, so 3 s without one means it waited."""
    design = accel_design(SMALL)
    build_dir = tmp_path / f"icarus-{design.toplevel}-{design.key()}"
    done = threading.Event()

    def _build() -> None:
        build("icarus", design, tmp_path)
        done.set()

    with open(build_dir.with_name(build_dir.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        worker = threading.Thread(target=_build)
        worker.start()
        assert not done.wait(3.0)
        assert not build_dir.exists() or not any(build_dir.iterdir())
        fcntl.flock(fh, fcntl.LOCK_UN)
    worker.join(120)
    assert done.is_set() and any(build_dir.iterdir())
