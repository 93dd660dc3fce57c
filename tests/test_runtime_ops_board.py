"""Property tests on the simulated board: the cross-compiled runtime image (Cortex-M4F, -O2) on
nucleo_l4r5zi gives LiteRT BUILTIN_REF's outputs exactly, over random shapes, strides, padding,
dilation, activations and quantization. (test_runtime_ops.py runs many more examples of every
op against the host build of the same C; this checks the firmware build and the board path.)"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_runtime_ops import ACTIVATIONS, PADDING, _fits, quant  # the host tests' strategies

from tandem.machine.board import Board
from tandem.tinyml.infer import build_runtime, infer
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
BOARD = "nucleo_l4r5zi"


@pytest.fixture(scope="module")
def on_board(cfg):
    elf = build_runtime(Board.from_platform(BOARD, cfg).platform, cfg)

    def run(model: bytes, inputs: list[np.ndarray]) -> None:
        b = Board.from_platform(BOARD, cfg)
        got = infer(b, b.load_elf(elf), model, inputs).outputs
        for e, g in zip(run_reference(model, inputs), got, strict=True):
            np.testing.assert_array_equal(g, e)

    return run


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0))
def test_conv2d_on_board(on_board, data, seed, padding, act, per_channel, inp, out):
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(1, 12).filter(lambda v: _fits(padding, v, kh, dil[0])))
    w = data.draw(st.integers(1, 12).filter(lambda v: _fits(padding, v, kw, dil[1])))
    model, inputs = ops.conv2d(
        np.random.default_rng(seed), h=h, w=w, cin=data.draw(st.integers(1, 8)), cout=data.draw(st.integers(1, 8)),
        kh=kh, kw=kw, stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))), dilation=dil,
        padding=padding, activation=act, per_channel=per_channel, inp=inp, out=out)
    on_board(model, inputs)


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0))
def test_depthwise_conv2d_on_board(on_board, data, seed, padding, act, per_channel, inp, out):
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    dil = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    h = data.draw(st.integers(1, 12).filter(lambda v: _fits(padding, v, kh, dil[0])))
    w = data.draw(st.integers(1, 12).filter(lambda v: _fits(padding, v, kw, dil[1])))
    model, inputs = ops.depthwise_conv2d(
        np.random.default_rng(seed), h=h, w=w, cin=data.draw(st.integers(1, 6)),
        depth_multiplier=data.draw(st.integers(1, 3)), kh=kh, kw=kw,
        stride=(data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))), dilation=dil, padding=padding,
        activation=act, per_channel=per_channel, inp=inp, out=out)
    on_board(model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 3), depth=st.integers(1, 64),
       units=st.integers(1, 24), act=ACTIVATIONS, inp=quant(), out=quant(0.01, 2.0), bias=st.booleans(),
       per_channel=st.booleans())
def test_fully_connected_on_board(on_board, seed, batch, depth, units, act, inp, out, bias, per_channel):
    model, inputs = ops.fully_connected(np.random.default_rng(seed), batch=batch, depth=depth, units=units,
                                        activation=act, inp=inp, out=out, bias=bias, per_channel=per_channel)
    on_board(model, inputs)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 4), cols=st.integers(2, 40),
       inp=quant(0.01, 1.0), beta=st.floats(0.5, 2.0))
def test_softmax_on_board(on_board, seed, rows, cols, inp, beta):
    model, inputs = ops.softmax(np.random.default_rng(seed), shape=(rows, cols), inp=inp, beta=beta)
    on_board(model, inputs)
