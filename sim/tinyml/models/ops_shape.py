"""Single-op models of the data-movement, comparison, logic and cast ops (any tensor type).

Each builder returns ``(model_bytes, input_arrays)`` like :mod:`tandem.tinyml.models.ops`: a
one-operator .tflite model whose non-constant inputs are graph inputs, and random data for them
drawn from the given generator. Output shapes are computed with NumPy's own semantics of the op,
so a builder is also a statement of what the op does.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant

_NP = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64, "float32": np.float32,
       "bool": np.bool_, "uint8": np.uint8}


@dataclass(frozen=True)
class Spec:
    """One tensor of a single-op model: a graph input when ``data`` is None, else a constant."""

    shape: tuple[int, ...]
    dtype: str = "int8"
    quant: Quant | None = None
    data: np.ndarray | None = None


def random_array(rng: np.random.Generator, shape: Sequence[int], dtype: str, int_range: int | None = None
                 ) -> np.ndarray:
    """Random data of ``dtype``: the full integer range (or +-``int_range``), floats in [-10, 10]."""
    shape = tuple(shape)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype == "float32":
        return rng.uniform(-10.0, 10.0, size=shape).astype(np.float32)
    info = np.iinfo(_NP[dtype])
    lo, hi = (int(info.min), int(info.max)) if int_range is None else (-int_range, int_range)
    return rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64).astype(_NP[dtype])


def default_quant(dtype: str) -> Quant | None:
    """Quantization of an activation of ``dtype`` (int8 asymmetric, int16 symmetric)."""
    return {"int8": Quant(0.05, 3), "int16": Quant(0.001, 0)}.get(dtype)


def single_op(rng: np.random.Generator, name: str, ins: Sequence[Spec | None], outs: Sequence[Spec],
              int_range: int | None = None, **options: Any) -> tuple[bytes, list[np.ndarray]]:
    """A model of one ``name`` op; ``None`` in ``ins`` is an absent optional input."""
    m = ModelBuilder(name.lower())
    idx: list[int] = []
    graph_in: list[int] = []
    data: list[np.ndarray] = []
    for k, s in enumerate(ins):
        if s is None:
            idx.append(-1)
            continue
        q = s.quant
        t = m.tensor(f"in{k}", s.shape, s.dtype, scale=None if q is None else q.scale,
                     zero_point=None if q is None else q.zero_point, data=s.data)
        idx.append(t)
        if s.data is None:
            graph_in.append(t)
            data.append(random_array(rng, s.shape, s.dtype, int_range))
    out_idx = [m.tensor(f"out{k}", s.shape, s.dtype, scale=None if s.quant is None else s.quant.scale,
                        zero_point=None if s.quant is None else s.quant.zero_point) for k, s in enumerate(outs)]
    m.op(name, idx, out_idx, **options)
    m.inputs, m.outputs = graph_in, out_idx
    return m.build(), data


def _const(values: Sequence[int] | np.ndarray, dtype: str = "int32") -> Spec:
    arr: np.ndarray = np.asarray(values, dtype=_NP[dtype])
    return Spec(tuple(arr.shape), dtype, None, arr)


def _like(shape: Sequence[int], dtype: str, q: Quant | None) -> Spec:
    return Spec(tuple(shape), dtype, q)


def squeeze(rng: np.random.Generator, *, shape: Sequence[int], dims: Sequence[int] | None, dtype: str = "int8"
            ) -> tuple[bytes, list[np.ndarray]]:
    x = np.zeros(shape)
    out = np.squeeze(x, axis=tuple(dims) if dims else None).shape
    q = default_quant(dtype)
    return single_op(rng, "SQUEEZE", [_like(shape, dtype, q)], [_like(out, dtype, q)],
                     squeeze_dims=list(dims) if dims else None)


def expand_dims(rng: np.random.Generator, *, shape: Sequence[int], axis: int, dtype: str = "int8",
                axis_dtype: str = "int32") -> tuple[bytes, list[np.ndarray]]:
    out = np.expand_dims(np.zeros(shape), axis).shape
    q = default_quant(dtype)
    return single_op(rng, "EXPAND_DIMS", [_like(shape, dtype, q), _const([axis], axis_dtype)], [_like(out, dtype, q)])


def transpose(rng: np.random.Generator, *, shape: Sequence[int], perm: Sequence[int], dtype: str = "int8"
              ) -> tuple[bytes, list[np.ndarray]]:
    out = np.transpose(np.zeros(shape), perm).shape
    q = default_quant(dtype)
    return single_op(rng, "TRANSPOSE", [_like(shape, dtype, q), _const(perm)], [_like(out, dtype, q)])


def split(rng: np.random.Generator, *, shape: Sequence[int], axis: int, num: int, dtype: str = "int8"
          ) -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    out = list(shape)
    out[axis] //= num
    return single_op(rng, "SPLIT", [_const([axis]), _like(shape, dtype, q)], [_like(out, dtype, q)] * num,
                     num_splits=num)


def split_v(rng: np.random.Generator, *, shape: Sequence[int], axis: int, sizes: Sequence[int], dtype: str = "int8"
            ) -> tuple[bytes, list[np.ndarray]]:
    """``sizes`` may hold one -1 (the rest of the axis)."""
    q = default_quant(dtype)
    real = list(sizes)
    if -1 in real:
        real[real.index(-1)] = shape[axis] - (sum(real) + 1)
    outs = []
    for s in real:
        o = list(shape)
        o[axis] = s
        outs.append(_like(o, dtype, q))
    return single_op(rng, "SPLIT_V", [_like(shape, dtype, q), _const(sizes), _const([axis])], outs,
                     num_splits=len(sizes))


def pack(rng: np.random.Generator, *, shape: Sequence[int], count: int, axis: int, dtype: str = "int8"
         ) -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    out = np.stack([np.zeros(shape)] * count, axis=axis).shape
    return single_op(rng, "PACK", [_like(shape, dtype, q)] * count, [_like(out, dtype, q)], values_count=count,
                     axis=axis)


def unpack(rng: np.random.Generator, *, shape: Sequence[int], axis: int, dtype: str = "int8"
           ) -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    out = [d for k, d in enumerate(shape) if k != axis % len(shape)]
    n = shape[axis]
    return single_op(rng, "UNPACK", [_like(shape, dtype, q)], [_like(out, dtype, q)] * n, num=n, axis=axis)


def gather(rng: np.random.Generator, *, shape: Sequence[int], index_shape: Sequence[int], axis: int,
           batch_dims: int = 0, dtype: str = "int8", index_dtype: str = "int32") -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    ax = axis % len(shape)
    idx = rng.integers(0, shape[ax], size=tuple(index_shape))
    bd = batch_dims + len(index_shape) if batch_dims < 0 else batch_dims
    out = list(shape[:ax]) + list(index_shape[bd:]) + list(shape[ax + 1:])
    return single_op(rng, "GATHER", [_like(shape, dtype, q), _const(idx, index_dtype)], [_like(out, dtype, q)],
                     axis=axis, batch_dims=batch_dims)


def gather_nd(rng: np.random.Generator, *, shape: Sequence[int], index_shape: Sequence[int], dtype: str = "int8"
              ) -> tuple[bytes, list[np.ndarray]]:
    """``index_shape``'s last dim is how many leading dims of ``shape`` an index names."""
    q = default_quant(dtype)
    depth = index_shape[-1]
    idx = np.stack([rng.integers(0, shape[k], size=tuple(index_shape[:-1])) for k in range(depth)], axis=-1)
    out = list(index_shape[:-1]) + list(shape[depth:])
    return single_op(rng, "GATHER_ND", [_like(shape, dtype, q), _const(idx.reshape(index_shape))],
                     [_like(out, dtype, q)])


