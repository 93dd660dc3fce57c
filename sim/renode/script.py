"""``tandem run SCRIPT.resc``: a monitor script, then the started machine run to the firmware's exit.

Renode keeps a started machine running after its script ends; tandem runs it until the firmware
exits (semihosting) or a run limit (``--max-cycles``, ``--max-seconds``) stops it, and exits
with the firmware's exit code, as ``tandem run`` of an ELF does.
"""
from __future__ import annotations

import sys
from pathlib import Path

from tandem.config import TandemConfig
from tandem.errors import ScriptError
from tandem.machine.limits import RunLimits
from tandem.machine.results import RunResult
from tandem.renode.monitor import Monitor


def parse_variables(items: list[str], sep: str) -> dict[str, str]:
    """``NAME=VALUE`` (``tandem run``) or ``NAME:VALUE`` (``tandem robot``, as robot's own)."""
    out: dict[str, str] = {}
    for item in items:
        name, found, value = item.partition(sep)
        if not found or not name or not name.replace("_", "a").isalnum():
            raise ScriptError(f"--variable {item!r}: expected NAME{sep}VALUE")
        out[name] = value
    return out


def run_script(path: Path, config: TandemConfig, variables: dict[str, str], max_cycles: int,
               limits: RunLimits, gdb: tuple[str, int] | None = None) -> tuple[Monitor, RunResult | None]:
    """Run the script; then, if it left the machine started, the machine until the firmware exits,
    under GDB when the script said ``machine StartGdbServer PORT`` (or ``gdb``, from ``--gdb``).
    Returns the monitor and that run's result (None when the machine was not left running)."""
    monitor = Monitor(config, out=sys.stdout, variables=variables)
    monitor.max_cycles = max_cycles  # RunFor and sleep stop there too, and at --max-seconds
    monitor.max_seconds = limits.seconds or 0.0
    monitor.run_file(path)
    machine = monitor.machine
    if machine is not None and gdb is not None:
        machine.gdb, machine.started = gdb, True
    if monitor.quit or machine is None or not machine.started:
        return monitor, None
    board = machine.core(f"{path}: end of script")
    if machine.exit_code is not None:
        return monitor, board.result("exit")
    left = max(1, max_cycles - board.counter.cycles)  # the limit is the machine's, RunFor included
    if machine.gdb is not None:
        from tandem.debug.gdbserver import GdbServer

        server = GdbServer(board, *machine.gdb)
        print(f"[tandem] gdb server listening on {server.host}:{server.port} (target remote "
              f"{server.host}:{server.port})", file=sys.stderr, flush=True)
        return monitor, server.serve(max_cycles=left, reset=False, limits=limits)
    return monitor, board.run(max_cycles=left, reset=False, limits=limits)
