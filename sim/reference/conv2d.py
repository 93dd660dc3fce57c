"""Golden int8 CONV_2D: TFLite's reference per-channel integer convolution, in numpy.

Semantics follow ``reference_integer_ops::ConvPerChannel``: NHWC int8 input, OHWI int8 filter
(symmetric, zero point 0), optional int32 bias, int32 accumulation of
``filter * (input + input_offset)`` where taps falling outside the input are skipped (so padding
contributes zero after the offset), then per-channel MultiplyByQuantizedMultiplier, output
offset and activation clamp.  Padding is given as pad_top/pad_left plus the output size, exactly
as the reference kernel receives it; :func:`compute_padding` derives them from SAME/VALID.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tandem.reference.quant import (
    multiply_by_quantized_multiplier_array,
    multiply_by_quantized_multiplier_single_array,
)


@dataclass(frozen=True)
class ConvGeometry:
    """Spatial configuration of one convolution (what the reference kernel's params carry)."""

    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    pad_top: int = 0
    pad_left: int = 0
    out_h: int = 0
    out_w: int = 0


@dataclass(frozen=True)
class ConvQuant:
    """Quantization parameters: offsets and activation range (per-channel arrays passed apart)."""

    input_offset: int  # -input_zero_point
    output_offset: int  # output_zero_point
    act_min: int = -128
    act_max: int = 127


def effective_kernel(k: int, dilation: int) -> int:
    return (k - 1) * dilation + 1


def compute_padding(
    padding: str, in_size: int, k: int, stride: int, dilation: int = 1
) -> tuple[int, int, int]:
    """TFLite ComputePaddingHeightWidth for one axis: (out_size, pad_before, pad_after)."""
    ek = effective_kernel(k, dilation)
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    elif padding == "VALID":
        out = (in_size + stride - ek) // stride
    else:
        raise ValueError(f"padding must be SAME or VALID, not {padding!r}")
    total = max((out - 1) * stride + ek - in_size, 0)
    return out, total // 2, total - total // 2


def conv2d_accumulate(
    inp: npt.NDArray[np.int8],
    filt: npt.NDArray[np.int8],
    geom: ConvGeometry,
    input_offset: int,
) -> npt.NDArray[np.int64]:
    """The int32 accumulators (as int64, wrapped to int32) before bias: shape N, OH, OW, OC."""
    n, in_h, in_w, in_c = inp.shape
    out_c, kh, kw, f_c = filt.shape
    if f_c != in_c:
        raise ValueError(f"filter has {f_c} input channels, input has {in_c}")
    oh, ow = geom.out_h, geom.out_w
    acc = np.zeros((n, oh, ow, out_c), dtype=np.int64)
    x = inp.astype(np.int64) + input_offset
    w = filt.astype(np.int64)
    oy = np.arange(oh) * geom.stride_h - geom.pad_top
    ox = np.arange(ow) * geom.stride_w - geom.pad_left
    for ky in range(kh):
        iy = oy + ky * geom.dilation_h
        vy = (iy >= 0) & (iy < in_h)
        for kx in range(kw):
            ix = ox + kx * geom.dilation_w
            vx = (ix >= 0) & (ix < in_w)
            patch = x[:, np.clip(iy, 0, in_h - 1)][:, :, np.clip(ix, 0, in_w - 1)]
            patch = patch * (vy[None, :, None, None] & vx[None, None, :, None])
            acc += np.einsum("nhwc,oc->nhwo", patch, w[:, ky, kx, :])
    # C accumulates in int32; wrap the same way a real int32 would.
    return wrap_int32(acc)


def wrap_int32(acc: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return ((acc + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def requantize(
    acc: npt.NDArray[np.int64],
    bias: npt.NDArray[np.int32] | None,
    multipliers: npt.NDArray[np.int32],
    shifts: npt.NDArray[np.int32],
    quant: ConvQuant,
    single_round: bool = False,
) -> npt.NDArray[np.int8]:
    """Bias, per-channel MultiplyByQuantizedMultiplier, output offset, clamp (last axis = channel).

    ``single_round`` takes FULLY_CONNECTED's one-rounding rescale
    (:func:`~tandem.reference.quant.multiply_by_quantized_multiplier_single_array`) instead of
    the conv's two roundings. The int32 rescaled value plus the output offset wraps as the
    kernels' int32 addition does in practice (and the engine's adder), before the clamp.
    """
    if bias is not None:
        acc = wrap_int32(acc + np.asarray(bias, dtype=np.int64))
    if single_round:
        scaled = multiply_by_quantized_multiplier_single_array(acc, multipliers, shifts)
    else:
        scaled = multiply_by_quantized_multiplier_array(acc, multipliers, shifts)
    out = wrap_int32(scaled + quant.output_offset)
    return np.clip(out, quant.act_min, quant.act_max).astype(np.int8)


def conv2d_int8(
    inp: npt.NDArray[np.int8],
    filt: npt.NDArray[np.int8],
    bias: npt.NDArray[np.int32] | None,
    multipliers: npt.NDArray[np.int32],
    shifts: npt.NDArray[np.int32],
    geom: ConvGeometry,
    quant: ConvQuant,
    single_round: bool = False,
) -> npt.NDArray[np.int8]:
    """Per-channel int8 convolution, bit-exact with TFLite's reference kernel (with
    ``single_round``, FULLY_CONNECTED's requantization: the engine's CONFIG.ROUND = SINGLE)."""
    out_c = filt.shape[0]
    if multipliers.shape != (out_c,) or shifts.shape != (out_c,):
        raise ValueError(f"need {out_c} multipliers and shifts")
    acc = conv2d_accumulate(inp, filt, geom, quant.input_offset)
    return requantize(acc, bias, multipliers, shifts, quant, single_round)
