"""Write int8 .tflite flatbuffers directly, without TensorFlow.

Used to make single-op test models with chosen shapes and quantization parameters and the
realistic architectures in :mod:`tandem.tinyml.models.zoo`.  Serialisation uses the ``flatbuffers``
package with the table builders generated into the ``tflite`` package (schema v3).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from tandem.errors import ModelError

_DTYPES: dict[str, tuple[int, Any]] = {
    "int8": (TensorType.INT8, np.int8),
    "uint8": (TensorType.UINT8, np.uint8),
    "int16": (TensorType.INT16, np.int16),
    "int32": (TensorType.INT32, np.int32),
    "int64": (TensorType.INT64, np.int64),
    "float32": (TensorType.FLOAT32, np.float32),
    "bool": (TensorType.BOOL, np.bool_),
}

ACTIVATIONS: dict[str, int] = {
    "NONE": ActivationFunctionType.NONE,
    "RELU": ActivationFunctionType.RELU,
    "RELU_N1_TO_1": ActivationFunctionType.RELU_N1_TO_1,
    "RELU6": ActivationFunctionType.RELU6,
}

# Fused activations plus TANH (an LSTM's cell-gate activation; its other gates are sigmoid).
LSTM_ACTIVATIONS: dict[str, int] = {**ACTIVATIONS, "TANH": ActivationFunctionType.TANH}

PADDINGS: dict[str, int] = {"SAME": Padding.SAME, "VALID": Padding.VALID}

# Buffers holding data are aligned so that int32/float vectors can be read in place.
_BUFFER_ALIGN = 16


@dataclass
class Tensor:
    """One tensor of the model being built (constant when ``data`` is set)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: list[float] | None = None
    zero_point: list[int] | None = None
    quantized_dimension: int = 0
    data: np.ndarray | None = None
    is_variable: bool = False


@dataclass
class Op:
    """One operator: builtin name (e.g. ``"CONV_2D"``), tensor indices and options."""

    name: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)
    intermediates: list[int] = field(default_factory=list)


def _opcode_key(o: Op) -> tuple[str, str]:
    return o.name, str(o.options.get("custom_code", "")) if o.name == "CUSTOM" else ""


