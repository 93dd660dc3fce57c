"""The runtime image's op set: by default the kernels the model uses (as a TFLM application
registers them with a MicroMutableOpResolver), so flash follows the model; the table of kernels
comes from the kernels' own definitions."""
from __future__ import annotations

import re
from pathlib import Path

from tflite.BuiltinOperator import BuiltinOperator
from tflm_models import tflm_model

from tandem.firmware.elf import ElfImage
from tandem.machine.board import Board
from tandem.tinyml.infer import build_runtime, image_sizes
from tandem.tinyml.job import model_op_set, reference_kernels
from tandem.tinyml.model import read_model

MICRO_SPEECH_OPS = {"RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"}


def test_kernel_table_is_read_from_every_reference_kernel(cfg) -> None:
    table = reference_kernels(cfg)
    root = cfg.firmware_dir / "runtime" / "kernels" / "reference"
    defined = set(re.findall(r"const\s+tfl_kernel_t\s+(tfl_ref_\w+)\s*=", "".join(
        p.read_text() for p in root.glob("*.c"))))
    variants = {s for s in defined if s.endswith("_int8")}  # int8-only variants of full kernels
    assert set(table.values()) == defined - variants
    assert table["CONV_2D"] == "tfl_ref_conv_2d" and table["SVDF"] == "tfl_ref_svdf"
    assert table["SOFTMAX"] == "tfl_ref_softmax"  # the full kernel, not tfl_ref_softmax_int8
    enum = (cfg.firmware_dir / "runtime" / "include" / "tfl" / "tfl.h").read_text()
    for op in table:  # each kernel names a builtin code the runtime's header defines, with the schema's value
        m = re.search(rf"\bTFL_OP_{op}\s*=\s*(\d+)", enum)
        assert m is not None and int(m.group(1)) == getattr(BuiltinOperator, op), op


def test_model_op_set_links_only_the_models_kernels(cfg) -> None:
    info = read_model(Path(tflm_model("micro_speech_quantized.tflite")).read_bytes())
    assert set(info.op_names()) == MICRO_SPEECH_OPS
    platform = Board.from_platform("nucleo_l4r5zi", cfg).platform
    own = ElfImage.load(build_runtime(platform, cfg, "model", ops=info.op_names()))
    every = ElfImage.load(build_runtime(platform, cfg, "reference"))
    # every kernel together no longer fits the Blue Pill's 64 KiB; the model's own set does
    bluepill = Board.from_platform("bluepill", cfg).platform
    assert image_sizes(ElfImage.load(build_runtime(bluepill, cfg, "model", ops=info.op_names())))[0] < 32 * 1024
    table = reference_kernels(cfg)
    for op, symbol in table.items():
        assert (symbol in own.all_symbols) == (op in MICRO_SPEECH_OPS), symbol
        assert symbol in every.all_symbols
    assert image_sizes(own)[0] < image_sizes(every)[0]


def test_op_set_file_is_shared_by_models_with_the_same_ops(cfg) -> None:
    a = model_op_set(cfg, ["CONV_2D", "SOFTMAX", "CONV_2D"])
    b = model_op_set(cfg, ["SOFTMAX", "CONV_2D"])
    assert a == b and a.read_text().count("extern const tfl_kernel_t") == 2
    unknown = model_op_set(cfg, ["SOFTMAX", "NO_SUCH_OP"])  # left out: the runtime reports it by name
    assert "tandem_op_set = {kernels, 1u}" in unknown.read_text()
