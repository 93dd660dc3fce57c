"""``--check`` with two references (LiteRT's reference kernels and TFLM's interpreter) and tandem's
arena against TFLM's ``arena_used_bytes``, on TFLM's own models from ../shared/models/tflm/."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.arena_vs_tflm import measure, table
from tandem.config import TandemConfig
from tandem.errors import ModelError, ToolchainError
from tandem.pytest_plugin import Tandem
from tandem.tinyml.check import LITERT, TFLM, RefOutcome, check_outputs, run_references
from tandem.tinyml.host_runtime import HostRuntime
from tandem.tinyml.job import random_inputs
from tandem.tinyml.model import read_model
from tandem.tinyml.models import zoo
from tandem.tinyml.models.builder import ModelBuilder
from tandem.tinyml.tflm_ref import run_tflm
from tests.tflm_models import seanet_case, tflm_model


def tandem(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tandem.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name,values", [("hello_world_int8", 1), ("micro_speech_quantized", 4)])
def test_infer_check_both_references_agree_and_tandem_matches(tmp_path: Path, name: str, values: int) -> None:
    path = tflm_model(f"{name}.tflite")
    out = tmp_path / "r.json"
    res = tandem("infer", "--board", "nucleo_l4r5zi", "--model", str(path), "--check", "--json", str(out))
    assert res.returncode == 0, res.stderr
    assert "[CPU only] references: LiteRT and TFLM\n" in res.stdout
    assert (f"[CPU only] output 0: bit-exact with the TFLite reference kernels ({values} values) of LiteRT and TFLM"
            in res.stdout)
    data = json.loads(out.read_text())
    assert data["outputs_match_reference"] is True
    check = data["check"]
    assert check["exact"] is True and check["used"] == [LITERT, TFLM]
    (o,) = check["outputs"]
    assert o["matches"] == [LITERT, TFLM] and o["references_differ"]["differing"] == 0
    # TFLM's arena beside tandem's: the board's figure and the host build's (TFLM's is a host build)
    model = path.read_bytes()
    inputs = random_inputs(read_model(model), 0)
    assert data["arena_tflm_bytes"] == run_tflm(model, inputs).arena_used_bytes > 0
    assert data["arena_host_bytes"] == HostRuntime().run(model, inputs).arena_used
    assert data["arena_bytes"] < data["arena_host_bytes"]  # 32-bit pointers on the board
    assert (f"arena: tandem {data['arena_bytes']:,} B on nucleo_l4r5zi, {data['arena_host_bytes']:,} B built for the "
            f"host; TFLM's interpreter {data['arena_tflm_bytes']:,} B") in res.stdout


def _conv_bias_qdim3() -> tuple[bytes, list[np.ndarray]]:
    """A CONV_2D whose bias says quantized_dimension 3 (as converter output does): LiteRT checks it
    against the bias's rank and refuses the model; TFLM ignores it."""
    rng = np.random.default_rng(5)
    cout, cin = 4, 3
    m = ModelBuilder("conv_bias_qdim3")
    ws = list(rng.uniform(0.001, 0.05, cout))
    x = m.tensor("input", (1, 6, 6, cin), scale=0.05, zero_point=0)
    f = m.tensor("filter", (cout, 3, 3, cin), scale=ws, zero_point=0,
                 data=rng.integers(-127, 128, (cout, 3, 3, cin)).astype(np.int8))
    b = m.tensor("bias", (cout,), "int32", scale=[0.05 * s for s in ws], zero_point=0,
                 data=rng.integers(-5000, 5000, cout), quantized_dimension=3)
    y = m.tensor("output", (1, 6, 6, cout), scale=0.1, zero_point=0)
    m.op("CONV_2D", [x, f, b], [y], padding="SAME", stride_h=1, stride_w=1, dilation_h=1, dilation_w=1,
         activation="NONE")
    m.inputs, m.outputs = [x], [y]
    return m.build(), [rng.integers(-128, 128, (1, 6, 6, cin)).astype(np.int8)]


