"""``tandem sweep``: an accelerator's design space (the cross product of ``--param`` values or a
TOML spec), every model on every point co-simulated and checked bit-exact, area from yosys;
results.csv, pareto.png and sweep.html in ``--out``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tandem.config import TandemConfig
from tandem.errors import SweepError
from tandem.sweep.driver import run_sweep
from tandem.sweep.report import markdown_table
from tandem.sweep.spec import build_spec


def cmd_sweep(args: argparse.Namespace, cfg: TandemConfig) -> int:
    spec = build_spec(Path(args.spec) if args.spec else None, args.board, args.model or [], args.accel,
                      args.param or [])
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out}: is a file, not a folder")
    workers = args.workers or len(os.sched_getaffinity(0))
    outcome = run_sweep(spec, cfg, out, workers, args.scheduler, tuple(args.platforms))
    print(markdown_table(outcome.rows, list(spec.params)))
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{workers} local worker(s)"
    print(f"[sweep] {outcome.ran} point(s) run, {outcome.skipped} skipped, {len(outcome.failed)} failed on "
          f"{where} in {outcome.wall_seconds:.1f} s; {out / 'results.csv'}, {out / 'pareto.png'}, "
          f"{out / 'sweep.html'}", file=sys.stderr)
    if outcome.failed:
        return 3
    return 0 if all(r["bit_exact"] for r in outcome.rows) else 1
