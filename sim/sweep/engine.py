"""Running a sweep's tasks: on a local process pool (``--workers N``) or a Dask cluster
(``--scheduler tcp://HOST:PORT``), the same functions either way.

Three kinds of task, all module-level functions a Dask worker imports by name:

- :func:`baseline_task`: one model's CPU-only run on the plain board (the speedup's denominator)
  and its reference outputs (LiteRT, TFLM) for the bit-exactness check; once per model;
- :func:`synth_task`: yosys on one RTL parameter set (cached in the worker's cache,
  :mod:`tandem.sweep.synth`); once per distinct parameter set, submitted before the points so
  the syntheses run beside the simulations;
- :func:`point_task`: one design point with every model, through ``tandem infer --accel``'s
  machinery (the point's overlay on the board, :func:`tandem.tinyml.infer.run_job`; the
  accelerator's figures from its jobs, :mod:`tandem.accel.joblog`). The Verilator build of the point's
  parameters is shared through the worker's cache (built under a lock: a second worker with the
  same parameters waits for it rather than building it again).

A task's own stdout and stderr (the Verilator build's output) go to a log file
under the cache, so the progress line stays clean. Cycles are deterministic, so the table does
not depend on where a point ran.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.errors import SweepError, TandemError
from tandem.sweep.overlay import DesignPoint, RtlBuild, write_overlay


@dataclass(frozen=True)
class TaskEnv:
    """What a worker needs besides its own environment (TANDEM_CACHE and so on)."""

    board: str
    platforms: tuple[str, ...]
    max_cycles: int = DEFAULT_MAX_CYCLES

    def config(self) -> TandemConfig:
        cfg = TandemConfig.from_env()
        return cfg.with_platforms(list(self.platforms)) if self.platforms else cfg


@contextlib.contextmanager
def quiet(cfg: TandemConfig, what: str) -> Iterator[None]:
    """File descriptors 1 and 2 into a log file while a task runs (its subprocesses too)."""
    logs = cfg.cache_dir / "sweep" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(logs / f"{what}-{os.getpid()}.log", "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _error(exc: TandemError) -> dict[str, Any]:
    return {"error": f"{type(exc).__name__}: {exc.message}"}


def baseline_task(env: TaskEnv, model_path: str) -> dict[str, Any]:
    from tandem.tinyml.check import run_references
    from tandem.tinyml.infer import run_job
    from tandem.tinyml.job import InferenceJob

    cfg = env.config()
    t0 = time.perf_counter()
    try:
        with quiet(cfg, "baseline"):
            # the op set a user gets by default (optimized kernels on a core with DSP)
            job = InferenceJob.create(env.board, model_path, cfg, op_set="auto")
            cpu = run_job(job, cfg, env.max_cycles)
            refs = run_references(job.model, job.inputs, job.invocations)
    except TandemError as exc:
        return _error(exc)
    return {"cycles": cpu.cycles, "outputs": cpu.outputs, "references": refs,
            "wall_seconds": time.perf_counter() - t0}


def synth_task(env: TaskEnv, build: RtlBuild, version: str) -> dict[str, Any]:
    from tandem.sweep.synth import synthesise

    try:
        area = synthesise(build, env.config(), version)
    except TandemError as exc:
        return _error(exc)
    return {**area.to_json(), "cached": area.cached}


def point_task(env: TaskEnv, point: DesignPoint, models: Sequence[str]) -> dict[str, Any]:
    """Every model on the point's overlay: cycles, accelerator figures and outputs per model."""
    from tandem.tinyml.infer import run_job
    from tandem.tinyml.job import InferenceJob

    cfg = env.config()
    overlay = write_overlay(point.overlay_text, cfg)
    runs: dict[str, dict[str, Any]] = {}
    try:
        with quiet(cfg, "point"):
            for model in models:
                t0 = time.perf_counter()
                # the Tandem.RtlPeripheral on the bus of the run, its kernels in the op set
                job = InferenceJob.create(env.board, model, cfg, op_set="auto", overlays=[overlay])
                res = run_job(job, cfg, env.max_cycles)
                on_accel = [o for o in res.ops if o.where == "accel"]
                busy = sum(o.accel_cycles or 0 for o in on_accel)
                util = sum((o.mac_utilisation or 0.0) * (o.accel_cycles or 0) for o in on_accel)
                runs[model] = {"cycles": res.cycles, "accel_cycles": busy if on_accel else None,
                               "mac_utilisation": util / busy if busy else None, "outputs": res.outputs,
                               "wall_seconds": time.perf_counter() - t0}
    except TandemError as exc:
        return _error(exc)
    return {"runs": runs}


class Pool:
    """submit() and as_completed() over a local process pool or a Dask client."""

    def __init__(self, workers: int, scheduler: str | None) -> None:
        self.scheduler = scheduler
        self._client: Any = None
        self._local: cf.ProcessPoolExecutor | None = None
        if scheduler is not None:
            try:
                from distributed import Client
            except ImportError:
                raise SweepError("--scheduler needs dask[distributed] (pip install 'dask[distributed]')") from None
            try:
                self._client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise SweepError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
            self.slots = max(1, sum(self._client.nthreads().values()))
        else:
            self._local = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            self.slots = workers

    def submit(self, fn: Callable[..., dict[str, Any]], *args: Any) -> Any:
        if self._client is not None:
            return self._client.submit(fn, *args, pure=False)
        assert self._local is not None
        return self._local.submit(fn, *args)

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]:
        if self._client is not None:
            from distributed import as_completed

            yield from as_completed(list(futures))
        else:
            yield from cf.as_completed(futures)

    @staticmethod
    def result(future: Any) -> dict[str, Any]:
        try:
            out: dict[str, Any] = future.result()
        except TandemError as exc:
            return _error(exc)
        except Exception as exc:  # a worker that died or a task that could not be shipped
            return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        return out

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._local is not None:
            self._local.shutdown(wait=True, cancel_futures=True)


class Progress:
    """The one-line progress display on stderr: done, running, failed, ETA."""

    def __init__(self, total: int, slots: int) -> None:
        self.total, self.slots, self.done, self.failed = total, slots, 0, 0
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self, ok: bool, label: str = "") -> None:
        if ok:
            self.done += 1
        else:
            self.failed += 1
        finished = self.done + self.failed
        left = self.total - finished
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / finished * left if finished else 0.0
        running = min(self.slots, left)
        line = (f"[sweep] {self.done}/{self.total} done, {running} running, {self.failed} failed, "
                f"ETA {eta:.0f} s ({label})")
        print(("\r" + line + "\033[K") if self.tty else line, end="" if self.tty and left else "\n",
              file=sys.stderr, flush=True)


__all__ = ["Pool", "Progress", "TaskEnv", "baseline_task", "point_task", "quiet", "synth_task"]