def test_litert_refuses_tflm_decides() -> None:
    model, inputs = _conv_bias_qdim3()
    litert, tflm = run_references(model, inputs)
    assert not litert.ran and litert.refused is not None and "quantized_dimension" in litert.refused
    assert tflm.ran and tflm.outputs is not None and tflm.arena_used_bytes is not None
    good = check_outputs([tflm.outputs[0].copy()], (litert, tflm))
    assert good.exact and good.used == (TFLM,) and good.tflm_arena_bytes == tflm.arena_used_bytes
    assert good.header().startswith("references: TFLM; LiteRT not used (LiteRT rejected the model: quantized_dim")
    assert good.outputs[0].line() == "output 0: bit-exact with the TFLite reference kernels (144 values) of TFLM"
    assert good.outputs[0].refs_differ is None
    bad = tflm.outputs[0].copy()
    bad.flat[7] = np.int8(int(bad.flat[7]) ^ 1)
    wrong = check_outputs([bad], (litert, tflm))
    assert not wrong.exact
    assert wrong.failures().splitlines()[1] == "output 0: MISMATCH in 1 of 144 values (max |diff| 1) against TFLM"
    assert wrong.to_json()["used"] == [TFLM]
    # tandem's own runtime, once it accepts the model (TFLM does), is held to TFLM's outputs
    run = HostRuntime().run(model, inputs)
    if run.status.ok:
        assert check_outputs(run.outputs, (litert, tflm)).exact
    else:
        assert run.status.tensor_index == 2  # refused naming the bias


def test_references_disagree_and_tandem_matching_either_passes() -> None:
    """leaky_relu3 (16-bit): the PyPI TFLM differs from LiteRT (and from TFLM's own golden, which
    LiteRT reproduces) in 3 of 2,560 values by 1 LSB."""
    case = seanet_case("leaky_relu3")
    refs = run_references(case.model.read_bytes(), case.inputs)
    litert, tflm = refs
    assert litert.outputs is not None and tflm.outputs is not None
    np.testing.assert_array_equal(litert.outputs[0], case.golden)
    like_litert = check_outputs([case.golden], refs)
    assert like_litert.exact and like_litert.outputs[0].matches == (LITERT,)
    assert like_litert.outputs[0].line() == ("output 0: LiteRT and TFLM differ in 3 of 2,560 values by at most "
                                             "1 LSB; tandem matches LiteRT")
    like_tflm = check_outputs([tflm.outputs[0]], refs)
    assert like_tflm.exact and like_tflm.outputs[0].matches == (TFLM,)
    assert like_tflm.outputs[0].line().endswith("; tandem matches TFLM")
    apart = like_tflm.to_json()["outputs"][0]["references_differ"]  # type: ignore[index]
    assert apart == {"differing": 3, "values": 2560, "max_abs_diff": 1.0}
    # off from both where they agree: a failure naming both distances
    same = np.flatnonzero(litert.outputs[0].ravel() == tflm.outputs[0].ravel())[0]
    neither = case.golden.copy()
    neither.flat[same] = np.int16(int(neither.flat[same]) + (2 if neither.flat[same] < 0 else -2))
    bad = check_outputs([neither], refs)
    assert not bad.exact and bad.outputs[0].matches == ()
    assert bad.outputs[0].line().startswith("output 0: MISMATCH: LiteRT and TFLM differ in 3 of 2,560 values")
    assert "tandem matches neither (1 values by at most 2 LSB from LiteRT; 4 values by at most 2 LSB from TFLM)" \
        in bad.outputs[0].line()


