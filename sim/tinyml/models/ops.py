"""Single-op int8 (and 16x8) models with chosen shapes and quantization parameters.

Each function returns ``(model_bytes, input_arrays)``: a one-operator .tflite model and a
random input for it, drawn deterministically from the given generator.  Used by the
property tests that compare the C runtime with LiteRT's reference kernels.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem.tinyml.models.builder import ModelBuilder


@dataclass(frozen=True)
class Quant:
    """Per-tensor affine quantization of an activation."""

    scale: float
    zero_point: int


def _out_size(padding: str, size: int, k: int, stride: int, dilation: int = 1) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size + stride - eff) // stride


def _int8(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    return rng.integers(-128, 128, size=tuple(shape)).astype(np.int8)


def random_ints(rng: np.random.Generator, shape: Sequence[int], dtype: str = "int8") -> np.ndarray:
    """Uniform random values over the whole range of an int8, int16 or int32 tensor."""
    info = np.iinfo(dtype)
    return rng.integers(int(info.min), int(info.max) + 1, size=tuple(shape)).astype(dtype)



def _weights(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    return rng.integers(-127, 128, size=tuple(shape)).astype(np.int8)


def _activations(rng: np.random.Generator, shape: Sequence[int], dtype: str) -> np.ndarray:
    if dtype == "int16":
        return rng.integers(-32768, 32768, size=tuple(shape)).astype(np.int16)
    return _int8(rng, shape)


def _bias_dtype(dtype: str, bias_dtype: str | None) -> str:
    """int8 activations take int32 biases; 16x8 ones int64 unless told otherwise."""
    return bias_dtype or ("int64" if dtype == "int16" else "int32")


def _bias_values(rng: np.random.Generator, n: int, bias_dtype: str) -> np.ndarray:
    span = {"int16": 3000, "int32": 5000}.get(bias_dtype, 1 << 20)
    return rng.integers(-span, span, n)


def conv2d(rng: np.random.Generator, *, h: int, w: int, cin: int, cout: int, kh: int, kw: int,
           stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1), padding: str = "SAME",
           activation: str = "NONE", per_channel: bool = True, inp: Quant = Quant(0.05, 0),
           out: Quant = Quant(0.1, 0), batch: int = 1, bias: bool = True, dtype: str = "int8",
           bias_dtype: str | None = None, bias_quantized_dimension: int = 0) -> tuple[bytes, list[np.ndarray]]:
    """``dtype`` "int16" makes a 16x8 model (give zero points 0); the bias is int32 for int8 and
    int64 for int16 unless ``bias_dtype`` says otherwise.  ``bias_quantized_dimension`` is
    written as it is (TFLite's converter writes 3 on some biases)."""
    m = ModelBuilder("conv2d")
    bdt = _bias_dtype(dtype, bias_dtype)
    wscale = list(rng.uniform(0.001, 0.05, cout)) if per_channel else [float(rng.uniform(0.001, 0.05))]
    oh = _out_size(padding, h, kh, stride[0], dilation[0])
    ow = _out_size(padding, w, kw, stride[1], dilation[1])
    x = m.tensor("input", (batch, h, w, cin), dtype, scale=inp.scale, zero_point=inp.zero_point)
    f = m.tensor("filter", (cout, kh, kw, cin), scale=wscale, zero_point=0,
                 data=_weights(rng, (cout, kh, kw, cin)), quantized_dimension=0)
    ins = [x, f]
    if bias:
        ins.append(m.tensor("bias", (cout,), bdt, scale=[inp.scale * s for s in wscale], zero_point=0,
                            data=_bias_values(rng, cout, bdt), quantized_dimension=bias_quantized_dimension))
    y = m.tensor("output", (batch, oh, ow, cout), dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("CONV_2D", ins, [y], padding=padding, stride_h=stride[0], stride_w=stride[1],
         dilation_h=dilation[0], dilation_w=dilation[1], activation=activation)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_activations(rng, (batch, h, w, cin), dtype)]


def depthwise_conv2d(rng: np.random.Generator, *, h: int, w: int, cin: int, depth_multiplier: int, kh: int,
                     kw: int, stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
                     padding: str = "SAME", activation: str = "NONE", per_channel: bool = True,
                     inp: Quant = Quant(0.05, 0), out: Quant = Quant(0.1, 0), dtype: str = "int8",
                     bias: bool = True, bias_dtype: str | None = None, bias_quantized_dimension: int = 0,
                     batch: int = 1) -> tuple[bytes, list[np.ndarray]]:
    """As :func:`conv2d` for ``dtype``, ``bias_dtype`` and ``bias_quantized_dimension``."""
    m = ModelBuilder("depthwise_conv2d")
    bdt = _bias_dtype(dtype, bias_dtype)
    cout = cin * depth_multiplier
    wscale = list(rng.uniform(0.001, 0.05, cout)) if per_channel else [float(rng.uniform(0.001, 0.05))]
    oh = _out_size(padding, h, kh, stride[0], dilation[0])
    ow = _out_size(padding, w, kw, stride[1], dilation[1])
    x = m.tensor("input", (batch, h, w, cin), dtype, scale=inp.scale, zero_point=inp.zero_point)
    f = m.tensor("filter", (1, kh, kw, cout), scale=wscale, zero_point=0, data=_weights(rng, (1, kh, kw, cout)),
                 quantized_dimension=3)
    ins = [x, f]
    if bias:
        ins.append(m.tensor("bias", (cout,), bdt, scale=[inp.scale * s for s in wscale], zero_point=0,
                            data=_bias_values(rng, cout, bdt), quantized_dimension=bias_quantized_dimension))
    y = m.tensor("output", (batch, oh, ow, cout), dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("DEPTHWISE_CONV_2D", ins, [y], padding=padding, stride_h=stride[0], stride_w=stride[1],
         dilation_h=dilation[0], dilation_w=dilation[1], depth_multiplier=depth_multiplier, activation=activation)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_activations(rng, (batch, h, w, cin), dtype)]


def fully_connected(rng: np.random.Generator, *, batch: int, depth: int, units: int, activation: str = "NONE",
                    inp: Quant = Quant(0.05, 0), out: Quant = Quant(0.1, 0), bias: bool = True,
                    per_channel: bool = False, dtype: str = "int8", bias_dtype: str | None = None,
                    bias_quantized_dimension: int = 0) -> tuple[bytes, list[np.ndarray]]:
    """As :func:`conv2d` for ``dtype``, ``bias_dtype`` and ``bias_quantized_dimension``."""
    m = ModelBuilder("fully_connected")
    bdt = _bias_dtype(dtype, bias_dtype)
    ws = [float(s) for s in rng.uniform(0.001, 0.05, units if per_channel else 1)]
    x = m.tensor("input", (batch, depth), dtype, scale=inp.scale, zero_point=inp.zero_point)
    f = m.tensor("weights", (units, depth), scale=ws, zero_point=0, data=_weights(rng, (units, depth)))
    ins = [x, f]
    if bias:
        bias_scale = [float(np.float32(inp.scale) * np.float32(s)) for s in ws]
        ins.append(m.tensor("bias", (units,), bdt, scale=bias_scale, zero_point=0,
                            data=_bias_values(rng, units, bdt), quantized_dimension=bias_quantized_dimension))
    y = m.tensor("output", (batch, units), dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("FULLY_CONNECTED", ins, [y], activation=activation)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_activations(rng, (batch, depth), dtype)]


def pool2d(rng: np.random.Generator, kind: str, *, h: int, w: int, c: int, fh: int, fw: int,
           stride: tuple[int, int] = (1, 1), padding: str = "VALID", activation: str = "NONE",
           q: Quant = Quant(0.05, 0), dtype: str = "int8", batch: int = 1) -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder(kind.lower())
    oh = _out_size(padding, h, fh, stride[0])
    ow = _out_size(padding, w, fw, stride[1])
    x = m.tensor("input", (batch, h, w, c), dtype, scale=q.scale, zero_point=q.zero_point)
    y = m.tensor("output", (batch, oh, ow, c), dtype, scale=q.scale, zero_point=q.zero_point)
    m.op(kind, [x], [y], padding=padding, stride_h=stride[0], stride_w=stride[1], filter_h=fh, filter_w=fw,
         activation=activation)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, (batch, h, w, c), dtype)]


