"""Single-op recurrent models: UNIDIRECTIONAL_SEQUENCE_LSTM, integer, as the converter writes it.

``lstm()`` builds the standard LSTM TFLM runs (no CIFG, peephole, projection or layer norm):
int8 activations with int32 biases (8x8->16) or int16 activations with int64 biases (16x8),
int8 weights, an int16 cell state and the output state as variable tensors, and the five
intermediates the converter adds (empty tensors; LiteRT reads the last one's scale, TFLM none).
``variant`` adds one of the optional tensor groups TFLM refuses, for the error tests.
``lstm_layer()`` cuts the LSTM out of a converted model (the MNIST example) as its own model.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tflite

from tandem.errors import ModelError
from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant

# LSTM operand positions (TFLite's order)
PEEPHOLE = (9, 10, 11)
PROJECTION = (16, 17)
LAYER_NORM = (20, 21, 22, 23)
CIFG = (1, 5, 12)  # a CIFG LSTM has no input gate: these three are absent
VARIANTS = {"peephole": PEEPHOLE, "projection": PROJECTION, "layer_norm": LAYER_NORM, "cifg": CIFG}

_NP = {"int8": np.int8, "int16": np.int16}


def lstm(rng: np.random.Generator, *, batch: int, steps: int, n_input: int, n_state: int,
         inp: Quant, hidden: Quant, cell_scale: float, wide: bool = False, time_major: bool = False,
         cell_clip: float = 0.0, weight_zero_point: int = 0, intermediates: bool = True,
         variant: str | None = None, activation: str = "TANH") -> tuple[bytes, list[np.ndarray]]:
    """One LSTM op; ``wide`` selects 16x8 (int16 activations, int64 biases).  The input is
    ``[steps, batch, n_input]`` when ``time_major``, else ``[batch, steps, n_input]``."""
    act = "int16" if wide else "int8"
    bias_t = "int64" if wide else "int32"
    m = ModelBuilder("lstm")
    shape = (steps, batch, n_input) if time_major else (batch, steps, n_input)
    x = m.tensor("input", shape, act, scale=inp.scale, zero_point=inp.zero_point)
    ins: list[int] = [x]
    w_scales = rng.uniform(0.002, 0.03, 8)
    for k in range(8):  # input-to-gate weights (4), then recurrent (4): input, forget, cell, output
        cols = n_input if k < 4 else n_state
        ins.append(m.tensor(f"w{k}", (n_state, cols), scale=float(w_scales[k]), zero_point=weight_zero_point,
                            data=rng.integers(-127, 128, (n_state, cols))))
    ins += [-1, -1, -1]  # no peephole
    blim = 1 << (24 if wide else 14)
    for g in range(4):
        ins.append(m.tensor(f"b{g}", (n_state,), bias_t, scale=float(inp.scale * w_scales[g]),
                            data=rng.integers(-blim, blim, n_state)))
    ins += [-1, -1]  # no projection
    h = m.tensor("output_state", (batch, n_state), act, scale=hidden.scale, zero_point=hidden.zero_point,
                 is_variable=True)
    c = m.tensor("cell_state", (batch, n_state), "int16", scale=cell_scale, zero_point=0, is_variable=True)
    ins += [h, c, -1, -1, -1, -1]  # no layer norm
    if variant is not None:
        _add_variant(m, rng, ins, variant, n_state)
    mids: list[int] = []
    if intermediates:
        mids = [m.tensor(f"intermediate{k}", (0,), "float32") for k in range(4)]
        mids.append(m.tensor("effective_hidden_scale_intermediate", (0,), act, scale=hidden.scale,
                                zero_point=hidden.zero_point))
    out_shape = (shape[0], shape[1], n_state)
    y = m.tensor("output", out_shape, act, scale=hidden.scale, zero_point=hidden.zero_point)
    m.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [y], intermediates=mids, activation=activation,
         cell_clip=cell_clip, time_major=time_major)
    m.inputs, m.outputs = [x], [y]
    lo, hi = (-32768, 32768) if wide else (-128, 128)
    return m.build(), [rng.integers(lo, hi, shape).astype(_NP[act])]


def _add_variant(m: ModelBuilder, rng: np.random.Generator, ins: list[int], variant: str, n_state: int) -> None:
    if variant not in VARIANTS:
        raise ModelError(f"unknown LSTM variant {variant!r}")
    for pos in VARIANTS[variant]:
        if variant == "cifg":
            ins[pos] = -1
        elif variant == "projection" and pos == 16:
            ins[pos] = m.tensor("proj_w", (n_state, n_state), scale=0.01,
                                data=rng.integers(-127, 128, (n_state, n_state)))
        elif variant == "projection":
            ins[pos] = m.tensor("proj_b", (n_state,), "int32", scale=1e-4, data=np.zeros(n_state))
        else:
            ins[pos] = m.tensor(f"{variant}{pos}", (n_state,), "int16", scale=1e-3,
                                data=rng.integers(-1000, 1000, n_state))


def lstm_layer(model: bytes, op_index: int = 0) -> bytes:
    """The LSTM at ``op_index`` of a converted model as a model of its own (same tensors and
    options), its output made the graph output."""
    mod = tflite.Model.GetRootAsModel(model, 0)
    sg = mod.Subgraphs(0)
    op = sg.Operators(op_index)
    types = {tflite.TensorType.INT8: "int8", tflite.TensorType.INT16: "int16", tflite.TensorType.INT32: "int32",
             tflite.TensorType.INT64: "int64", tflite.TensorType.FLOAT32: "float32"}
    b = ModelBuilder("lstm layer")
    copied: dict[int, int] = {}

    def tensor(i: int) -> int:
        if i < 0:
            return -1
        if i not in copied:
            t = sg.Tensors(i)
            q = t.Quantization()
            buf = mod.Buffers(t.Buffer())
            shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
            dtype = types[t.Type()]
            data = None
            if buf is not None and buf.DataLength():
                data = np.frombuffer(buf.DataAsNumpy().tobytes(), np.dtype(dtype).newbyteorder("<")).reshape(shape)
            scale = [float(s) for s in q.ScaleAsNumpy()] if q is not None and q.ScaleLength() else None
            zps = [int(z) for z in q.ZeroPointAsNumpy()] if q is not None and q.ZeroPointLength() else None
            copied[i] = b.tensor(t.Name().decode(), shape, dtype, scale=scale, zero_point=zps, data=data,
                                 is_variable=bool(t.IsVariable()))
        return copied[i]

    opts = tflite.UnidirectionalSequenceLSTMOptions()
    table = op.BuiltinOptions()
    if table is None:
        raise ModelError(f"op {op_index} has no LSTM options")
    opts.Init(table.Bytes, table.Pos)
    act = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
    ins = [tensor(int(i)) for i in op.InputsAsNumpy()]
    mids = [tensor(int(i)) for i in op.IntermediatesAsNumpy()] if op.IntermediatesLength() else []
    out = tensor(int(op.OutputsAsNumpy()[0]))
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [out], intermediates=mids,
         activation=act[opts.FusedActivationFunction()], cell_clip=opts.CellClip(), proj_clip=opts.ProjClip(),
         time_major=bool(opts.TimeMajor()))
    b.inputs, b.outputs = [ins[0]], [out]
    return b.build()


def sequence_input(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    """A random int8 sequence (the MNIST LSTM reads one 28x28 image as 28 steps of 28)."""
    return rng.integers(-128, 128, tuple(shape)).astype(np.int8)
