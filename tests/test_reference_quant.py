"""The quantization helpers: gemmlowp/TFLite semantics on hand-checked edges, scalar == vector."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.reference.quant import (
    INT32_MAX,
    INT32_MIN,
    activation_range,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_array,
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
