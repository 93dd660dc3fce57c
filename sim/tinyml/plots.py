"""Pictures of an inference: a PNG bar chart of cycles per op and a Perfetto/Chrome timeline.

The bar chart (matplotlib, headless) shows each op's cycles for every run given, e.g. CPU-only
next to accelerated, with the accelerator stall drawn as its own segment. The timeline is a
Chrome trace-event JSON file (opens in ui.perfetto.dev or chrome://tracing): one process per
run, a "CPU" track with the ops and an "accelerator" track with the jobs, in microseconds at
the board's clock.
"""
from __future__ import annotations

import json
from pathlib import Path

from tandem.errors import TandemError
from tandem.tinyml.infer import Inference


def _label(r: Inference) -> str:
    return f"{r.extra['accel']} accelerator" if "accel" in r.extra else "CPU only"


def plot_ops(runs: list[Inference], path: str | Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = runs[0].ops
    names = [f"{o.index} {o.op}" for o in ops]
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.45 * len(ops) + 3), 5.0))
    colors = ["#4c72b0", "#dd8452"]
    for k, r in enumerate(runs):
        xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(ops))]
        cpu = [o.cycles - o.stall_cycles for o in r.ops]
        stall = [o.stall_cycles for o in r.ops]
        ax.bar(xs, cpu, width, label=f"{_label(r)}: CPU", color=colors[k % 2])
        if any(stall):
            ax.bar(xs, stall, width, bottom=cpu, label=f"{_label(r)}: waiting for the accelerator",
                   color="#55a868")
    ax.set_xticks(range(len(ops)))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("cycles per op (one inference)")
    ax.set_yscale("log")
    smallest = min((o.cycles for r in runs for o in r.ops if o.cycles > 0), default=1)
    ax.set_ylim(bottom=max(1.0, smallest / 2))
    summary = ", ".join(f"{_label(r)} {r.cycles:,} cycles" for r in runs)
    if len(runs) == 2 and runs[1].cycles:
        summary += f" (speedup {runs[0].cycles / runs[1].cycles:.2f}x)"
    ax.set_title(f"{title}\n{summary}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise TandemError(f"{path}: cannot write the plot: {exc.strerror}") from None
    finally:
        plt.close(fig)


def timeline_events(runs: list[Inference]) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for pid, r in enumerate(runs, start=1):
        hz = r.run.cpu_hz
        t0 = min((o.start for o in r.ops if o.end), default=0)

        def us(cycle: int, t0: int = t0, hz: int = hz) -> float:
            return (cycle - t0) * 1e6 / hz

        events.append({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": f"{r.board}: {_label(r)}"}})
        events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": 1, "args": {"name": "CPU"}})
        events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": 2, "args": {"name": "accelerator"}})
        for o in r.ops:
            if not o.end:
                continue
            events.append({"ph": "X", "name": f"{o.index} {o.op}", "cat": o.where, "pid": pid, "tid": 1,
                           "ts": us(o.start), "dur": us(o.end) - us(o.start),
                           "args": {"cycles": o.cycles, "macs": o.macs, "where": o.where}})
            for start, stall in o.accel_spans:
                events.append({"ph": "X", "name": f"{o.index} {o.op} (RTL)", "cat": "accel", "pid": pid, "tid": 2,
                               "ts": us(start), "dur": stall * 1e6 / hz,
                               "args": {"stall_cycles": stall, "accel_cycles": o.accel_cycles}})
    return events


def write_timeline(runs: list[Inference], path: str | Path) -> None:
    try:
        Path(path).write_text(json.dumps({"traceEvents": timeline_events(runs), "displayTimeUnit": "ns"}) + "\n")
    except OSError as exc:
        raise TandemError(f"{path}: cannot write the timeline: {exc.strerror}") from None
