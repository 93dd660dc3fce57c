"""The quantization helpers: gemmlowp/TFLite semantics on hand-checked edges, scalar == vector,
and FULLY_CONNECTED's single rounding equal to the firmware's C (tfl_mbqm_single)."""
from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.reference.quant import (
    INT32_MAX,
    INT32_MIN,
    activation_range,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_array,
    multiply_by_quantized_multiplier_single,
    multiply_by_quantized_multiplier_single_array,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)

int32s = st.integers(INT32_MIN, INT32_MAX)


def test_quantize_multiplier_known_values() -> None:
    assert quantize_multiplier(0.0) == (0, 0)
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    assert quantize_multiplier(0.25) == (1 << 30, -1)
    # 1 - 2**-33 rounds up to 2**31 and is renormalised.
    assert quantize_multiplier(1.0 - 2.0 ** -33) == (1 << 30, 1)
    assert quantize_multiplier(2.0 ** -40) == (0, 0)
    q, s = quantize_multiplier(0.0123)
    assert (1 << 30) <= q < (1 << 31) and abs(q * 2.0 ** (s - 31) - 0.0123) < 1e-11


def test_rounding_divide_by_pot_rounds_half_away_from_zero() -> None:
    assert rounding_divide_by_pot(5, 1) == 3
    assert rounding_divide_by_pot(-5, 1) == -3
    assert rounding_divide_by_pot(4, 3) == 1  # 0.5 -> 1
    assert rounding_divide_by_pot(-4, 3) == -1  # -0.5 -> -1
    assert rounding_divide_by_pot(-3, 3) == 0
    assert rounding_divide_by_pot(INT32_MIN, 31) == -1
    assert rounding_divide_by_pot(7, 0) == 7


def test_srdhm_saturates_and_rounds() -> None:
    assert saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN) == INT32_MAX
    assert saturating_rounding_doubling_high_mul(1 << 30, 1 << 30) == 1 << 29
    # The nudge is 2**30 for positive products and 1 - 2**30 for negative ones, then C division
    # truncates toward zero: positive ties round up, negative ties round toward zero.
    assert saturating_rounding_doubling_high_mul(3, 1 << 30) == 2  # 1.5
    assert saturating_rounding_doubling_high_mul(-3, 1 << 30) == -1  # -1.5
    assert saturating_rounding_doubling_high_mul(1, 1 << 30) == 1  # 0.5
    assert saturating_rounding_doubling_high_mul(-1, 1 << 30) == 0  # -0.5
    assert saturating_rounding_doubling_high_mul(-5, 1 << 29) == -1  # -0.625


@settings(max_examples=2000, deadline=None)
@given(int32s, int32s, st.integers(-31, 30))
def test_vector_matches_scalar(x: int, m: int, shift: int) -> None:
    vec = multiply_by_quantized_multiplier_array(np.array([x]), np.array([m]), np.array([shift]))
    assert int(vec[0]) == multiply_by_quantized_multiplier(x, m, shift)


def test_activation_ranges() -> None:
    assert activation_range("NONE", 0.1, 3) == (-128, 127)
    assert activation_range("RELU", 0.1, -5) == (-5, 127)
    assert activation_range("RELU6", 0.1, -5) == (-5, 55)
    assert activation_range("RELU6", 0.01, 0) == (0, 127)
    assert activation_range("RELU_N1_TO_1", 0.5, 0) == (-2, 2)


def test_single_rounding_known_values() -> None:
    """One rounding of the 64-bit product, half towards +inf; no left shift, no saturation."""
    single, double = multiply_by_quantized_multiplier_single, multiply_by_quantized_multiplier
    # -2 * 0.5 / 2 = -0.5: single rounds the tie up to 0, double's RoundingDivideByPOT away to -1
    assert (single(-2, 1 << 30, -1), double(-2, 1 << 30, -1)) == (0, -1)
    # 2**30 * 0.5 * 4 = 2**31: single wraps the int32 cast, double's x << 2 wraps x to 0
    assert (single(1 << 30, 1 << 30, 2), double(1 << 30, 1 << 30, 2)) == (INT32_MIN, 0)
    # the saturating case of SaturatingRoundingDoublingHighMul does not saturate here
    assert (single(INT32_MIN, INT32_MIN, 0), double(INT32_MIN, INT32_MIN, 0)) == (INT32_MIN, INT32_MAX)
    # the edge shifts: total shift 62 (shift -31) and 1 (shift 30)
    assert single(INT32_MAX, INT32_MAX, -31) == 1  # (2**31 - 1)**2 / 2**62 = 0.99999...
    assert single(INT32_MIN, INT32_MAX, -31) == -1
    assert (single(3, 1, 30), single(-3, 1, 30)) == (2, -1)  # 1.5 -> 2, -1.5 -> -1


@settings(max_examples=2000, deadline=None)
@given(int32s, int32s, st.integers(-31, 30))
def test_single_vector_matches_scalar(x: int, m: int, shift: int) -> None:
    vec = multiply_by_quantized_multiplier_single_array(np.array([x]), np.array([m]), np.array([shift]))
    assert int(vec[0]) == multiply_by_quantized_multiplier_single(x, m, shift)


def test_single_rounding_matches_the_firmwares_c(tmp_path: Path) -> None:
    """tfl_mbqm_single (firmware/runtime/include/tfl/kernel.h), compiled for the host, on edge
    and random operands: the golden model's single rounding is the firmware's, bit for bit."""
    compiler = shutil.which("gcc")
    assert compiler is not None, "gcc is needed to run the firmware's rounding on the host"
    rng = random.Random(3)
    edges = [INT32_MIN, INT32_MIN + 1, -(1 << 30), -1, 0, 1, 1 << 30, INT32_MAX]
    cases = [(x, m, s) for x in edges for m in edges for s in (-31, -30, -1, 0, 1, 29, 30)]
    cases += [(rng.randint(INT32_MIN, INT32_MAX), rng.randint(INT32_MIN, INT32_MAX), rng.randint(-31, 30))
              for _ in range(3000)]
    src = tmp_path / "single.c"
    src.write_text('#include <stdio.h>\n#include "tfl/kernel.h"\n'
                   "int main(void) { long long x, m; int s;\n"
                   '  while (scanf("%lld %lld %d", &x, &m, &s) == 3)\n'
                   '    printf("%d\\n", (int)tfl_mbqm_single((int32_t)x, (int32_t)m, s));\n'
                   "  return 0; }\n")
    include = Path(__file__).resolve().parent.parent / "firmware" / "runtime" / "include"
    exe = tmp_path / "single"
    subprocess.run([compiler, "-O2", "-fwrapv", f"-I{include}", str(src), "-o", str(exe)], check=True,
                   capture_output=True)
    proc = subprocess.run([str(exe)], input="".join(f"{x} {m} {s}\n" for x, m, s in cases),
                          capture_output=True, text=True, check=True)
    got = [int(v) for v in proc.stdout.split()]
    want = [multiply_by_quantized_multiplier_single(x, m, s) for x, m, s in cases]
    assert len(got) == len(cases)
    assert got == want
    vec = multiply_by_quantized_multiplier_single_array(*(np.array(c) for c in zip(*cases, strict=True)))
    assert [int(v) for v in vec] == got