def binary(rng: np.random.Generator, kind: str, *, shape1: Sequence[int], shape2: Sequence[int],
           out_shape: Sequence[int], q1: Quant, q2: Quant, qo: Quant,
           activation: str = "NONE", dtype: str = "int8",
           pot_scale_int16: bool | None = None) -> tuple[bytes, list[np.ndarray]]:
    """ADD, SUB, MUL, ... of two int8 or int16 inputs; ``pot_scale_int16`` is written to the
    ADD/SUB options when given (the schema's default is true)."""
    m = ModelBuilder(kind.lower())
    a = m.tensor("a", shape1, dtype, scale=q1.scale, zero_point=q1.zero_point)
    b = m.tensor("b", shape2, dtype, scale=q2.scale, zero_point=q2.zero_point)
    y = m.tensor("output", out_shape, dtype, scale=qo.scale, zero_point=qo.zero_point)
    opts: dict[str, Any] = {"activation": activation}
    if pot_scale_int16 is not None:
        opts["pot_scale_int16"] = pot_scale_int16
    m.op(kind, [a, b], [y], **opts)
    m.inputs, m.outputs = [a, b], [y]
    return m.build(), [random_ints(rng, shape1, dtype), random_ints(rng, shape2, dtype)]


# Output quantization TFLite requires of SOFTMAX per (input, output) type.
SOFTMAX_OUT: dict[tuple[str, str], Quant] = {
    ("int8", "int8"): Quant(1.0 / 256, -128),
    ("int8", "int16"): Quant(1.0 / 65536, -32768),
    ("int16", "int16"): Quant(1.0 / 32768, 0),
}


