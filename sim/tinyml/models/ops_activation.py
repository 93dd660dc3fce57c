"""Single-op models of activations and arg reductions in int8 / int16 (issue 12).

RELU, RELU6, RELU_N1_TO_1, TANH, LOG_SOFTMAX, L2_NORMALIZATION, ARG_MAX and ARG_MIN.  Like
:mod:`tandem.tinyml.models.ops`, each function returns ``(model_bytes, input_arrays)`` with inputs
drawn from ``rng``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant, random_ints


def unary(rng: np.random.Generator, kind: str, *, shape: Sequence[int], inp: Quant, out: Quant,
          dtype: str = "int8") -> tuple[bytes, list[np.ndarray]]:
    """One input, one output of the same type and shape (RELU, RELU6, RELU_N1_TO_1, TANH, ...)."""
    m = ModelBuilder(kind.lower())
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    y = m.tensor("output", shape, dtype, scale=out.scale, zero_point=out.zero_point)
    m.op(kind, [x], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, dtype)]


def tanh(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant, dtype: str = "int8",
         out: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    """TANH with the output quantization TFLite requires (int8: 1/128, 0; int16: 1/32768, 0)."""
    oq = out or (Quant(1.0 / 32768, 0) if dtype == "int16" else Quant(1.0 / 128, 0))
    return unary(rng, "TANH", shape=shape, inp=inp, out=oq, dtype=dtype)


def log_softmax(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant,
                out: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    """int8 LOG_SOFTMAX; TFLite requires the output quantization 16/256, zero point 127."""
    return unary(rng, "LOG_SOFTMAX", shape=shape, inp=inp, out=out or Quant(16.0 / 256, 127))


def l2_normalization(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant,
                     out: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    """int8 L2_NORMALIZATION along the last axis; TFLite requires the output 1/128, zero point 0."""
    return unary(rng, "L2_NORMALIZATION", shape=shape, inp=inp, out=out or Quant(1.0 / 128, 0))


def arg_reduce(rng: np.random.Generator, kind: str, *, shape: Sequence[int], axis: int, dtype: str = "int8",
               output_type: str = "int32", axis_dtype: str = "int32",
               q: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    """ARG_MAX / ARG_MIN over one constant axis; int8/int16 (quantized) or int32 input."""
    q = q or Quant(0.05, 0)
    m = ModelBuilder(kind.lower())
    quantized = dtype != "int32"
    x = m.tensor("input", shape, dtype, scale=q.scale if quantized else None,
                 zero_point=q.zero_point if quantized else None)
    ax = m.tensor("axis", (1,), axis_dtype, data=np.array([axis]))
    a = axis % len(shape)
    y = m.tensor("output", [d for i, d in enumerate(shape) if i != a], output_type)
    m.op(kind, [x, ax], [y], output_type=output_type)
    m.inputs, m.outputs = [x], [y]
    if dtype == "int32":
        # a narrow range makes ties (first index wins) common
        data = rng.integers(-4, 5, size=tuple(shape)).astype(np.int32)
    else:
        data = random_ints(rng, shape, dtype)
    return m.build(), [data]
