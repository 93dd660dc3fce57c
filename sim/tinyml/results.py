"""What one ``tandem infer`` run produced: per-op figures (:class:`OpProfile`) and the whole
inference (:class:`Inference`), each with its JSON form."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tandem.machine.results import RunResult
from tandem.tinyml.model import ModelInfo


@dataclass
class OpProfile:
    index: int
    op: str
    output_shape: tuple[int, ...]
    macs: int
    cycles: int
    start: int = 0  # board cycle of the op's start marker (last inference)
    end: int = 0
    where: str = "cpu"  # "cpu" or "accel" (set from the accelerator's job log)
    accel_cycles: int = 0  # accelerator clock cycles of its jobs in this op
    stall_cycles: int = 0  # CPU cycles stalled waiting for them
    bytes_moved: int = 0
    mac_utilisation: float | None = None
    accel_spans: list[tuple[int, int]] = field(default_factory=list)  # (board cycle, stall) per job

    @property
    def cycles_per_mac(self) -> float | None:
        return self.cycles / self.macs if self.macs else None

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "op": self.op, "output_shape": list(self.output_shape), "macs": self.macs,
                "cycles": self.cycles}

    def placement_json(self) -> dict[str, object]:
        """Where the op ran and what the accelerator did in it (``tandem infer --json``)."""
        return {"where": self.where, "accel_cycles": self.accel_cycles, "stall_cycles": self.stall_cycles,
                "bytes_moved": self.bytes_moved, "mac_utilisation": self.mac_utilisation}


@dataclass
class Inference:
    board: str
    model: ModelInfo
    outputs: list[np.ndarray]
    ops: list[OpProfile]
    cycles: int  # one inference (the last one), marker to marker
    total_cycles: int  # the whole run: start-up, interpreter init, every inference
    invocations: int
    arena_bytes: int  # what the planner needed
    arena_capacity: int
    run: RunResult
    image_flash: int
    image_ram: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def macs(self) -> int:
        return sum(o.macs for o in self.ops)

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board,
            "model": self.model.path,
            "cycles": self.cycles,
            "total_cycles": self.total_cycles,
            "cpu_hz": self.run.cpu_hz,
            "seconds_per_inference": self.cycles / self.run.cpu_hz,
            "invocations": self.invocations,
            "macs": self.macs,
            "ops": [o.to_json() for o in self.ops],
            "arena_bytes": self.arena_bytes,
            "arena_capacity": self.arena_capacity,
            "model_bytes": self.model.size,
            "image_flash_bytes": self.image_flash,
            "image_ram_bytes": self.image_ram,
            "wall_seconds": self.run.wall_seconds,
            **self.extra,
        }


__all__ = ["Inference", "OpProfile"]
