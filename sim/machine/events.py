"""Timed events on the board's one clock: at most one per owner (SysTick, an RCC oscillator
settling, a flash latency change), fired in cycle order once the clock reaches them."""
from __future__ import annotations

from collections.abc import Callable


class Timeline:
    """The board's pending timed events; ``on_fire`` runs before each callback (the poll
    watch starts its counts again: an event may change what a loop reads)."""

    def __init__(self, on_fire: Callable[[], None]) -> None:
        self._events: dict[object, tuple[int, Callable[[int], None]]] = {}
        self.on_fire = on_fire

    def __bool__(self) -> bool:
        return bool(self._events)

    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None:
        """Call ``callback(cycle)`` once the clock reaches ``cycle`` (replaces owner's event)."""
        self._events[owner] = (cycle, callback)

    def cancel(self, owner: object) -> None:
        self._events.pop(owner, None)

    def next_cycle(self, exclude: object | None = None) -> int | None:
        """The cycle of the earliest event (of an owner other than ``exclude``), if any."""
        return min((c for o, (c, _) in self._events.items() if o is not exclude), default=None)

    def fire(self, now: int) -> None:
        """Run every event due by ``now``, earliest first."""
        for owner, (cycle, callback) in sorted(self._events.items(), key=lambda kv: kv[1][0]):
            if cycle <= now:
                self._events.pop(owner, None)
                self.on_fire()
                callback(cycle)


__all__ = ["Timeline"]
