"""The convolution family in 16x8 (int16 activations, int8 weights, int64 bias), TRANSPOSE_CONV and
BATCH_MATMUL: host runtime against TFLM's seanet goldens, LiteRT and TFLM; TFLM's leniency on bias
quantization; and one seanet model on a simulated board.

Where LiteRT refuses a model TFLM runs (no bias on a 16x8 conv, an int16 bias on TRANSPOSE_CONV, a
bias with quantized_dimension 3), TFLM decides; where they differ, TFLM does (noted per case).
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tflm_models import seanet_case, seanet_names

from tandem.config import TandemConfig
from tandem.errors import ModelError
from tandem.machine.board import Board
from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.infer import build_runtime, infer
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops, ops_conv
from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant
from tandem.tinyml.tflm_ref import run_tflm

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ACTIVATIONS = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])
PADDING = st.sampled_from(["SAME", "VALID"])
SEANET = seanet_names("conv") + seanet_names("transpose_conv")
UNSUPPORTED_TYPE = 4


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime()


def q16(lo: float = 1e-4, hi: float = 0.01) -> st.SearchStrategy[Quant]:
    """int16 activations: symmetric, zero point 0."""
    return st.builds(Quant, st.floats(lo, hi, allow_nan=False, allow_infinity=False), st.just(0))


def q8(lo: float = 0.002, hi: float = 0.5) -> st.SearchStrategy[Quant]:
    return st.builds(Quant, st.floats(lo, hi, allow_nan=False, allow_infinity=False), st.integers(-128, 127))


def ours(runtime: HostRuntime, model: bytes, inputs: list[np.ndarray]) -> np.ndarray:
    got = runtime.run(model, inputs)
    assert got.status.ok, got.status
    return got.outputs[0]


def check(expected: np.ndarray, got: np.ndarray, oracle: str, tolerance: int = 0) -> None:
    assert expected.dtype == got.dtype and expected.shape == got.shape, oracle
    diff = np.abs(expected.astype(np.int64) - got.astype(np.int64))
    if diff.max(initial=0) > tolerance:
        at = np.argwhere(diff > tolerance)[0]
        raise AssertionError(f"{oracle}: {int((diff > tolerance).sum())} of {got.size} outputs differ; first at "
                             f"{at.tolist()}: expected {expected[tuple(at)]}, got {got[tuple(at)]}")


def against_both(runtime: HostRuntime, model: bytes, inputs: list[np.ndarray], litert: bool = True,
                 litert_tolerance: int = 0) -> None:
    got = ours(runtime, model, inputs)
    check(run_tflm(model, inputs).outputs[0], got, "TFLM")
    if litert:
        check(run_reference(model, inputs)[0], got, "LiteRT", litert_tolerance)


def _fits(padding: str, size: int, k: int, dilation: int) -> bool:
    return padding == "SAME" or size >= (k - 1) * dilation + 1


# ---- TFLM's 16x8 integration tests ------------------------------------------------------------

@pytest.mark.parametrize("name", SEANET)
def test_seanet_golden_bit_exact(runtime: HostRuntime, name: str) -> None:
    case = seanet_case(name)
    got = runtime.run(case.model.read_bytes(), case.inputs)
    assert got.status.ok, got.status
    np.testing.assert_array_equal(got.outputs[0], case.golden)


def test_seanet_cases_are_all_there() -> None:
    assert len(seanet_names("conv")) == 22 and len(seanet_names("transpose_conv")) == 5


# ---- 16x8 convolutions ------------------------------------------------------------------------

@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=q16(), out=q16(1e-4, 0.05),
       bias=st.sampled_from(["int64", "int32", None]))
def test_conv2d_16x8(runtime: HostRuntime, data: st.DataObject, seed: int, padding: str, act: str,
                     per_channel: bool, inp: Quant, out: Quant, bias: str | None) -> None:
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(1, 9).filter(lambda v: _fits(padding, v, kh, dil[0])))
    w = data.draw(st.integers(1, 9).filter(lambda v: _fits(padding, v, kw, dil[1])))
    model, inputs = ops.conv2d(
        np.random.default_rng(seed), h=h, w=w, cin=data.draw(st.integers(1, 5)), cout=data.draw(st.integers(1, 5)),
        kh=kh, kw=kw, stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))), dilation=dil,
        padding=padding, activation=act, per_channel=per_channel, inp=inp, out=out,
        batch=data.draw(st.integers(1, 2)), dtype="int16", bias=bias is not None, bias_dtype=bias)
    # LiteRT's 16x8 conv requires a bias, and its int32-bias path differs from TFLM's (which
    # sums in int32 and rescales with the 32-bit multiply): TFLM decides those
    against_both(runtime, model, inputs, litert=bias == "int64")


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=q16(), out=q16(1e-4, 0.05), bias=st.booleans())
def test_depthwise_conv2d_16x8(runtime: HostRuntime, data: st.DataObject, seed: int, padding: str, act: str,
                               per_channel: bool, inp: Quant, out: Quant, bias: bool) -> None:
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(1, 9).filter(lambda v: _fits(padding, v, kh, dil[0])))
    w = data.draw(st.integers(1, 9).filter(lambda v: _fits(padding, v, kw, dil[1])))
    model, inputs = ops.depthwise_conv2d(
        np.random.default_rng(seed), h=h, w=w, cin=data.draw(st.integers(1, 5)),
        depth_multiplier=data.draw(st.integers(1, 3)), kh=kh, kw=kw,
        stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))), dilation=dil, padding=padding,
        activation=act, per_channel=per_channel, inp=inp, out=out, dtype="int16", bias=bias,
        batch=data.draw(st.integers(1, 2)))
    against_both(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 3), depth=st.integers(1, 24), units=st.integers(1, 8),
       act=ACTIVATIONS, per_channel=st.booleans(), bias=st.booleans(), inp=q16(), out=q16(1e-4, 0.05))
def test_fully_connected_16x8(runtime: HostRuntime, seed: int, batch: int, depth: int, units: int, act: str,
                              per_channel: bool, bias: bool, inp: Quant, out: Quant) -> None:
    model, inputs = ops.fully_connected(np.random.default_rng(seed), batch=batch, depth=depth, units=units,
                                        activation=act, inp=inp, out=out, bias=bias, per_channel=per_channel,
                                        dtype="int16")
    # FULLY_CONNECTED 16x8: LiteRT is 1 LSB off TFLM in some outputs, per-channel and per-tensor
    # (measured, e.g. 1 of 7 outputs for depth 1, 7 units, scales 2^-7); this kernel implements
    # TFLM's (exact against TFLM in every example)
    against_both(runtime, model, inputs, litert_tolerance=1)


# ---- TRANSPOSE_CONV and BATCH_MATMUL ----------------------------------------------------------

@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), wide=st.booleans(), bias=st.booleans(), shape_as_input=st.booleans())
def test_transpose_conv(runtime: HostRuntime, data: st.DataObject, seed: int, padding: str, act: str,
                        per_channel: bool, wide: bool, bias: bool, shape_as_input: bool) -> None:
    inp, out = (data.draw(q16()), data.draw(q16(1e-4, 0.05))) if wide else (data.draw(q8()), data.draw(q8(0.01, 1.0)))
    model, inputs = ops_conv.transpose_conv(
        np.random.default_rng(seed), h=data.draw(st.integers(1, 6)), w=data.draw(st.integers(1, 6)),
        cin=data.draw(st.integers(1, 4)), cout=data.draw(st.integers(1, 4)), kh=data.draw(st.integers(1, 4)),
        kw=data.draw(st.integers(1, 4)), stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))),
        padding=padding, activation=act, per_channel=per_channel, inp=inp, out=out,
        batch=data.draw(st.integers(1, 2)), bias=bias, dtype="int16" if wide else "int8",
        shape_as_input=shape_as_input)
    against_both(runtime, model, inputs)


def test_transpose_conv_int16_bias_tflm_decides(runtime: HostRuntime) -> None:
    """TFLM widens an int16 bias of a 16x8 TRANSPOSE_CONV; LiteRT refuses it."""
    model, inputs = ops_conv.transpose_conv(np.random.default_rng(7), h=4, w=3, cin=3, cout=2, kh=3, kw=3,
                                            stride=(2, 1), inp=Quant(0.001, 0), out=Quant(0.002, 0),
                                            dtype="int16", bias_dtype="int16")
    with pytest.raises(ModelError, match="bias"):
        run_reference(model, inputs)
    check(run_tflm(model, inputs).outputs[0], ours(runtime, model, inputs), "TFLM")


def test_transpose_conv_shape_input_and_macs() -> None:
    """``tandem infer``'s random inputs give TRANSPOSE_CONV's output_shape input the shape it names
    (LiteRT sizes its output from it), and the op's MACs are counted."""
    from tandem.tinyml.job import random_inputs
    from tandem.tinyml.model import read_model

    case = seanet_case("transpose_conv0")
    info = read_model(case.model.read_bytes())
    shape_in, x = random_inputs(info, seed=1)
    assert shape_in.tolist() == [1, 3, 12, 64] and x.dtype == np.int16
    np.testing.assert_array_equal(case.inputs[0], shape_in)
    assert info.ops[0].macs == 5 * 64 * (64 * 3 * 4)
    model, _ = ops_conv.batch_matmul(np.random.default_rng(0), lhs_shape=(2, 4, 3), rhs_shape=(4, 5), adj_x=True)
    assert read_model(model).ops[0].macs == 2 * 3 * 5 * 4


