"""Single-op models of the elementwise, padding and slicing ops added for 16x8 models (LEAKY_RELU,
HARD_SWISH, PRELU, STRIDED_SLICE, SLICE, MIRROR_PAD), in the style of :mod:`tandem.tinyml.models.ops`.

Each function returns ``(model_bytes, input_arrays)``; SUB, MAXIMUM/MINIMUM, SQUARED_DIFFERENCE,
int16 ADD/MUL, PAD/PADV2 and QUANTIZE/DEQUANTIZE variants are parameters of the builders in ``ops``
(``binary``'s ``kind`` and ``dtype``, ``pad``'s ``value``, ``quantize``'s ``in_dtype``/``out_dtype``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant, random_ints


def leaky_relu(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant, out: Quant, alpha: float,
               dtype: str = "int8") -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("leaky_relu")
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    y = m.tensor("output", shape, dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("LEAKY_RELU", [x], [y], alpha=alpha)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, dtype)]


def strided_slice_shape(shape: Sequence[int], begin: Sequence[int], end: Sequence[int], strides: Sequence[int],
                        begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0) -> list[int]:
    """Output shape of STRIDED_SLICE (no ellipsis or new axes), by TFLite's index rules."""
    out = []
    for i, size in enumerate(shape):
        st = strides[i]
        b = begin[i] + size if begin[i] < 0 else begin[i]
        b = min(max(b, 0), size) if st > 0 else min(max(b, -1), size - 1)
        if begin_mask >> i & 1:
            b = 0 if st > 0 else size - 1
        if shrink_axis_mask >> i & 1:
            continue
        e = end[i] + size if end[i] < 0 else end[i]
        e = min(max(e, 0), size) if st > 0 else min(max(e, -1), size - 1)
        if end_mask >> i & 1:
            e = size if st > 0 else -1
        out.append(max(0, -(-(e - b) // st)))
    return out


def strided_slice(rng: np.random.Generator, *, shape: Sequence[int], begin: Sequence[int], end: Sequence[int],
                  strides: Sequence[int], begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0,
                  dtype: str = "int8", q: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("strided_slice")
    q = q or Quant(0.05, 0 if dtype == "int16" else 3)
    plain = dtype in ("int32", "float32")
    scale, zp = (None, None) if plain else (q.scale, q.zero_point)
    x = m.tensor("input", shape, dtype, scale=scale, zero_point=zp)
    n = len(shape)
    bt = m.tensor("begin", (n,), "int32", data=np.array(begin, dtype=np.int32))
    et = m.tensor("end", (n,), "int32", data=np.array(end, dtype=np.int32))
    st = m.tensor("strides", (n,), "int32", data=np.array(strides, dtype=np.int32))
    oshape = strided_slice_shape(shape, begin, end, strides, begin_mask, end_mask, shrink_axis_mask)
    y = m.tensor("output", oshape, dtype, scale=scale, zero_point=zp)
    m.op("STRIDED_SLICE", [x, bt, et, st], [y], begin_mask=begin_mask, end_mask=end_mask,
         shrink_axis_mask=shrink_axis_mask)
    m.inputs, m.outputs = [x], [y]
    data = (rng.standard_normal(tuple(shape)).astype(np.float32) if dtype == "float32"
            else random_ints(rng, shape, dtype))
    return m.build(), [data]


def hard_swish(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant, out: Quant
               ) -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("hard_swish")
    x = m.tensor("input", shape, scale=inp.scale, zero_point=inp.zero_point)
    y = m.tensor("output", shape, scale=out.scale, zero_point=out.zero_point)
    m.op("HARD_SWISH", [x], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, "int8")]


def slice_op(rng: np.random.Generator, *, shape: Sequence[int], begin: Sequence[int], size: Sequence[int],
             dtype: str = "int8", index_dtype: str = "int32", q: Quant | None = None
             ) -> tuple[bytes, list[np.ndarray]]:
    """SLICE with constant ``begin`` and ``size`` (-1: to the end) of type ``index_dtype``."""
    m = ModelBuilder("slice")
    q = q or Quant(0.05, 0 if dtype == "int16" else -5)
    plain = dtype in ("int32", "float32")
    scale, zp = (None, None) if plain else (q.scale, q.zero_point)
    x = m.tensor("input", shape, dtype, scale=scale, zero_point=zp)
    n = len(shape)
    bt = m.tensor("begin", (n,), index_dtype, data=np.array(begin))
    st = m.tensor("size", (n,), index_dtype, data=np.array(size))
    oshape = [d - b if s == -1 else s for d, b, s in zip(shape, begin, size, strict=True)]
    y = m.tensor("output", oshape, dtype, scale=scale, zero_point=zp)
    m.op("SLICE", [x, bt, st], [y])
    m.inputs, m.outputs = [x], [y]
    data = (rng.standard_normal(tuple(shape)).astype(np.float32) if dtype == "float32"
            else random_ints(rng, shape, dtype))
    return m.build(), [data]


def prelu(rng: np.random.Generator, *, shape: Sequence[int], alpha_shape: Sequence[int], inp: Quant, alpha: Quant,
          out: Quant, dtype: str = "int8") -> tuple[bytes, list[np.ndarray]]:
    """PRELU with a constant int8 alpha broadcast against the ``dtype`` input."""
    m = ModelBuilder("prelu")
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    a = m.tensor("alpha", alpha_shape, "int8", scale=alpha.scale, zero_point=alpha.zero_point,
                 data=random_ints(rng, alpha_shape, "int8"))
    y = m.tensor("output", shape, dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("PRELU", [x, a], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, dtype)]


def mirror_pad(rng: np.random.Generator, *, shape: Sequence[int], paddings: Sequence[tuple[int, int]],
               mode: str = "REFLECT", dtype: str = "int8", index_dtype: str = "int32",
               q: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("mirror_pad")
    q = q or Quant(0.05, 4)
    scale, zp = (None, None) if dtype == "float32" else (q.scale, q.zero_point)
    x = m.tensor("input", shape, dtype, scale=scale, zero_point=zp)
    p = m.tensor("paddings", (len(shape), 2), index_dtype, data=np.array(paddings))
    oshape = [d + a + b for d, (a, b) in zip(shape, paddings, strict=True)]
    y = m.tensor("output", oshape, dtype, scale=scale, zero_point=zp)
    m.op("MIRROR_PAD", [x, p], [y], mode=mode)
    m.inputs, m.outputs = [x], [y]
    data = (rng.standard_normal(tuple(shape)).astype(np.float32) if dtype == "float32"
            else random_ints(rng, shape, dtype))
    return m.build(), [data]
