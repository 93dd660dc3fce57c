"""A run's limits: modelled cycles (``--max-cycles``), host wall-clock seconds (``--max-seconds``)
and cycles spent in one stretch of Handler mode (``--max-handler-cycles``).

The run loop checks them at every stop (stops come at least every chunk of cycles, see
``machine/board.py``), so each limit ends the run within one chunk of being passed. The handler
limit catches a firmware stuck inside an interrupt handler (an endless loop in a SysTick
handler would otherwise run to the cycle limit, 5,000,000,000 cycles by default): no handler of
a working firmware runs for 100 M cycles without returning to Thread mode.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tandem.errors import CycleLimitExceeded

DEFAULT_MAX_HANDLER_CYCLES = 100_000_000


class WallClockExceeded(CycleLimitExceeded):
    """The run used more host seconds than --max-seconds allows (a run limit, like the cycle limit)."""

    stop_reason = "time-limit"


class HandlerLimitExceeded(CycleLimitExceeded):
    """The core stayed in Handler mode for more than --max-handler-cycles."""

    stop_reason = "handler-limit"


@dataclass
class RunLimits:
    cycles: int  # the absolute cycle count at which the run stops
    seconds: float | None = None  # host seconds from the start of the run
    handler_cycles: int | None = DEFAULT_MAX_HANDLER_CYCLES
    started: float = 0.0

    def start(self) -> None:
        self.started = time.perf_counter()

    def check(self, now: int, handler_since: int | None, where: Callable[[], str]) -> None:
        """Raise the typed error of the first limit passed; ``where`` names the PC and handler."""
        if now >= self.cycles:
            raise CycleLimitExceeded(f"cycle limit reached: {self.cycles:,} cycles without the firmware exiting "
                                     f"(PC {where()}); raise --max-cycles if this is expected")
        if self.handler_cycles is not None and handler_since is not None and now - handler_since > self.handler_cycles:
            raise HandlerLimitExceeded(
                f"the core has been in Handler mode for {now - handler_since:,} cycles without returning to "
                f"Thread mode (PC {where()}); raise --max-handler-cycles if this is expected")
        if self.seconds is not None and time.perf_counter() - self.started > self.seconds:
            raise WallClockExceeded(f"time limit reached: {self.seconds:g} s of host time (PC {where()}, "
                                    f"{now:,} cycles); raise --max-seconds if this is expected")
