"""Cycle budgets for a TinyML model on simulated boards: copy this file and your .tflite.

``tandem.infer`` builds tandem's micro runtime for the board (cached), runs one inference of
the model with the profiler on and returns per-op cycles, outputs and arena use. A failed
budget shows the per-op table and the per-function profile.
"""
from __future__ import annotations

import numpy as np
import pytest

MODEL = "models/kws_ds_cnn.tflite"  # relative to this file: a DS-CNN keyword-spotting model

# Measured with the op set tandem.infer takes by default ("auto": the optimized kernels on a core
# with the DSP extension, as a CMSIS-NN build ships; pass op_set="model" for the reference ones)
# and every flash data load timed: 8,546,099 cycles per inference on the NUCLEO-L4R5ZI (about 71 ms
# at 120 MHz), 8,748,824 on the STM32F4-Discovery; the budget leaves 5% headroom over the larger
# for kernel changes.
BUDGET = {"nucleo_l4r5zi": 9_200_000, "stm32f4_discovery": 9_200_000}


@pytest.mark.boards("nucleo_l4r5zi", "stm32f4_discovery")
def test_kws_inference_budget_and_bit_exactness(tandem):
    x = np.random.default_rng(1).integers(-128, 128, size=(1, 49, 10, 1), dtype=np.int8)
    run = tandem.infer(MODEL, [x])
    tandem.assert_bit_exact(run, [x])
    tandem.assert_cycles(run, BUDGET)
    # the pointwise convolutions dominate; keep each layer under 1.5 M cycles
    assert max(o.cycles for o in run.inference.ops if o.op == "CONV_2D" and o.index > 0) < 1_500_000
    assert run.arena_bytes < 32 * 1024