def resize(rng: np.random.Generator, kind: str, *, shape: Sequence[int], size: tuple[int, int],
           align_corners: bool = False, half_pixel_centers: bool = False, dtype: str = "int8"
           ) -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    out = (shape[0], size[0], size[1], shape[3])
    return single_op(rng, kind, [_like(shape, dtype, q), _const(list(size))], [_like(out, dtype, q)],
                     align_corners=align_corners, half_pixel_centers=half_pixel_centers)


def binary(rng: np.random.Generator, kind: str, *, shape1: Sequence[int], shape2: Sequence[int], dtype: str,
           out_dtype: str | None = None, q1: Quant | None = None, q2: Quant | None = None,
           qo: Quant | None = None, int_range: int | None = None) -> tuple[bytes, list[np.ndarray]]:
    """Two broadcast inputs of ``dtype``; the output is ``out_dtype`` (default: ``dtype``)."""
    out = np.broadcast_shapes(tuple(shape1), tuple(shape2))
    return single_op(rng, kind, [_like(shape1, dtype, q1), _like(shape2, dtype, q2)],
                     [_like(out, out_dtype or dtype, qo)], int_range=int_range)


def unary(rng: np.random.Generator, kind: str, *, shape: Sequence[int], dtype: str, out_dtype: str | None = None,
          qi: Quant | None = None, qo: Quant | None = None, **options: Any) -> tuple[bytes, list[np.ndarray]]:
    return single_op(rng, kind, [_like(shape, dtype, qi)], [_like(shape, out_dtype or dtype, qo)], **options)