def _batch_shapes(data: st.DataObject) -> tuple[list[int], list[int], bool, bool]:
    rows, depth, cols = (data.draw(st.integers(1, 5)) for _ in range(3))
    rank = data.draw(st.integers(2, 5))
    batch = [data.draw(st.integers(1, 3)) for _ in range(rank - 2)]
    lb = [b if data.draw(st.booleans()) else 1 for b in batch]
    rb = [b if data.draw(st.booleans()) else 1 for b in batch]
    lb = lb[data.draw(st.integers(0, len(lb))):]  # either operand may have fewer dimensions
    rb = rb[data.draw(st.integers(0, len(rb))):]
    adj_x, adj_y = data.draw(st.booleans()), data.draw(st.booleans())
    lhs = lb + ([depth, rows] if adj_x else [rows, depth])
    rhs = rb + ([cols, depth] if adj_y else [depth, cols])
    return lhs, rhs, adj_x, adj_y


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), wide=st.booleans(), rhs_const=st.booleans())
def test_batch_matmul(runtime: HostRuntime, data: st.DataObject, seed: int, wide: bool, rhs_const: bool) -> None:
    lhs, rhs, adj_x, adj_y = _batch_shapes(data)
    if wide:
        ql, qr, qo = data.draw(q16(1e-3, 0.05)), data.draw(q16(1e-3, 0.05)), data.draw(q16(0.01, 0.5))
    else:
        ql, qr, qo = data.draw(q8(0.01, 0.1)), data.draw(q8(0.01, 0.1)), data.draw(q8(0.05, 1.0))
    model, inputs = ops_conv.batch_matmul(np.random.default_rng(seed), lhs_shape=lhs, rhs_shape=rhs, adj_x=adj_x,
                                          adj_y=adj_y, lhs_q=ql, rhs_q=qr, out_q=qo,
                                          dtype="int16" if wide else "int8", rhs_const=rhs_const)
    against_both(runtime, model, inputs)


