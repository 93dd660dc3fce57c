"""Single-op TRANSPOSE_CONV and BATCH_MATMUL models, int8 and 16x8, for the property tests.

Each function returns ``(model_bytes, input_arrays)`` like :mod:`tandem.tinyml.models.ops`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tandem.errors import ModelError
from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant, _activations, _bias_dtype, _bias_values, _weights

# default quantizations (Quant is frozen)
_IN = Quant(0.05, 0)
_OUT = Quant(0.1, 0)
_BMM_OUT = Quant(0.5, 0)


def transpose_conv_out_size(padding: str, size: int, k: int, stride: int) -> int:
    """TFLite's output size of a transposed convolution (the inverse of conv's rule)."""
    return size * stride if padding == "SAME" else (size - 1) * stride + k


def transpose_conv(rng: np.random.Generator, *, h: int, w: int, cin: int, cout: int, kh: int, kw: int,
                   stride: tuple[int, int] = (1, 1), padding: str = "SAME", activation: str = "NONE",
                   per_channel: bool = True, inp: Quant = _IN, out: Quant = _OUT,
                   batch: int = 1, bias: bool = True, dtype: str = "int8", bias_dtype: str | None = None,
                   bias_quantized_dimension: int = 0, shape_as_input: bool = False
                   ) -> tuple[bytes, list[np.ndarray]]:
    """TRANSPOSE_CONV: inputs output_shape (int32 constant, or a graph input when
    ``shape_as_input``, as in TFLM's seanet models), weights [cout, kh, kw, cin], input, bias."""
    m = ModelBuilder("transpose_conv")
    bdt = _bias_dtype(dtype, bias_dtype)
    wscale = list(rng.uniform(0.001, 0.05, cout)) if per_channel else [float(rng.uniform(0.001, 0.05))]
    oh = transpose_conv_out_size(padding, h, kh, stride[0])
    ow = transpose_conv_out_size(padding, w, kw, stride[1])
    oshape = np.array([batch, oh, ow, cout], dtype=np.int32)
    s = m.tensor("output_shape", (4,), "int32", data=None if shape_as_input else oshape)
    f = m.tensor("weights", (cout, kh, kw, cin), scale=wscale, zero_point=0, data=_weights(rng, (cout, kh, kw, cin)),
                 quantized_dimension=0)
    x = m.tensor("input", (batch, h, w, cin), dtype, scale=inp.scale, zero_point=inp.zero_point)
    ins = [s, f, x]
    if bias:
        ins.append(m.tensor("bias", (cout,), bdt, scale=[inp.scale * v for v in wscale], zero_point=0,
                            data=_bias_values(rng, cout, bdt), quantized_dimension=bias_quantized_dimension))
    y = m.tensor("output", tuple(int(v) for v in oshape), dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("TRANSPOSE_CONV", ins, [y], padding=padding, stride_h=stride[0], stride_w=stride[1], activation=activation)
    m.inputs, m.outputs = ([s, x] if shape_as_input else [x]), [y]
    data = _activations(rng, (batch, h, w, cin), dtype)
    return m.build(), ([oshape, data] if shape_as_input else [data])


def batch_matmul_shape(lhs: Sequence[int], rhs: Sequence[int], adj_x: bool, adj_y: bool) -> tuple[int, ...]:
    """Output shape: broadcast batch dimensions, then [rows of lhs, columns of rhs]."""
    rank = max(len(lhs), len(rhs))
    lx = [1] * (rank - len(lhs)) + list(lhs)
    rx = [1] * (rank - len(rhs)) + list(rhs)
    batch = []
    for a, b in zip(lx[:-2], rx[:-2], strict=True):
        if a != b and 1 not in (a, b):
            raise ModelError(f"batch dimensions {a} and {b} do not broadcast")
        batch.append(max(a, b))
    rows = lx[-1] if adj_x else lx[-2]
    cols = rx[-2] if adj_y else rx[-1]
    return (*batch, rows, cols)


def batch_matmul(rng: np.random.Generator, *, lhs_shape: Sequence[int], rhs_shape: Sequence[int],
                 adj_x: bool = False, adj_y: bool = False, lhs_q: Quant = _IN,
                 rhs_q: Quant = _IN, out_q: Quant = _BMM_OUT, dtype: str = "int8",
                 rhs_const: bool = False) -> tuple[bytes, list[np.ndarray]]:
    """BATCH_MATMUL of two quantized operands (the rhs a constant when ``rhs_const``)."""
    m = ModelBuilder("batch_matmul")
    oshape = batch_matmul_shape(lhs_shape, rhs_shape, adj_x, adj_y)
    a = m.tensor("lhs", lhs_shape, dtype, scale=lhs_q.scale, zero_point=lhs_q.zero_point)
    rhs_data = _activations(rng, rhs_shape, dtype)
    b = m.tensor("rhs", rhs_shape, dtype, scale=rhs_q.scale, zero_point=rhs_q.zero_point,
                 data=rhs_data if rhs_const else None)
    y = m.tensor("output", oshape, dtype, scale=out_q.scale, zero_point=out_q.zero_point)
    m.op("BATCH_MATMUL", [a, b], [y], adj_x=adj_x, adj_y=adj_y)
    m.inputs, m.outputs = ([a] if rhs_const else [a, b]), [y]
    lhs_data = _activations(rng, lhs_shape, dtype)
    return m.build(), ([lhs_data] if rhs_const else [lhs_data, rhs_data])
