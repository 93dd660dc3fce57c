"""The "optimized" op set on simulated boards: the DSP-extension kernels (real ACLE intrinsics,
cross-compiled for the Cortex-M4F of nucleo_l4r5zi) and the portable C ones (Cortex-M3 of
bluepill) give the reference kernels' outputs bit for bit, and the optimized kernels take fewer
cycles than the reference ones on every op they implement. (Absolute cycle counts move with the
flash timing model, so only the relation is asserted.) The host tests
(test_runtime_ops_optimized.py) cover many more shapes of the same C."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_runtime_ops import ACTIVATIONS, PADDING, quant

from tandem.errors import ModelError
from tandem.machine.board import Board
from tandem.platform.model import load_platform
from tandem.tinyml.infer import build_runtime, infer, run_model
from tandem.tinyml.job import model_op_set, optimized_kernels, reference_kernels
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops
from tandem.tinyml.models.ops import Quant

MODELS = Path(__file__).parent / "models"
OPTIMIZED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "ADD", "MUL",
                 "SOFTMAX"}
BOARD_SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def test_optimized_table_takes_optimized_kernels_where_they_exist(cfg) -> None:
    opt = optimized_kernels(cfg)
    assert set(opt) == OPTIMIZED_OPS and all(s.startswith("tfl_opt_") for s in opt.values())
    text = model_op_set(cfg, ["CONV_2D", "SOFTMAX", "RESHAPE"], flavour="optimized").read_text()
    assert "&tfl_opt_conv_2d" in text and "&tfl_opt_softmax" in text and "&tfl_ref_reshape" in text
    assert "tfl_ref_conv_2d" not in text  # the optimized kernel links its reference fallback itself
    plain = model_op_set(cfg, ["CONV_2D", "SOFTMAX"]).read_text()
    assert "tfl_opt_" not in plain and f"&{reference_kernels(cfg)['CONV_2D']}" in plain
    with pytest.raises(ModelError, match="needs the model's ops"):
        build_runtime(load_platform("nucleo_l4r5zi", cfg.platforms_search), cfg, "optimized")


@pytest.mark.parametrize("model", ["ds_cnn.tflite", "mobilenet_v1_025.tflite", "fc_autoencoder.tflite"])
def test_models_bit_exact_and_faster_on_cortex_m4(cfg, model: str) -> None:
    ref = run_model("nucleo_l4r5zi", MODELS / model, cfg, op_set="model")
    opt = run_model("nucleo_l4r5zi", MODELS / model, cfg, op_set="optimized")
    for r, o in zip(ref.outputs, opt.outputs, strict=True):
        np.testing.assert_array_equal(o, r)
    for r, o in zip(ref.ops, opt.ops, strict=True):
        if r.op in OPTIMIZED_OPS:  # pooling and SOFTMAX too (these models broadcast no ADD/MUL)
            assert o.cycles < r.cycles, (model, r.index, r.op, r.cycles, o.cycles)
    assert opt.cycles < ref.cycles


def test_portable_kernels_on_cortex_m3(cfg) -> None:
    # op_depthwise_conv2d has channel multiplier 2: the optimized kernel hands it to the
    # reference kernel, the same code at another flash address (1% for the fetch alignment)
    # op_add broadcasts its second input by blocks: the optimized kernel runs it block by block
    for model, faster in (("op_conv2d.tflite", True), ("op_fully_connected.tflite", True),
                          ("op_depthwise_conv2d.tflite", False), ("op_average_pool_2d.tflite", True),
                          ("op_max_pool_2d.tflite", True), ("op_mul.tflite", True), ("op_softmax.tflite", True),
                          ("op_add.tflite", True)):
        ref = run_model("bluepill", MODELS / model, cfg, op_set="model")
        opt = run_model("bluepill", MODELS / model, cfg, op_set="optimized")  # the same seeded input
        assert len(opt.outputs) == len(ref.outputs) > 0
        for r, o in zip(ref.outputs, opt.outputs, strict=True):
            np.testing.assert_array_equal(o, r)
        if faster:
            assert opt.cycles < ref.cycles, model
        else:
            assert abs(opt.ops[0].cycles - ref.ops[0].cycles) <= ref.ops[0].cycles // 100, model


@pytest.fixture(scope="module")
def on_m4(cfg):
    elf = build_runtime(load_platform("nucleo_l4r5zi", cfg.platforms_search), cfg, "optimized",
                        ops=sorted(OPTIMIZED_OPS))

    def run(model: bytes, inputs: list[np.ndarray]) -> None:
        b = Board.from_platform("nucleo_l4r5zi", cfg)
        got = infer(b, b.load_elf(elf), model, inputs).outputs
        for e, g in zip(run_reference(model, inputs), got, strict=True):
            np.testing.assert_array_equal(g, e)

    return run


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), hw=st.integers(1, 6), cin=st.integers(1, 40), cout=st.integers(1, 9),
       k=st.integers(1, 3), stride=st.integers(1, 2), padding=PADDING, act=ACTIVATIONS, per_channel=st.booleans(),
       inp=quant(), out=quant(0.01, 1.0))
def test_conv2d_dsp_on_board(on_m4, seed, hw, cin, cout, k, stride, padding, act, per_channel, inp, out):
    hw = max(hw, k) if padding == "VALID" else hw
    model, inputs = ops.conv2d(np.random.default_rng(seed), h=hw, w=hw, cin=cin, cout=cout, kh=k, kw=k,
                               stride=(stride, stride), dilation=(1, 1), padding=padding, activation=act,
                               per_channel=per_channel, inp=inp, out=out)
    on_m4(model, inputs)


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(3, 8), w=st.integers(3, 8), cin=st.integers(1, 21),
       stride=st.integers(1, 2), dil=st.integers(1, 2), padding=PADDING, act=ACTIVATIONS,
       per_channel=st.booleans(), inp=quant(), out=quant(0.01, 1.0))
def test_depthwise_dsp_on_board(on_m4, seed, h, w, cin, stride, dil, padding, act, per_channel, inp, out):
    h, w = (max(h, 2 * dil + 1), max(w, 2 * dil + 1)) if padding == "VALID" else (h, w)
    model, inputs = ops.depthwise_conv2d(np.random.default_rng(seed), h=h, w=w, cin=cin, depth_multiplier=1,
                                         kh=3, kw=3, stride=(stride, stride), dilation=(dil, dil), padding=padding,
                                         activation=act, per_channel=per_channel, inp=inp, out=out)
    on_m4(model, inputs)


# The DSP depthwise paths drawn on purpose (the host build runs their C twins, not the asm):
# full 3x3 windows (one asm block), windows clipped by SAME padding to 1, 2 or 3 taps a row
# (asm rows), a 5x5 filter and dilation 2 (C tap loops), odd channel counts (the scalar tail),
# strides 1 and 2, 150 channels (two chunks of the eval's buffer, the second with a tail), and
# multiplier 2 (handed to the reference kernel).
@pytest.mark.parametrize("h, w, cin, mult, k, stride, dil, padding, act", [
    (5, 5, 8, 1, 3, 1, 1, "SAME", "RELU"),
    (5, 12, 150, 1, 3, 1, 1, "SAME", "RELU6"),
    (6, 3, 12, 1, 3, 2, 1, "SAME", "NONE"),
    (4, 7, 7, 1, 3, 1, 1, "SAME", "RELU6"),
    (2, 2, 16, 1, 3, 1, 1, "SAME", "NONE"),
    (1, 5, 4, 1, 3, 2, 1, "SAME", "RELU"),
    (7, 6, 9, 1, 5, 1, 1, "SAME", "NONE"),
    (7, 7, 8, 1, 3, 1, 2, "SAME", "RELU"),
    (5, 5, 6, 2, 3, 1, 1, "SAME", "NONE"),
])
def test_depthwise_dsp_paths_on_board(on_m4, h, w, cin, mult, k, stride, dil, padding, act) -> None:
    from tandem.tinyml.models.ops import Quant

    for seed, zp in ((1, -128), (2, 5)):
        model, inputs = ops.depthwise_conv2d(np.random.default_rng(seed), h=h, w=w, cin=cin, depth_multiplier=mult,
                                             kh=k, kw=k, stride=(stride, stride), dilation=(dil, dil),
                                             padding=padding, activation=act, per_channel=seed == 1,
                                             inp=Quant(0.05, zp), out=Quant(0.1, -128 if act == "RELU" else 3))
        on_m4(model, inputs)


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 2), depth=st.integers(1, 70), units=st.integers(1, 9),
       act=ACTIVATIONS, inp=quant(), out=quant(0.01, 2.0), bias=st.booleans(), per_channel=st.booleans())
def test_fully_connected_dsp_on_board(on_m4, seed, batch, depth, units, act, inp, out, bias, per_channel):
    model, inputs = ops.fully_connected(np.random.default_rng(seed), batch=batch, depth=depth, units=units,
                                        activation=act, inp=inp, out=out, bias=bias, per_channel=per_channel)
    on_m4(model, inputs)


# The DSP FULLY_CONNECTED paths drawn on purpose: four units a step (the asm loop: eight values
# an iteration, a step of four, the scalar tail), then two and one; per-tensor and per-channel
# rescales; a batch of two.
@pytest.mark.parametrize("batch, depth, units, act, per_channel", [
    (1, 64, 8, "NONE", False),
    (1, 36, 9, "RELU", True),
    (2, 23, 7, "RELU6", False),
    (1, 4, 4, "NONE", True),
    (1, 3, 6, "RELU", False),
    (1, 77, 1, "NONE", False),
])
def test_fully_connected_dsp_paths_on_board(on_m4, batch, depth, units, act, per_channel) -> None:
    from tandem.tinyml.models.ops import Quant

    for seed in (1, 2):
        model, inputs = ops.fully_connected(np.random.default_rng(seed), batch=batch, depth=depth, units=units,
                                            activation=act, inp=Quant(0.05, 3 * seed), out=Quant(0.2, -5),
                                            bias=seed == 1, per_channel=per_channel)
        on_m4(model, inputs)


@pytest.mark.parametrize("op", ["depthwise", "fc"])
def test_portable_depthwise_multiplier1_and_fc_on_cortex_m3(cfg, op: str) -> None:
    # the portable C paths (no DSP extension) on the board: the eval buffer's channel chunks,
    # clipped windows and the fast rescale of the depthwise kernel, FC's two-unit steps
    from tandem.tinyml.models.ops import Quant

    name = "DEPTHWISE_CONV_2D" if op == "depthwise" else "FULLY_CONNECTED"
    elf = build_runtime(load_platform("bluepill", cfg.platforms_search), cfg, "optimized", ops=[name])
    rng = np.random.default_rng(7)
    if op == "depthwise":
        model, inputs = ops.depthwise_conv2d(rng, h=5, w=6, cin=13, depth_multiplier=1, kh=3, kw=3, stride=(1, 1),
                                             dilation=(1, 1), padding="SAME", activation="RELU", per_channel=True,
                                             inp=Quant(0.05, 4), out=Quant(0.1, -128))
    else:
        model, inputs = ops.fully_connected(rng, batch=1, depth=37, units=5, activation="NONE", inp=Quant(0.05, 4),
                                            out=Quant(0.2, -5), bias=True, per_channel=False)
    b = Board.from_platform("bluepill", cfg)
    got = infer(b, b.load_elf(elf), model, inputs).outputs
    for e, g in zip(run_reference(model, inputs), got, strict=True):
        np.testing.assert_array_equal(g, e)


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]),
       hw=st.integers(2, 7), c=st.integers(1, 23), f=st.integers(1, 3), stride=st.integers(1, 2), padding=PADDING,
       act=ACTIVATIONS, q=quant())
def test_pool_dsp_on_board(on_m4, seed, kind, hw, c, f, stride, padding, act, q):
    hw = max(hw, f) if padding == "VALID" else hw
    model, inputs = ops.pool2d(np.random.default_rng(seed), kind, h=hw, w=hw + 1, c=c, fh=f, fw=f,
                               stride=(stride, stride), padding=padding, activation=act, q=q)
    on_m4(model, inputs)


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), n=st.integers(1, 70),
       bcast=st.booleans(), act=ACTIVATIONS, q1=quant(), q2=quant(), qo=quant(0.005, 1.0))
def test_add_mul_dsp_on_board(on_m4, seed, kind, n, bcast, act, q1, q2, qo):
    # a broadcast second operand (one row) runs block by block on the optimized kernel
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=(2, n), shape2=(1, n) if bcast else (2, n),
                               out_shape=(2, n), q1=q1, q2=q2, qo=qo, activation=act)
    on_m4(model, inputs)


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ADD", "MUL"]), n=st.integers(1, 40), act=ACTIVATIONS,
       data=st.data())
def test_add_mul_int16_on_board(on_m4, seed, kind, n, act, data):
    q16 = st.builds(Quant, st.floats(1e-5, 1e-3), st.just(0))
    q1, q2 = data.draw(q16), data.draw(q16)
    qo = data.draw(q16) if kind == "ADD" else Quant(q1.scale * q2.scale * data.draw(st.floats(256.0, 65536.0)), 0)
    model, inputs = ops.binary(np.random.default_rng(seed), kind, shape1=(2, n), shape2=(2, n), out_shape=(2, n),
                               q1=q1, q2=q2, qo=qo, activation=act, dtype="int16",
                               **({"pot_scale_int16": False} if kind == "ADD" else {}))
    on_m4(model, inputs)


@BOARD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 3), depth=st.sampled_from([1, 3, 4, 7, 12, 40, 257]),
       inp=quant(0.005, 1.0), beta=st.sampled_from([1.0, 0.5, 2.0]))
def test_softmax_dsp_on_board(on_m4, seed, rows, depth, inp, beta):
    model, inputs = ops.softmax(np.random.default_rng(seed), shape=(rows, depth), inp=inp, beta=beta)
    on_m4(model, inputs)


def test_bench_kernels_prints_cycles_per_mac_per_op_set() -> None:
    from test_cli import tandem

    res = tandem("bench", "kernels", "--board", "nucleo_l4r5zi", "--model", str(MODELS / "op_conv2d.tflite"))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[2] == "nucleo_l4r5zi" and lines[3].split()[-3:] == ["reference", "optimized", "aot"]
    model = next(line.split() for line in lines if line.strip().startswith("op_conv2d.tflite"))
    op = next(line.split() for line in lines if line.strip().startswith("CONV_2D"))
    assert model[1] == op[1] == "12,960"  # the model is one CONV_2D: its MACs, as the reader counts them
    assert float(model[3]) < float(model[2]) and float(op[3]) < float(op[2])  # optimized < reference
    # the AOT runtime calls the same reference kernel, linked at another flash address (its loops'
    # fetch alignment against the flash interface differs) and reading its prepared data from
    # .data: within 2% (measured 24.38 against 24.64)
    assert abs(float(op[4]) - float(op[2])) <= 0.02 * float(op[2])
    bad = tandem("bench", "kernels", "--board", "nucleo_l4r5zi", "--model", "no_such.tflite")
    assert bad.returncode != 0 and "no_such.tflite: no such model file" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


# "auto", the default of `tandem infer`, the pytest plugin and the sweep: the optimized kernels on
# a core with the DSP extension (ARMv7E-M: M4, M7; ARMv8-M Mainline with DSP: M33), the
# reference ones elsewhere (ARMv6-M: M0, M0+; ARMv7-M without DSP: M3).
@pytest.mark.parametrize(("board", "expected"), [
    ("nucleo_l4r5zi", "optimized"), ("stm32f4_discovery", "optimized"), ("generic_m7", "optimized"),
    ("generic_m33", "optimized"), ("bluepill", "model"), ("generic_m3", "model"), ("generic_m0", "model"),
    ("generic_m0plus", "model"),
])
def test_auto_op_set_is_optimized_where_the_core_has_dsp(cfg, board: str, expected: str) -> None:
    from tandem.tinyml.job import resolve_op_set

    platform = load_platform(board, cfg.platforms_search)
    assert resolve_op_set(platform, "auto") == expected
    assert resolve_op_set(platform, "reference") == "reference"
    with pytest.raises(ModelError, match=r"unknown op set 'fast' \(known: auto, model"):
        resolve_op_set(platform, "fast")


def test_cli_default_op_set_is_auto() -> None:
    from test_cli import tandem

    model = str(MODELS / "op_softmax.tflite")
    m4 = tandem("infer", "--board", "nucleo_l4r5zi", "--model", model)
    m3 = tandem("infer", "--board", "bluepill", "--model", model)
    ref = tandem("infer", "--board", "nucleo_l4r5zi", "--model", model, "--op-set", "model")
    assert m4.returncode == m3.returncode == ref.returncode == 0, m4.stderr + m3.stderr + ref.stderr
    assert "; op set optimized\n" in m4.stdout and "; op set model\n" in m3.stdout
    assert "; op set model\n" in ref.stdout

    def cycles(text: str) -> int:
        return int(next(line for line in text.splitlines() if line.startswith("inference:")).split()[1]
                   .replace(",", ""))

    assert cycles(m4.stdout) < cycles(ref.stdout)  # the optimized SOFTMAX took the default run
    bad = tandem("infer", "--board", "nucleo_l4r5zi", "--model", model, "--op-set", "fast")
    assert bad.returncode != 0 and "unknown op set 'fast'" in bad.stderr and "Traceback" not in bad.stderr
    aot = tandem("infer", "--board", "nucleo_l4r5zi", "--model", model, "--runtime", "aot", "--op-set", "optimized")
    assert aot.returncode != 0
    assert "--op-set optimized: the AOT runtime is built from the reference kernels" in aot.stderr
    assert len(aot.stderr.strip().splitlines()) == 1


def test_auto_with_an_rtl_block_takes_its_kernels_over_the_optimized_ones(cfg) -> None:
    from tandem.tinyml.job import runtime_sources

    srcs = runtime_sources(cfg, "optimized", ["CONV_2D", "SOFTMAX"], ["tandem_conv_engine_axi"])
    table = Path(srcs[-1]).read_text()
    assert "&tfl_accel_conv_2d" in table and "&tfl_opt_softmax" in table and "tfl_opt_conv_2d" not in table
    assert "drivers/conv_accel.c" in srcs
