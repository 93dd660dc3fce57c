"""Text reports for inferences: the per-op table, totals and a one-reference output comparison
(``--check`` against both references is :mod:`tandem.tinyml.check`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tandem.tinyml.check import diff_arrays
from tandem.tinyml.infer import Inference


@dataclass(frozen=True)
class OutputCheck:
    index: int
    values: int
    mismatches: int
    max_abs_diff: float

    @property
    def exact(self) -> bool:
        return self.mismatches == 0


def compare_outputs(got: list[np.ndarray], expected: list[np.ndarray]) -> list[OutputCheck]:
    """Outputs against one reference; ``--check`` uses :mod:`tandem.tinyml.check` (both references)."""
    checks = []
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        d = diff_arrays(np.asarray(g), np.asarray(e))
        checks.append(OutputCheck(i, d.values, d.differing, d.max_abs_diff))
    return checks


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape) or "scalar"


def op_table(r: Inference) -> str:
    accel = any(o.where == "accel" for o in r.ops) or "accel" in r.extra
    head = f"{'#':>3}  {'op':<18} {'output':<14} {'MACs':>11} {'cycles':>13} {'cyc/MAC':>8} {'share':>6}"
    if accel:
        head += f"  {'where':<5} {'accel cyc':>10} {'stall':>10} {'bytes':>9} {'MAC util':>8}"
    rows = [head]
    for o in r.ops:
        cpm = f"{o.cycles_per_mac:8.2f}" if o.cycles_per_mac is not None else f"{'':>8}"
        share = 100.0 * o.cycles / r.cycles if r.cycles else 0.0
        row = f"{o.index:>3}  {o.op:<18} {_shape(o.output_shape):<14} {o.macs:>11,} {o.cycles:>13,} {cpm} {share:5.1f}%"
        if accel:
            if o.where == "accel":
                util = f"{100 * o.mac_utilisation:7.1f}%" if o.mac_utilisation is not None else f"{'':>8}"
                row += f"  {'accel':<5} {o.accel_cycles:>10,} {o.stall_cycles:>10,} {o.bytes_moved:>9,} {util}"
            else:
                row += f"  {'cpu':<5}"
        rows.append(row)
    other = r.cycles - sum(o.cycles for o in r.ops)
    share = 100.0 * other / max(r.cycles, 1)
    rows.append(f"{'':>3}  {'(runtime)':<18} {'':<14} {'':>11} {other:>13,} {'':>8} {share:5.1f}%")
    return "\n".join(rows)


def totals(r: Inference) -> str:
    hz = r.run.cpu_hz
    cpm = f", {r.cycles / r.macs:.2f} cycles/MAC" if r.macs else ""
    return "\n".join([
        f"inference: {r.cycles:,} cycles = {r.cycles / hz * 1e3:.3f} ms at {hz / 1e6:g} MHz "
        f"({r.macs:,} MACs{cpm}); whole run {r.total_cycles:,} cycles for {r.invocations} inference(s)",
        f"memory: arena {r.arena_bytes:,} B needed of {r.arena_capacity:,} B; "
        + ("model compiled into the image; " if r.extra.get("runtime") == "aot"
           else f"model {r.model.size:,} B in flash; ")
        + f"runtime image {r.image_flash:,} B flash, {r.image_ram:,} B RAM"
        + (f"; stack high-water {r.run.stack_bytes:,} B" if r.run.stack_bytes is not None else ""),
        f"simulation: {r.run.wall_seconds:.2f} s wall, {r.run.mips:.0f} host MIPS",
    ])


def check_lines(checks: list[OutputCheck]) -> str:
    out = []
    for c in checks:
        if c.exact:
            out.append(f"output {c.index}: bit-exact with the TFLite reference kernels ({c.values:,} values)")
        else:
            out.append(f"output {c.index}: MISMATCH in {c.mismatches:,} of {c.values:,} values "
                       f"(max |diff| {c.max_abs_diff:g})")
    return "\n".join(out)


def compare_table(cpu: Inference, acc: Inference) -> str:
    """CPU-only vs accelerated, op by op, with the speedup."""
    rows = [f"{'#':>3}  {'op':<18} {'CPU-only cycles':>15} {'accelerated':>13} {'where':<5} {'speedup':>8}"]
    for c, a in zip(cpu.ops, acc.ops, strict=True):
        sp = f"{c.cycles / a.cycles:7.2f}x" if a.cycles else f"{'':>8}"
        rows.append(f"{c.index:>3}  {c.op:<18} {c.cycles:>15,} {a.cycles:>13,} {a.where:<5} {sp}")
    total = cpu.cycles / acc.cycles if acc.cycles else float("inf")
    rows.append(f"{'':>3}  {'inference':<18} {cpu.cycles:>15,} {acc.cycles:>13,} {'':<5} {total:7.2f}x")
    return "\n".join(rows)