def shape_op(rng: np.random.Generator, *, shape: Sequence[int], dtype: str = "int8", out_type: str = "int32"
             ) -> tuple[bytes, list[np.ndarray]]:
    return single_op(rng, "SHAPE", [_like(shape, dtype, default_quant(dtype))], [Spec((len(shape),), out_type)],
                     out_type=out_type)


def fill(rng: np.random.Generator, *, dims: Sequence[int], dtype: str, dims_dtype: str = "int32",
         value: Any = None, q: Quant | None = None) -> tuple[bytes, list[np.ndarray]]:
    """FILL with constant dims and the value as a graph input (or a constant ``value``)."""
    val = Spec((), dtype, q) if value is None else Spec((), dtype, q, np.asarray(value, dtype=_NP[dtype]))
    return single_op(rng, "FILL", [_const(dims, dims_dtype), val], [Spec(tuple(dims), dtype, q)])


def space_depth(rng: np.random.Generator, kind: str, *, shape: Sequence[int], block: int, dtype: str = "int8"
                ) -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    b, h, w, c = shape
    out = (b, h * block, w * block, c // (block * block)) if kind == "DEPTH_TO_SPACE" else \
        (b, h // block, w // block, c * block * block)
    return single_op(rng, kind, [_like(shape, dtype, q)], [_like(out, dtype, q)], block_size=block)


def batch_space(rng: np.random.Generator, kind: str, *, shape: Sequence[int], block: Sequence[int],
                pads: Sequence[tuple[int, int]], dtype: str = "int8") -> tuple[bytes, list[np.ndarray]]:
    """SPACE_TO_BATCH_ND (``pads`` = paddings) or BATCH_TO_SPACE_ND (``pads`` = crops)."""
    q = default_quant(dtype)
    nb = int(np.prod(block))
    sp = list(shape[1:1 + len(block)])
    if kind == "SPACE_TO_BATCH_ND":
        out = [shape[0] * nb] + [(d + a + c) // k for d, (a, c), k in zip(sp, pads, block, strict=True)]
    else:
        out = [shape[0] // nb] + [d * k - a - c for d, (a, c), k in zip(sp, pads, block, strict=True)]
    out += list(shape[1 + len(block):])
    return single_op(rng, kind, [_like(shape, dtype, q), _const(block), _const(np.array(pads).reshape(-1, 2))],
                     [_like(out, dtype, q)])


def select_v2(rng: np.random.Generator, *, cond: Sequence[int], shape1: Sequence[int], shape2: Sequence[int],
              dtype: str = "int8") -> tuple[bytes, list[np.ndarray]]:
    q = default_quant(dtype)
    out = np.broadcast_shapes(tuple(cond), tuple(shape1), tuple(shape2))
    return single_op(rng, "SELECT_V2", [_like(cond, "bool", None), _like(shape1, dtype, q), _like(shape2, dtype, q)],
                     [_like(out, dtype, q)])


def custom(rng: np.random.Generator, *, name: str, shape: Sequence[int] = (1, 4)) -> tuple[bytes, list[np.ndarray]]:
    """A CUSTOM op with custom code ``name`` (nobody implements it)."""
    return single_op(rng, "CUSTOM", [_like(shape, "int8", default_quant("int8"))],
                     [_like(shape, "int8", default_quant("int8"))], custom_code=name)
