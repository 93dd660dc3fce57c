"""TFLite integer quantization arithmetic, bit-exact, in plain Python and numpy.

Follows the TFLite quantization spec and the semantics of the reference kernels:
``QuantizeMultiplier`` turns a real scale into an int32 Q31 significand plus a power-of-two
shift, and ``MultiplyByQuantizedMultiplier`` applies it with gemmlowp's
``SaturatingRoundingDoublingHighMul`` followed by ``RoundingDivideByPOT`` (the "double rounding"
variant that TFLite builds by default).  Scalar functions mirror the C definitions one to one;
the ``*_array`` variants are vectorised over numpy int64 arrays for the conv golden model.
"""
from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
# Shifts the engine and the reference accept: RoundingDivideByPOT needs an exponent in 0..31,
# and a left shift of 31 would overflow int32 for any non-zero accumulator.
SHIFT_MIN = -31
SHIFT_MAX = 30


def wrap_int32(value: int) -> int:
    """Two's-complement wrap of a Python int to int32 (what C int32 arithmetic does in practice)."""
    return ((value + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _round_half_away(x: float) -> float:
    """C's std::round: halfway cases away from zero (Python's round() rounds to even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real scale -> (Q31 significand, shift), value = q * 2**(shift-31)."""
    if real_multiplier == 0.0:
        return 0, 0
    significand, shift = math.frexp(real_multiplier)
    q_fixed = int(_round_half_away(significand * float(1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def effective_conv_scale(input_scale: float, filter_scale: float, output_scale: float) -> float:
    """Per-channel effective scale exactly as TFLite computes it (float32 scales, double maths)."""
    in_s = float(np.float32(input_scale))
    f_s = float(np.float32(filter_scale))
    out_s = float(np.float32(output_scale))
    return in_s * f_s / out_s


def per_channel_multipliers(
    input_scale: float, filter_scales: npt.ArrayLike, output_scale: float
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Per-output-channel (multipliers, shifts) of a conv, as TFLite's conv Prepare derives them."""
    pairs = [
        quantize_multiplier(effective_conv_scale(input_scale, float(s), output_scale))
        for s in np.asarray(filter_scales, dtype=np.float32).ravel()
    ]
    return (np.array([p[0] for p in pairs], dtype=np.int32),
            np.array([p[1] for p in pairs], dtype=np.int32))


def saturating_rounding_doubling_high_mul(a: int, b: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul for int32 operands."""
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    total = ab + nudge
    # C integer division truncates toward zero.
    quotient = abs(total) >> 31
    return quotient if total >= 0 else -quotient


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """gemmlowp RoundingDivideByPOT: x / 2**exponent rounded half away from zero."""
    if not 0 <= exponent <= 31:
        raise ValueError(f"RoundingDivideByPOT exponent {exponent} outside 0..31")
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLite MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift)."""
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(wrap_int32(x * (1 << left)), multiplier), right
    )


def multiply_by_quantized_multiplier_single(x: int, multiplier: int, shift: int) -> int:
    """The single-rounding MultiplyByQuantizedMultiplier of TFLite's FULLY_CONNECTED, as LiteRT runs it.

    tensorflow/lite/kernels/internal/common.cc (TFLITE_SINGLE_ROUNDING) and ruy's
    ruy/apply_multiplier.cc (the path LiteRT's int8 FULLY_CONNECTED takes) compute
    ``total_shift = 31 - shift; round = 1 << (total_shift - 1);
    result = (int64)x * multiplier + round; result >>= total_shift`` (an arithmetic shift: one
    rounding, half towards +inf) and return it as int32.  This is ``tfl_mbqm_single`` in
    firmware/runtime/include/tfl/kernel.h, which the firmware's reference FULLY_CONNECTED uses;
    its cast wraps a result outside int32, and so does this.
    """
    if not SHIFT_MIN <= shift <= SHIFT_MAX:
        raise ValueError(f"single-rounding shift {shift} outside {SHIFT_MIN}..{SHIFT_MAX}")
    total_shift = 31 - shift
    return wrap_int32((wrap_int32(x) * wrap_int32(multiplier) + (1 << (total_shift - 1))) >> total_shift)


def multiply_by_quantized_multiplier_single_array(
    x: npt.NDArray[np.integer], multiplier: npt.NDArray[np.integer], shift: npt.NDArray[np.integer]
) -> npt.NDArray[np.int64]:
    """Vectorised :func:`multiply_by_quantized_multiplier_single`; int64 results holding int32."""
    x64 = _wrap_int32_array(np.asarray(x, dtype=np.int64))
    m64 = _wrap_int32_array(np.asarray(multiplier, dtype=np.int64))
    s64 = np.asarray(shift, dtype=np.int64)
    if np.any((s64 < SHIFT_MIN) | (s64 > SHIFT_MAX)):
        raise ValueError(f"single-rounding shift outside {SHIFT_MIN}..{SHIFT_MAX}")
    total = 31 - s64
    # |x * m| <= 2**62 and the rounding term is at most 2**61: the sum fits int64.
    return _wrap_int32_array((x64 * m64 + (np.int64(1) << (total - 1))) >> total)


def multiply_by_quantized_multiplier_array(
    x: npt.NDArray[np.integer], multiplier: npt.NDArray[np.integer], shift: npt.NDArray[np.integer]
) -> npt.NDArray[np.int64]:
    """Vectorised MultiplyByQuantizedMultiplier; arguments broadcast, results are int64 holding int32."""
    x64 = np.asarray(x, dtype=np.int64)
    m64 = np.asarray(multiplier, dtype=np.int64)
    s64 = np.asarray(shift, dtype=np.int64)
    left = np.where(s64 > 0, s64, 0)
    right = np.where(s64 < 0, -s64, 0)
    xl = _wrap_int32_array(x64 << left)
    xl, m64 = np.broadcast_arrays(xl, m64)
    # |xl * m| < 2**62, so the product and nudge fit int64.
    ab = xl * m64
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    total = ab + nudge
    high = np.where(total >= 0, total >> 31, -((-total) >> 31))
    high = np.where((xl == INT32_MIN) & (m64 == INT32_MIN), np.int64(INT32_MAX), high)
    mask = (np.int64(1) << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (high < 0).astype(np.int64)
    return (high >> right) + (remainder > threshold).astype(np.int64)


def _wrap_int32_array(x: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def quantize_value(real: float, scale: float, zero_point: int) -> int:
    """TFLite's activation-range quantize: zero_point + round(f / scale), f/scale in float32."""
    q = np.float32(real) / np.float32(scale)
    return zero_point + int(_round_half_away(float(q)))


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8 outputs; activation is NONE, RELU, RELU_N1_TO_1 or RELU6."""
    qmin, qmax = -128, 127
    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize_value(0.0, scale, zero_point)), qmax
    if activation == "RELU6":
        return (
            max(qmin, quantize_value(0.0, scale, zero_point)),
            min(qmax, quantize_value(6.0, scale, zero_point)),
        )
    if activation == "RELU_N1_TO_1":
        return (
            max(qmin, quantize_value(-1.0, scale, zero_point)),
            min(qmax, quantize_value(1.0, scale, zero_point)),
        )
    raise ValueError(f"unsupported fused activation {activation!r}")
