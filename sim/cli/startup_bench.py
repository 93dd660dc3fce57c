"""``tandem bench startup``: time from a fresh ``tandem`` process to the simulated core's first
instruction, and the import time of the subcommand's modules, over several runs (best, median).

Each run is a new interpreter running ``tandem.cli.main`` with the given subcommand; a probe
replaces ``CortexM.start`` so that the first call reports the time and ends the process. Builds
are made once before the timed runs, so the figures are those of a cached build, as in CI.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tandem.errors import TandemError

_PROBE = """
import os, sys, time
t0 = time.time()
import tandem.cli, tandem.cli.{module}
t1 = time.time()
from tandem.core import cpu
def _first(self, pc):
    sys.stderr.write(f"\\nTANDEM-STARTUP {{t0!r}} {{t1!r}} {{time.time()!r}}\\n")
    sys.stderr.flush()
    os._exit(0)
cpu.CortexM.start = _first
sys.exit(tandem.cli.main({argv!r}))
"""


@dataclass(frozen=True)
class StartupRow:
    name: str
    first_instruction: list[float]  # seconds from spawning the process
    imports: list[float]  # seconds importing tandem.cli and the subcommand's module

    def line(self) -> str:
        fi, im = self.first_instruction, self.imports
        return (f"{self.name:<26} first instruction best {min(fi) * 1e3:6.0f} ms median "
                f"{statistics.median(fi) * 1e3:6.0f} ms   imports best {min(im) * 1e3:5.0f} ms median "
                f"{statistics.median(im) * 1e3:5.0f} ms   ({len(fi)} runs)")


def _probe_once(module: str, argv: Sequence[str]) -> tuple[float, float]:
    code = _PROBE.format(module=module, argv=list(argv))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what a user's installation does
    spawned = time.time()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    marks = [ln for ln in res.stderr.splitlines() if ln.startswith("TANDEM-STARTUP ")]
    if not marks:
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise TandemError(f"bench startup: `tandem {' '.join(argv)}` did not reach its first instruction: {tail}")
    t0, t1, first = (float(x) for x in marks[-1].split()[1:])
    return first - spawned, t1 - t0


def bench_startup(workloads: Sequence[tuple[str, str, Sequence[str]]], runs: int) -> list[StartupRow]:
    """Each workload: (name, cli module, argv). One untimed run first (builds, byte code)."""
    rows = []
    for name, module, argv in workloads:
        _probe_once(module, argv)
        samples = [_probe_once(module, argv) for _ in range(runs)]
        rows.append(StartupRow(name, [s[0] for s in samples], [s[1] for s in samples]))
    return rows