# ---- bias quantization: what TFLM accepts -----------------------------------------------------

BIAS_QDIM3 = {
    "CONV_2D": lambda rng: ops.conv2d(rng, h=6, w=5, cin=3, cout=4, kh=3, kw=2, bias_quantized_dimension=3),
    "CONV_2D 16x8": lambda rng: ops.conv2d(rng, h=6, w=5, cin=3, cout=4, kh=3, kw=2, inp=Quant(0.001, 0),
                                           out=Quant(0.002, 0), dtype="int16", bias_quantized_dimension=3),
    "DEPTHWISE_CONV_2D": lambda rng: ops.depthwise_conv2d(rng, h=6, w=5, cin=4, depth_multiplier=1, kh=3, kw=2,
                                                          bias_quantized_dimension=3),
    "FULLY_CONNECTED": lambda rng: ops.fully_connected(rng, batch=2, depth=5, units=4, per_channel=True,
                                                       bias_quantized_dimension=3),
    "TRANSPOSE_CONV": lambda rng: ops_conv.transpose_conv(rng, h=4, w=3, cin=3, cout=2, kh=3, kw=3, stride=(2, 2),
                                                          bias_quantized_dimension=3),
}


@pytest.mark.parametrize("op", sorted(BIAS_QDIM3))
def test_bias_quantized_dimension_3_runs_as_tflm(runtime: HostRuntime, op: str) -> None:
    """A converter writes per-channel biases with quantized_dimension 3 (rank 1): TFLM runs such
    models (it checks no bias quantization in these kernels), LiteRT refuses them."""
    model, inputs = BIAS_QDIM3[op](np.random.default_rng(11))
    with pytest.raises(ModelError, match="quantized_dimension"):
        run_reference(model, inputs)
    check(run_tflm(model, inputs).outputs[0], ours(runtime, model, inputs), "TFLM")


