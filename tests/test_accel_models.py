"""Models with the conv engine on the bus (conv8x8, a Tandem.RtlPeripheral): bit-exact with
LiteRT's reference kernels; every CONV_2D and DEPTHWISE_CONV_2D on the engine (tiled by rows and
channels, or as channel groups, where a layer does not fit its buffers); every int8
FULLY_CONNECTED on it too, as a 1x1 conv with CONFIG.ROUND = SINGLE (TFLite's FULLY_CONNECTED
rounds once, the conv twice), including layers where two roundings would miss LiteRT; the other
ops as on the CPU; faster than the CPU-only run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import tflite

import tandem.firmware.build as fw_build
from tandem.accel.regmap import render_c_header
from tandem.platform import load_platform
from tandem.reference.conv2d import ConvQuant, requantize, wrap_int32
from tandem.reference.quant import activation_range, per_channel_multipliers
from tandem.tinyml.infer import random_inputs, run_model, run_model_accel
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.model import read_model
from tandem.tinyml.models import ops

MODELS = Path(__file__).resolve().parent / "models"
CONV_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")
ENGINE_OPS = (*CONV_OPS, "FULLY_CONNECTED")


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
    assert any(o.op == "FULLY_CONNECTED" for o in offloaded)
    # the other ops ran on the CPU and took what they take without the engine; the images differ
    # (more kernels and the driver), which moves code in flash and changes the ART cache's hits
    # by a few lines, hence the 1% (or 50-cycle) tolerance
    cpu = run_model("nucleo_l4r5zi", path, cfg, inputs)
    for c, a in zip(cpu.ops, acc.ops, strict=True):
        if a.op not in ENGINE_OPS:
            assert a.where == "cpu" and abs(a.cycles - c.cycles) <= max(50, c.cycles // 100)
        elif a.op in CONV_OPS:
            assert a.cycles * 20 < c.cycles
        else:  # these models' classifier layers are small: the engine's load phase bounds them
            assert a.cycles < c.cycles
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


def _const(model: bytes, name: str) -> tuple[npt.NDArray[np.int32], list[float]]:
    """A constant tensor of subgraph 0 (as int32) and its scales."""
    m = tflite.Model.GetRootAs(model, 0)
    sg = m.Subgraphs(0)
    types = {tflite.TensorType.INT8: np.int8, tflite.TensorType.INT32: np.int32}
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        if t.Name().decode() == name:
            data = m.Buffers(t.Buffer()).DataAsNumpy().view(types[t.Type()])
            shape = tuple(int(d) for d in t.ShapeAsNumpy())
            return data.reshape(shape).astype(np.int32), [float(v) for v in t.Quantization().ScaleAsNumpy()]
    raise KeyError(name)


@pytest.mark.parametrize(("batch", "depth", "units", "per_channel", "activation", "seed", "jobs"), [
    (2, 64, 12, False, "NONE", 3, 1),   # one job
    (3, 150, 70, True, "RELU", 7, 2),   # 70 units > MAX_OC 64: two tiles of units
])
def test_fully_connected_runs_on_the_engine_bit_exact(cfg, tmp_path, batch, depth, units, per_channel,
                                                      activation, seed, jobs):
    """The layer runs on the engine (its job log: the op is marked accel, with the jobs the tiling
    takes) and matches LiteRT bit for bit. The seeds are ones where conv's two roundings give a
    different byte (checked here with the golden model), so only the single rounding passes."""
    inq, outq = ops.Quant(0.05, 3), ops.Quant(0.1, -2)
    model, inputs = ops.fully_connected(np.random.default_rng(seed), batch=batch, depth=depth, units=units,
                                        per_channel=per_channel, activation=activation, inp=inq, out=outq)
    want = run_reference(model, inputs)[0]
    weights, scales = _const(model, "weights")
    bias, _ = _const(model, "bias")
    mults, shifts = per_channel_multipliers(inq.scale, scales if per_channel else scales * units, outq.scale)
    acc_golden = wrap_int32((inputs[0].astype(np.int64) - inq.zero_point) @ weights.astype(np.int64).T)
    quant = ConvQuant(-inq.zero_point, outq.zero_point, *activation_range(activation, outq.scale, outq.zero_point))
    np.testing.assert_array_equal(requantize(acc_golden, bias, mults, shifts, quant, single_round=True), want)
    assert not np.array_equal(requantize(acc_golden, bias, mults, shifts, quant), want)
    path = tmp_path / "fc.tflite"
    path.write_bytes(model)
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    np.testing.assert_array_equal(acc.outputs[0], want)
    (op,) = acc.ops
    assert op.where == "accel" and acc.extra["accelerator_jobs"] == jobs
    assert op.accel_cycles and 0 < op.stall_cycles < op.cycles and op.bytes_moved >= weights.size
    assert op.mac_utilisation is not None and 0 < op.mac_utilisation <= 1


def test_the_register_header_is_generated_from_the_regmap(cfg, tmp_path, monkeypatch):
    """build_firmware writes tandem_accel_regs.h from sim/accel/regmap.py for a board with the
    engine (a Tandem.RtlPeripheral), with no copy under firmware/ to shadow it (firmware/ comes
    first on the include path), and keys the build on it: the same FULLY_CONNECTED model built
    against a map without CONFIG.ROUND runs the layer on the CPU, with it on the engine."""
    assert not list(cfg.firmware_dir.rglob("tandem_accel_regs.h"))
    platform = load_platform("nucleo_l4r5zi", cfg.platforms_search, [cfg.platforms_dir / "accel" / "conv8x8.repl"])
    fw_build.generate_board_files(platform, fw_build.FirmwareSpec(("tests/accel_irq.c",)), tmp_path / "gen")
    header = (tmp_path / "gen" / "tandem_accel_regs.h").read_text()
    assert header == render_c_header() and "#define TANDEM_ACCEL_CONFIG_ROUND_SHIFT 2u" in header
    model, inputs = ops.fully_connected(np.random.default_rng(3), batch=2, depth=64, units=12,
                                        inp=ops.Quant(0.05, 3), out=ops.Quant(0.1, -2))
    path = tmp_path / "fc.tflite"
    path.write_bytes(model)
    want = run_reference(model, inputs)[0]
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    assert [o.where for o in acc.ops] == ["accel"]
    np.testing.assert_array_equal(acc.outputs[0], want)
    without_round = "\n".join(ln for ln in render_c_header().splitlines() if "CONFIG_ROUND" not in ln) + "\n"
    monkeypatch.setattr(fw_build, "render_c_header", lambda: without_round)
    cpu = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    assert [o.where for o in cpu.ops] == ["cpu"] and cpu.extra["accelerator_jobs"] == 0
    np.testing.assert_array_equal(cpu.outputs[0], want)


@pytest.mark.parametrize("name", ["micro_speech_quantized", "hello_world_int8"])
def test_tflm_models_fully_connected_on_the_engine(cfg, name):
    """TFLM's example models (converter-made, tests/tflm_models.py): every FULLY_CONNECTED on
    the engine, bit-exact with LiteRT, and the run faster than the CPU-only one."""
    from tflm_models import tflm_model

    path = tflm_model(f"{name}.tflite")
    model = path.read_bytes()
    inputs = random_inputs(read_model(model), seed=3)
    expected = run_reference(model, inputs)
    acc = run_model_accel("nucleo_l4r5zi", path, cfg, "conv8x8", inputs)
    for e, g in zip(expected, acc.outputs, strict=True):
        np.testing.assert_array_equal(g, e)
    fcs = [o for o in acc.ops if o.op == "FULLY_CONNECTED"]
    assert fcs and all(o.where == "accel" and o.accel_cycles for o in fcs)
    cpu = run_model("nucleo_l4r5zi", path, cfg, inputs)
    assert acc.cycles < cpu.cycles


def test_16x8_conv_stays_on_the_cpu(cfg):
    """The engine computes int8: a 16x8 CONV_2D (TFLM's seanet conv0) runs on the CPU kernel."""
    from tflm_models import seanet_case

    case = seanet_case("conv0")
    acc = run_model_accel("nucleo_l4r5zi", case.model, cfg, "conv8x8", case.inputs)
    np.testing.assert_array_equal(acc.outputs[0], case.golden)
    assert [o.where for o in acc.ops] == ["cpu"]


def test_a_layer_the_engine_cannot_take_runs_on_the_optimized_kernel(cfg, tmp_path):
    """conv4x4's input buffer (IBUF_WORDS 256 x PI 4 = 1 KiB) holds no three 48-pixel rows of 8
    channels, so this depthwise layer stays on the CPU: in the default op set on an M4 ("auto":
    optimized) it runs the optimized kernel, as a CPU-only run of that op set does, not the
    reference one; the outputs are the reference kernels'."""
    from tandem.tinyml.infer import run_job
    from tandem.tinyml.job import InferenceJob

    model, inputs = ops.depthwise_conv2d(np.random.default_rng(3), h=48, w=48, cin=8, depth_multiplier=1,
                                         kh=3, kw=3)
    path = tmp_path / "dw48.tflite"
    path.write_bytes(model)
    acc = run_job(InferenceJob.create("nucleo_l4r5zi", path, cfg, inputs, op_set="auto", accel="conv4x4"), cfg)
    opt = run_model("nucleo_l4r5zi", path, cfg, inputs, op_set="optimized")
    ref = run_model("nucleo_l4r5zi", path, cfg, inputs, op_set="model")
    assert acc.ops[0].where == "cpu" and acc.ops[0].accel_cycles == 0
    np.testing.assert_array_equal(acc.outputs[0], ref.outputs[0])
    # the same kernel code, linked at another address beside the engine's kernels (1%: fetch
    # alignment against the flash interface), and a third of the reference kernel's cycles or less
    assert abs(acc.ops[0].cycles - opt.ops[0].cycles) <= opt.ops[0].cycles // 100
    assert acc.ops[0].cycles * 3 < ref.ops[0].cycles
