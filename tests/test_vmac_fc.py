"""FULLY_CONNECTED on the example vector MAC unit (rtl/examples/vmac_axi.v): the runtime's
"model" op set links firmware/runtime/kernels/accel/vmac_fc_kernel.c when the board has the unit
(--accel vmac_axi), each output's dot product goes to the unit through its AXI4 master and the
requantization stays on the CPU. Outputs must be bit-exact with LiteRT's reference kernels and
with the CPU-only run; layers the unit cannot take run on the CPU (the unit sees no run)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tandem.config import TandemConfig
from tandem.firmware.elf import ElfImage
from tandem.peripherals.rtl_peripheral import RtlPeripheral
from tandem.tinyml.infer import collect, load_job, run_job
from tandem.tinyml.job import InferenceJob
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops
from tandem.tinyml.models.ops import Quant


def _run(cfg: TandemConfig, model: bytes, inputs: list[np.ndarray], board: str, overlays: list[Path],
         op_set: str = "model") -> tuple[list[np.ndarray], int, int | None]:
    """(outputs, cycles of the inference, register transactions of the unit or None)."""
    job = InferenceJob.create(board, "fc.tflite", cfg, inputs=inputs, overlays=overlays, model=model,
                              op_set=op_set)
    b, prep = load_job(job, cfg)
    result = collect(b, prep, b.run(max_cycles=50_000_000))
    unit = b.peripherals.get("accel")
    return result.outputs, result.cycles, unit.transactions if isinstance(unit, RtlPeripheral) else None


@pytest.mark.parametrize(("board", "batch", "depth", "units", "per_channel", "act", "zp", "offloaded"), [
    ("generic_m4", 2, 64, 12, True, "RELU", -7, True),
    ("stm32f4_discovery", 1, 200, 10, False, "NONE", 5, True),   # weights in flash at 5 wait states
    ("generic_m4", 2, 6, 5, False, "NONE", 3, False),            # depth 6: not whole words, on the CPU
])
def test_fc_on_the_unit_is_bit_exact(cfg: TandemConfig, board: str, batch: int, depth: int, units: int,
                                     per_channel: bool, act: str, zp: int, offloaded: bool) -> None:
    model, inputs = ops.fully_connected(np.random.default_rng(depth), batch=batch, depth=depth, units=units,
                                        per_channel=per_channel, activation=act, inp=Quant(0.05, zp))
    overlay = cfg.platforms_dir / "accel" / "vmac_axi.repl"
    outputs, cycles, transactions = _run(cfg, model, inputs, board, [overlay])
    expected = run_reference(model, inputs)
    np.testing.assert_array_equal(outputs[0], expected[0])
    cpu_outputs, cpu_cycles, none = _run(cfg, model, inputs, board, [])
    assert none is None
    np.testing.assert_array_equal(cpu_outputs[0], expected[0])
    # prepare reads ID once; each eval writes the two offsets, then per output 4 writes, START
    # and the blocking RESULT read
    assert transactions == (1 + 2 + 6 * batch * units if offloaded else 1)
    if offloaded:
        assert cycles < cpu_cycles


def test_a_layer_the_unit_cannot_take_runs_on_the_optimized_kernel(cfg: TandemConfig) -> None:
    """Depth 198 is not whole words: prepare hands the layer to the optimized kernel the
    "optimized" op set links under the unit's, not to the reference kernel. Its cycles are the
    CPU-only optimized run's (the two images place code differently in flash: the ART cache's hits
    move by a few lines, hence 1%) and well under the reference kernel's (about 10 cycles per MAC
    against about 2.2)."""
    model, inputs = ops.fully_connected(np.random.default_rng(198), batch=1, depth=198, units=16)
    overlay = cfg.platforms_dir / "accel" / "vmac_axi.repl"
    expected = run_reference(model, inputs)[0]
    outputs, cycles, transactions = _run(cfg, model, inputs, "nucleo_l4r5zi", [overlay], "optimized")
    np.testing.assert_array_equal(outputs[0], expected)
    assert transactions == 1  # prepare's ID read only
    opt_outputs, opt_cycles, _ = _run(cfg, model, inputs, "nucleo_l4r5zi", [], "optimized")
    ref_outputs, ref_cycles, _ = _run(cfg, model, inputs, "nucleo_l4r5zi", [], "model")
    np.testing.assert_array_equal(opt_outputs[0], expected)
    np.testing.assert_array_equal(ref_outputs[0], expected)
    assert abs(cycles - opt_cycles) <= opt_cycles // 100
    assert cycles * 2 < ref_cycles


def test_16x8_layers_stay_on_the_cpu(cfg: TandemConfig) -> None:
    model, inputs = ops.fully_connected(np.random.default_rng(1), batch=1, depth=16, units=4, dtype="int16")
    overlay = cfg.platforms_dir / "accel" / "vmac_axi.repl"
    outputs, _, transactions = _run(cfg, model, inputs, "generic_m4", [overlay])
    np.testing.assert_array_equal(outputs[0], run_reference(model, inputs)[0])
    assert transactions == 0  # the reference prepare hands 16x8 nodes to its own kernel


def test_the_overlay_picks_the_kernel_on_the_ordinary_path(cfg: TandemConfig) -> None:
    """tandem infer --accel vmac_axi: the job's platform has the unit, so its image links the
    unit's kernel (and only then)."""
    model = Path(__file__).parent / "models" / "op_fully_connected.tflite"
    job = InferenceJob.create("generic_m4", model, cfg, overlays=[cfg.platforms_dir / "accel" / "vmac_axi.repl"])
    assert "tfl_vmac_fully_connected" in ElfImage.load(job.elf).all_symbols
    plain = InferenceJob.create("generic_m4", model, cfg)
    assert "tfl_vmac_fully_connected" not in ElfImage.load(plain.elf).all_symbols
    result = run_job(job, cfg)
    np.testing.assert_array_equal(result.outputs[0], run_reference(job.model, job.inputs)[0])


def test_the_per_op_report_shows_the_units_jobs(cfg: TandemConfig) -> None:
    """run_job reads the unit's jobs from its register accesses (tandem.accel.joblog): one job per
    output (the blocking RESULT read), on the FULLY_CONNECTED op, with the bytes its master read:
    the input row and the weight row, `depth` bytes each."""
    batch, depth, units = 2, 64, 12
    model, inputs = ops.fully_connected(np.random.default_rng(3), batch=batch, depth=depth, units=units)
    job = InferenceJob.create("generic_m4", "fc.tflite", cfg, inputs=inputs, model=model,
                              overlays=[cfg.platforms_dir / "accel" / "vmac_axi.repl"])
    result = run_job(job, cfg)
    np.testing.assert_array_equal(result.outputs[0], run_reference(model, inputs)[0])
    (fc,) = [o for o in result.ops if o.op == "FULLY_CONNECTED"]
    assert fc.where == "accel"
    assert result.extra["accelerator_jobs"] == batch * units
    assert fc.bytes_moved == batch * units * 2 * depth
    assert 0 < fc.stall_cycles < fc.cycles
    assert fc.accel_cycles == result.extra["accel_cycles"] > 0
    assert fc.mac_utilisation is None  # the unit has no MAC-array figures
