"""Recurrent ops: UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF's converter-style variants against TFLM.

TFLM's interpreter (tflite-micro) is the reference that decides: its LSTM is the one integer
LSTM it has (8x8->16 and 16x8, no CIFG/peephole/projection/layer norm) and LiteRT's integer
LSTM computes the gates differently.  Measured against LiteRT's LSTM output: within 5 LSB for
power-of-two cell scales (1 LSB on the MNIST example's layer), up to 128 for other cell scales;
LiteRT refuses the 16x8 LSTM (int64 biases).  The MNIST example's final outputs (after FC and
softmax) agree with both.  SVDF: TFLM runs int8 time weights with an int8 state, ignores the
fused activation and a variable tensor's buffer; LiteRT misreads int8 time weights as int16,
refuses NONE and state buffers.  TFLM dereferences the absent bias of an integer SVDF
(segfault), so bias-free SVDFs are checked against LiteRT only.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.config import TandemConfig
from tandem.errors import ModelError
from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops, ops_recurrent
from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.models.ops import Quant
from tandem.tinyml.tflm_ref import run_tflm
from tests.tflm_models import tflm_model

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MNIST = "trained_lstm_int8.tflite"
OP_LSTM = 44


@pytest.fixture(scope="module")
def runtime() -> HostRuntime:
    return HostRuntime()


@pytest.fixture(scope="module")
def mnist() -> bytes:
    return tflm_model(MNIST).read_bytes()


def run_ok(runtime: HostRuntime, model: bytes, inputs: list[np.ndarray], invocations: int = 1) -> list[np.ndarray]:
    got = runtime.run(model, inputs, invocations=invocations)
    assert got.status.ok, got.status
    return got.outputs


@pytest.mark.parametrize("seed", range(4))
def test_mnist_lstm_matches_tflm_and_litert(runtime: HostRuntime, mnist: bytes, seed: int) -> None:
    """TFLM's MNIST LSTM (LSTM, RESHAPE, FC, SOFTMAX), state carried over three invocations."""
    x = ops_recurrent.sequence_input(np.random.default_rng(seed), (1, 28, 28))
    for invocations in (1, 2, 3):
        got = run_ok(runtime, mnist, [x], invocations)[0]
        np.testing.assert_array_equal(got, run_tflm(mnist, [x], invocations).outputs[0])
        np.testing.assert_array_equal(got, run_reference(mnist, [x], invocations)[0])


@pytest.mark.parametrize("seed", range(3))
def test_mnist_lstm_layer_matches_tflm(runtime: HostRuntime, mnist: bytes, seed: int) -> None:
    """The MNIST model's LSTM alone: its 28x20 output sequence, bit for bit with TFLM (LiteRT's
    integer LSTM differs by 1 LSB on a few elements)."""
    layer = ops_recurrent.lstm_layer(mnist)
    x = ops_recurrent.sequence_input(np.random.default_rng(seed), (1, 28, 28))
    for invocations in (1, 3):
        got = run_ok(runtime, layer, [x], invocations)[0]
        assert got.shape == (1, 28, 20)
        np.testing.assert_array_equal(got, run_tflm(layer, [x], invocations).outputs[0])
        lite = run_reference(layer, [x], invocations)[0]
        assert np.abs(lite.astype(int) - got.astype(int)).max() <= 1


def cell_scales() -> st.SearchStrategy[float]:
    # the converter writes power-of-two cell scales; TFLM rounds log2 of any other one
    return st.one_of(st.integers(9, 15).map(lambda k: 2.0 ** -k), st.floats(1e-4, 2e-3))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 3), steps=st.integers(1, 5),
       n_input=st.integers(1, 12), n_state=st.integers(1, 10), time_major=st.booleans(),
       cell_clip=st.sampled_from([0.0, 0.3, 1.0, 3.0, 10.0]), cell_scale=cell_scales(),
       inp=st.builds(Quant, st.floats(0.003, 0.05), st.integers(-128, 127)),
       hidden=st.builds(Quant, st.floats(0.003, 0.02), st.integers(-30, 30)),
       weight_zp=st.sampled_from([0, 0, 3]), intermediates=st.booleans(), invocations=st.integers(1, 3))
