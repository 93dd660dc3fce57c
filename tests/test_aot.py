"""The ahead-of-time runtime (``tandem compile``, ``tandem infer --runtime aot``): bit-exact with
the interpreter on the committed models and on a single-op model of every op kind it supports,
never larger in flash, RAM or arena, and per op as fast within a bound derived below.

Per-op cycle bound: both runtimes run the same eval code on the same prepared data; what differs
is the call around it (a direct call and an inline trace store against the interpreter's
indirect call and trace hook: a few cycles) and where the kernel reads the tensor and node
tables from: the interpreter's arena (RAM, no wait states) or the AOT image's .rodata (flash).
A kernel reads at most three tensors' and one node's metadata, under 80 words; each word read
from flash costs at most the flash's wait states, 5 at 120 MHz on the NUCLEO-L4R5ZI (RM0432
§6.3.3, Table 28: 5 WS for 100-120 MHz in range 1), so an op may differ by 80 * 5 = 400 cycles at
most. Flash data loads are timed (through the ART's data cache), and the constant tensors sit at
different addresses in the two images (inside the .tflite's buffers, or as .rodata arrays), so
their offsets within a cache line differ: a sequential pass over a constant row may touch one
more line in one image than in the other. A kernel makes at most one pass over its filter row
and one read of its bias and output multipliers per output element, so each output element may
cost up to two more line fills of 5 wait states each: an op's bound is 400 + 2 * 5 * outputs.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tandem.aot.generate import REFERENCE_KERNELS, generate
from tandem.aot.image import build_aot
from tandem.aot.report import memory_of
from tandem.cli import main
from tandem.errors import ModelError
from tandem.firmware.elf import ElfImage
from tandem.platform.model import load_platform
from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.infer import run_job
from tandem.tinyml.job import InferenceJob
from tandem.tinyml.models import ops, ops_activation
from tandem.tinyml.models.ops import Quant
from tandem.tinyml.results import Inference

ROOT = Path(__file__).resolve().parent.parent
BOARD = "nucleo_l4r5zi"
OP_MARGIN = 80 * 5  # metadata words per op * flash wait states (see the module docstring)
LINE_FILLS_PER_OUTPUT = 2 * 5  # one more filter line and one more bias/multiplier line, 5 WS each


def op_margin(output_shape: tuple[int, ...]) -> int:
    return OP_MARGIN + LINE_FILLS_PER_OUTPUT * int(np.prod(output_shape))
# examples/models/kws_ds_cnn.tflite is the same file as tests/models/ds_cnn.tflite
MODELS = ["tests/models/ds_cnn.tflite", "tests/models/mobilenet_v1_025.tflite", "tests/models/resnet8.tflite",
          "tests/models/fc_autoencoder.tflite"]


def _pair(cfg, model: bytes, path: str, inputs: list[np.ndarray] | None = None,
          op_set: str = "model") -> tuple[Inference, Inference]:
    platform = load_platform(BOARD, cfg.platforms_search)
    runs = []
    for runtime in ("interpreter", "aot"):
        image = None if runtime == "interpreter" else (lambda p: build_aot(p, cfg, model, path).elf)
        job = InferenceJob.create(BOARD, path, cfg, inputs, op_set=op_set, model=model, image=image, runtime=runtime)
        r = run_job(job, cfg)
        r.extra["runtime"] = runtime
        runs.append(r)
    assert platform.name == runs[0].board
    return runs[0], runs[1]


def _assert_same(interp: Inference, aot: Inference) -> None:
    assert len(interp.outputs) == len(aot.outputs)
    for a, b in zip(interp.outputs, aot.outputs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)
    assert [o.op for o in aot.ops] == [o.op for o in interp.ops]
    for a, b in zip(interp.ops, aot.ops, strict=True):
        assert b.cycles > 0 and abs(b.cycles - a.cycles) <= op_margin(a.output_shape), \
            (a.index, a.op, a.cycles, b.cycles)
    assert aot.cycles <= interp.cycles + sum(op_margin(o.output_shape) for o in interp.ops)


@pytest.mark.parametrize("path", MODELS)
def test_models_bit_exact_and_smaller(cfg, path: str) -> None:
    model = (ROOT / path).read_bytes()
    interp, aot = _pair(cfg, model, path)
    _assert_same(interp, aot)
    mi, ma = memory_of(interp), memory_of(aot)
    assert ma.flash <= mi.flash and ma.ram <= mi.ram
    # the AOT arena is the interpreter's activation plan alone (no metadata at the tail)
    plan_bytes, _ = HostRuntime().plan(model)
    assert aot.arena_bytes == plan_bytes < interp.arena_bytes
    # no parse, no prepare: the whole run is the inference plus start-up
    assert aot.total_cycles < interp.total_cycles


def _single_op_models() -> list[tuple[str, tuple[bytes, list[np.ndarray]]]]:
    rng = np.random.default_rng(7)
    q = Quant(0.05, 3)
    return [
        ("CONV_2D", ops.conv2d(rng, h=7, w=6, cin=5, cout=6, kh=3, kw=3, stride=(2, 1), padding="SAME",
                               activation="RELU6", inp=Quant(0.05, -3), out=Quant(0.1, 2))),
        ("DEPTHWISE_CONV_2D", ops.depthwise_conv2d(rng, h=6, w=5, cin=4, depth_multiplier=2, kh=3, kw=3,
                                                   padding="VALID", activation="RELU", per_channel=False)),
        ("FULLY_CONNECTED", ops.fully_connected(rng, batch=2, depth=20, units=7, per_channel=True)),
        ("AVERAGE_POOL_2D", ops.pool2d(rng, "AVERAGE_POOL_2D", h=6, w=6, c=3, fh=3, fw=2, stride=(2, 2),
                                       padding="SAME", q=q)),
        ("MAX_POOL_2D", ops.pool2d(rng, "MAX_POOL_2D", h=5, w=7, c=4, fh=2, fw=3, stride=(1, 2), q=q)),
        ("ADD", ops.binary(rng, "ADD", shape1=(1, 4, 3, 5), shape2=(1, 1, 3, 5), out_shape=(1, 4, 3, 5),
                           q1=Quant(0.05, 1), q2=Quant(0.03, -2), qo=Quant(0.07, 0), activation="RELU")),
        ("MUL", ops.binary(rng, "MUL", shape1=(2, 3, 4), shape2=(2, 3, 4), out_shape=(2, 3, 4),
                           q1=Quant(0.05, 1), q2=Quant(0.03, -2), qo=Quant(0.02, 4))),
        ("SOFTMAX", ops.softmax(rng, shape=(2, 10), inp=Quant(0.1, -5), beta=0.7)),
        ("RESHAPE", ops.reshape(rng, shape=(1, 4, 6), new_shape=(2, 12))),
        ("QUANTIZE", ops.quantize(rng, shape=(3, 8), out=Quant(0.04, -7), inp=Quant(0.09, 2))),
        ("DEQUANTIZE", ops.dequantize(rng, shape=(3, 8), inp=Quant(0.09, 2))),
        ("CONCATENATION", ops.concatenation(rng, shapes=[(1, 3, 2), (1, 3, 5)], axis=2)),
        ("PAD", ops.pad(rng, shape=(1, 3, 4, 2), paddings=[(0, 0), (1, 2), (2, 0), (0, 1)])),
        ("MEAN", ops.mean(rng, shape=(1, 4, 5, 3), axes=(1, 2), keep_dims=True, inp=Quant(0.05, 3),
                          out=Quant(0.03, -1))),
        ("RELU", ops_activation.unary(rng, "RELU", shape=(2, 9), inp=Quant(0.05, 4), out=Quant(0.04, -128))),
        ("RELU6", ops_activation.unary(rng, "RELU6", shape=(2, 9), inp=Quant(0.05, 4), out=Quant(0.05, 4))),
    ]


def test_every_supported_op_bit_exact(cfg, tmp_path: Path) -> None:
    models = _single_op_models()
    assert {name for name, _ in models} == set(REFERENCE_KERNELS)
    for name, (model, inputs) in models:
        interp, aot = _pair(cfg, model, f"{tmp_path}/{name}.tflite", inputs, op_set="reference")
        assert [o.op for o in aot.ops] == [name]
        _assert_same(interp, aot)
        assert aot.arena_bytes < interp.arena_bytes


def test_image_links_no_interpreter_and_keeps_constants_in_flash(cfg) -> None:
    path = "tests/models/resnet8.tflite"
    model = (ROOT / path).read_bytes()
    image = build_aot(load_platform(BOARD, cfg.platforms_search), cfg, model, path)
    elf = ElfImage.load(image.elf)
    syms = elf.all_symbols
    for gone in ("tfl_init", "tfl_invoke", "tfl_fb_root", "tfl_alloc_persistent", "tfl_ref_conv_2d", "tfl_ref_add"):
        assert gone not in syms, gone  # no parse, no prepare, no kernel table
    for kept in ("tfl_ref_conv_2d_eval", "tfl_ref_add_eval", "aot_invoke"):
        assert kept in syms
    assert "tfl_ref_depthwise_conv_2d_eval" not in syms  # a kernel the model does not use
    flash = [s for s in elf.sections if s.kind in ("text", "rodata")]
    consts = [t for t in image.program.tensors if t.is_const]
    assert consts and sum(t.nbytes for t in consts) > 70_000
    for t in consts:
        addr = syms[f"aot_c{t.index}"]
        assert any(s.address <= addr < s.address + s.size for s in flash), t.index
    assert image.program.plan_bytes == HostRuntime().plan(model)[0]


def test_unsupported_op_is_one_line_naming_it(cfg, capsys) -> None:
    with pytest.raises(ModelError, match=r"unsupported op SVDF \(index 0\).*AOT generator"):
        generate((ROOT / "tests/models/op_svdf.tflite").read_bytes(), "op_svdf.tflite", cfg)
    rc = main(["compile", "tests/models/op_logistic.tflite", "--board", BOARD])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "unsupported op LOGISTIC (index 0)" in err


def test_image_too_large_for_the_board_is_one_line(cfg, capsys) -> None:
    rc = main(["compile", "tests/models/mobilenet_v1_025.tflite", "--board", "bluepill"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "the AOT image does not fit bluepill" in err and "overflowed by" in err


def test_int16_kernel_variant_refused(cfg) -> None:
    model, _ = ops.conv2d(np.random.default_rng(1), h=4, w=4, cin=2, cout=3, kh=3, kw=3, dtype="int16",
                          inp=Quant(0.01, 0), out=Quant(0.02, 0))
    with pytest.raises(ModelError, match=r"op 0 \(CONV_2D\): its int16 \(16x8\) kernel is not in the AOT"):
        generate(model, "conv16.tflite", cfg)


def test_compare_runtimes_cli(cfg, capsys, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    rc = main(["infer", "--board", BOARD, "--model", "tests/models/fc_autoencoder.tflite", "--compare-runtimes",
               "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "-- interpreter vs AOT runtime" in text and "flash: total" in text and "arena needed" in text
    assert text.count("FULLY_CONNECTED") >= 3 * 10  # both per-op tables and the side-by-side one
    prof = tmp_path / "p.json"
    rc = main(["infer", "--board", BOARD, "--model", "tests/models/fc_autoencoder.tflite", "--runtime", "aot",
               "--profile", str(prof), "--json", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "(AOT runtime)" in text and "model compiled into the image" in text
    assert "eval8" in text and "eval [quantize.c]" in text and prof.is_file()  # --profile per function
    assert json.loads(out.read_text())["runtime"] == "aot"
    rc = main(["infer", "--board", BOARD, "--model", "tests/models/fc_autoencoder.tflite", "--runtime", "aot",
               "--accel", "conv8x8"])
    assert rc == 2 and "CPU only" in capsys.readouterr().err
