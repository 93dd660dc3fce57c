"""Golden int8 DEPTHWISE_CONV_2D and FULLY_CONNECTED: TFLite's reference integer kernels, in numpy.

DEPTHWISE_CONV_2D follows ``reference_integer_ops::DepthwiseConvPerChannel``: NHWC int8 input,
1HWO int8 filter with ``O = C * depth_multiplier`` (output channel ``c * m + k`` reads input channel
``c``), per-channel requantisation. FULLY_CONNECTED follows ``reference_integer_ops::FullyConnected``
(per-tensor multiplier/shift, filter offset 0 for int8 symmetric weights). Both reuse the
accumulate-then-requantise steps of :mod:`tandem.reference.conv2d`, so the conv engine's golden
model (:mod:`tandem.reference.conv_engine`) has one requantisation for all three ops.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tandem.reference.conv2d import ConvGeometry, ConvQuant, requantize, wrap_int32


def depthwise_accumulate(
    inp: npt.NDArray[np.int8], filt: npt.NDArray[np.int8], geom: ConvGeometry, input_offset: int
) -> npt.NDArray[np.int64]:
    """Wrapped int32 accumulators before bias, shape N, OH, OW, C * depth_multiplier."""
    n, in_h, in_w, in_c = inp.shape
    one, kh, kw, out_c = filt.shape
    if one != 1 or out_c % in_c:
        raise ValueError(f"depthwise filter shape {filt.shape} does not fit {in_c} input channels")
    mult = out_c // in_c
    x = np.repeat(inp.astype(np.int64) + input_offset, mult, axis=3)
    w = filt[0].astype(np.int64)
    oh, ow = geom.out_h, geom.out_w
    acc = np.zeros((n, oh, ow, out_c), dtype=np.int64)
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
            acc += patch * w[ky, kx][None, None, None, :]
    return wrap_int32(acc)


def depthwise_conv2d_int8(
    inp: npt.NDArray[np.int8],
    filt: npt.NDArray[np.int8],
    bias: npt.NDArray[np.int32] | None,
    multipliers: npt.NDArray[np.int32],
    shifts: npt.NDArray[np.int32],
    geom: ConvGeometry,
    quant: ConvQuant,
    single_round: bool = False,
) -> npt.NDArray[np.int8]:
    """Per-channel int8 depthwise convolution, bit-exact with TFLite's reference kernel
    (``single_round``: the engine's CONFIG.ROUND = SINGLE requantization)."""
    out_c = filt.shape[3]
    if multipliers.shape != (out_c,) or shifts.shape != (out_c,):
        raise ValueError(f"need {out_c} multipliers and shifts")
    acc = depthwise_accumulate(inp, filt, geom, quant.input_offset)
    return requantize(acc, bias, multipliers, shifts, quant, single_round)


def fully_connected_int8(
    inp: npt.NDArray[np.int8],
    weights: npt.NDArray[np.int8],
    bias: npt.NDArray[np.int32] | None,
    multiplier: int,
    shift: int,
    quant: ConvQuant,
) -> npt.NDArray[np.int8]:
    """int8 FULLY_CONNECTED: input (batches, depth), weights (units, depth), per-tensor scale,
    requantized with one rounding as LiteRT does (quant.multiply_by_quantized_multiplier_single)."""
    if inp.ndim != 2 or weights.ndim != 2 or inp.shape[1] != weights.shape[1]:
        raise ValueError(f"input {inp.shape} and weights {weights.shape} do not match")
    acc = wrap_int32((inp.astype(np.int64) + quant.input_offset) @ weights.astype(np.int64).T)
    units = weights.shape[0]
    mults = np.full(units, multiplier, dtype=np.int32)
    shifts = np.full(units, shift, dtype=np.int32)
    return requantize(acc, bias, mults, shifts, quant, single_round=True)


__all__ = ["depthwise_accumulate", "depthwise_conv2d_int8", "fully_connected_int8", "requantize"]