def softmax(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant, beta: float = 1.0,
            dtype: str = "int8", out_dtype: str | None = None, out: Quant | None = None
            ) -> tuple[bytes, list[np.ndarray]]:
    """int8 -> int8 by default; ``dtype``/``out_dtype`` int8 -> int16 or int16 -> int16."""
    m = ModelBuilder("softmax")
    odt = out_dtype or dtype
    oq = out or SOFTMAX_OUT[(dtype, odt)]
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    y = m.tensor("output", shape, odt, scale=oq.scale, zero_point=oq.zero_point)
    m.op("SOFTMAX", [x], [y], beta=beta)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, dtype)]


def reshape(rng: np.random.Generator, *, shape: Sequence[int], new_shape: Sequence[int],
            q: Quant = Quant(0.05, 3)) -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("reshape")
    x = m.tensor("input", shape, scale=q.scale, zero_point=q.zero_point)
    s = m.tensor("shape", (len(new_shape),), "int32", data=np.array(new_shape))
    y = m.tensor("output", new_shape, scale=q.scale, zero_point=q.zero_point)
    m.op("RESHAPE", [x, s], [y], new_shape=list(new_shape))
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_int8(rng, shape)]


def mean(rng: np.random.Generator, *, shape: Sequence[int], axes: Sequence[int], keep_dims: bool, inp: Quant,
         out: Quant, dtype: str = "int8", kind: str = "MEAN") -> tuple[bytes, list[np.ndarray]]:
    """MEAN (or another reducer named by ``kind``: SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD)."""
    m = ModelBuilder(kind.lower())
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    ax = m.tensor("axis", (len(axes),), "int32", data=np.array(axes))
    red = {a % len(shape) for a in axes}
    oshape = [1 if i in red else d for i, d in enumerate(shape)] if keep_dims else \
        [d for i, d in enumerate(shape) if i not in red]
    y = m.tensor("output", oshape, dtype, scale=out.scale, zero_point=out.zero_point)
    m.op(kind, [x, ax], [y], keep_dims=keep_dims)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, dtype)]