def test_lstm_int8(runtime: HostRuntime, seed: int, batch: int, steps: int, n_input: int, n_state: int,
                   time_major: bool, cell_clip: float, cell_scale: float, inp: Quant, hidden: Quant,
                   weight_zp: int, intermediates: bool, invocations: int) -> None:
    """8x8->16: both layouts, batches, cell clip, zero points (weights too), state over invocations."""
    model, inputs = ops_recurrent.lstm(np.random.default_rng(seed), batch=batch, steps=steps, n_input=n_input,
                                       n_state=n_state, inp=inp, hidden=hidden, cell_scale=cell_scale,
                                       time_major=time_major, cell_clip=cell_clip, weight_zero_point=weight_zp,
                                       intermediates=intermediates)
    got = run_ok(runtime, model, inputs, invocations)[0]
    np.testing.assert_array_equal(got, run_tflm(model, inputs, invocations).outputs[0])


@settings(SETTINGS, max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 3), steps=st.integers(1, 5),
       n_input=st.integers(1, 12), n_state=st.integers(1, 10), time_major=st.booleans(),
       cell_clip=st.sampled_from([0.0, 1.0, 5.0]), cell_scale=cell_scales(),
       in_scale=st.floats(1e-5, 3e-4), hidden_scale=st.floats(1e-5, 2e-4), invocations=st.integers(1, 3))
def test_lstm_16x8(runtime: HostRuntime, seed: int, batch: int, steps: int, n_input: int, n_state: int,
                   time_major: bool, cell_clip: float, cell_scale: float, in_scale: float, hidden_scale: float,
                   invocations: int) -> None:
    """16x8->16 (int16 activations, int64 biases): TFLM decides, LiteRT refuses the int64 biases."""
    model, inputs = ops_recurrent.lstm(np.random.default_rng(seed), batch=batch, steps=steps, n_input=n_input,
                                       n_state=n_state, inp=Quant(in_scale, 0), hidden=Quant(hidden_scale, 0),
                                       cell_scale=cell_scale, wide=True, time_major=time_major, cell_clip=cell_clip)
    got = run_ok(runtime, model, inputs, invocations)[0]
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, run_tflm(model, inputs, invocations).outputs[0])
    with pytest.raises(ModelError, match="INT64"):
        run_reference(model, inputs, invocations)


@pytest.mark.parametrize("variant", sorted(ops_recurrent.VARIANTS))
def test_lstm_variants_tflm_lacks_are_refused(runtime: HostRuntime, variant: str) -> None:
    """Peephole, projection and layer-norm tensors name the tensor; a CIFG LSTM lacks operands."""
    model, inputs = ops_recurrent.lstm(np.random.default_rng(0), batch=1, steps=3, n_input=4, n_state=5,
                                       inp=Quant(0.02, 0), hidden=Quant(0.01, 0), cell_scale=2**-12,
                                       variant=variant)
    with pytest.raises(ModelError, match="TFLM rejected"):
        run_tflm(model, inputs)
    r = runtime.run(model, inputs)
    assert (r.status.op_index, r.status.builtin_code) == (0, OP_LSTM)
    if variant == "cifg":  # required operands missing
        assert r.status.name == "inconsistent shapes"
    else:  # the first of the variant's tensors (lstm() writes 15 tensors before them)
        assert (r.status.name, r.status.tensor_index) == ("unsupported tensor type", 15)


def test_lstm_cell_activation_must_be_tanh(runtime: HostRuntime) -> None:
    """TFLM's LSTM has sigmoid or tanh for the cell gate (the schema can only say TANH)."""
    def build(act: str) -> tuple[bytes, list[np.ndarray]]:
        return ops_recurrent.lstm(np.random.default_rng(0), batch=1, steps=2, n_input=3, n_state=4,
                                  inp=Quant(0.02, 0), hidden=Quant(0.01, 0), cell_scale=2**-12, activation=act)

    model, inputs = build("TANH")
    assert runtime.run(model, inputs).status.ok
    model, inputs = build("RELU")
    r = runtime.run(model, inputs)
    assert (r.status.name, r.status.op_index, r.status.builtin_code) == ("invalid op parameters", 0, OP_LSTM)


