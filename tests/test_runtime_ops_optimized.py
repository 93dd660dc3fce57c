"""The optimized kernels (firmware/runtime/kernels/optimized/) == LiteRT BUILTIN_REF, bit for bit.

The host build runs them twice: their portable C paths (what Cortex-M0+/M3 get) and their
DSP-extension paths with the ACLE intrinsics emulated in C (TFL_OPT_DSP_EMULATE; the real
intrinsics run on simulated M4 boards in test_op_sets_optimized.py). The reference kernels'
property tests run unchanged (same strategies) against the DSP build, and extra strategies reach
the fast paths the reference tests rarely draw: 1x1 convolutions and depthwise channel
multiplier 1 with many channels (the 4-wide inner loops, the 2x2 blocks and their odd tails),
and fully-connected weights with a zero point (the per-row folding term).
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
    test_conv2d,
    test_depthwise_conv2d,
    test_fully_connected,
)

FAST = settings(max_examples=60, deadline=None, derandomize=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # the reference tests' 300 examples run on the DSP paths (the loops with the most code); this
    # module's fast-path strategies and the Cortex-M3 board test cover the portable paths
    if "flavour" in metafunc.fixturenames:
        shared = metafunc.function.__module__.endswith("test_runtime_ops")
        metafunc.parametrize("flavour", ["dsp"] if shared else ["portable", "dsp"], scope="module")


@pytest.fixture(scope="module")
def runtime(flavour: str) -> HostRuntime:
    return HostRuntime(HostBuildConfig.optimized(dsp=flavour == "dsp"))


@FAST
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 6), w=st.integers(1, 6), cin=st.integers(1, 40),
       cout=st.integers(1, 9), stride=st.integers(1, 2), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0), batch=st.integers(1, 2))
def test_conv2d_1x1(runtime: HostRuntime, seed: int, h: int, w: int, cin: int, cout: int, stride: int,
                    padding: str, act: str, per_channel: bool, inp: Quant, out: Quant, batch: int) -> None:
    model, inputs = ops.conv2d(np.random.default_rng(seed), h=h, w=w, cin=cin, cout=cout, kh=1, kw=1,
                               stride=(stride, stride), dilation=(1, 1), padding=padding, activation=act,
                               per_channel=per_channel, inp=inp, out=out, batch=batch)
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), hw=st.integers(1, 7), cin=st.integers(1, 21), k=st.integers(1, 3),
       cout=st.integers(1, 5), stride=st.integers(1, 2), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0))
def test_conv2d_im2col_deep(runtime: HostRuntime, seed: int, hw: int, cin: int, k: int, cout: int, stride: int,
                            padding: str, act: str, per_channel: bool, inp: Quant, out: Quant) -> None:
    if padding == "VALID" and hw < k:
        hw = k
    model, inputs = ops.conv2d(np.random.default_rng(seed), h=hw, w=hw + 1, cin=cin, cout=cout, kh=k, kw=k,
                               stride=(stride, stride), dilation=(1, 1), padding=padding, activation=act,
                               per_channel=per_channel, inp=inp, out=out)
    assert_same(runtime, model, inputs)


@FAST
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 8), w=st.integers(1, 8), cin=st.integers(1, 21),
       k=st.sampled_from([(3, 3), (1, 3), (3, 1), (5, 5), (2, 2)]), stride=st.integers(1, 2),
       dil=st.integers(1, 2), padding=PADDING, act=ACTIVATIONS, per_channel=st.booleans(), inp=quant(),
       out=quant(0.01, 1.0))
def test_depthwise_multiplier1(runtime: HostRuntime, seed: int, h: int, w: int, cin: int, k: tuple[int, int],
                               stride: int, dil: int, padding: str, act: str, per_channel: bool, inp: Quant,
                               out: Quant) -> None:
    if padding == "VALID":
        h, w = max(h, (k[0] - 1) * dil + 1), max(w, (k[1] - 1) * dil + 1)
    model, inputs = ops.depthwise_conv2d(np.random.default_rng(seed), h=h, w=w, cin=cin, depth_multiplier=1,
                                         kh=k[0], kw=k[1], stride=(stride, stride), dilation=(dil, dil),
                                         padding=padding, activation=act, per_channel=per_channel, inp=inp,
                                         out=out)
    assert_same(runtime, model, inputs)
