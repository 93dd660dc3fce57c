"""The pytest plugin (sim/pytest_plugin.py), run the way a user runs it: pytest on the example."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "test_cycle_budget.py"


def _pytest(target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(target), *args]
    if "tandem" not in {ep.name for ep in metadata.entry_points(group="pytest11")}:
        # not installed from this tree's pyproject yet: load the plugin by module name
        cmd[3:3] = ["-p", "tandem.pytest_plugin"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(cmd, capture_output=True, text=True, cwd=target.parent, env=env, timeout=300)


def test_entry_point_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"tandem": "tandem.pytest_plugin"}
    import tandem.pytest_plugin as plugin

    for hook in ("pytest_addoption", "pytest_generate_tests", "pytest_assertrepr_compare"):
        assert callable(getattr(plugin, hook))


HEAVY = ("unicorn", "numpy", "capstone", "tflite")


def test_loading_the_plugin_imports_nothing_heavy():
    # pytest loads the plugin in every session on a machine with tandem installed
    code = ("import sys, tandem.pytest_plugin as p; "
            "from tandem.pytest_plugin import CycleBudgetExceeded, Cycles, FirmwareRun, Tandem, assert_cycles; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["none"], f"loaded at plugin import: {res.stdout}"


def test_example_passes_on_both_boards():
    res = _pytest(EXAMPLE, "-v")
    assert res.returncode == 0, res.stdout + res.stderr
    for test in ("test_dot_product_within_budget", "test_dot_product_memory"):
        for board in ("bluepill", "nucleo_l4r5zi"):
            assert f"{test}[{board}] PASSED" in res.stdout
    assert "test_plain_assert_also_explains[generic_m4] PASSED" in res.stdout
    assert "5 passed" in res.stdout


def test_board_option_overrides_the_marker():
    res = _pytest(EXAMPLE, "-v", "--tandem-board", "stm32f4_discovery", "-k", "memory or plain")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "test_dot_product_memory[stm32f4_discovery] PASSED" in res.stdout
    assert "test_plain_assert_also_explains[stm32f4_discovery] PASSED" in res.stdout
    assert "[bluepill]" not in res.stdout and "2 passed" in res.stdout


def test_too_tight_budget_fails_with_the_breakdown(tmp_path):
    # a user's copy of the example with a kernel budget the bluepill cannot meet
    shutil.copytree(EXAMPLE.parent / "firmware", tmp_path / "firmware")
    text = EXAMPLE.read_text()
    assert 'KERNEL_BUDGET = {"bluepill": 3_300,' in text
    copy = tmp_path / "test_tight.py"
    copy.write_text(text.replace('"bluepill": 3_300,', '"bluepill": 1_000,')
                        .replace("run.cycles <= 16_000", "run.cycles <= 4_000"))
    res = _pytest(copy, "-v")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "test_dot_product_within_budget[bluepill] FAILED" in out
    assert "test_dot_product_within_budget[nucleo_l4r5zi] PASSED" in out
    assert "CycleBudgetExceeded: tandem: dot_q7() (inclusive) in dot_product.elf on bluepill took" in out
    assert "over its budget of 1,000 by" in out
    lines = [line.removeprefix("E").split() for line in out.splitlines()]
    header = ["function", "self", "cycles", "self", "%", "inclusive", "calls"]
    assert header in lines
    kernel = next(row for row in lines if row[:1] == ["dot_q7"])
    assert kernel[-1] == "1" and int(kernel[1].replace(",", "")) > 1_000
    # the plain assert on cycles shows the same breakdown through the assertion-rewrite hook
    assert "test_plain_assert_also_explains[generic_m4] FAILED" in out
    assert "<= 4000  (cycles)" in out and "per function (top 10 by exclusive cycles):" in out


def test_tandem_runs_sources_or_an_elf(cfg):
    from tandem.pytest_plugin import CycleBudgetExceeded, Tandem, assert_cycles

    t = Tandem("bluepill", cfg, EXAMPLE.parent)
    assert t.new_board().platform.name == "bluepill"
    from_source = t.run("firmware/dot_product.c")
    from_elf = t.run(from_source.elf)
    assert from_elf.elf == from_source.elf
    assert (from_elf.cycles, from_elf.output) == (from_source.cycles, from_source.output)
    assert from_source.memory.flash.name == "flash" and from_source.memory.ram.name == "sram"
    kernel = from_source.function_cycles("dot_q7")
    assert_cycles(from_source, kernel, function="dot_q7")  # exactly at budget passes
    with pytest.raises(CycleBudgetExceeded, match="no cycle budget for board bluepill"):
        assert_cycles(from_source, {"nucleo_l4r5zi": 10**9})
    from_source.add_breakdown("per op:", "conv 12\nfc 3")
    assert from_source.explain().endswith("per op:\nconv 12\nfc 3")


MODEL_EXAMPLE = ROOT / "examples" / "test_model_budget.py"


def test_model_example_passes():
    res = _pytest(MODEL_EXAMPLE, "-v")
    assert res.returncode == 0, res.stdout + res.stderr
    for board in ("nucleo_l4r5zi", "stm32f4_discovery"):
        assert f"test_kws_inference_budget_and_bit_exactness[{board}] PASSED" in res.stdout


def test_model_budget_failure_shows_per_op_table(tmp_path):
    shutil.copytree(MODEL_EXAMPLE.parent / "models", tmp_path / "models")
    copy = tmp_path / "test_tight_model.py"
    copy.write_text(MODEL_EXAMPLE.read_text().replace('"nucleo_l4r5zi": 9_200_000', '"nucleo_l4r5zi": 6_000_000'))
    res = _pytest(copy, "-k", "nucleo")
    assert res.returncode == 1
    out = res.stdout
    m = re.search(r"one inference of kws_ds_cnn.tflite on nucleo_l4r5zi took ([\d,]+) cycles, "
                  r"over its budget of 6,000,000 by ([\d,]+)", out)
    assert m, out
    took, over = (int(g.replace(",", "")) for g in m.groups())
    assert took - 6_000_000 == over and took > 8_000_000
    assert "per op (kws_ds_cnn.tflite, one inference):" in out
    assert "DEPTHWISE_CONV_2D" in out and "cyc/MAC" in out
