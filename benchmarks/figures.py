"""Regenerate the measured figures of README.md and docs/fidelity.md in place.

Each figure block in those files sits between ``<!-- figures:NAME -->`` and
``<!-- /figures:NAME -->`` lines; this script runs what the block reports (the same commands and
functions a user runs) and rewrites the text between the markers:

    python benchmarks/figures.py                  # every block (about 15 minutes warm; the
                                                  # sweep's yosys runs add 15 cold)
    python benchmarks/figures.py --only demo,aot  # some blocks
    python benchmarks/figures.py --check          # print what would change, write nothing;
                                                  # exit 1 if a block is stale

Blocks: ``demo`` (`tandem demo`), ``engine`` (CPU-only vs the conv8x8 engine for MobileNetV1-0.25
and DS-CNN), ``aot`` (interpreter vs AOT, benchmarks/aot_table.py), ``mlperf`` (cycles/MAC per
op set against the published MLPerf Tiny and CMSIS-NN figures, `tandem bench kernels`), ``sweep``
(`tandem sweep` over the conv engine). Cycle counts are deterministic; wall times are this
machine's at the time of the run. A block whose run fails (a model not bit-exact, a command
failing) stops the script with the reason and writes nothing.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tandem.config import TandemConfig
from tandem.tinyml.infer import run_model
from tandem.tinyml.kernel_bench import bench_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aot_table import table_lines  # noqa: E402  (this folder's script, not a package)

ROOT = Path(__file__).resolve().parent.parent
FILES = (ROOT / "README.md", ROOT / "docs" / "fidelity.md")
BLOCK = re.compile(r"(?P<open><!-- figures:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(?P<close><!-- /figures:(?P=name) -->)",
                   re.S)
BOARD = "nucleo_l4r5zi"


class FigureError(Exception):
    """A block's run failed; the message says which and why."""


def _tandem(*args: str, timeout: int = 3600) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([sys.executable, "-m", "tandem.cli", *args], capture_output=True, text=True,
                         timeout=timeout, cwd=ROOT)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise FigureError(f"tandem {' '.join(args)} failed: {last}")
    return res


