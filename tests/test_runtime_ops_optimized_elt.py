"""The optimized AVERAGE/MAX_POOL_2D, ADD, MUL and SOFTMAX kernels (kernels/optimized/) == LiteRT
BUILTIN_REF (and TFLM where the reference tests defer to it), bit for bit.

As test_runtime_ops_optimized.py: the host build runs the portable C paths and the DSP paths
with the intrinsics emulated (TFL_OPT_DSP_EMULATE). The reference kernels' property tests for
these ops (int8 and 16x8, with broadcasting, which the optimized ADD/MUL hand back to the
reference kernel) run unchanged on the DSP build; the strategies here reach the fast paths:
many channels (the 4-lane loops and their tails; int16 pooling as well), windows of more than 256 taps (the int32
average), long same-shape ADD/MUL operands, softmax rows longer than the exponential cache, and
int16 softmax rows (TFLM is their oracle, as in test_runtime_ops_act16.py).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.tinyml.host_runtime import HostBuildConfig, HostRuntime
from tandem.tinyml.models import ops
from tandem.tinyml.models.ops import Quant
from tests.test_runtime_ops import (  # noqa: F401  (collected here with this module's fixture)
    ACTIVATIONS,
    PADDING,
    assert_same,
    quant,
    test_add_mul,
    test_pool2d,
    test_softmax,
)
from tests.test_runtime_ops_act16 import TFLM, q16, test_pool_int16, test_softmax_int16  # noqa: F401
from tests.test_runtime_ops_act16 import assert_same as assert_same_oracles
from tests.test_runtime_ops_elem16 import test_add_sub, test_mul_int16  # noqa: F401

FAST = settings(max_examples=60, deadline=None, derandomize=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "flavour" in metafunc.fixturenames:
        shared = not metafunc.function.__module__.endswith("optimized_elt")
        metafunc.parametrize("flavour", ["dsp"] if shared else ["portable", "dsp"], scope="module")


@pytest.fixture(scope="module")
def runtime(flavour: str) -> HostRuntime:
    return HostRuntime(HostBuildConfig.optimized(dsp=flavour == "dsp"))


@FAST
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]),
       hw=st.integers(1, 7), c=st.integers(1, 23), f=st.integers(1, 3), stride=st.integers(1, 2), padding=PADDING,
       act=ACTIVATIONS, q=quant(), batch=st.integers(1, 2))
def test_pool_many_channels(runtime: HostRuntime, seed: int, kind: str, hw: int, c: int, f: int, stride: int,
                            padding: str, act: str, q: Quant, batch: int) -> None:
    hw = max(hw, f) if padding == "VALID" else hw
    model, inputs = ops.pool2d(np.random.default_rng(seed), kind, h=hw, w=hw + 1, c=c, fh=f, fw=f,
                               stride=(stride, stride), padding=padding, activation=act, q=q, batch=batch)
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]),
       hw=st.integers(1, 6), c=st.integers(1, 13), f=st.integers(1, 3), stride=st.integers(1, 2), padding=PADDING,
       act=ACTIVATIONS, batch=st.integers(1, 2), data=st.data())
def test_pool_int16_many_channels(runtime: HostRuntime, seed: int, kind: str, hw: int, c: int, f: int, stride: int,
                                  padding: str, act: str, batch: int, data: st.DataObject) -> None:
    hw = max(hw, f) if padding == "VALID" else hw
    q = data.draw(st.one_of(q16(), st.builds(Quant, st.floats(1e-5, 2e-3), st.integers(-2000, 2000))))
    model, inputs = ops.pool2d(np.random.default_rng(seed), kind, h=hw, w=hw + 1, c=c, fh=f, fw=f,
                               stride=(stride, stride), padding=padding, activation=act, q=q, dtype="int16",
                               batch=batch)
    assert_same_oracles(runtime, model, inputs)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]),
       hw=st.integers(15, 20), c=st.integers(1, 9), act=ACTIVATIONS, q=quant())
def test_global_pool_over_256_taps(runtime: HostRuntime, seed: int, kind: str, hw: int, c: int, act: str,
                                   q: Quant) -> None:
    # a global pool (the window is the input): 225..400 taps; saturated inputs reach |sum| > 2^15
    rng = np.random.default_rng(seed)
    model, inputs = ops.pool2d(rng, kind, h=hw, w=hw, c=c, fh=hw, fw=hw, stride=(1, 1), padding="VALID",
                               activation=act, q=q)
    inputs = [np.where(rng.random(x.shape) < 0.8, np.int8(-128 if seed % 2 else 127), x).astype(x.dtype)
              for x in inputs]
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), n=st.integers(1, 70),
       lead=st.integers(1, 3), act=ACTIVATIONS, q1=quant(), q2=quant(), qo=quant(0.005, 1.0))
def test_add_mul_same_shape(runtime: HostRuntime, seed: int, kind: str, n: int, lead: int, act: str, q1: Quant,
                            q2: Quant, qo: Quant) -> None:
    shape = (lead, n)
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=shape, shape2=shape, out_shape=shape,
                               q1=q1, q2=q2, qo=qo, activation=act)
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), n=st.integers(1, 70),
       act=ACTIVATIONS, data=st.data())
def test_add_mul_same_shape_int16(runtime: HostRuntime, seed: int, kind: str, n: int, act: str,
                                  data: st.DataObject) -> None:
    q16 = st.builds(Quant, st.floats(1e-5, 1e-3), st.just(0))
    q1, q2 = data.draw(q16), data.draw(q16)
    qo = data.draw(q16) if kind == "ADD" else Quant(q1.scale * q2.scale * data.draw(st.floats(256.0, 65536.0)), 0)
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=(2, n), shape2=(2, n), out_shape=(2, n),
                               q1=q1, q2=q2, qo=qo, activation=act, dtype="int16",
                               **({"pot_scale_int16": False} if kind == "ADD" else {}))
    assert_same(runtime, model, inputs)


@st.composite
def block_broadcast(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(full, small): small is full's trailing dims after leading 1s (dropped or kept), the shapes
    the optimized ADD/MUL run by blocks (a per-channel operand, a row, a single value)."""
    full = tuple(draw(st.integers(1, 9)) for _ in range(draw(st.integers(1, 4))))
    keep = draw(st.integers(0, len(full)))
    tail = full[len(full) - keep:]
    lead = draw(st.integers(0, len(full) - keep))
    return full, (1,) * lead + tail