def pad(rng: np.random.Generator, *, shape: Sequence[int], paddings: Sequence[tuple[int, int]],
        q: Quant = Quant(0.05, 7), dtype: str = "int8", value: int | None = None,
        value_input: bool = False) -> tuple[bytes, list[np.ndarray]]:
    """PAD; PADV2 when ``value`` is given (a constant pad value, or a graph input when
    ``value_input``)."""
    m = ModelBuilder("pad")
    x = m.tensor("input", shape, dtype, scale=q.scale, zero_point=q.zero_point)
    p = m.tensor("paddings", (len(shape), 2), "int32", data=np.array(paddings, dtype=np.int32))
    oshape = [d + a + b for d, (a, b) in zip(shape, paddings, strict=True)]
    y = m.tensor("output", oshape, dtype, scale=q.scale, zero_point=q.zero_point)
    inputs = [random_ints(rng, shape, dtype)]
    if value is None:
        m.op("PAD", [x, p], [y])
        m.inputs = [x]
    else:
        v = np.array([value], dtype=dtype)
        c = m.tensor("constant_values", (1,), dtype, scale=q.scale, zero_point=q.zero_point,
                     data=None if value_input else v)
        m.op("PADV2", [x, p, c], [y])
        m.inputs = [x, c] if value_input else [x]
        if value_input:
            inputs.append(v)
    m.outputs = [y]
    return m.build(), inputs


def concatenation(rng: np.random.Generator, *, shapes: Sequence[Sequence[int]], axis: int,
                  q: Quant = Quant(0.05, -2)) -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("concatenation")
    ins = [m.tensor(f"in{i}", s, scale=q.scale, zero_point=q.zero_point) for i, s in enumerate(shapes)]
    ax = axis % len(shapes[0])
    oshape = list(shapes[0])
    oshape[ax] = sum(s[ax] for s in shapes)
    y = m.tensor("output", oshape, scale=q.scale, zero_point=q.zero_point)
    m.op("CONCATENATION", ins, [y], axis=axis)
    m.inputs, m.outputs = ins, [y]
    return m.build(), [_int8(rng, s) for s in shapes]


