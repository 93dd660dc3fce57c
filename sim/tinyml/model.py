"""Host-side reading of .tflite models with the ``tflite`` package: ops, shapes, MACs.

Used by the CLI and reports to name ops (per-op cycle attribution uses the op index the
firmware reports) and to compute MACs per op.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from tandem.errors import ModelError

_OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k.lower() for k, v in vars(TensorType).items() if not k.startswith("_")}


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    is_const: bool
    nbytes: int


@dataclass(frozen=True)
class OpInfo:
    index: int
    name: str
    builtin_code: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    macs: int


@dataclass
class ModelInfo:
    path: str
    size: int
    tensors: list[TensorInfo] = field(default_factory=list)
    ops: list[OpInfo] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)

    @property
    def total_macs(self) -> int:
        return sum(o.macs for o in self.ops)

    @property
    def weight_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors if t.is_const)

    def op_names(self) -> list[str]:
        return [o.name for o in self.ops]


_ELEM_BYTES = {"float32": 4, "int32": 4, "int8": 1, "uint8": 1, "int16": 2, "int64": 8, "bool": 1}


def _macs(name: str, ins: list[TensorInfo | None], outs: list[TensorInfo]) -> int:
    if not outs or ins[0] is None or len(ins) < 2 or ins[1] is None:
        return 0
    out, w = outs[0].shape, ins[1].shape
    if name == "CONV_2D" and len(out) == 4 and len(w) == 4:
        return int(np.prod(out)) * w[1] * w[2] * w[3]
    if name == "DEPTHWISE_CONV_2D" and len(out) == 4 and len(w) == 4:
        return int(np.prod(out)) * w[1] * w[2]
    if name == "FULLY_CONNECTED" and len(w) == 2:
        return int(np.prod(out)) * w[1]
    if name == "UNIDIRECTIONAL_SEQUENCE_LSTM" and len(out) == 3 and len(w) == 2:
        return int(np.prod(out)) * 4 * (w[1] + out[2])  # four gates: input and recurrent FCs
    if name == "TRANSPOSE_CONV" and len(ins) > 2 and ins[2] is not None and len(w) == 4:
        return int(np.prod(ins[2].shape)) * w[0] * w[1] * w[2]  # every input element times the filter
    lhs = ins[0].shape
    if name == "BATCH_MATMUL" and len(lhs) >= 2 and len(out) >= 2 and out[-2] > 0:
        return int(np.prod(out)) * (lhs[-1] * lhs[-2] // out[-2])  # the depth, whether lhs is adjoint or not
    return 0


# Larger than the RAM and flash of any microcontroller; a shape past it is a broken model, and
# refusing it here keeps the host from allocating gigabytes for its random input.
MAX_TENSOR_BYTES = 64 << 20


def _check_shape(shape: tuple[int, ...], dtype: str, index: int, path: str) -> None:
    count = 1
    for d in shape:
        if d < 0:
            raise ModelError(f"{path}: tensor {index} has a negative dimension in shape {list(shape)}")
        count *= d
    nbytes = count * _ELEM_BYTES.get(dtype, 1)
    if nbytes > MAX_TENSOR_BYTES:
        raise ModelError(f"{path}: tensor {index} of shape {list(shape)} ({dtype}) needs {nbytes:,} bytes, more "
                         "than any microcontroller holds")


def _check_indices(info: ModelInfo, path: str) -> None:
    for role, indices in (("input", info.inputs), ("output", info.outputs)):
        for k in indices:
            if not 0 <= k < len(info.tensors):
                raise ModelError(f"{path}: the subgraph's {role} tensor {k} is not one of the model's "
                                 f"{len(info.tensors)} tensors")


def read_model(data: bytes, path: str = "<bytes>") -> ModelInfo:
    """Parse a .tflite flatbuffer; raise ModelError naming ``path`` when it is not one."""
    try:
        model = tflite.Model.GetRootAs(data, 0)
        if model.SubgraphsLength() < 1:
            raise ModelError(f"{path}: model has no subgraph")
        sg = model.Subgraphs(0)
        info = ModelInfo(path=path, size=len(data))
        for i in range(sg.TensorsLength()):
            t = sg.Tensors(i)
            q = t.Quantization()
            scales = tuple(float(s) for s in q.ScaleAsNumpy()) if q is not None and q.ScaleLength() else ()
            zps = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q is not None and q.ZeroPointLength() else ()
            buf = model.Buffers(t.Buffer())
            dtype = _TYPE_NAMES.get(t.Type(), f"type{t.Type()}")
            shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
            _check_shape(shape, dtype, i, path)
            info.tensors.append(TensorInfo(
                i, t.Name().decode(errors="replace") if t.Name() else "", shape, dtype, scales, zps,
                buf is not None and buf.DataLength() > 0,
                int(np.prod(shape, dtype=np.int64)) * _ELEM_BYTES.get(dtype, 0)))
        for i in range(sg.OperatorsLength()):
            op = sg.Operators(i)
            oc = model.OperatorCodes(op.OpcodeIndex())
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            name = _OP_NAMES.get(code, f"BUILTIN_{code}")
            if code == BuiltinOperator.CUSTOM and oc.CustomCode():  # a custom op is named by its code
                name = oc.CustomCode().decode(errors="replace")
            ins = tuple(int(x) for x in op.InputsAsNumpy()) if op.InputsLength() else ()
            outs = tuple(int(x) for x in op.OutputsAsNumpy()) if op.OutputsLength() else ()
            for role, indices, optional in (("input", ins, True), ("output", outs, False)):
                for k in indices:
                    if not (-1 if optional else 0) <= k < len(info.tensors):
                        raise ModelError(f"{path}: op {name} (index {i}) {role} tensor {k} is not one of the "
                                         f"model's {len(info.tensors)} tensors")
            tin = [info.tensors[k] if k >= 0 else None for k in ins]
            tout = [info.tensors[k] for k in outs]
            info.ops.append(OpInfo(i, name, code, ins, outs, _macs(name, tin, tout)))
        info.inputs = [int(x) for x in sg.InputsAsNumpy()] if sg.InputsLength() else []
        info.outputs = [int(x) for x in sg.OutputsAsNumpy()] if sg.OutputsLength() else []
        _check_indices(info, path)
        return info
    except ModelError:
        raise
    except Exception as exc:  # the generated readers raise anything on garbage
        raise ModelError(f"{path}: not a readable .tflite model ({type(exc).__name__}: {exc})") from exc


def read_model_file(path: str | Path) -> ModelInfo:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ModelError(f"{p}: cannot read model: {exc}") from exc
    return read_model(data, str(p))


def op_name(builtin_code: int) -> str:
    return _OP_NAMES.get(builtin_code, f"BUILTIN_{builtin_code}")


def unsupported_op_message(info: ModelInfo | None, op_index: int, builtin_code: int) -> str:
    """The one wording of an op the runtime lacks: ``unsupported op NAME (index N)``, NAME the
    builtin op's name or a CUSTOM op's custom code (from the model when it can be read)."""
    name = (info.ops[op_index].name if info is not None and 0 <= op_index < len(info.ops)
            else op_name(builtin_code))
    return f"unsupported op {name} (index {op_index})"
