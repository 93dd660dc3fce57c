"""Models with the conv engine on the bus (conv8x8, a Tandem.RtlPeripheral): bit-exact with
LiteRT's reference kernels; every CONV_2D and DEPTHWISE_CONV_2D on the engine (tiled by rows and
channels, or as channel groups, where a layer does not fit its buffers); FULLY_CONNECTED on the
CPU (the engine's requantization rounds twice, TFLite's FULLY_CONNECTED once: the register map has
no single-rounding mode); the other ops as on the CPU; faster than the CPU-only run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tandem.tinyml.infer import random_inputs, run_model, run_model_accel
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.model import read_model
from tandem.tinyml.models import ops

MODELS = Path(__file__).resolve().parent / "models"
ENGINE_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")


@pytest.mark.parametrize("name", ["ds_cnn", "mobilenet_v1_025", "resnet8"])
def test_model_on_the_accelerator(cfg, name):
    path = MODELS / f"{name}.tflite"
    model = path.read_bytes()
    inputs = random_inputs(read_model(model), seed=5)
    expected = run_reference(model, inputs)
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    for e, g in zip(expected, acc.outputs, strict=True):
        np.testing.assert_array_equal(g, e)
    offloaded = [o for o in acc.ops if o.op in ENGINE_OPS]
    assert offloaded and all(o.where == "accel" for o in offloaded)
    assert all(o.stall_cycles > 0 and o.bytes_moved > 0 and o.accel_cycles for o in offloaded)
    assert all(0 < (o.mac_utilisation or 0) <= 1 for o in offloaded)
    # the other ops ran on the CPU and took what they take without the engine; the images differ
    # (more kernels and the driver), which moves code in flash and changes the ART cache's hits
    # by a few lines, hence the 1% (or 50-cycle) tolerance
    cpu = run_model("nucleo_l4r5zi", path, cfg, inputs)
    for c, a in zip(cpu.ops, acc.ops, strict=True):
        if a.op not in ENGINE_OPS:
            assert a.where == "cpu" and abs(a.cycles - c.cycles) <= max(50, c.cycles // 100)
        else:
            assert a.cycles * 20 < c.cycles
    assert acc.cycles < cpu.cycles


@pytest.mark.parametrize(("h", "w", "cin", "mult", "k", "stride", "padding", "groups"), [
    (9, 7, 16, 1, 3, 1, "SAME", False),     # one job
    (8, 8, 24, 2, 3, 2, "SAME", False),     # multiplier 2, stride 2
    (6, 5, 128, 1, 3, 1, "SAME", True),     # 128 channels > MAX_OC 64: two channel groups
    (7, 7, 96, 1, 3, 2, "VALID", True),     # 96 channels: two groups of 48, stride 2
    (5, 6, 48, 2, 5, 1, "SAME", True),      # 96 outputs from 48 inputs x 2: groups of 24 inputs
])
def test_depthwise_on_the_engine_is_bit_exact(cfg, tmp_path, h, w, cin, mult, k, stride, padding, groups):
    model, inputs = ops.depthwise_conv2d(np.random.default_rng(h * 100 + cin), h=h, w=w, cin=cin,
                                         depth_multiplier=mult, kh=k, kw=k, stride=(stride, stride),
                                         padding=padding, activation="RELU6")
    path = tmp_path / "dw.tflite"
    path.write_bytes(model)
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    np.testing.assert_array_equal(acc.outputs[0], run_reference(model, inputs)[0])
    (op,) = acc.ops
    assert op.where == "accel"
    # one job per channel group (and row tile): the grouped layers need more than one
    assert (acc.extra["accelerator_jobs"] > 1) == groups


def test_fully_connected_stays_on_the_cpu(cfg, tmp_path):
    """The engine rounds twice in its requantization, FULLY_CONNECTED once: with no
    single-rounding mode in the register map the kernel gives the layer to the CPU in prepare."""
    model, inputs = ops.fully_connected(np.random.default_rng(2), batch=2, depth=64, units=12)
    path = tmp_path / "fc.tflite"
    path.write_bytes(model)
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    np.testing.assert_array_equal(acc.outputs[0], run_reference(model, inputs)[0])
    assert [o.where for o in acc.ops] == ["cpu"] and acc.extra["accelerator_jobs"] == 0


def test_16x8_conv_stays_on_the_cpu(cfg):
    """The engine computes int8: a 16x8 CONV_2D (TFLM's seanet conv0) runs on the CPU kernel."""
    from tflm_models import seanet_case

    case = seanet_case("conv0")
    acc = run_model_accel("nucleo_l4r5zi", case.model, cfg, "conv8x8", case.inputs)
    np.testing.assert_array_equal(acc.outputs[0], case.golden)
    assert [o.where for o in acc.ops] == ["cpu"]