def quantize(rng: np.random.Generator, *, shape: Sequence[int], out: Quant, inp: Quant | None = None,
             float_range: float = 10.0, in_dtype: str = "int8", out_dtype: str = "int8",
             int_range: int | None = None) -> tuple[bytes, list[np.ndarray]]:
    """float32 -> ``out_dtype`` when ``inp`` is None, else ``in_dtype`` -> ``out_dtype``
    requantization (int8, int16, int32); ``int_range`` bounds int32 inputs' magnitude."""
    m = ModelBuilder("quantize")
    if inp is None:
        x = m.tensor("input", shape, "float32")
        data = rng.uniform(-float_range, float_range, tuple(shape)).astype(np.float32)
    else:
        x = m.tensor("input", shape, in_dtype, scale=inp.scale, zero_point=inp.zero_point)
        if int_range is None:
            data = _int8(rng, shape) if in_dtype == "int8" else random_ints(rng, shape, in_dtype)
        else:
            data = rng.integers(-int_range, int_range + 1, size=tuple(shape)).astype(in_dtype)
    y = m.tensor("output", shape, out_dtype, scale=out.scale, zero_point=out.zero_point)
    m.op("QUANTIZE", [x], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [data]


def dequantize(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant,
               dtype: str = "int8") -> tuple[bytes, list[np.ndarray]]:
    m = ModelBuilder("dequantize")
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    y = m.tensor("output", shape, "float32")
    m.op("DEQUANTIZE", [x], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_int8(rng, shape) if dtype == "int8" else random_ints(rng, shape, dtype)]


def logistic(rng: np.random.Generator, *, shape: Sequence[int], inp: Quant, dtype: str = "int8",
             out: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    """int8 (output 1/256, zero point -128) or int16 (output 1/32768, zero point 0)."""
    m = ModelBuilder("logistic")
    oq = out or (Quant(1.0 / 32768, 0) if dtype == "int16" else Quant(1.0 / 256, -128))
    x = m.tensor("input", shape, dtype, scale=inp.scale, zero_point=inp.zero_point)
    y = m.tensor("output", shape, dtype, scale=oq.scale, zero_point=oq.zero_point)
    m.op("LOGISTIC", [x], [y])
    m.inputs, m.outputs = [x], [y]
    return m.build(), [random_ints(rng, shape, dtype)]


def svdf(rng: np.random.Generator, *, batch: int, input_size: int, units: int, rank: int, memory: int,
         inp: Quant, out: Quant, state_scale: float, bias: bool = True, time_dtype: str = "int16",
         state_zero_point: int = 0, activation: str = "RELU", state_buffer: bool = False,
         time_scale: float | None = None) -> tuple[bytes, list[np.ndarray]]:
    """Integer SVDF: int8 feature weights; time weights and state (variable tensor) int16, or
    int8 with a state zero point (``time_dtype="int8"``).  ``state_buffer`` gives the state a
    zero-filled buffer in the model, as some converters write it; ``activation`` is the fused
    activation written in the options (LiteRT requires RELU, TFLM ignores it)."""
    m = ModelBuilder("svdf")
    filters = units * rank
    fs = float(rng.uniform(0.002, 0.02))
    ts = float(rng.uniform(1e-5, 1e-3)) if time_scale is None else time_scale
    lim = 32767 if time_dtype == "int16" else 127
    x = m.tensor("input", (batch, input_size), scale=inp.scale, zero_point=inp.zero_point)
    wf = m.tensor("weights_feature", (filters, input_size), scale=fs, data=_weights(rng, (filters, input_size)))
    wt = m.tensor("weights_time", (filters, memory), time_dtype, scale=ts,
                  data=rng.integers(-lim, lim + 1, (filters, memory)))
    ins = [x, wf, wt]
    if bias:
        ins.append(m.tensor("bias", (units,), "int32", scale=state_scale * ts, data=rng.integers(-20000, 20000, units)))
    else:
        ins.append(-1)
    shape = (batch, filters * memory)
    st_ = m.tensor("state", shape, time_dtype, scale=state_scale, zero_point=state_zero_point, is_variable=True,
                   data=np.zeros(shape) if state_buffer else None)
    ins.append(st_)
    y = m.tensor("output", (batch, units), scale=out.scale, zero_point=out.zero_point)
    m.op("SVDF", ins, [y], rank=rank, activation=activation)
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_int8(rng, (batch, input_size))]


def expand_contract(rng: np.random.Generator, size: int = 32, channels: int = 16) -> tuple[bytes, list[np.ndarray]]:
    """size x size x 1 -> 1x1 CONV_2D to ``channels`` -> 1x1 CONV_2D back to 1: small input and
    output, but the middle tensor lives beside the input while the first conv runs (32x32x16:
    a 17 KiB arena), for tests of a board's RAM limits."""
    m = ModelBuilder("expand_contract")
    x = m.tensor("x", (1, size, size, 1), scale=0.05, zero_point=0)
    mid = m.tensor("mid", (1, size, size, channels), scale=0.1, zero_point=0)
    y = m.tensor("y", (1, size, size, 1), scale=0.1, zero_point=0)
    for src, dst, cin, cout, in_scale in ((x, mid, 1, channels, 0.05), (mid, y, channels, 1, 0.1)):
        w = m.tensor(f"w{cout}", (cout, 1, 1, cin), scale=0.01, zero_point=0, data=_weights(rng, (cout, 1, 1, cin)))
        b = m.tensor(f"b{cout}", (cout,), "int32", scale=in_scale * 0.01, zero_point=0, data=np.zeros(cout))
        m.op("CONV_2D", [src, w, b], [dst], padding="VALID")
    m.inputs, m.outputs = [x], [y]
    return m.build(), [_int8(rng, (1, size, size, 1))]