class ModelBuilder:
    """Accumulates tensors and operators of a single-subgraph model and serialises it."""

    def __init__(self, description: str = "tandem") -> None:
        self.description = description
        self.version = 3  # schema version written to Model.version (tests write others)
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    # -- graph construction ------------------------------------------------------------------
    def tensor(
        self,
        name: str,
        shape: Sequence[int],
        dtype: str = "int8",
        scale: float | Sequence[float] | None = None,
        zero_point: int | Sequence[int] | None = None,
        data: np.ndarray | None = None,
        quantized_dimension: int = 0,
        is_variable: bool = False,
    ) -> int:
        if dtype not in _DTYPES:
            raise ModelError(f"tensor {name!r}: unsupported dtype {dtype!r}")
        scales = None if scale is None else [float(s) for s in np.atleast_1d(scale)]
        zps = None
        if scales is not None:
            zp = 0 if zero_point is None else zero_point
            zps = [int(z) for z in np.atleast_1d(zp)]
            if len(zps) == 1 and len(scales) > 1:
                zps = zps * len(scales)
        if data is not None:
            data = np.asarray(data, dtype=_DTYPES[dtype][1])
            if tuple(data.shape) != tuple(shape):
                raise ModelError(f"tensor {name!r}: data shape {data.shape} != {tuple(shape)}")
        self.tensors.append(
            Tensor(name, tuple(int(d) for d in shape), dtype, scales, zps,
                   quantized_dimension, data, is_variable)
        )
        return len(self.tensors) - 1

    def op(self, name: str, inputs: Sequence[int], outputs: Sequence[int], *,
           intermediates: Sequence[int] = (), **options: Any) -> None:
        if not hasattr(BuiltinOperator, name):
            raise ModelError(f"unknown builtin operator {name!r}")
        self.ops.append(Op(name, list(inputs), list(outputs), dict(options), list(intermediates)))

    # -- serialisation -----------------------------------------------------------------------
    def build(self) -> bytes:
        b = flatbuffers.Builder(1024)
        # Buffer 0 is the empty sentinel the schema requires; constants get their own buffers.
        buffer_data: list[bytes | None] = [None]
        tensor_buffer: list[int] = []
        for t in self.tensors:
            if t.data is None:
                tensor_buffer.append(0)
            else:
                buffer_data.append(np.ascontiguousarray(t.data).astype(t.data.dtype.newbyteorder("<")).tobytes())
                tensor_buffer.append(len(buffer_data) - 1)

        buffer_offsets = []
        for raw in buffer_data:
            data_off = None
            if raw:
                b.StartVector(1, len(raw), _BUFFER_ALIGN)
                b.head = b.head - len(raw)
                b.Bytes[b.head:b.head + len(raw)] = raw
                data_off = b.EndVector()
            tflite.BufferStart(b)
            if data_off is not None:
                tflite.BufferAddData(b, data_off)
            buffer_offsets.append(tflite.BufferEnd(b))

        tensor_offsets = [self._tensor(b, t, buf) for t, buf in zip(self.tensors, tensor_buffer, strict=True)]

        opcode_list: list[tuple[str, str]] = []  # (builtin name, custom code of a CUSTOM op)
        for o in self.ops:
            if _opcode_key(o) not in opcode_list:
                opcode_list.append(_opcode_key(o))
        opcode_offsets = []
        for name, custom in opcode_list:
            code = getattr(BuiltinOperator, name)
            custom_off = b.CreateString(custom) if custom else None
            tflite.OperatorCodeStart(b)
            if custom_off is not None:
                tflite.OperatorCodeAddCustomCode(b, custom_off)
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            tflite.OperatorCodeAddVersion(b, 1)
            opcode_offsets.append(tflite.OperatorCodeEnd(b))

        op_offsets = []
        for o in self.ops:
            opt_type, opt_off = self._options(b, o)
            ins = self._int_vector(b, o.inputs)
            outs = self._int_vector(b, o.outputs)
            mids = self._int_vector(b, o.intermediates) if o.intermediates else None
            tflite.OperatorStart(b)
            tflite.OperatorAddOpcodeIndex(b, opcode_list.index(_opcode_key(o)))
            tflite.OperatorAddInputs(b, ins)
            tflite.OperatorAddOutputs(b, outs)
            if mids is not None:
                tflite.OperatorAddIntermediates(b, mids)
            if opt_off is not None:
                tflite.OperatorAddBuiltinOptionsType(b, opt_type)
                tflite.OperatorAddBuiltinOptions(b, opt_off)
            op_offsets.append(tflite.OperatorEnd(b))

        sg_tensors = self._offset_vector(b, tensor_offsets)
        sg_inputs = self._int_vector(b, self.inputs)
        sg_outputs = self._int_vector(b, self.outputs)
        sg_ops = self._offset_vector(b, op_offsets)
        sg_name = b.CreateString("main")
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, sg_tensors)
        tflite.SubGraphAddInputs(b, sg_inputs)
        tflite.SubGraphAddOutputs(b, sg_outputs)
        tflite.SubGraphAddOperators(b, sg_ops)
        tflite.SubGraphAddName(b, sg_name)
        subgraph = tflite.SubGraphEnd(b)

        subgraphs = self._offset_vector(b, [subgraph])
        opcodes = self._offset_vector(b, opcode_offsets)
        buffers = self._offset_vector(b, buffer_offsets)
        desc = b.CreateString(self.description)
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, self.version)
        tflite.ModelAddOperatorCodes(b, opcodes)
        tflite.ModelAddSubgraphs(b, subgraphs)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, buffers)
        model = tflite.ModelEnd(b)
        b.Finish(model, file_identifier=b"TFL3")
        return bytes(b.Output())

    @staticmethod
    def _int_vector(b: flatbuffers.Builder, values: Sequence[int]) -> int:
        return b.CreateNumpyVector(np.asarray(values, dtype=np.int32))

    @staticmethod
    def _offset_vector(b: flatbuffers.Builder, offsets: Sequence[int]) -> int:
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    def _tensor(self, b: flatbuffers.Builder, t: Tensor, buf: int) -> int:
        shape = self._int_vector(b, t.shape)
        name = b.CreateString(t.name)
        quant = None
        if t.scale is not None:
            scale = b.CreateNumpyVector(np.asarray(t.scale, dtype=np.float32))
            zp = b.CreateNumpyVector(np.asarray(t.zero_point, dtype=np.int64))
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zp)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.quantized_dimension)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, _DTYPES[t.dtype][0])
        tflite.TensorAddBuffer(b, buf)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        if t.is_variable:
            tflite.TensorAddIsVariable(b, True)
        return tflite.TensorEnd(b)

    def _options(self, b: flatbuffers.Builder, o: Op) -> tuple[int, int | None]:
        opt = o.options
        act = LSTM_ACTIVATIONS[opt.get("activation", "TANH" if o.name == "UNIDIRECTIONAL_SEQUENCE_LSTM" else "NONE")]
        n = o.name
        if n == "CONV_2D":
            tflite.Conv2DOptionsStart(b)
            tflite.Conv2DOptionsAddPadding(b, PADDINGS[opt.get("padding", "SAME")])
            tflite.Conv2DOptionsAddStrideW(b, opt.get("stride_w", 1))
            tflite.Conv2DOptionsAddStrideH(b, opt.get("stride_h", 1))
            tflite.Conv2DOptionsAddDilationWFactor(b, opt.get("dilation_w", 1))
            tflite.Conv2DOptionsAddDilationHFactor(b, opt.get("dilation_h", 1))
            tflite.Conv2DOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.Conv2DOptions, tflite.Conv2DOptionsEnd(b)
        if n == "DEPTHWISE_CONV_2D":
            tflite.DepthwiseConv2DOptionsStart(b)
            tflite.DepthwiseConv2DOptionsAddPadding(b, PADDINGS[opt.get("padding", "SAME")])
            tflite.DepthwiseConv2DOptionsAddStrideW(b, opt.get("stride_w", 1))
            tflite.DepthwiseConv2DOptionsAddStrideH(b, opt.get("stride_h", 1))
            tflite.DepthwiseConv2DOptionsAddDepthMultiplier(b, opt.get("depth_multiplier", 1))
            tflite.DepthwiseConv2DOptionsAddDilationWFactor(b, opt.get("dilation_w", 1))
            tflite.DepthwiseConv2DOptionsAddDilationHFactor(b, opt.get("dilation_h", 1))
            tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.DepthwiseConv2DOptions, tflite.DepthwiseConv2DOptionsEnd(b)
        if n == "FULLY_CONNECTED":
            tflite.FullyConnectedOptionsStart(b)
            tflite.FullyConnectedOptionsAddFusedActivationFunction(b, act)
            tflite.FullyConnectedOptionsAddKeepNumDims(b, bool(opt.get("keep_num_dims", False)))
            return BuiltinOptions.FullyConnectedOptions, tflite.FullyConnectedOptionsEnd(b)
        if n in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            tflite.Pool2DOptionsStart(b)
            tflite.Pool2DOptionsAddPadding(b, PADDINGS[opt.get("padding", "VALID")])
            tflite.Pool2DOptionsAddStrideW(b, opt.get("stride_w", 1))
            tflite.Pool2DOptionsAddStrideH(b, opt.get("stride_h", 1))
            tflite.Pool2DOptionsAddFilterWidth(b, opt["filter_w"])
            tflite.Pool2DOptionsAddFilterHeight(b, opt["filter_h"])
            tflite.Pool2DOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.Pool2DOptions, tflite.Pool2DOptionsEnd(b)
        if n == "ADD":
            tflite.AddOptionsStart(b)
            tflite.AddOptionsAddFusedActivationFunction(b, act)
            if "pot_scale_int16" in opt:
                tflite.AddOptionsAddPotScaleInt16(b, bool(opt["pot_scale_int16"]))
            return BuiltinOptions.AddOptions, tflite.AddOptionsEnd(b)
        if n == "MUL":
            tflite.MulOptionsStart(b)
            tflite.MulOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.MulOptions, tflite.MulOptionsEnd(b)
        if n == "RESHAPE":
            new_shape = opt.get("new_shape")
            vec = self._int_vector(b, new_shape) if new_shape is not None else None
            tflite.ReshapeOptionsStart(b)
            if vec is not None:
                tflite.ReshapeOptionsAddNewShape(b, vec)
            return BuiltinOptions.ReshapeOptions, tflite.ReshapeOptionsEnd(b)
        if n == "SOFTMAX":
            tflite.SoftmaxOptionsStart(b)
            tflite.SoftmaxOptionsAddBeta(b, float(opt.get("beta", 1.0)))
            return BuiltinOptions.SoftmaxOptions, tflite.SoftmaxOptionsEnd(b)
        if n == "MEAN":
            tflite.ReducerOptionsStart(b)
            tflite.ReducerOptionsAddKeepDims(b, bool(opt.get("keep_dims", False)))
            return BuiltinOptions.ReducerOptions, tflite.ReducerOptionsEnd(b)
        if n == "PAD":
            tflite.PadOptionsStart(b)
            return BuiltinOptions.PadOptions, tflite.PadOptionsEnd(b)
        if n == "CONCATENATION":
            tflite.ConcatenationOptionsStart(b)
            tflite.ConcatenationOptionsAddAxis(b, opt.get("axis", -1))
            tflite.ConcatenationOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.ConcatenationOptions, tflite.ConcatenationOptionsEnd(b)
        if n == "SVDF":
            tflite.SVDFOptionsStart(b)
            tflite.SVDFOptionsAddRank(b, opt["rank"])
            tflite.SVDFOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.SVDFOptions, tflite.SVDFOptionsEnd(b)
        if n == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            tflite.UnidirectionalSequenceLSTMOptionsStart(b)
            tflite.UnidirectionalSequenceLSTMOptionsAddFusedActivationFunction(b, act)
            tflite.UnidirectionalSequenceLSTMOptionsAddCellClip(b, float(opt.get("cell_clip", 0.0)))
            tflite.UnidirectionalSequenceLSTMOptionsAddProjClip(b, float(opt.get("proj_clip", 0.0)))
            tflite.UnidirectionalSequenceLSTMOptionsAddTimeMajor(b, bool(opt.get("time_major", False)))
            return (BuiltinOptions.UnidirectionalSequenceLSTMOptions,
                    tflite.UnidirectionalSequenceLSTMOptionsEnd(b))
        if n in ("SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD"):
            tflite.ReducerOptionsStart(b)
            tflite.ReducerOptionsAddKeepDims(b, bool(opt.get("keep_dims", False)))
            return BuiltinOptions.ReducerOptions, tflite.ReducerOptionsEnd(b)
        if n == "LOG_SOFTMAX":
            tflite.LogSoftmaxOptionsStart(b)
            return BuiltinOptions.LogSoftmaxOptions, tflite.LogSoftmaxOptionsEnd(b)
        if n == "L2_NORMALIZATION":
            tflite.L2NormOptionsStart(b)
            tflite.L2NormOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.L2NormOptions, tflite.L2NormOptionsEnd(b)
        if n in ("ARG_MAX", "ARG_MIN"):
            out_type = _DTYPES[opt.get("output_type", "int32")][0]
            if n == "ARG_MAX":
                tflite.ArgMaxOptionsStart(b)
                tflite.ArgMaxOptionsAddOutputType(b, out_type)
                return BuiltinOptions.ArgMaxOptions, tflite.ArgMaxOptionsEnd(b)
            tflite.ArgMinOptionsStart(b)
            tflite.ArgMinOptionsAddOutputType(b, out_type)
            return BuiltinOptions.ArgMinOptions, tflite.ArgMinOptionsEnd(b)
        if n == "SQUEEZE":
            dims = opt.get("squeeze_dims")
            dvec = self._int_vector(b, dims) if dims is not None else None
            tflite.SqueezeOptionsStart(b)
            if dvec is not None:
                tflite.SqueezeOptionsAddSqueezeDims(b, dvec)
            return BuiltinOptions.SqueezeOptions, tflite.SqueezeOptionsEnd(b)
        if n in ("SPLIT", "SPLIT_V"):
            start, add, end = ((tflite.SplitOptionsStart, tflite.SplitOptionsAddNumSplits, tflite.SplitOptionsEnd)
                               if n == "SPLIT" else
                               (tflite.SplitVOptionsStart, tflite.SplitVOptionsAddNumSplits, tflite.SplitVOptionsEnd))
            start(b)
            add(b, opt["num_splits"])
            return (BuiltinOptions.SplitOptions if n == "SPLIT" else BuiltinOptions.SplitVOptions), end(b)
        if n == "PACK":
            tflite.PackOptionsStart(b)
            tflite.PackOptionsAddValuesCount(b, opt["values_count"])
            tflite.PackOptionsAddAxis(b, opt.get("axis", 0))
            return BuiltinOptions.PackOptions, tflite.PackOptionsEnd(b)
        if n == "UNPACK":
            tflite.UnpackOptionsStart(b)
            tflite.UnpackOptionsAddNum(b, opt["num"])
            tflite.UnpackOptionsAddAxis(b, opt.get("axis", 0))
            return BuiltinOptions.UnpackOptions, tflite.UnpackOptionsEnd(b)
        if n == "GATHER":
            tflite.GatherOptionsStart(b)
            tflite.GatherOptionsAddAxis(b, opt.get("axis", 0))
            tflite.GatherOptionsAddBatchDims(b, opt.get("batch_dims", 0))
            return BuiltinOptions.GatherOptions, tflite.GatherOptionsEnd(b)
        if n == "RESIZE_NEAREST_NEIGHBOR":
            tflite.ResizeNearestNeighborOptionsStart(b)
            tflite.ResizeNearestNeighborOptionsAddAlignCorners(b, bool(opt.get("align_corners", False)))
            tflite.ResizeNearestNeighborOptionsAddHalfPixelCenters(b, bool(opt.get("half_pixel_centers", False)))
            return BuiltinOptions.ResizeNearestNeighborOptions, tflite.ResizeNearestNeighborOptionsEnd(b)
        if n == "RESIZE_BILINEAR":
            tflite.ResizeBilinearOptionsStart(b)
            tflite.ResizeBilinearOptionsAddAlignCorners(b, bool(opt.get("align_corners", False)))
            tflite.ResizeBilinearOptionsAddHalfPixelCenters(b, bool(opt.get("half_pixel_centers", False)))
            return BuiltinOptions.ResizeBilinearOptions, tflite.ResizeBilinearOptionsEnd(b)
        if n == "CAST" and "in_data_type" in opt:
            tflite.CastOptionsStart(b)
            tflite.CastOptionsAddInDataType(b, _DTYPES[opt["in_data_type"]][0])
            tflite.CastOptionsAddOutDataType(b, _DTYPES[opt["out_data_type"]][0])
            return BuiltinOptions.CastOptions, tflite.CastOptionsEnd(b)
        if n == "SHAPE":
            tflite.ShapeOptionsStart(b)
            tflite.ShapeOptionsAddOutType(b, _DTYPES[opt.get("out_type", "int32")][0])
            return BuiltinOptions.ShapeOptions, tflite.ShapeOptionsEnd(b)
        if n in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
            if n == "DEPTH_TO_SPACE":
                tflite.DepthToSpaceOptionsStart(b)
                tflite.DepthToSpaceOptionsAddBlockSize(b, opt["block_size"])
                return BuiltinOptions.DepthToSpaceOptions, tflite.DepthToSpaceOptionsEnd(b)
            tflite.SpaceToDepthOptionsStart(b)
            tflite.SpaceToDepthOptionsAddBlockSize(b, opt["block_size"])
            return BuiltinOptions.SpaceToDepthOptions, tflite.SpaceToDepthOptionsEnd(b)
        if n == "TRANSPOSE_CONV":
            tflite.TransposeConvOptionsStart(b)
            tflite.TransposeConvOptionsAddPadding(b, PADDINGS[opt.get("padding", "SAME")])
            tflite.TransposeConvOptionsAddStrideW(b, opt.get("stride_w", 1))
            tflite.TransposeConvOptionsAddStrideH(b, opt.get("stride_h", 1))
            tflite.TransposeConvOptionsAddFusedActivationFunction(b, act)
            return BuiltinOptions.TransposeConvOptions, tflite.TransposeConvOptionsEnd(b)
        if n == "BATCH_MATMUL":
            tflite.BatchMatMulOptionsStart(b)
            tflite.BatchMatMulOptionsAddAdjX(b, bool(opt.get("adj_x", False)))
            tflite.BatchMatMulOptionsAddAdjY(b, bool(opt.get("adj_y", False)))
            return BuiltinOptions.BatchMatMulOptions, tflite.BatchMatMulOptionsEnd(b)
        if n == "SUB":
            tflite.SubOptionsStart(b)
            tflite.SubOptionsAddFusedActivationFunction(b, act)
            if "pot_scale_int16" in opt:
                tflite.SubOptionsAddPotScaleInt16(b, bool(opt["pot_scale_int16"]))
            return BuiltinOptions.SubOptions, tflite.SubOptionsEnd(b)
        if n == "LEAKY_RELU":
            tflite.LeakyReluOptionsStart(b)
            tflite.LeakyReluOptionsAddAlpha(b, float(opt.get("alpha", 0.2)))
            return BuiltinOptions.LeakyReluOptions, tflite.LeakyReluOptionsEnd(b)
        if n == "STRIDED_SLICE":
            tflite.StridedSliceOptionsStart(b)
            tflite.StridedSliceOptionsAddBeginMask(b, int(opt.get("begin_mask", 0)))
            tflite.StridedSliceOptionsAddEndMask(b, int(opt.get("end_mask", 0)))
            tflite.StridedSliceOptionsAddEllipsisMask(b, int(opt.get("ellipsis_mask", 0)))
            tflite.StridedSliceOptionsAddNewAxisMask(b, int(opt.get("new_axis_mask", 0)))
            tflite.StridedSliceOptionsAddShrinkAxisMask(b, int(opt.get("shrink_axis_mask", 0)))
            tflite.StridedSliceOptionsAddOffset(b, bool(opt.get("offset", False)))
            return BuiltinOptions.StridedSliceOptions, tflite.StridedSliceOptionsEnd(b)
        if n == "MIRROR_PAD":
            tflite.MirrorPadOptionsStart(b)
            tflite.MirrorPadOptionsAddMode(b, {"REFLECT": 0, "SYMMETRIC": 1}[opt.get("mode", "REFLECT")])
            return BuiltinOptions.MirrorPadOptions, tflite.MirrorPadOptionsEnd(b)
        if n == "PADV2":
            tflite.PadV2OptionsStart(b)
            return BuiltinOptions.PadV2Options, tflite.PadV2OptionsEnd(b)
        return BuiltinOptions.NONE, None
