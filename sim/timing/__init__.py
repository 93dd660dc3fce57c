"""Cycle accounting for simulated Cortex-M cores.

``core_timing(core, memories)`` builds the cost model (:mod:`tandem.timing.cortex_m`, with
the per-core tables of :mod:`tandem.timing.tables`); ``CycleCounter(uc, timing, cache_dir)``
(:mod:`tandem.timing.counter`) installs a native block hook that charges every executed block
its :class:`BlockCost` (:mod:`tandem.timing.costs`).
"""
from __future__ import annotations

from tandem.timing.cortex_m import CoreTiming, core_timing
from tandem.timing.costs import BlockCost, CallTree, LineEvent
from tandem.timing.counter import CycleCounter
from tandem.timing.memory import MemoryTiming

__all__ = [
    "BlockCost",
    "CallTree",
    "CoreTiming",
    "CycleCounter",
    "LineEvent",
    "MemoryTiming",
    "core_timing",
]
