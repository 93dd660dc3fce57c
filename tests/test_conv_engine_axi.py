"""The conv engine behind AXI4-Lite and AXI4 (rtl/tandem_conv_engine_axi.v) under cocotbext-axi's
bus models (rtl/tests/conv_engine_axi_bench.py), the golden model (sim/reference/conv_engine.py)
as the scoreboard: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED as a 1x1 conv (in both
CONFIG.ROUND modes, edge shifts and saturating values included), refused jobs.
Icarus on a 4x4 array (and an 8x4 one), Verilator on the 16x16 overlay's parameters, and
Verilator lint of the wrapper for every shipped overlay's parameters."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from tandem.config import TandemConfig
from tandem.cosim.rtl import RTL_DIR, RTL_INCLUDE_DIR, RtlDesign, build, find_verilator, run_tests

BENCH = "rtl.tests.conv_engine_axi_bench"
SMALL = {"PO": 4, "PI": 4, "IBUF_WORDS": 256, "WBUF_WORDS": 128, "OBUF_WORDS": 256, "MAX_OC": 16,
         "MAX_BURST": 16}
SOURCES = (RTL_DIR / "tandem_conv_engine_axi.v", RTL_DIR / "tandem_conv_accel.v")


def _overlay_parameters(name: str) -> dict[str, int]:
    text = (TandemConfig.from_env().platforms_dir / "accel" / f"{name}.repl").read_text()
    match = re.search(r'parameters: "([^"]+)"', text)
    assert match, name
    return {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}


def _run(params: dict[str, int], tests: list[str], seed: int = 1, simulator: str = "icarus") -> None:
    design = RtlDesign(toplevel="tandem_conv_engine_axi", sources=SOURCES, parameters=params)
    built = build(simulator, design, TandemConfig.from_env().cache_dir / "rtl")
    env = {"TANDEM_BENCH_PARAMS": json.dumps(params), "TANDEM_BENCH_SEED": str(seed)}
    total, _ = run_tests(built, BENCH, testcase=tests, extra_env=env, seed=seed)
    assert total == len(tests)


def test_registers_through_axi4lite() -> None:
    _run(SMALL, ["identity_and_reset_values"])


def test_conv_and_fc_jobs_match_the_golden_model() -> None:
    _run(SMALL, ["conv_jobs"])


def test_fc_jobs_in_both_rounding_modes_match_the_golden_model() -> None:
    _run(SMALL, ["fc_rounding_jobs"])


def test_depthwise_jobs_match_the_golden_model() -> None:
    _run(SMALL, ["depthwise_jobs"])


def test_refused_jobs_report_their_error_code() -> None:
    _run(SMALL, ["refused_jobs"])


def test_error_responses_end_the_run_in_err_bus_error() -> None:
    _run(SMALL, ["bus_errors"])


def test_depthwise_is_refused_with_more_rows_than_columns() -> None:
    _run({**SMALL, "PO": 8, "MAX_OC": 32}, ["depthwise_needs_rows_at_most_cols"])


def test_full_size_array_under_verilator() -> None:
    """The 16x16 overlay's parameters (Verilator): conv, FC (both roundings) and depthwise
    against the model."""
    _run(_overlay_parameters("conv16x16"), ["conv_jobs", "fc_rounding_jobs", "depthwise_jobs"], seed=9,
         simulator="verilator")


def test_short_bursts_still_cover_every_word() -> None:
    """MAX_BURST=3: every stream is split into bursts of at most 3 beats."""
    _run({**SMALL, "MAX_BURST": 3}, ["conv_jobs"], seed=5)


@pytest.mark.parametrize("overlay", ["conv4x4", "conv8x8", "conv16x16"])
def test_wrapper_lint_clean(overlay: str) -> None:
    """verilator --lint-only -Wall as Verilog-2005 with each overlay's parameters."""
    gparams = [f"-G{k}={v}" for k, v in _overlay_parameters(overlay).items()]
    proc = subprocess.run(
        [str(find_verilator()), "--lint-only", "-Wall", "--default-language", "1364-2005",
         f"-I{RTL_INCLUDE_DIR}", "--top-module", "tandem_conv_engine_axi", *gparams,
         *[str(s) for s in SOURCES]],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr
