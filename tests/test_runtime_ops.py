"""Property tests: each int8 kernel of the C runtime (host build) == LiteRT BUILTIN_REF, bit for bit.

Hypothesis draws shapes, strides, padding, dilation, activations and quantization
parameters; the model is built with tandem.tinyml.models.ops and run through both implementations.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops
from tandem.tinyml.models.ops import Quant

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ACTIVATIONS = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])
PADDING = st.sampled_from(["SAME", "VALID"])


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime()


def quant(lo: float = 0.002, hi: float = 0.5) -> st.SearchStrategy[Quant]:
    return st.builds(Quant, st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                     st.integers(-128, 127))


def assert_same(runtime: HostRuntime, model: bytes, inputs: list[np.ndarray]) -> None:
    expected = run_reference(model, inputs)
    got = runtime.run(model, inputs)
    assert got.status.ok, got.status
    assert len(got.outputs) == len(expected)
    for e, g in zip(expected, got.outputs, strict=True):
        assert e.dtype == g.dtype and e.shape == g.shape
        if not np.array_equal(e, g):
            diff = np.argwhere(e != g)
            raise AssertionError(f"{len(diff)} of {e.size} outputs differ; first at {diff[0].tolist()}: "
                                 f"expected {e[tuple(diff[0])]}, got {g[tuple(diff[0])]}")


def _fits(padding: str, size: int, k: int, dilation: int) -> bool:
    return padding == "SAME" or size >= (k - 1) * dilation + 1


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0))
def test_conv2d(runtime: HostRuntime, data: st.DataObject, seed: int, padding: str, act: str,
                per_channel: bool, inp: Quant, out: Quant) -> None:
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(1, 10).filter(lambda v: _fits(padding, v, kh, dil[0])))
    w = data.draw(st.integers(1, 10).filter(lambda v: _fits(padding, v, kw, dil[1])))
    model, inputs = ops.conv2d(
        np.random.default_rng(seed), h=h, w=w, cin=data.draw(st.integers(1, 6)), cout=data.draw(st.integers(1, 6)),
        kh=kh, kw=kw, stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))), dilation=dil,
        padding=padding, activation=act, per_channel=per_channel, inp=inp, out=out,
        batch=data.draw(st.integers(1, 2)))  # LiteRT's int8 conv requires a bias
    assert_same(runtime, model, inputs)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0))
def test_depthwise_conv2d(runtime: HostRuntime, data: st.DataObject, seed: int, padding: str, act: str,
                          per_channel: bool, inp: Quant, out: Quant) -> None:
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(1, 10).filter(lambda v: _fits(padding, v, kh, dil[0])))
    w = data.draw(st.integers(1, 10).filter(lambda v: _fits(padding, v, kw, dil[1])))
    model, inputs = ops.depthwise_conv2d(
        np.random.default_rng(seed), h=h, w=w, cin=data.draw(st.integers(1, 6)),
        depth_multiplier=data.draw(st.integers(1, 3)), kh=kh, kw=kw,
        stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))), dilation=dil, padding=padding,
        activation=act, per_channel=per_channel, inp=inp, out=out)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 3), depth=st.integers(1, 64),
       units=st.integers(1, 24), act=ACTIVATIONS, inp=quant(), out=quant(0.01, 2.0), bias=st.booleans(),
       per_channel=st.booleans())
def test_fully_connected(runtime: HostRuntime, seed: int, batch: int, depth: int, units: int, act: str,
                         inp: Quant, out: Quant, bias: bool, per_channel: bool) -> None:
    model, inputs = ops.fully_connected(np.random.default_rng(seed), batch=batch, depth=depth, units=units,
                                        activation=act, inp=inp, out=out, bias=bias, per_channel=per_channel)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]),
       padding=PADDING, act=ACTIVATIONS, q=quant())
def test_pool2d(runtime: HostRuntime, data: st.DataObject, seed: int, kind: str, padding: str, act: str,
                q: Quant) -> None:
    fh, fw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    h = data.draw(st.integers(1, 10).filter(lambda v: _fits(padding, v, fh, 1)))
    w = data.draw(st.integers(1, 10).filter(lambda v: _fits(padding, v, fw, 1)))
    model, inputs = ops.pool2d(np.random.default_rng(seed), kind, h=h, w=w, c=data.draw(st.integers(1, 5)),
                               fh=fh, fw=fw, stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))),
                               padding=padding, activation=act, q=q)
    assert_same(runtime, model, inputs)


@st.composite
def broadcast_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    ndim = draw(st.integers(1, 4))
    out = tuple(draw(st.integers(1, 5)) for _ in range(ndim))

    def operand() -> tuple[int, ...]:
        drop = draw(st.integers(0, ndim - 1))
        return tuple(1 if draw(st.booleans()) else d for d in out[drop:])

    a, b = operand(), operand()
    rank = max(len(a), len(b))
    full = tuple(max(x, y) for x, y in zip((1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b, strict=True))
    return a, b, full


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), shapes=broadcast_shapes(),
       act=ACTIVATIONS, q1=quant(), q2=quant(), qo=quant(0.005, 1.0))
def test_add_mul(runtime: HostRuntime, seed: int, kind: str,
                 shapes: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]], act: str, q1: Quant,
                 q2: Quant, qo: Quant) -> None:
    a, b, out = shapes
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=a, shape2=b, out_shape=out, q1=q1,
                               q2=q2, qo=qo, activation=act)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 4), depth=st.integers(1, 40),
       inp=quant(0.005, 1.0), beta=st.sampled_from([1.0, 0.5, 2.0, 0.1]))
def test_softmax(runtime: HostRuntime, seed: int, rows: int, depth: int, inp: Quant, beta: float) -> None:
    model, inputs = ops.softmax(np.random.default_rng(seed), shape=(rows, depth), inp=inp, beta=beta)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), keep=st.booleans(), inp=quant(), out=quant())
def test_mean(runtime: HostRuntime, data: st.DataObject, seed: int, keep: bool, inp: Quant, out: Quant) -> None:
    shape = tuple(data.draw(st.integers(1, 6)) for _ in range(4))
    axes = data.draw(st.lists(st.integers(-4, 3), min_size=1, max_size=3, unique_by=lambda a: a % 4))
    if data.draw(st.booleans()):
        out = inp  # same quantization in and out
    model, inputs = ops.mean(np.random.default_rng(seed), shape=shape, axes=axes, keep_dims=keep, inp=inp, out=out)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), q=quant())
def test_pad(runtime: HostRuntime, data: st.DataObject, seed: int, q: Quant) -> None:
    ndim = data.draw(st.integers(1, 4))
    shape = [data.draw(st.integers(1, 5)) for _ in range(ndim)]
    pads = [(data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))) for _ in range(ndim)]
    model, inputs = ops.pad(np.random.default_rng(seed), shape=shape, paddings=pads, q=q)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), q=quant())
def test_concatenation(runtime: HostRuntime, data: st.DataObject, seed: int, q: Quant) -> None:
    ndim = data.draw(st.integers(1, 4))
    axis = data.draw(st.integers(-ndim, ndim - 1))
    base = [data.draw(st.integers(1, 4)) for _ in range(ndim)]
    shapes = []
    for _ in range(data.draw(st.integers(1, 4))):
        s = list(base)
        s[axis] = data.draw(st.integers(1, 4))
        shapes.append(s)
    model, inputs = ops.concatenation(np.random.default_rng(seed), shapes=shapes, axis=axis, q=q)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), out=quant(0.001, 1.0),
       inp=st.one_of(st.none(), quant()), rng_span=st.floats(0.1, 300.0))
def test_quantize(runtime: HostRuntime, seed: int, n: int, out: Quant, inp: Quant | None, rng_span: float) -> None:
    model, inputs = ops.quantize(np.random.default_rng(seed), shape=(1, n), out=out, inp=inp, float_range=rng_span)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200), inp=quant(1e-4, 10.0))
def test_dequantize(runtime: HostRuntime, seed: int, n: int, inp: Quant) -> None:
    model, inputs = ops.dequantize(np.random.default_rng(seed), shape=(2, n), inp=inp)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), q=quant())
def test_reshape(runtime: HostRuntime, seed: int, shape: list[int], q: Quant) -> None:
    new_shape = [int(np.prod(shape))]
    model, inputs = ops.reshape(np.random.default_rng(seed), shape=shape, new_shape=new_shape, q=q)
    assert_same(runtime, model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), inp=quant(0.001, 1.0))
def test_logistic(runtime: HostRuntime, seed: int, inp: Quant) -> None:
    """All 256 input codes, so every table entry is compared."""
    model, _ = ops.logistic(np.random.default_rng(seed), shape=(2, 128), inp=inp)
    x = np.arange(-128, 128, dtype=np.int8).reshape(2, 128)
    assert_same(runtime, model, [x])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 2), input_size=st.integers(1, 24),
       units=st.integers(1, 6), rank=st.integers(1, 3), memory=st.integers(1, 8), inp=quant(0.005, 0.3),
       out=quant(0.005, 0.5), state_scale=st.floats(0.002, 0.2), bias=st.booleans(),
       invocations=st.integers(1, 4))
def test_svdf(runtime: HostRuntime, seed: int, batch: int, input_size: int, units: int, rank: int, memory: int,
              inp: Quant, out: Quant, state_scale: float, bias: bool, invocations: int) -> None:
    """Several invocations, so the int16 state carried between them is compared too."""
    model, inputs = ops.svdf(np.random.default_rng(seed), batch=batch, input_size=input_size, units=units,
                             rank=rank, memory=memory, inp=inp, out=out, state_scale=state_scale, bias=bias)
    expected = run_reference(model, inputs, invocations=invocations)
    got = runtime.run(model, inputs, invocations=invocations)
    assert got.status.ok, got.status
    np.testing.assert_array_equal(got.outputs[0], expected[0])


def test_quantize_rounds_ties_like_litert(runtime: HostRuntime) -> None:
    """Exact .5 ties and values far out of range, where float rounding rules matter."""
    q = Quant(0.5, 3)
    model, _ = ops.quantize(np.random.default_rng(0), shape=(1, 12), out=q)
    x = np.array([[0.25, -0.25, 0.75, -0.75, 1.25, -1.25, 1e9, -1e9, 63.75, -64.25, 0.0, 2.5]], dtype=np.float32)
    assert_same(runtime, model, [x])


def test_quantize_divides_in_single_precision_like_tflite(runtime: HostRuntime) -> None:
    """TFLite's AffineQuantize rounds val / static_cast<float>(scale), a float32 quotient. With
    scale 0.1 (float32 0.100000001490116...) and x = -11.75 the exact quotient is
    -117.4999982...: a double quotient rounds to -117, the float32 one is -117.5 and rounds to -118,
    as LiteRT does. Every value here is such a case (found by comparing the two quotients)."""
    q = Quant(0.1, 0)
    model, _ = ops.quantize(np.random.default_rng(0), shape=(1, 8), out=q)
    x = np.array([[-11.75, -11.25, -10.75, -10.25, -9.75, -11.949999809265137, -11.449999809265137,
                   -10.949999809265137]], dtype=np.float32)
    assert_same(runtime, model, [x])
    got = runtime.run(model, [x])
    assert got.outputs[0][0, 0] == -118


@pytest.mark.parametrize("scale", [1e-4, 0.1, 0.0078125, 1 / 3, 7.123456789, 1234.5678])
@pytest.mark.parametrize("zero_point", [-128, -1, 0, 127])
def test_dequantize_every_code_like_tflite(runtime: HostRuntime, scale: float, zero_point: int) -> None:
    """All 256 int8 codes: the float32 product the kernel computes is TFLite's double product
    rounded once to float32, bit for bit (dequantize.c's argument)."""
    model, _ = ops.dequantize(np.random.default_rng(0), shape=(2, 128), inp=Quant(scale, zero_point))
    x = np.arange(-128, 128, dtype=np.int8).reshape(2, 128)
    got = runtime.run(model, [x])
    assert got.status.ok, got.status
    want = (np.float64(np.float32(scale)) * (x.astype(np.float64) - zero_point)).astype(np.float32)
    np.testing.assert_array_equal(got.outputs[0].view(np.uint32), want.view(np.uint32))
    assert_same(runtime, model, [x])