def test_per_channel_filter_needs_its_quantized_dimension(runtime: HostRuntime) -> None:
    """Per-channel weights whose quantized dimension is not the output channels' stay refused,
    with the filter named (the reader no longer checks quantized dimensions itself)."""
    m = ModelBuilder("conv_bad_qdim")
    x = m.tensor("input", (1, 4, 4, 3), scale=0.05)
    f = m.tensor("filter", (4, 2, 2, 3), scale=[0.01] * 4, data=np.ones((4, 2, 2, 3)), quantized_dimension=3)
    b = m.tensor("bias", (4,), "int32", scale=[0.0005] * 4, data=np.zeros(4))
    y = m.tensor("output", (1, 4, 4, 4), scale=0.1)
    m.op("CONV_2D", [x, f, b], [y])
    m.inputs, m.outputs = [x], [y]
    got = runtime.run(m.build(), [np.zeros((1, 4, 4, 3), np.int8)])
    assert got.status.code == UNSUPPORTED_TYPE and got.status.op_index == 0 and got.status.tensor_index == f


Builder = Callable[[np.random.Generator], tuple[bytes, list[np.ndarray]]]


@pytest.mark.parametrize("build", [
    lambda rng: ops.depthwise_conv2d(rng, h=5, w=5, cin=3, depth_multiplier=2, kh=3, kw=3, inp=Quant(0.001, 0),
                                     out=Quant(0.002, 0), dtype="int16", bias_dtype="int32"),
    lambda rng: ops.fully_connected(rng, batch=2, depth=7, units=5, inp=Quant(0.001, 0), out=Quant(0.002, 0),
                                    dtype="int16", bias_dtype="int32"),
], ids=["DEPTHWISE_CONV_2D", "FULLY_CONNECTED"])
def test_16x8_int32_bias_refused_where_tflm_reads_int64(runtime: HostRuntime, build: Builder) -> None:
    """TFLM's 16x8 depthwise and fully-connected kernels read the bias as int64 whatever its type
    (an int32 bias is read past its end), so the runtime refuses an int32 one, naming the bias."""
    model, inputs = build(np.random.default_rng(5))
    got = runtime.run(model, inputs)
    assert got.status.code == UNSUPPORTED_TYPE and got.status.op_index == 0 and got.status.tensor_index == 2


@pytest.mark.parametrize("dtype,bias_dtype", [("int16", "int64"), ("int8", "int32")])
@pytest.mark.parametrize("out_scale,factor,accepted", [
    (0.002, 1.0, True), (0.002, 3.0, True), (0.002, 10.0, False), (0.0002, 1.01, True), (0.0002, 1.5, False)])
def test_fc_bias_scale_checked_as_tflm(runtime: HostRuntime, dtype: str, bias_dtype: str, out_scale: float,
                                       factor: float, accepted: bool) -> None:
    """Per-tensor FULLY_CONNECTED: TFLM (and LiteRT) refuse a bias scale more than 2% of the output
    scale away from input scale * weight scale (measured: |diff| / out_s = 0.02 is accepted, 0.05
    refused); the runtime does the same and names the bias."""
    m = ModelBuilder("fc_bias_scale")
    x = m.tensor("input", (1, 4), dtype, scale=0.001)
    w = m.tensor("weights", (3, 4), scale=0.02, data=np.arange(12).reshape(3, 4))
    b = m.tensor("bias", (3,), bias_dtype, scale=0.001 * 0.02 * factor, data=np.array([100, -100, 7]))
    y = m.tensor("output", (1, 3), dtype, scale=out_scale)
    m.op("FULLY_CONNECTED", [x, w, b], [y])
    m.inputs, m.outputs = [x], [y]
    model, inputs = m.build(), [np.array([[10, -20, 30, 4]], dtype)]
    if accepted:
        check(run_tflm(model, inputs).outputs[0], ours(runtime, model, inputs), "TFLM")
        return
    with pytest.raises(ModelError):
        run_tflm(model, inputs)
    got = runtime.run(model, inputs)
    assert got.status.code == UNSUPPORTED_TYPE and got.status.op_index == 0 and got.status.tensor_index == b


# ---- on a simulated board -----------------------------------------------------------------------

