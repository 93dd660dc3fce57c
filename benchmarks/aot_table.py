"""The README's interpreter vs AOT table: flash, RAM, arena and cycles of the four model
architectures on one board (default nucleo_l4r5zi), each run with both runtimes on the same
random input (seed 0).

    python benchmarks/aot_table.py [--board nucleo_l4r5zi]

Prints the Markdown table of README.md's "Ahead-of-time runtime" section and checks that the two
runtimes' outputs are equal (exit 1 if not).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tandem.aot.image import build_aot
from tandem.aot.report import memory_of
from tandem.config import TandemConfig
from tandem.tinyml.infer import run_job
from tandem.tinyml.job import InferenceJob
from tandem.tinyml.results import Inference

ROOT = Path(__file__).resolve().parent.parent
MODELS = [("DS-CNN (kws)", "ds_cnn"), ("MobileNetV1-0.25 (vww-like)", "mobilenet_v1_025"),
          ("ResNet-8 (ic-like)", "resnet8"), ("FC autoencoder (ad-like)", "fc_autoencoder")]


def _run(board: str, path: Path, cfg: TandemConfig, runtime: str) -> Inference:
    model = path.read_bytes()
    image = None if runtime == "interpreter" else (lambda p: build_aot(p, cfg, model, str(path)).elf)
    job = InferenceJob.create(board, path, cfg, model=model, image=image, runtime=runtime)
    r = run_job(job, cfg)
    r.extra["runtime"] = runtime
    return r


def table_lines(board: str, cfg: TandemConfig) -> tuple[list[str], bool]:
    """The Markdown table's lines, and whether the two runtimes' outputs were equal on every model."""
    lines = ["| model | flash interp / AOT | RAM interp / AOT | arena interp / AOT | inference cycles interp / AOT "
             "| whole run interp / AOT |", "|---|---|---|---|---|---|"]
    same = True
    for label, name in MODELS:
        path = ROOT / "tests" / "models" / f"{name}.tflite"
        a, b = (_run(board, path, cfg, rt) for rt in ("interpreter", "aot"))
        same = same and all(np.array_equal(x, y) for x, y in zip(a.outputs, b.outputs, strict=True))
        ma, mb = memory_of(a), memory_of(b)
        lines.append(f"| {label} | {ma.flash:,} / {mb.flash:,} | {ma.ram:,} / {mb.ram:,} | {a.arena_bytes:,} / "
                     f"{b.arena_bytes:,} | {a.cycles:,} / {b.cycles:,} | {a.total_cycles:,} / {b.total_cycles:,} |")
    return lines, same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="nucleo_l4r5zi")
    args = ap.parse_args(argv)
    lines, same = table_lines(args.board, TandemConfig.from_env())
    print("\n".join(lines))
    if not same:
        print("outputs differ between the runtimes", file=sys.stderr)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