def _infer_json(*args: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        t0 = time.perf_counter()
        _tandem("infer", *args, "--json", str(out))
        data: dict = json.loads(out.read_text())
        data["command_wall"] = time.perf_counter() - t0
    if data.get("outputs_match_reference") is not True or not (data.get("cpu_only", {}).get("check") or
                                                                {"exact": True}).get("exact"):
        raise FigureError(f"tandem infer {' '.join(args)}: outputs not bit-exact with the references")
    return data


def demo(cfg: TandemConfig, write: bool) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        _tandem("demo", "--out", tmp)  # builds (once per cache) outside the timed run
        t0 = time.perf_counter()
        _tandem("demo", "--out", tmp)
        wall = time.perf_counter() - t0
        data = json.loads((Path(tmp) / "kws.json").read_text())
    if data.get("outputs_match_reference") is not True or not (data["cpu_only"].get("check") or {}).get("exact"):
        raise FigureError("tandem demo: outputs not bit-exact")
    cpu, acc = data["cpu_only"]["cycles"], data["cycles"]
    return (f"With the builds cached, `tandem demo` printed: CPU only {cpu:,} cycles (op set optimized),\n"
            f"accelerated {acc:,} cycles ({cpu / acc:.2f}x), both bit-exact, in {wall:.1f} s wall.\n")


def engine(cfg: TandemConfig, write: bool) -> str:
    lines = ["| model | CPU only, reference kernels | CPU only, optimized kernels | conv8x8 engine | speedup "
             "(reference / optimized) | simulation wall (optimized / engine) |",
             "|---|---|---|---|---|---|"]
    for label, model in (("MobileNetV1-0.25", "tests/models/mobilenet_v1_025.tflite"),
                         ("DS-CNN", "tests/models/ds_cnn.tflite")):
        data = _infer_json("--board", BOARD, "--accel", "conv8x8", "--compare", "--check", "--model", model)
        ref = run_model(BOARD, ROOT / model, cfg, op_set="model").cycles
        cpu, acc = data["cpu_only"]["cycles"], data["cycles"]
        lines.append(f"| {label} | {ref:,} | {cpu:,} | {acc:,} | {ref / acc:.2f}x / {cpu / acc:.2f}x | "
                     f"{data['cpu_only']['wall_seconds']:.1f} s / {data['wall_seconds']:.1f} s |")
    return "\n".join(lines) + "\n"


def aot(cfg: TandemConfig, write: bool) -> str:
    lines, same = table_lines(BOARD, cfg)
    if not same:
        raise FigureError("aot: the interpreter's and the AOT runtime's outputs differ")
    return "\n".join(lines) + "\n"


# Published figures the mlperf block compares with (issue 15): ST's X-CUBE-AI 10.2 on the
# NUCLEO-L4R5ZI at 120 MHz (MLPerf Tiny v1.3 latency, ms), and real TFLM + CMSIS-NN firmware on
# tandem's nucleo_l4r5zi (M cycles).
MLPERF = (("DS-CNN KWS", "KWS", "examples/models/kws_ds_cnn.tflite", 43.4, 8.93),
          ("MobileNetV1-0.25 VWW", "VWW", "tests/models/mobilenet_v1_025.tflite", 89.4, 28.3),
          ("ResNet-8 IC", "IC", "tests/models/resnet8.tflite", 165.7, 35.5),
          ("FC autoencoder AD", "AD", "tests/models/fc_autoencoder.tflite", 4.79, 0.73))
PER_OP = (("KWS", "CONV_2D"), ("KWS", "DEPTHWISE_CONV_2D"), ("VWW", "CONV_2D"), ("VWW", "DEPTHWISE_CONV_2D"),
          ("IC", "CONV_2D"), ("AD", "FULLY_CONNECTED"))


def mlperf(cfg: TandemConfig, write: bool) -> str:
    cols = ("reference", "optimized")
    rows = {(board, short): bench_model(board, ROOT / path, cfg, cols)
            for board in (BOARD, "stm32f4_discovery") for _, short, path, _, _ in MLPERF}
    today = datetime.date.today().isoformat()
    out = [f"Measured {today} by `python benchmarks/figures.py --only mlperf` (`tandem bench kernels`: one",
           "inference, seeded random input; `examples/models/kws_ds_cnn.tflite`, `tests/models/{mobilenet_v1_025,",
           "resnet8,fc_autoencoder}.tflite`):", "",
           "| model (MACs) | X-CUBE-AI 10.2 on hardware | tandem `optimized` | tandem `model` (reference) "
           "| TFLM + CMSIS-NN on tandem (issue 15) |", "|---|---|---|---|---|"]
    for label, short, _, ms, cmsis_m in MLPERF:
        r = rows[(BOARD, short)]
        pub = ms * 1e-3 * 120e6
        opt, ref = r.cycles["optimized"], r.cycles["reference"]
        out.append(f"| {label} ({r.macs / 1e6:.2f} M) | {ms} ms = {pub / 1e6:.2f} M cycles, {pub / r.macs:.2f} /MAC | "
                   f"{opt:,} ({r.per_mac('optimized'):.2f} /MAC), {opt / pub:.2f}x | {ref:,} "
                   f"({r.per_mac('reference'):.2f} /MAC), {ref / pub:.2f}x | {cmsis_m} M "
                   f"({cmsis_m * 1e6 / r.macs:.2f} /MAC), {cmsis_m * 1e6 / pub:.2f}x |")
    out += ["", "(The factors are tandem's cycles over the published ones.) Cycles per MAC per op type:", "",
            f"| op type (model) | {BOARD} reference / optimized | stm32f4_discovery reference / optimized |",
            "|---|---|---|"]
    for short, op in PER_OP:
        cells = [" / ".join(f"{rows[(b, short)].op_per_mac(c, op):.2f}" for c in cols)
                 for b in (BOARD, "stm32f4_discovery")]
        out.append(f"| {op} ({short}) | {cells[0]} | {cells[1]} |")
    whole = [" / ".join(f"{rows[(b, s)].per_mac(c):.2f}" for _, s, _, _, _ in MLPERF)
             for b in (BOARD, "stm32f4_discovery") for c in cols]
    out.append(f"| whole model KWS / VWW / IC / AD | {whole[0]} and {whole[1]} | {whole[2]} and {whole[3]} |")
    return "\n".join(out) + "\n"


SWEEP = ("--board", BOARD, "--model", "tests/models/mobilenet_v1_025.tflite", "--accel", "conv4x4",
         "--param", "PO=4,8", "--param", "frequency=0,60000000", "--workers", "2")
SWEEP_COLUMNS = ("model", "PO", "frequency", "cycles", "accel_cycles", "speedup", "mac_utilisation", "bit_exact",
                 "area_cells", "lut4", "bram")


def sweep(cfg: TandemConfig, write: bool) -> str:
    """With ``write`` the sweep's results.csv and pareto.png replace those under docs/sweep/."""
    out = ROOT / "docs" / "sweep"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        _tandem("sweep", *SWEEP, "--out", tmp, timeout=7200)
        wall = time.perf_counter() - t0
        with open(Path(tmp) / "results.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        if write:
            (out / "mobilenet_v1_025_results.csv").write_text((Path(tmp) / "results.csv").read_text())
        png = Path(tmp) / "pareto.png"
        if write and png.is_file():
            (out / "mobilenet_v1_025_pareto.png").write_bytes(png.read_bytes())
    if not rows or any(r.get("bit_exact") != "True" for r in rows):
        raise FigureError("sweep: a point is missing or not bit-exact")

    def cell(row: dict[str, str], col: str) -> str:
        value = row.get(col, "")
        return f"{int(value):,}" if value.isdigit() and col not in ("PO",) else value

    lines = [f"`tandem sweep {' '.join(SWEEP)}` ({wall:.0f} s wall; every point bit-exact;",
             "[results.csv](docs/sweep/mobilenet_v1_025_results.csv)):", "",
             "| " + " | ".join(SWEEP_COLUMNS) + " |", "|" + "---|" * len(SWEEP_COLUMNS)]
    lines += ["| " + " | ".join(cell(r, c) for c in SWEEP_COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


BLOCKS: dict[str, Callable[[TandemConfig, bool], str]] = {"demo": demo, "engine": engine, "aot": aot, "mlperf": mlperf,
                                                      "sweep": sweep}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(BLOCKS), help=f"comma-separated blocks ({', '.join(BLOCKS)})")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a block would change")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in BLOCKS]
    if unknown:
        print(f"figures: unknown block {unknown[0]!r} (known: {', '.join(BLOCKS)})", file=sys.stderr)
        return 2
    texts = {f: f.read_text() for f in FILES}
    found = {m["name"]: f for f, t in texts.items() for m in BLOCK.finditer(t)}
    missing = [n for n in names if n not in found]
    if missing:
        where = ", ".join(str(f.relative_to(ROOT)) for f in FILES)
        print(f"figures: no block {missing[0]!r} in {where}", file=sys.stderr)
        return 2
    cfg = TandemConfig.from_env()
    new: dict[str, str] = {}
    try:
        for n in names:
            t0 = time.perf_counter()
            print(f"[figures] {n} ...", file=sys.stderr, flush=True)
            new[n] = BLOCKS[n](cfg, not args.check)
            print(f"[figures] {n}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    except (FigureError, subprocess.TimeoutExpired) as exc:
        print(f"figures: {exc}", file=sys.stderr)
        return 1
    stale = []
    for f, text in texts.items():
        def swap(m: re.Match[str]) -> str:
            if m["name"] not in new:
                return m.group(0)
            if m["body"] != new[m["name"]]:
                stale.append(m["name"])
            return m["open"] + new[m["name"]] + m["close"]

        updated = BLOCK.sub(swap, text)
        if not args.check and updated != text:
            f.write_text(updated)
    for n in names:
        print(f"{n}: {'changed' if n in stale else 'unchanged'}" + ("" if args.check else " (written)" * (n in stale)))
    if args.check:
        for n in stale:
            print(f"--- {n}\n{new[n]}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
