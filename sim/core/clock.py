"""The core clock's frequency over a run, for turning cycles into seconds.

The cycle counter counts core cycles; what a cycle lasts is the clock the firmware configured
(an RCC switching SYSCLK changes it mid-run). :class:`CoreClock` keeps the seconds elapsed up to
the last change, so time stays monotonic across changes: a run that spends its start at 16 MHz
and the rest at 168 MHz lasts longer than its cycles at 168 MHz.
"""
from __future__ import annotations


class CoreClock:
    def __init__(self, hz: int) -> None:
        self.hz = hz
        self._base_cycle = 0
        self._base_seconds = 0.0

    def set_hz(self, hz: int, cycle: int) -> None:
        """From ``cycle`` on, the core runs at ``hz``."""
        self._base_seconds = self.seconds(cycle)
        self._base_cycle = cycle
        self.hz = hz

    def seconds(self, cycle: int) -> float:
        """Seconds from cycle 0 to ``cycle`` (at or after the last change)."""
        return self._base_seconds + (cycle - self._base_cycle) / self.hz


__all__ = ["CoreClock"]
