"""Error reporting of the C runtime (host build): unsupported ops, arena size, malformed
models, wrong inputs; and a sanitizer build fed truncated and corrupted models."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.models import ops, zoo
from tandem.tinyml.models.builder import ModelBuilder

MODELS_DIR = Path(__file__).resolve().parent / "models"
OP_LSH_PROJECTION = 15  # an op neither TFLM nor the runtime has (TANH, used before, is implemented now)
OP_CONV_2D = 3
OP_SOFTMAX = 25


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime()


def _conv_then(op: str, builtin_ok: bool = True) -> bytes:
    m = ModelBuilder()
    x = m.tensor("x", (1, 4, 4, 2), scale=0.1, zero_point=0)
    w = m.tensor("w", (3, 1, 1, 2), scale=[0.01] * 3, data=np.ones((3, 1, 1, 2)))
    b = m.tensor("b", (3,), "int32", scale=[0.001] * 3, data=np.zeros(3))
    y = m.tensor("y", (1, 4, 4, 3), scale=0.05, zero_point=0)
    z = m.tensor("z", (1, 4, 4, 3), scale=1 / 128, zero_point=0)
    m.op("CONV_2D", [x, w, b], [y], padding="SAME")
    m.op(op, [y], [z])
    m.inputs, m.outputs = [x], [z]
    return m.build()


def test_unsupported_op_is_named_with_index(runtime: HostRuntime) -> None:
    r = runtime.run(_conv_then("LSH_PROJECTION"), [np.zeros((1, 4, 4, 2), np.int8)])
    assert r.status.name == "unsupported op"
    assert (r.status.op_index, r.status.builtin_code) == (1, OP_LSH_PROJECTION)


def test_op_missing_from_resolver_is_unsupported(runtime: HostRuntime) -> None:
    model = zoo.ds_cnn()
    x = np.zeros((1, 49, 10, 1), np.int8)
    r = runtime.run(model, [x], only_ops=[OP_CONV_2D, 4, 1, 22, 9])  # no SOFTMAX
    assert r.status.name == "unsupported op"
    assert (r.status.op_index, r.status.builtin_code) == (12, OP_SOFTMAX)
    assert runtime.run(model, [x], only_ops=[OP_CONV_2D, 4, 1, 22, 9, OP_SOFTMAX]).status.ok


def test_arena_too_small_reports_bytes_needed(runtime: HostRuntime) -> None:
    model = zoo.resnet8()
    x = np.zeros((1, 32, 32, 3), np.int8)
    need = runtime.run(model, [x]).arena_used
    r = runtime.run(model, [x], arena_size=need // 2)
    assert r.status.name == "arena too small"
    assert r.status.bytes_needed == need and r.status.detail == 0
    # too small even for the tensor tables: a lower bound, flagged as such
    tiny = runtime.run(model, [x], arena_size=64)
    assert tiny.status.name == "arena too small"
    assert tiny.status.detail == 1 and 64 < tiny.status.bytes_needed < need


def test_wrong_input_size_is_rejected(runtime: HostRuntime) -> None:
    model, (x,) = ops.fully_connected(np.random.default_rng(0), batch=1, depth=16, units=4)
    r = runtime.run(model, [x[:, :15]])
    assert r.status.name == "wrong input shape"
    assert r.status.tensor_index == 0 and r.status.detail == 15
    r = runtime.run(model, [x, x])
    assert r.status.name == "wrong input shape"


def test_every_truncation_is_an_error(runtime: HostRuntime) -> None:
    data = (MODELS_DIR / "op_conv2d.tflite").read_bytes()
    x = np.zeros((1, 12, 10, 3), np.int8)
    codes = {runtime.run(data[:n], [x]).status.name for n in range(len(data))}
    assert "ok" not in codes
    assert "malformed model" in codes


def test_wrong_schema_version(runtime: HostRuntime) -> None:
    m = ModelBuilder()
    x = m.tensor("x", (1, 8), scale=0.1)
    y = m.tensor("y", (1, 8), scale=1 / 256, zero_point=-128)
    m.op("SOFTMAX", [x], [y])
    m.inputs, m.outputs = [x], [y]
    m.version = 2
    r = runtime.run(m.build(), [np.zeros((1, 8), np.int8)])
    assert r.status.name == "unsupported model version" and r.status.detail == 2


def test_tensor_index_out_of_range(runtime: HostRuntime) -> None:
    m = ModelBuilder()
    x = m.tensor("x", (1, 8), scale=0.1)
    y = m.tensor("y", (1, 8), scale=1 / 256, zero_point=-128)
    m.op("SOFTMAX", [x + 5], [y])
    m.inputs, m.outputs = [x], [y]
    assert runtime.run(m.build(), [np.zeros((1, 8), np.int8)]).status.name == "malformed model"


def test_inconsistent_shapes_name_the_op(runtime: HostRuntime) -> None:
    m = ModelBuilder()
    x = m.tensor("x", (1, 6, 6, 2), scale=0.1)
    w = m.tensor("w", (3, 3, 3, 2), scale=[0.01] * 3, data=np.ones((3, 3, 3, 2)))
    b = m.tensor("b", (3,), "int32", scale=[0.001] * 3, data=np.zeros(3))
    y = m.tensor("y", (1, 5, 6, 3), scale=0.05)  # SAME stride 1 gives 6x6
    m.op("CONV_2D", [x, w, b], [y], padding="SAME")
    m.inputs, m.outputs = [x], [y]
    r = runtime.run(m.build(), [np.zeros((1, 6, 6, 2), np.int8)])
    assert r.status.name == "inconsistent shapes"
    assert (r.status.op_index, r.status.builtin_code, r.status.tensor_index) == (0, OP_CONV_2D, y)


def test_invalid_stride_is_bad_params(runtime: HostRuntime) -> None:
    model, (x,) = ops.pool2d(np.random.default_rng(0), "MAX_POOL_2D", h=4, w=4, c=1, fh=2, fw=2, stride=(1, 1))
    m = ModelBuilder()
    xi = m.tensor("x", (1, 4, 4, 1), scale=0.1)
    yi = m.tensor("y", (1, 3, 3, 1), scale=0.1)
    m.op("MAX_POOL_2D", [xi], [yi], padding="VALID", stride_h=0, stride_w=1, filter_h=2, filter_w=2)
    m.inputs, m.outputs = [xi], [yi]
    r = runtime.run(m.build(), [x])
    assert r.status.name == "invalid op parameters" and r.status.op_index == 0
    assert runtime.run(model, [x]).status.ok


def test_bad_quantization_is_rejected(runtime: HostRuntime) -> None:
    for scale, zp in ((-0.1, 0), (float("nan"), 0), (0.1, 300)):
        m = ModelBuilder()
        x = m.tensor("x", (1, 8), scale=scale, zero_point=zp)
        y = m.tensor("y", (1, 8), scale=1 / 256, zero_point=-128)
        m.op("SOFTMAX", [x], [y])
        m.inputs, m.outputs = [x], [y]
        r = runtime.run(m.build(), [np.zeros((1, 8), np.int8)])
        assert r.status.name == "unsupported tensor type" and r.status.tensor_index == x, (scale, zp)


def test_softmax_output_quantization_checked(runtime: HostRuntime) -> None:
    m = ModelBuilder()
    x = m.tensor("x", (1, 8), scale=0.1)
    y = m.tensor("y", (1, 8), scale=1 / 128, zero_point=0)
    m.op("SOFTMAX", [x], [y])
    m.inputs, m.outputs = [x], [y]
    r = runtime.run(m.build(), [np.zeros((1, 8), np.int8)])
    assert r.status.name == "unsupported tensor type" and r.status.tensor_index == y


@pytest.fixture(scope="module")
def fuzz_binary() -> Path:
    from tests.fuzz_build import fuzz_binary_path  # built once, shared with test_runtime_ops_shape.py

    return fuzz_binary_path()


@pytest.mark.parametrize("name", ["op_conv2d", "op_depthwise_conv2d", "op_fully_connected", "op_add", "op_mul",
                                  "op_average_pool_2d", "op_softmax", "op_mean", "op_pad", "op_concatenation",
                                  "op_quantize", "op_reshape", "op_dequantize", "op_max_pool_2d", "op_logistic",
                                  "op_svdf"])
def test_sanitizer_truncation_and_corruption(fuzz_binary: Path, name: str) -> None:
    """Every truncation plus 1500 seeded corruptions: no out-of-bounds access, no UB."""
    proc = subprocess.run([str(fuzz_binary), str(MODELS_DIR / f"{name}.tflite"), "1500", "99"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    counts = dict(line.split(": ") for line in proc.stdout.strip().splitlines())
    assert int(counts.get("status 0", 0)) >= 1  # the unmodified model ran
    assert int(counts.get("status 1", 0)) >= 100  # truncations were reported as malformed


def test_constant_tensors_are_never_written(runtime: HostRuntime) -> None:
    """An op output or a graph input backed by model data is rejected (a variable tensor's buffer
    is ignored, as TFLM does: test_runtime_ops_seq.py)."""
    def model(const_output: bool, const_input: bool) -> bytes:
        m = ModelBuilder()
        x = m.tensor("x", (1, 8), scale=0.1, data=np.zeros((1, 8)) if const_input else None)
        y = m.tensor("y", (1, 8), scale=1 / 256, zero_point=-128, data=np.zeros((1, 8)) if const_output else None)
        m.op("SOFTMAX", [x], [y])
        m.inputs, m.outputs = [x], [y]
        return m.build()

    x = np.zeros((1, 8), np.int8)
    assert runtime.run(model(False, False), [x]).status.ok
    r = runtime.run(model(True, False), [x])
    assert (r.status.name, r.status.op_index, r.status.tensor_index) == ("inconsistent shapes", 0, 1)
    r = runtime.run(model(False, True), [x])
    assert (r.status.name, r.status.tensor_index) == ("inconsistent shapes", 0)