@FAST
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), shapes=block_broadcast(),
       small_first=st.booleans(), act=ACTIVATIONS, q1=quant(), q2=quant(), qo=quant(0.005, 1.0))
def test_add_mul_block_broadcast(runtime: HostRuntime, seed: int, kind: str, shapes: tuple[tuple[int, ...], ...],
                                 small_first: bool, act: str, q1: Quant, q2: Quant, qo: Quant) -> None:
    full, small = shapes
    a, b = (small, full) if small_first else (full, small)
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=a, shape2=b, out_shape=full,
                               q1=q1, q2=q2, qo=qo, activation=act)
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), shapes=block_broadcast(),
       small_first=st.booleans(), act=ACTIVATIONS, data=st.data())
def test_add_mul_block_broadcast_int16(runtime: HostRuntime, seed: int, kind: str,
                                       shapes: tuple[tuple[int, ...], ...], small_first: bool, act: str,
                                       data: st.DataObject) -> None:
    full, small = shapes
    a, b = (small, full) if small_first else (full, small)
    q16 = st.builds(Quant, st.floats(1e-5, 1e-3), st.just(0))
    q1, q2 = data.draw(q16), data.draw(q16)
    qo = data.draw(q16) if kind == "ADD" else Quant(q1.scale * q2.scale * data.draw(st.floats(256.0, 65536.0)), 0)
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=a, shape2=b, out_shape=full,
                               q1=q1, q2=q2, qo=qo, activation=act, dtype="int16",
                               **({"pot_scale_int16": False} if kind == "ADD" else {}))
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 3), depth=st.sampled_from([1, 3, 4, 5, 12, 255, 256, 257,
                                                                                      300]),
       inp=quant(0.005, 1.0), beta=st.sampled_from([1.0, 0.5, 2.0, 0.1]))
def test_softmax_rows(runtime: HostRuntime, seed: int, rows: int, depth: int, inp: Quant, beta: float) -> None:
    model, inputs = ops.softmax(np.random.default_rng(seed), shape=(rows, depth), inp=inp, beta=beta)
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 3), depth=st.sampled_from([1, 2, 7, 40, 100, 257]),
       beta=st.sampled_from([1.0, 0.5, 2.0, 0.25]), data=st.data())
def test_softmax_int16_rows(runtime: HostRuntime, seed: int, rows: int, depth: int, beta: float,
                            data: st.DataObject) -> None:
    model, inputs = ops.softmax(np.random.default_rng(seed), shape=(rows, depth), inp=data.draw(q16(1e-5, 1e-3)),
                                beta=beta, dtype="int16")
    assert_same_oracles(runtime, model, inputs, (TFLM,))
