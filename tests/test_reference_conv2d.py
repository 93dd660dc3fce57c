"""The golden conv2d against TFLite itself: ai-edge-litert's reference CONV_2D kernel, bit-exact.

Each example builds a single-op int8 per-channel CONV_2D .tflite with a tiny flatbuffer builder
local to this test (the general model builder lives elsewhere and will replace it), runs it with
the BUILTIN_REF op resolver and compares every output byte with tandem.reference.conv2d.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import flatbuffers
import numpy as np
import numpy.typing as npt
import tflite
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.reference.conv2d import ConvGeometry, ConvQuant, compute_padding, conv2d_int8
from tandem.reference.quant import activation_range, per_channel_multipliers

ACTIVATIONS = {
    "NONE": tflite.ActivationFunctionType.NONE,
    "RELU": tflite.ActivationFunctionType.RELU,
    "RELU6": tflite.ActivationFunctionType.RELU6,
    "RELU_N1_TO_1": tflite.ActivationFunctionType.RELU_N1_TO_1,
}


@dataclass(frozen=True)
class ConvSpec:
    inp: npt.NDArray[np.int8]
    filt: npt.NDArray[np.int8]
    bias: npt.NDArray[np.int32]
    in_scale: float
    in_zp: int
    filt_scales: npt.NDArray[np.float32]
    out_scale: float
    out_zp: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: str
    activation: str

    def out_shape(self) -> tuple[int, int, int, int]:
        n, h, w, _ = self.inp.shape
        oc, kh, kw, _ = self.filt.shape
        oh = compute_padding(self.padding, h, kh, self.stride[0], self.dilation[0])[0]
        ow = compute_padding(self.padding, w, kw, self.stride[1], self.dilation[1])[0]
        return n, oh, ow, oc


def _vec(b: flatbuffers.Builder, start: Callable[[flatbuffers.Builder, int], object], values: Sequence[float],
         kind: str) -> int:
    start(b, len(values))
    prepend = {"i32": b.PrependInt32, "i64": b.PrependInt64, "f32": b.PrependFloat32,
               "u8": b.PrependUint8, "off": b.PrependUOffsetTRelative}[kind]
    for v in reversed(list(values)):
        prepend(v)
    return b.EndVector()


def build_conv_model(spec: ConvSpec) -> bytes:
    """A one-operator int8 CONV_2D model: input, filter and bias constants, output."""
    b = flatbuffers.Builder(4096)
    oc = spec.filt.shape[0]

    def quant(scales: list[float], zps: list[int], dim: int = 0) -> int:
        s = _vec(b, tflite.QuantizationParametersStartScaleVector, scales, "f32")
        z = _vec(b, tflite.QuantizationParametersStartZeroPointVector, zps, "i64")
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, s)
        tflite.QuantizationParametersAddZeroPoint(b, z)
        tflite.QuantizationParametersAddQuantizedDimension(b, dim)
        return tflite.QuantizationParametersEnd(b)

    def tensor(name: str, shape: tuple[int, ...], ttype: int, buffer: int, q: int) -> int:
        n = b.CreateString(name)
        sh = _vec(b, tflite.TensorStartShapeVector, shape, "i32")
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, sh)
        tflite.TensorAddType(b, ttype)
        tflite.TensorAddBuffer(b, buffer)
        tflite.TensorAddName(b, n)
        tflite.TensorAddQuantization(b, q)
        return tflite.TensorEnd(b)

    bias_scales = [float(np.float32(spec.in_scale) * np.float32(s)) for s in spec.filt_scales]
    tensors = [
        tensor("input", spec.inp.shape, tflite.TensorType.INT8, 0,
               quant([spec.in_scale], [spec.in_zp])),
        tensor("filter", spec.filt.shape, tflite.TensorType.INT8, 1,
               quant([float(s) for s in spec.filt_scales], [0] * oc, 0)),
        tensor("bias", (oc,), tflite.TensorType.INT32, 2, quant(bias_scales, [0] * oc, 0)),
        tensor("output", spec.out_shape(), tflite.TensorType.INT8, 0,
               quant([spec.out_scale], [spec.out_zp])),
    ]
    buffers = []
    for data in (b"", spec.filt.astype(np.int8).tobytes(), spec.bias.astype("<i4").tobytes()):
        d = _vec(b, tflite.BufferStartDataVector, data, "u8") if data else None
        tflite.BufferStart(b)
        if d is not None:
            tflite.BufferAddData(b, d)
        buffers.append(tflite.BufferEnd(b))

    tflite.Conv2DOptionsStart(b)
    tflite.Conv2DOptionsAddPadding(
        b, tflite.Padding.SAME if spec.padding == "SAME" else tflite.Padding.VALID)
    tflite.Conv2DOptionsAddStrideH(b, spec.stride[0])
    tflite.Conv2DOptionsAddStrideW(b, spec.stride[1])
    tflite.Conv2DOptionsAddDilationHFactor(b, spec.dilation[0])
    tflite.Conv2DOptionsAddDilationWFactor(b, spec.dilation[1])
    tflite.Conv2DOptionsAddFusedActivationFunction(b, ACTIVATIONS[spec.activation])
    options = tflite.Conv2DOptionsEnd(b)

    op_inputs = _vec(b, tflite.OperatorStartInputsVector, [0, 1, 2], "i32")
    op_outputs = _vec(b, tflite.OperatorStartOutputsVector, [3], "i32")
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, 0)
    tflite.OperatorAddInputs(b, op_inputs)
    tflite.OperatorAddOutputs(b, op_outputs)
    tflite.OperatorAddBuiltinOptionsType(b, tflite.BuiltinOptions.Conv2DOptions)
    tflite.OperatorAddBuiltinOptions(b, options)
    op = tflite.OperatorEnd(b)

    sg_tensors = _vec(b, tflite.SubGraphStartTensorsVector, tensors, "off")
    sg_inputs = _vec(b, tflite.SubGraphStartInputsVector, [0], "i32")
    sg_outputs = _vec(b, tflite.SubGraphStartOutputsVector, [3], "i32")
    sg_ops = _vec(b, tflite.SubGraphStartOperatorsVector, [op], "off")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, sg_tensors)
    tflite.SubGraphAddInputs(b, sg_inputs)
    tflite.SubGraphAddOutputs(b, sg_outputs)
    tflite.SubGraphAddOperators(b, sg_ops)
    subgraph = tflite.SubGraphEnd(b)

    tflite.OperatorCodeStart(b)
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, tflite.BuiltinOperator.CONV_2D)
    tflite.OperatorCodeAddBuiltinCode(b, tflite.BuiltinOperator.CONV_2D)
    tflite.OperatorCodeAddVersion(b, 3)
    opcode = tflite.OperatorCodeEnd(b)

    codes = _vec(b, tflite.ModelStartOperatorCodesVector, [opcode], "off")
    subgraphs = _vec(b, tflite.ModelStartSubgraphsVector, [subgraph], "off")
    bufs = _vec(b, tflite.ModelStartBuffersVector, buffers, "off")
    desc = b.CreateString("tandem conv2d reference test")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddBuffers(b, bufs)
    tflite.ModelAddDescription(b, desc)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def run_litert(spec: ConvSpec) -> npt.NDArray[np.int8]:
    interp = Interpreter(model_content=build_conv_model(spec),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], spec.inp)
    interp.invoke()
    return np.array(interp.get_tensor(interp.get_output_details()[0]["index"]))


def run_golden(spec: ConvSpec) -> npt.NDArray[np.int8]:
    _, h, w, _ = spec.inp.shape
    _, kh, kw, _ = spec.filt.shape
    oh, pt, _ = compute_padding(spec.padding, h, kh, spec.stride[0], spec.dilation[0])
    ow, pl, _ = compute_padding(spec.padding, w, kw, spec.stride[1], spec.dilation[1])
    mult, shift = per_channel_multipliers(spec.in_scale, spec.filt_scales, spec.out_scale)
    act_min, act_max = activation_range(spec.activation, spec.out_scale, spec.out_zp)
    geom = ConvGeometry(spec.stride[0], spec.stride[1], spec.dilation[0], spec.dilation[1],
                        pt, pl, oh, ow)
    return conv2d_int8(spec.inp, spec.filt, spec.bias, mult, shift, geom,
                       ConvQuant(-spec.in_zp, spec.out_zp, act_min, act_max))


@st.composite
def conv_specs(draw: st.DrawFn) -> ConvSpec:
    batch = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    ic, oc = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    for size, k, s, d in ((h, kh, stride[0], dilation[0]), (w, kw, stride[1], dilation[1])):
        if compute_padding(padding, size, k, s, d)[0] <= 0:
            padding = "SAME"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    in_scale = float(np.float32(2.0 ** draw(st.floats(-8, 0))))
    f_base = 2.0 ** draw(st.floats(-10, -4))
    filt_scales = (f_base * 2.0 ** rng.uniform(-1, 1, oc)).astype(np.float32)
    # Put the typical accumulator (~5400*sqrt(fan-in) for uniform int8 data) near +-50 output
    # steps, with a spread that also reaches saturation and near-zero outputs.
    acc_typ = 5400.0 * (kh * kw * ic) ** 0.5
    out_scale = float(np.float32(in_scale * f_base * acc_typ / 50.0 * 2.0 ** draw(st.floats(-3, 3))))
    # Mostly biases comparable with the accumulator, sometimes huge ones that saturate.
    bias_range = int(acc_typ * 2.0 ** draw(st.floats(-6, 1))) + 1
    if draw(st.integers(0, 7)) == 0:
        bias_range = 1 << 24
    return ConvSpec(
        inp=rng.integers(-128, 128, (batch, h, w, ic), dtype=np.int8),
        filt=rng.integers(-127, 128, (oc, kh, kw, ic), dtype=np.int8),
        bias=rng.integers(-bias_range, bias_range, oc).astype(np.int32),
        in_scale=in_scale,
        in_zp=draw(st.integers(-128, 127)),
        filt_scales=filt_scales,
        out_scale=out_scale,
        out_zp=draw(st.integers(-128, 127)),
        stride=stride,
        dilation=dilation,
        padding=padding,
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_specs())
def test_golden_conv2d_matches_litert_reference_kernel(spec: ConvSpec) -> None:
    expected = run_litert(spec)
    got = run_golden(spec)
    assert got.shape == expected.shape
    diff = np.argwhere(got != expected)
    assert diff.size == 0, (
        f"{len(diff)} mismatches, first at {tuple(diff[0])}: golden {got[tuple(diff[0])]}, "
        f"litert {expected[tuple(diff[0])]}")


def test_golden_conv2d_outputs_are_not_degenerate() -> None:
    """Guard against a vacuous comparison: a typical layer spans many output values."""
    rng = np.random.default_rng(5)
    spec = ConvSpec(
        inp=rng.integers(-128, 128, (1, 8, 8, 8), dtype=np.int8),
        filt=rng.integers(-127, 128, (8, 3, 3, 8), dtype=np.int8),
        bias=rng.integers(-1000, 1000, 8).astype(np.int32),
        in_scale=0.05, in_zp=3, filt_scales=np.full(8, 0.004, dtype=np.float32),
        out_scale=0.25, out_zp=-7, stride=(1, 1), dilation=(1, 1), padding="SAME",
        activation="NONE",
    )
    expected = run_litert(spec)
    assert np.array_equal(run_golden(spec), expected)
    assert len(np.unique(expected)) > 50
