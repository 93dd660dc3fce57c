"""A sweep from start to end: the design points, what is already in ``results.csv`` (skipped),
the tasks on the pool, one row per point and model as each point finishes, then the plots.

A row is appended (and the file flushed) as soon as its point is done, so an interrupted sweep
keeps what it finished and the next run with the same ``--out`` does only the rest. A point that
fails is reported and left out of the table (so a later run tries it again).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tandem.config import TandemConfig
from tandem.errors import SweepError
from tandem.sweep import report
from tandem.sweep.engine import Pool, Progress, TaskEnv, baseline_task, point_task, synth_task
from tandem.sweep.overlay import DesignPoint, RtlBuild, design_points
from tandem.sweep.spec import SweepSpec
from tandem.sweep.synth import yosys_version


@dataclass
class SweepOutcome:
    rows: list[dict[str, Any]]  # the whole table (earlier runs' rows too)
    ran: int  # points run now
    skipped: int  # points already in the table
    failed: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    synth_seconds: dict[str, float] = field(default_factory=dict)  # parameter set -> yosys wall (not cached)


def model_names(models: list[Path]) -> list[str]:
    names = [m.stem for m in models]
    if len(set(names)) != len(names):
        raise SweepError("two models have the same file name; the table names models by file name")
    return names


def _label(build: RtlBuild) -> str:
    return f"{build.top}(" + ", ".join(f"{k}={v}" for k, v in build.parameters) + ")"


def run_sweep(spec: SweepSpec, cfg: TandemConfig, out: Path, workers: int, scheduler: str | None = None,
              platforms: tuple[str, ...] = ()) -> SweepOutcome:
    assert spec.board is not None and spec.accel is not None
    t0 = time.perf_counter()
    points = design_points(spec, cfg)
    version = yosys_version()
    names = model_names(spec.models)
    paths = {n: str(m.resolve()) for n, m in zip(names, spec.models, strict=True)}
    columns = report.columns(list(spec.params))
    out.mkdir(parents=True, exist_ok=True)
    table = out / "results.csv"
    rows = report.read_rows(table, columns)
    have = {report.row_key(r, list(spec.params)) for r in rows}

    def key(p: DesignPoint, model: str) -> tuple[str, ...]:
        return (model, spec.board or "", spec.accel or "", *(str(v) for _, v in p.point.params))

    todo = [p for p in points if any(key(p, n) not in have for n in names)]
    todo_models = {n for p in todo for n in names if key(p, n) not in have}
    outcome = SweepOutcome(rows, len(todo), len(points) - len(todo))
    if outcome.skipped:
        print(f"[sweep] {outcome.skipped} of {len(points)} design points already in {table}: skipped",
              file=sys.stderr)
    if todo:
        env = TaskEnv(spec.board, platforms)
        pool = Pool(workers, scheduler)
        try:
            _run(pool, env, todo, names, paths, sorted(todo_models), version, spec, table, columns, outcome, key, have)
        finally:
            pool.close()
    outcome.wall_seconds = time.perf_counter() - t0
    report.write_outputs(out, outcome.rows, list(spec.params), spec)
    return outcome


def _run(pool: Pool, env: TaskEnv, todo: list[DesignPoint], names: list[str], paths: dict[str, str],
         models: list[str], version: str, spec: SweepSpec, table: Path, columns: list[str],
         outcome: SweepOutcome, key: Any, have: set[tuple[str, ...]]) -> None:
    base_f = {n: pool.submit(baseline_task, env, paths[n]) for n in models}
    builds = list(dict.fromkeys(p.rtl for p in todo))
    synth_f = {b: pool.submit(synth_task, env, b, version) for b in builds}
    point_f = {pool.submit(point_task, env, p, [paths[n] for n in models]): p for p in todo}
    progress = Progress(len(todo), pool.slots)
    baselines: dict[str, dict[str, Any]] = {}
    areas: dict[RtlBuild, dict[str, Any]] = {}
    for n, f in base_f.items():
        baselines[n] = pool.result(f)
        if "error" in baselines[n]:
            raise SweepError(f"{paths[n]}: the CPU-only run failed: {baselines[n]['error']}")
    for fut in pool.as_completed(list(point_f)):
        p = point_f[fut]
        res = pool.result(fut)
        if p.rtl not in areas:
            areas[p.rtl] = pool.result(synth_f[p.rtl])
            if "error" not in areas[p.rtl] and not areas[p.rtl].get("cached"):
                outcome.synth_seconds[_label(p.rtl)] = float(areas[p.rtl]["seconds"])
                print(f"\n[sweep] yosys {_label(p.rtl)}: {areas[p.rtl]['seconds']:.1f} s", file=sys.stderr)
        area = areas[p.rtl]
        error = res.get("error") or area.get("error")
        if error:
            outcome.failed.append(f"{p.point.label}: {error}")
            print(f"\n[sweep] design point {p.point.label} failed: {error}", file=sys.stderr)
            progress.update(False, p.point.label)
            continue
        new = []
        for n in models:
            if key(p, n) in have:
                continue
            run = res["runs"][paths[n]]
            new.append(report.make_row(n, spec, p, run, baselines[n], area))
        report.append_rows(table, columns, new)
        outcome.rows.extend(new)
        progress.update(True, p.point.label)