def test_empty_tensors_only_as_unused_intermediates(runtime: HostRuntime) -> None:
    """A zero-size tensor is accepted (the converter's LSTM intermediates); an op using one is not."""
    m = ModelBuilder()
    x = m.tensor("x", (1, 8), scale=0.1)
    m.tensor("unused", (0,), "float32")
    y = m.tensor("y", (1, 8), scale=1 / 256, zero_point=-128)
    m.op("SOFTMAX", [x], [y])
    m.inputs, m.outputs = [x], [y]
    assert runtime.run(m.build(), [np.zeros((1, 8), np.int8)]).status.ok
    m = ModelBuilder()
    x = m.tensor("x", (1, 8), scale=0.1)
    e = m.tensor("empty", (1, 0), scale=0.1)
    y = m.tensor("y", (1, 8), scale=0.1)
    m.op("ADD", [x, e], [y])
    m.inputs, m.outputs = [x], [y]
    r = runtime.run(m.build(), [np.zeros((1, 8), np.int8)])
    assert (r.status.name, r.status.op_index, r.status.tensor_index) == ("inconsistent shapes", 0, e)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 3), input_size=st.integers(1, 24),
       units=st.integers(1, 6), rank=st.integers(1, 3), memory=st.integers(1, 8),
       inp=st.builds(Quant, st.floats(0.005, 0.3), st.integers(-128, 127)),
       out=st.builds(Quant, st.floats(0.005, 0.5), st.integers(-128, 127)),
       state_scale=st.floats(0.002, 0.2), time_dtype=st.sampled_from(["int16", "int8"]),
       state_zp=st.integers(-40, 40), activation=st.sampled_from(["RELU", "NONE"]),
       state_buffer=st.booleans(), invocations=st.integers(1, 4))
def test_svdf_converter_variants(runtime: HostRuntime, seed: int, batch: int, input_size: int, units: int,
                                 rank: int, memory: int, inp: Quant, out: Quant, state_scale: float,
                                 time_dtype: str, state_zp: int, activation: str, state_buffer: bool,
                                 invocations: int) -> None:
    """SVDF as converters write it: int16 or int8 time weights/state (the int8 state with a zero
    point), activation NONE or RELU, the state with a buffer in the model; TFLM decides."""
    model, inputs = ops.svdf(np.random.default_rng(seed), batch=batch, input_size=input_size, units=units,
                             rank=rank, memory=memory, inp=inp, out=out, state_scale=state_scale,
                             time_dtype=time_dtype, state_zero_point=state_zp if time_dtype == "int8" else 0,
                             activation=activation, state_buffer=state_buffer)
    got = run_ok(runtime, model, inputs, invocations)[0]
    np.testing.assert_array_equal(got, run_tflm(model, inputs, invocations).outputs[0])
    if time_dtype == "int16" and activation == "RELU" and not state_buffer:
        np.testing.assert_array_equal(got, run_reference(model, inputs, invocations)[0])


@pytest.mark.parametrize("seed", range(4))
def test_svdf_int16_without_bias_matches_litert(runtime: HostRuntime, seed: int) -> None:
    model, inputs = ops.svdf(np.random.default_rng(seed), batch=2, input_size=10, units=3, rank=2, memory=6,
                             inp=Quant(0.05, 3), out=Quant(0.02, -4), state_scale=0.05, bias=False)
    got = run_ok(runtime, model, inputs, 3)[0]
    np.testing.assert_array_equal(got, run_reference(model, inputs, 3)[0])


@pytest.mark.parametrize("time_dtype,state_dtype", [("int16", "int8"), ("int8", "int16")])
def test_svdf_mixed_state_and_time_types_refused(runtime: HostRuntime, time_dtype: str, state_dtype: str) -> None:
    """TFLM's SVDF variants pair the time weights' and the state's types; a mix is refused,
    naming the state."""
    m = ModelBuilder()
    x = m.tensor("x", (1, 6), scale=0.05)
    wf = m.tensor("wf", (2, 6), scale=0.01, data=np.ones((2, 6)))
    wt = m.tensor("wt", (2, 4), time_dtype, scale=1e-3, data=np.ones((2, 4)))
    b = m.tensor("b", (2,), "int32", scale=5e-5, data=np.zeros(2))
    s = m.tensor("s", (1, 8), state_dtype, scale=0.05, is_variable=True)
    y = m.tensor("y", (1, 2), scale=0.02)
    m.op("SVDF", [x, wf, wt, b, s], [y], rank=1, activation="RELU")
    m.inputs, m.outputs = [x], [y]
    r = runtime.run(m.build(), [np.zeros((1, 6), np.int8)])
    assert (r.status.name, r.status.op_index, r.status.tensor_index) == ("unsupported tensor type", 0, s)