def test_no_reference_for_the_model() -> None:
    def refuse(model: bytes, inputs: object, n: int) -> RefOutcome:
        raise ModelError("no thanks")

    def missing(model: bytes, inputs: object, n: int) -> RefOutcome:
        raise ToolchainError("not here")

    with pytest.raises(ModelError, match="no reference for this model: LiteRT: no thanks; TFLM: not installed"):
        run_references(b"", [], 1, [(LITERT, refuse), (TFLM, missing)])
    with pytest.raises(ToolchainError, match="TFLM: not installed: not here"):
        run_references(b"", [], 1, [(LITERT, missing), (TFLM, missing)])


def test_plugin_check_uses_both_references(tmp_path: Path) -> None:
    t = Tandem("nucleo_l4r5zi", TandemConfig.from_env(), tmp_path)
    run = t.infer(tflm_model("micro_speech_quantized.tflite"))
    checked = t.assert_bit_exact(run)
    assert checked.used == (LITERT, TFLM) and checked.exact
    run.outputs[0].flat[0] += 1
    with pytest.raises(AssertionError, match=r"(?s)references: LiteRT and TFLM\noutput 0: MISMATCH in 1 of 4 values"):
        t.assert_bit_exact(run)


# -- the arena against TFLM's (host builds both: 64-bit pointers) ----------------------------

WITHIN_10_PERCENT = ("hello_world_int8", "micro_speech_quantized", "ds_cnn", "resnet8")
TANDEM_TENSOR_RECORD = 96  # sizeof(tfl_tensor_t) on the host (76 on Cortex-M)
TFLM_EVAL_TENSOR = 24  # sizeof(TfLiteEvalTensor) on the host: data and dims pointers, type


def _model(name: str) -> bytes:
    if name in zoo.ARCHITECTURES:
        return zoo.ARCHITECTURES[name]()
    return tflm_model(f"{name}.tflite").read_bytes()


def test_arena_against_tflm() -> None:
    runtime = HostRuntime()
    names = [*WITHIN_10_PERCENT, "mobilenet_v1_025", "fc_autoencoder", "trained_lstm_int8"]
    rows = {n: measure(n, _model(n), runtime) for n in names}
    print("\n" + table(list(rows.values())))
    for n in WITHIN_10_PERCENT:
        rel = rows[n].relative
        assert rel is not None and abs(rel) <= 0.10, (n, rel)
    # MobileNetV1-0.25: TFLM's greedy planner (largest first) needs 73,728 B for activations;
    # tandem's (the better of largest-first and first-use order) reaches the lower bound, the
    # peak of simultaneously live tensors. The persistent parts are within 13%.
    mobilenet = rows["mobilenet_v1_025"]
    model = _model("mobilenet_v1_025")
    info = read_model(model)
    _plan, placed = runtime.plan(model)
    peak = max(sum(p.nbytes for p in placed if p.planned and p.first_op <= k <= p.last_op)
               for k in range(len(info.ops)))
    assert mobilenet.tandem_head == peak == 55_296 < mobilenet.tflm_head == 73_728
    assert mobilenet.tandem_total is not None and mobilenet.tandem_head is not None
    tail = mobilenet.tandem_total - mobilenet.tandem_head
    assert abs(tail - mobilenet.tflm_tail) <= 0.13 * mobilenet.tflm_tail
    # FC autoencoder: the same activation plan; the persistent part is larger by less than the
    # difference of the two tensor records over its 33 tensors (its FC layers are per-tensor
    # quantized, so TFLM's larger per-channel op data does not make up for it)
    fc = rows["fc_autoencoder"]
    ntensors = len(read_model(_model("fc_autoencoder")).tensors)
    assert fc.tandem_head == fc.tflm_head and fc.tandem_total is not None and fc.tandem_head is not None
    excess = (fc.tandem_total - fc.tandem_head) - fc.tflm_tail
    assert 0 < excess < ntensors * (TANDEM_TENSOR_RECORD - TFLM_EVAL_TENSOR)
    # the MNIST LSTM: TFLM's figure (tandem's beside it once it runs UNIDIRECTIONAL_SEQUENCE_LSTM)
    assert rows["trained_lstm_int8"].tflm_total == 4208
