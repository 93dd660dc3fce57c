"""Which CPU of a platform file runs, and where its vector table is said to be.

Renode's files may describe several CPUs (a dual-core part, a Cortex-M beside an application
core, a RISC-V housekeeping core). tandem runs one: the first ``CPU.CortexM`` entry in
definition order (``using`` files first). Every other CPU entry, and every peripheral registered
only for one of them (``new Bus.BusPointRegistration { address: ...; cpu: cpu1 }``, e.g. that
core's private NVIC), is left out and reported in a note: a file is not wrong for having them.

The vector table offset is Renode's ``VectorTableOffset`` of ``CPU.CortexM``: a property of
the CPU entry, or a monitor command in an ``init:`` block (``VectorTableOffset 0x...`` in the
CPU's own block, ``cpu VectorTableOffset 0x...`` or ``sysbus.cpu VectorTableOffset 0x...``
elsewhere). When both are given the command wins, as it runs after the entries are created.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tandem.errors import PlatformError
from tandem.platform.repl import EntrySpec, parse_int

CORTEX_M = "CPU.CortexM"
_VTOR_CMD = re.compile(r"(?:(?:sysbus\.)?([A-Za-z_]\w*)\s+)?VectorTableOffset\s+(\S+)\s*")


@dataclass(frozen=True)
class CpuChoice:
    """The running CPU entry, what was left out (names), and its vector table offset if given."""

    entry: EntrySpec
    others: tuple[str, ...]  # the other CPU entries
    skipped: tuple[str, ...]  # peripherals registered only for another CPU
    vector_table: int | None


def is_cpu(entry: EntrySpec) -> bool:
    return (entry.type or "").startswith("CPU.")


def choose_cpu(entries: list[EntrySpec], path: str, notes: list[str]) -> CpuChoice:
    """The first Cortex-M runs; the rest is reported in ``notes`` (see the module docstring)."""
    cpus = [e for e in entries if is_cpu(e)]
    cortex = [e for e in cpus if e.type == CORTEX_M]
    if not cortex:
        found = ", ".join(f"{e.name} ({e.type})" for e in cpus) or "none"
        raise PlatformError(f"a board needs a CPU.CortexM entry (CPU entries found: {found})", path)
    run = cortex[0]
    others = tuple(e.name for e in cpus if e is not run)
    for e in cpus:
        if e is not run:
            notes.append(f"cpu: {e.name} ({e.type}) is not simulated; tandem runs the first Cortex-M, "
                         f"{run.name} ({e.path}:{e.line})")
    skipped: list[str] = []
    for e in entries:
        regs = [r for r in e.registrations if r.parent == "sysbus"]
        if is_cpu(e) or not regs or not all(r.cpu is not None and r.cpu in others for r in regs):
            continue
        skipped.append(e.name)
        notes.append(f"{e.name} ({e.type}) is registered only for {regs[0].cpu}, which does not run; "
                     f"left out ({e.path}:{e.line})")
    return CpuChoice(run, others, tuple(skipped), _vector_table(run, entries))


def _vector_table(cpu: EntrySpec, entries: list[EntrySpec]) -> int | None:
    value = cpu.properties.get("VectorTableOffset")
    found: int | None = None
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PlatformError(f"{cpu.name}: VectorTableOffset must be a number", *cpu.where("VectorTableOffset"))
        found = value
    for e in entries:
        for c in e.commands.get("init", []):
            m = _VTOR_CMD.fullmatch(c.text.strip())
            if m is None:
                continue
            target = m.group(1)
            if (target is None and e.name != cpu.name) or (target is not None and target != cpu.name):
                continue
            try:
                found = parse_int(m.group(2))
            except ValueError:
                raise PlatformError(f"malformed number in {c.text.strip()!r}", c.path, c.line) from None
    if found is not None and (found < 0 or found >= 1 << 32):
        raise PlatformError(f"{cpu.name}: VectorTableOffset 0x{found:x} is outside the address space",
                            *cpu.where("VectorTableOffset"))
    return found