def test_mnist_lstm_on_the_board(cfg: TandemConfig, mnist: bytes, tmp_path: Path) -> None:
    """The firmware image (reference op set) on nucleo_l4r5zi runs the MNIST LSTM, and a 16x8
    LSTM (64-bit accumulators on the M4), bit-exact with TFLM."""
    from tandem.tinyml.infer import run_model

    x = ops_recurrent.sequence_input(np.random.default_rng(5), (1, 28, 28))
    r = run_model("nucleo_l4r5zi", tflm_model(MNIST), cfg, inputs=[x], invocations=2)
    np.testing.assert_array_equal(r.outputs[0], run_tflm(mnist, [x], 2).outputs[0])
    assert [o.op for o in r.ops] == ["UNIDIRECTIONAL_SEQUENCE_LSTM", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]
    assert r.ops[0].macs == 28 * 20 * 4 * (28 + 20)
    model, inputs = ops_recurrent.lstm(np.random.default_rng(3), batch=2, steps=4, n_input=6, n_state=5,
                                       inp=Quant(1e-4, 0), hidden=Quant(6e-5, 0), cell_scale=2**-11, wide=True,
                                       cell_clip=2.0)
    path = tmp_path / "lstm16x8.tflite"
    path.write_bytes(model)
    r = run_model("nucleo_l4r5zi", path, cfg, inputs=inputs, invocations=2)
    np.testing.assert_array_equal(r.outputs[0], run_tflm(model, inputs, 2).outputs[0])


def test_sanitizer_truncation_and_corruption_of_recurrent_models(tmp_path: Path) -> None:
    """The LSTM (both types) and the int8 SVDF under ASan+UBSan: every truncation plus 1500
    seeded corruptions of each model, no out-of-bounds access and no undefined behaviour."""
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required for the sanitizer build")
    rt = Path(__file__).resolve().parents[1] / "firmware" / "runtime"
    binary = tmp_path / "tfl_fuzz"
    srcs = sorted((rt / "src").glob("*.c")) + sorted((rt / "kernels" / "reference").glob("*.c"))
    cmd = ["gcc", "-std=c99", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-Wall", "-Wextra", "-Werror", f"-I{rt / 'include'}", f"-I{rt / 'kernels' / 'reference'}",
           f"-I{rt / 'host'}", *map(str, srcs), str(rt / "host" / "host_api.c"), str(rt / "host" / "fuzz_main.c"),
           "-lm", "-o", str(binary)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    g = np.random.default_rng(1)
    models = {
        "lstm8": ops_recurrent.lstm(g, batch=2, steps=3, n_input=5, n_state=4, inp=Quant(0.02, 3),
                                    hidden=Quant(0.01, -2), cell_scale=2**-12, cell_clip=2.0)[0],
        "lstm16": ops_recurrent.lstm(g, batch=2, steps=3, n_input=5, n_state=4, inp=Quant(1e-4, 0),
                                     hidden=Quant(5e-5, 0), cell_scale=2**-12, wide=True, time_major=True)[0],
        "svdf8": ops.svdf(g, batch=2, input_size=5, units=3, rank=2, memory=4, inp=Quant(0.05, 3),
                          out=Quant(0.02, -4), state_scale=0.05, time_dtype="int8", state_zero_point=7)[0],
    }
    for name, model in models.items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(model)
        proc = subprocess.run([str(binary), str(path), "1500", "99"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
        counts = dict(line.split(": ") for line in proc.stdout.strip().splitlines())
        assert int(counts.get("status 0", 0)) >= 1, name  # the unmodified model ran
        assert int(counts.get("status 1", 0)) >= 100, name  # truncations were reported as malformed
