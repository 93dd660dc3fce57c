"""The realistic models with CONV_2D on the RTL accelerator (Verilator, 8x8 array): bit-exact
with LiteRT's reference kernels, every CONV_2D on the engine (tiled where the layer does not fit
its buffers), and faster than the CPU-only run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tandem.tinyml.infer import random_inputs, run_model, run_model_accel
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.model import read_model

MODELS = Path(__file__).resolve().parent / "models"


@pytest.mark.parametrize("name", ["ds_cnn", "mobilenet_v1_025", "resnet8"])
def test_model_on_the_accelerator(cfg, name):
    path = MODELS / f"{name}.tflite"
    model = path.read_bytes()
    inputs = random_inputs(read_model(model), seed=5)
    expected = run_reference(model, inputs)
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    for e, g in zip(expected, acc.outputs, strict=True):
        np.testing.assert_array_equal(g, e)
    convs = [o for o in acc.ops if o.op == "CONV_2D"]
    assert convs and all(o.where == "accel" for o in convs)
    assert all(o.stall_cycles > 0 and o.bytes_moved > 0 for o in convs)
    # the other ops ran on the CPU and took what they take without the accelerator; the images
    # differ (one more kernel and the driver), which moves code in flash and changes the ART
    # cache's hits by a few lines, hence the 1% (or 50-cycle) tolerance
    cpu = run_model("nucleo_l4r5zi", path, cfg, inputs)
    for c, a in zip(cpu.ops, acc.ops, strict=True):
        if a.op != "CONV_2D":
            assert a.where == "cpu" and abs(a.cycles - c.cycles) <= max(50, c.cycles // 100)
        else:
            assert a.cycles * 50 < c.cycles
    assert acc.cycles < cpu.cycles


def test_16x8_conv_stays_on_the_cpu(cfg):
    """The engine computes int8: a 16x8 CONV_2D (TFLM's seanet conv0) runs on the CPU kernel."""
    from tflm_models import seanet_case

    case = seanet_case("conv0")
    acc = run_model_accel("nucleo_l4r5zi", case.model, cfg, "conv8x8", case.inputs)
    np.testing.assert_array_equal(acc.outputs[0], case.golden)
    assert [o.where for o in acc.ops] == ["cpu"]
