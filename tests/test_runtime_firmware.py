"""The runtime image on the simulated boards (tandem.tinyml.infer): bit-exact with LiteRT's reference
kernels on every committed single-op model and on the four architectures, per-op markers in
order, and the errors users meet (malformed model, wrong input, unsupported op, arena and
flash too small) as typed messages."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tandem.errors import ModelError
from tandem.machine.board import Board
from tandem.tinyml.infer import build_runtime, image_sizes, infer, random_inputs
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.model import read_model
from tandem.tinyml.models.catalog import committed_models

MODELS_DIR = Path(__file__).resolve().parent / "models"
BIT_EXACT_BOARDS = ["nucleo_l4r5zi", "stm32f4_discovery"]


@pytest.fixture(scope="module")
def images(cfg):
    """(board, op set) -> ELF path, built once per module."""
    cache: dict[tuple[str, str], Path] = {}

    def get(board: str, op_set: str = "reference") -> Path:
        if (board, op_set) not in cache:
            cache[(board, op_set)] = build_runtime(Board.from_platform(board, cfg).platform, cfg, op_set)
        return cache[(board, op_set)]

    return get


def run(cfg, images, board: str, model: bytes, inputs=None, invocations: int = 1, op_set: str = "reference", **kw):
    b = Board.from_platform(board, cfg)
    image = b.load_elf(images(board, op_set))
    return infer(b, image, model, inputs, invocations, **kw)


def test_images_build_for_m4_and_m3_and_op_set_sets_flash(cfg, images):
    from tandem.firmware.elf import ElfImage

    flash = {(b, s): image_sizes(ElfImage.load(images(b, s)))[0]
             for b, s in (("nucleo_l4r5zi", "reference"), ("nucleo_l4r5zi", "dscnn"), ("bluepill", "dscnn"))}
    assert flash[("nucleo_l4r5zi", "dscnn")] < flash[("nucleo_l4r5zi", "reference")] - 3000
    assert flash[("bluepill", "dscnn")] < 64 * 1024


def test_a_program_larger_than_the_flash_is_one_line(build):
    """The linker's reason is the error's one line (bigrom.c holds more than the Blue Pill's 64 KiB)."""
    from tandem.errors import ToolchainError

    with pytest.raises(ToolchainError, match=r"failed: region `CODE' overflowed by \d+ bytes \(full log: "):
        build("bluepill", "tests/bigrom.c")


@pytest.mark.parametrize("board", BIT_EXACT_BOARDS)
@pytest.mark.parametrize("name,invocations", [("ds_cnn", 2), ("mobilenet_v1_025", 1), ("resnet8", 1),
                                              ("fc_autoencoder", 3)])
def test_architectures_bit_exact(cfg, images, board, name, invocations):
    model = (MODELS_DIR / f"{name}.tflite").read_bytes()
    info = read_model(model)
    inputs = random_inputs(info, seed=7)
    expected = run_reference(model, inputs, invocations)
    r = run(cfg, images, board, model, inputs, invocations)
    for e, g in zip(expected, r.outputs, strict=True):
        np.testing.assert_array_equal(g, e)
    # one marker pair per op of the last inference; per-op cycles add up to less than the
    # inference (the rest is the interpreter's loop and the input copies)
    assert len(r.ops) == len(info.ops) and all(o.cycles > 0 for o in r.ops)
    assert sum(o.cycles for o in r.ops) < r.cycles < r.total_cycles
    assert 0 < r.arena_bytes <= r.arena_capacity


@pytest.mark.parametrize("board", BIT_EXACT_BOARDS)
@pytest.mark.parametrize("name", sorted(n for n in committed_models() if n.startswith("op_")))
def test_single_op_models_bit_exact(cfg, images, board, name):
    model = (MODELS_DIR / f"{name}.tflite").read_bytes()
    inputs = random_inputs(read_model(model), seed=3)
    invocations = 3 if name == "op_svdf" else 1  # SVDF keeps state across invocations
    expected = run_reference(model, inputs, invocations)
    r = run(cfg, images, board, model, inputs, invocations)
    for e, g in zip(expected, r.outputs, strict=True):
        np.testing.assert_array_equal(g, e)


def test_malformed_and_truncated_models(cfg, images):
    model = (MODELS_DIR / "op_softmax.tflite").read_bytes()
    with pytest.raises(ModelError, match="not a readable .tflite model|malformed"):
        run(cfg, images, "nucleo_l4r5zi", model[:200], [np.zeros((2, 12), np.int8)])
    garbage = bytearray(model)
    garbage[40:60] = b"\xff" * 20
    with pytest.raises(ModelError):
        run(cfg, images, "nucleo_l4r5zi", bytes(garbage), [np.zeros((2, 12), np.int8)])


def test_wrong_input_shape(cfg, images):
    model = (MODELS_DIR / "op_softmax.tflite").read_bytes()
    with pytest.raises(ModelError, match=r"input 0 .*shape \(2, 11\) does not match the model's \(2, 12\)"):
        run(cfg, images, "nucleo_l4r5zi", model, [np.zeros((2, 11), np.int8)])


def test_unsupported_op_is_named(cfg, images):
    """The DS-CNN op set has no SVDF: the firmware refuses it, naming the op and its index."""
    model = (MODELS_DIR / "op_svdf.tflite").read_bytes()
    with pytest.raises(ModelError, match=r"unsupported op SVDF \(index 0\)"):
        run(cfg, images, "nucleo_l4r5zi", model, op_set="dscnn")


def test_bluepill_flash_and_arena_limits(cfg, images):
    """64 KiB flash / 20 KiB RAM: MobileNet does not fit the free flash; a model whose activations
    need a 17 KiB arena does not fit the image's arena."""
    with pytest.raises(ModelError, match=r"does not fit in the free flash of bluepill"):
        run(cfg, images, "bluepill", (MODELS_DIR / "mobilenet_v1_025.tflite").read_bytes(), op_set="dscnn")
    from tandem.tinyml.models import ops

    model, inputs = ops.expand_contract(np.random.default_rng(3))
    with pytest.raises(ModelError,
                       match=r"arena too small on bluepill: the model needs [\d,]+ bytes, the image has [\d,]+"):
        run(cfg, images, "bluepill", model, inputs, op_set="dscnn")


def test_weight_loads_from_flash_are_timed(cfg):
    """Weights stream from flash: on the Blue Pill (2 wait states, no data cache) every data
    load from flash is charged its wait states, always (--exact-flash-data changes nothing)."""
    from tandem.tinyml.infer import apply_writes, collect, plan
    from tandem.tinyml.job import InferenceJob

    path = MODELS_DIR / "op_conv2d.tflite"
    inputs = random_inputs(read_model(path.read_bytes()), seed=1)
    job = InferenceJob.create("bluepill", path, cfg, inputs)
    runs = []
    for exact in (False, True):
        board = Board(job.platform, cfg, exact_flash_data=exact)
        image = board.load_elf(job.elf)
        prep = plan(image, job.platform.name, job.info, job.model, job.inputs, job.invocations, job.model_path)
        apply_writes(board, prep.writes)
        runs.append((collect(board, prep, board.run()), board.counter.data_cycles))
    (plain, data), (exact_run, exact_data) = runs
    for a, b in zip(plain.outputs, exact_run.outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (exact_run.cycles, exact_data) == (plain.cycles, data)
    # each MAC loads one filter byte from flash at 2 wait states (the reference kernel reads
    # bytes); taps in the SAME padding are skipped, so at least half of 2 cycles per MAC
    assert data >= plain.macs
