"""The four architectures and the committed models: C runtime (host build) == LiteRT, end to end."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.model import read_model
from tandem.tinyml.models import zoo
from tandem.tinyml.models.catalog import committed_models

MODELS_DIR = Path(__file__).resolve().parent / "models"


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime()


def _random_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    info = read_model(model)
    rng = np.random.default_rng(seed)
    out = []
    for idx in info.inputs:
        t = info.tensors[idx]
        if t.dtype == "float32":
            out.append(rng.uniform(-4, 4, t.shape).astype(np.float32))
        else:
            out.append(rng.integers(-128, 128, t.shape).astype(np.int8))
    return out


@pytest.mark.parametrize("name", sorted(zoo.ARCHITECTURES))
def test_architecture_bit_exact(runtime: HostRuntime, name: str) -> None:
    model = zoo.ARCHITECTURES[name]()
    for seed in range(3):
        inputs = _random_inputs(model, seed)
        expected = run_reference(model, inputs)
        got = runtime.run(model, inputs)
        assert got.status.ok, got.status
        for e, g in zip(expected, got.outputs, strict=True):
            np.testing.assert_array_equal(g, e)
        # the outputs carry information: not one saturated constant
        assert len(np.unique(got.outputs[0])) > 1


def test_architectures_are_deterministic() -> None:
    for name, build in zoo.ARCHITECTURES.items():
        assert build() == build(), name


@pytest.mark.parametrize("name", sorted(committed_models()))
def test_committed_model_is_current_and_runs(runtime: HostRuntime, name: str) -> None:
    path = MODELS_DIR / f"{name}.tflite"
    data = path.read_bytes()
    assert data == committed_models()[name](), f"{path} is stale: run scripts/gen_models.py"
    inputs = _random_inputs(data, 7)
    expected = run_reference(data, inputs, invocations=2)  # SVDF keeps state between invocations
    got = runtime.run(data, inputs, invocations=2)
    assert got.status.ok, got.status
    for e, g in zip(expected, got.outputs, strict=True):
        np.testing.assert_array_equal(g, e)


def test_model_info_counts_macs() -> None:
    info = read_model(zoo.ds_cnn())
    assert info.op_names() == (["CONV_2D"] + ["DEPTHWISE_CONV_2D", "CONV_2D"] * 4 +
                               ["AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"])
    # first conv: 25x5x64 outputs, 10x4x1 kernel
    assert info.ops[0].macs == 25 * 5 * 64 * 10 * 4
    assert info.ops[1].macs == 25 * 5 * 64 * 9
    assert info.ops[-2].macs == 64 * 12
    assert info.total_macs == sum(o.macs for o in info.ops)


def test_arena_needed_is_exact(runtime: HostRuntime) -> None:
    """The bytes a successful init reports are enough, and 16 fewer are not."""
    for name, build in zoo.ARCHITECTURES.items():
        model = build()
        inputs = _random_inputs(model, 1)
        ok = runtime.run(model, inputs)
        assert ok.status.ok, (name, ok.status)
        need = ok.arena_used
        exact = runtime.run(model, inputs, arena_size=need)
        assert exact.status.ok, (name, exact.status)
        for e, g in zip(ok.outputs, exact.outputs, strict=True):
            np.testing.assert_array_equal(g, e)
        short = runtime.run(model, inputs, arena_size=need - 16)
        assert short.status.name == "arena too small", (name, short.status)
        assert short.status.bytes_needed == need


@pytest.mark.parametrize("name", sorted(zoo.ARCHITECTURES))
def test_arena_plan_never_overlaps_live_tensors(runtime: HostRuntime, name: str) -> None:
    model = zoo.ARCHITECTURES[name]()
    info = read_model(model)
    plan_bytes, placements = runtime.plan(model)
    planned = [p for p in placements if p.planned]
    # every non-constant tensor some op uses is planned; constants stay in the model
    used = {i for op in info.ops for i in op.inputs + op.outputs if i >= 0}
    assert {p.index for p in planned} == {i for i in used if not info.tensors[i].is_const}
    for p in planned:
        assert p.offset % 16 == 0 and p.offset + p.nbytes <= plan_bytes
    for i, a in enumerate(planned):
        for b in planned[i + 1:]:
            if a.last_op < b.first_op or b.last_op < a.first_op:
                continue  # never alive at the same time
            assert a.offset + a.nbytes <= b.offset or b.offset + b.nbytes <= a.offset, (a, b)
    # the plan reuses memory; on these graphs it reaches the lower bound: the largest set of
    # simultaneously live tensors (all sizes here are multiples of 16)
    peak = max(sum(p.nbytes for p in planned if p.first_op <= k <= p.last_op) for k in range(len(info.ops)))
    assert plan_bytes == peak < sum(p.nbytes for p in planned)