def test_seanet_conv_on_board(cfg: TandemConfig) -> None:
    """The firmware build of the 16x8 kernels (arm-none-eabi-gcc, warnings as errors) on the M4."""
    board = Board.from_platform("nucleo_l4r5zi", cfg)
    image = board.load_elf(build_runtime(board.platform, cfg, "reference"))
    for name in ("conv0", "transpose_conv0"):
        case = seanet_case(name)
        r = infer(board, image, case.model.read_bytes(), case.inputs)
        np.testing.assert_array_equal(r.outputs[0], case.golden)


def test_int8_only_op_set_refuses_16x8(cfg: TandemConfig) -> None:
    """The DS-CNN op set links the int8-only conv kernels: a 16x8 model is refused, input named."""
    board = Board.from_platform("nucleo_l4r5zi", cfg)
    image = board.load_elf(build_runtime(board.platform, cfg, "dscnn"))
    case = seanet_case("conv0")
    with pytest.raises(ModelError, match=r"unsupported tensor type or quantization at op 0 \(CONV_2D\), tensor 0"):
        infer(board, image, case.model.read_bytes(), case.inputs)


# ---- hostile models -----------------------------------------------------------------------------

RUNTIME_DIR = Path(__file__).resolve().parents[1] / "firmware" / "runtime"
FUZZ_MODELS: dict[str, Builder] = {
    "conv16": lambda rng: ops.conv2d(rng, h=5, w=5, cin=3, cout=4, kh=3, kw=3, inp=Quant(0.001, 0),
                                     out=Quant(0.002, 0), dtype="int16"),
    "dw16": lambda rng: ops.depthwise_conv2d(rng, h=5, w=5, cin=3, depth_multiplier=2, kh=3, kw=3,
                                             inp=Quant(0.001, 0), out=Quant(0.002, 0), dtype="int16"),
    "fc16": lambda rng: ops.fully_connected(rng, batch=2, depth=6, units=4, inp=Quant(0.001, 0),
                                            out=Quant(0.002, 0), dtype="int16", per_channel=True),
    "tconv8": lambda rng: ops_conv.transpose_conv(rng, h=4, w=3, cin=3, cout=2, kh=3, kw=2, stride=(2, 2),
                                                  bias_quantized_dimension=3),
    "tconv16": lambda rng: ops_conv.transpose_conv(rng, h=4, w=3, cin=3, cout=2, kh=3, kw=2, stride=(2, 2),
                                                   inp=Quant(0.001, 0), out=Quant(0.002, 0), dtype="int16",
                                                   shape_as_input=True),
    "bmm8": lambda rng: ops_conv.batch_matmul(rng, lhs_shape=(2, 1, 3, 4), rhs_shape=(3, 4, 5),
                                              lhs_q=Quant(0.05, 3), rhs_q=Quant(0.04, -2), out_q=Quant(0.3, 1)),
    "bmm16": lambda rng: ops_conv.batch_matmul(rng, lhs_shape=(2, 4, 3), rhs_shape=(2, 5, 4), adj_x=True,
                                               adj_y=True, lhs_q=Quant(0.001, 0), rhs_q=Quant(0.001, 0),
                                               out_q=Quant(0.01, 0), dtype="int16", rhs_const=True),
}


@pytest.fixture(scope="module")
def fuzz_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required for the sanitizer build")
    out = tmp_path_factory.mktemp("fuzz16") / "tfl_fuzz"
    srcs = sorted((RUNTIME_DIR / "src").glob("*.c")) + sorted((RUNTIME_DIR / "kernels" / "reference").glob("*.c"))
    cmd = ["gcc", "-std=c99", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-Wall", "-Wextra", "-Werror", f"-I{RUNTIME_DIR / 'include'}", f"-I{RUNTIME_DIR / 'kernels' / 'reference'}",
           f"-I{RUNTIME_DIR / 'host'}", *map(str, srcs), str(RUNTIME_DIR / "host" / "host_api.c"),
           str(RUNTIME_DIR / "host" / "fuzz_main.c"), "-lm", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("name", sorted(FUZZ_MODELS))
def test_sanitizer_truncation_and_corruption(fuzz_binary: Path, tmp_path: Path, name: str) -> None:
    """The new kernels under ASan+UBSan: every truncation plus 300 seeded corruptions."""
    model = tmp_path / f"{name}.tflite"
    model.write_bytes(FUZZ_MODELS[name](np.random.default_rng(1))[0])
    proc = subprocess.run([str(fuzz_binary), str(model), "300", "99"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    counts = dict(line.split(": ") for line in proc.stdout.strip().splitlines())
    assert int(counts.get("status 0", 0)) >= 1  # the unmodified model ran
