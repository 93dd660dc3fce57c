"""The result of one board run, as Python objects and as JSON."""
from __future__ import annotations

from dataclasses import dataclass, field

from tandem.reports.profile import Profile


@dataclass
class RunResult:
    """What one run produced. ``output`` is the console text (UART and semihosting)."""

    exit_code: int
    instructions: int
    cycles: int
    cpu_hz: int
    output: str
    stderr: str
    wall_seconds: float
    stop_reason: str
    board: str
    notes: list[str] = field(default_factory=list)
    stack_bytes: int | None = None  # main stack high-water mark (bytes below the reset SP)
    heap_bytes: int | None = None  # _sbrk break minus _end; None: no known heap pointer
    profile: Profile | None = None  # with run(profile=True)
    # modelled seconds, across the clock changes the firmware made (None: cycles / cpu_hz)
    seconds: float | None = None

    @property
    def sim_seconds(self) -> float:
        return self.seconds if self.seconds is not None else self.cycles / self.cpu_hz

    @property
    def mips(self) -> float:
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board,
            "exit_code": self.exit_code,
            "instructions": self.instructions,
            "cycles": self.cycles,
            "cpu_hz": self.cpu_hz,
            "sim_seconds": self.sim_seconds,
            "output": self.output,
            "stderr": self.stderr,
            "wall_seconds": self.wall_seconds,
            "host_mips": self.mips,
            "stop_reason": self.stop_reason,
            "notes": self.notes,
            "stack_bytes": self.stack_bytes,
            "heap_bytes": self.heap_bytes,
        }


__all__ = ["RunResult"]
