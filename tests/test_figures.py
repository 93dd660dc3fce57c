"""benchmarks/figures.py, the one script that regenerates the measured figures of README.md and
docs/fidelity.md: every block it knows is in those files exactly once, every block in them is
one it knows, and bad arguments are one-line errors. (Each block's run is the command it quotes;
those commands have their own tests.)"""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _figures():
    spec = importlib.util.spec_from_file_location("figures", ROOT / "benchmarks" / "figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["figures"] = module
    spec.loader.exec_module(module)
    return module


def test_every_block_is_in_the_docs_once() -> None:
    figures = _figures()
    names = [m["name"] for f in figures.FILES for m in figures.BLOCK.finditer(f.read_text())]
    assert sorted(names) == sorted(figures.BLOCKS)
    opened = [n for f in figures.FILES for n in re.findall(r"<!-- figures:([\w-]+) -->", f.read_text())]
    assert sorted(opened) == sorted(names)  # no marker without its closing one


def test_bad_block_names_are_refused(capsys) -> None:
    figures = _figures()
    assert figures.main(["--only", "demo,nope"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "figures: unknown block 'nope' (known: demo, engine, aot, mlperf, sweep)"
