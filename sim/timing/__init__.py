"""Cycle accounting for simulated Cortex-M cores.

``core_timing(core, memories)`` builds the cost model; ``CycleCounter(uc, timing)`` installs
a native block hook that charges every executed block its cost.
"""
from __future__ import annotations

from tandem.timing.cortex_m import CoreTiming, core_timing
from tandem.timing.counter import BlockCost, CycleCounter, LineEvent, PyCycleCounter
from tandem.timing.memory import MemoryTiming

__all__ = [
    "BlockCost",
    "CoreTiming",
    "CycleCounter",
    "LineEvent",
    "MemoryTiming",
    "PyCycleCounter",
    "core_timing",
]
