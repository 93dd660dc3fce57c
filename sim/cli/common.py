"""What several subcommands share: the run summary line and writing a JSON result."""
from __future__ import annotations

import json
from pathlib import Path

from tandem.errors import TandemError
from tandem.machine.results import RunResult


def summary(result: RunResult) -> str:
    memory = ""
    if result.stack_bytes is not None:
        memory += f"; stack {result.stack_bytes:,} B"
    if result.heap_bytes is not None:
        memory += f", heap {result.heap_bytes:,} B"
    return (f"[tandem] {result.board}: exit {result.exit_code}; {result.instructions:,} instructions, "
            f"{result.cycles:,} cycles = {result.sim_seconds * 1e3:.3f} ms at "
            f"{result.cpu_hz / 1e6:g} MHz{memory}; {result.wall_seconds:.3f} s wall, "
            f"{result.mips:.1f} host MIPS")


def write_json(path: str, data: dict[str, object]) -> None:
    try:
        Path(path).write_text(json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise TandemError(f"{path}: cannot write JSON: {exc.strerror}") from None
