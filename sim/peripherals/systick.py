"""SysTick, the ARMv7-M system timer, counting the board's modelled cycles.

The timer is computed from the clock rather than stepped: the current value, COUNTFLAG and the
next wrap follow from the cycle at which the counter was last (re)started. CLKSOURCE=1 counts
the core clock; CLKSOURCE=0 counts the implementation's reference clock, which STM32 parts
derive as HCLK/8 (``referenceDivider`` on the NVIC entry overrides it).
"""
from __future__ import annotations

from collections.abc import Callable

CSR, RVR, CVR, CALIB = 0x10, 0x14, 0x18, 0x1C
ENABLE, TICKINT, CLKSOURCE, COUNTFLAG = 1, 2, 4, 1 << 16
SYSTICK_EXCEPTION = 15


class SysTick:
    def __init__(self, now: Callable[[], int], schedule: Callable[[int], None], cancel: Callable[[], None],
                 pend: Callable[[], None], reference_divider: int, cpu_hz: int) -> None:
        self.now = now
        self._schedule = schedule
        self._cancel = cancel
        self._pend = pend
        self.ref_div = reference_divider
        self.cpu_hz = cpu_hz
        self.csr = 0
        self.rvr = 0
        self.cvr = 0  # value at start_tick when running; the value when stopped
        self.start_cycle = 0
        self.wraps_seen = 0  # number of 1->0 transitions already reported through COUNTFLAG
        self.countflag = False

    @property
    def running(self) -> bool:
        return bool(self.csr & ENABLE)

    @property
    def divider(self) -> int:
        return 1 if self.csr & CLKSOURCE else self.ref_div

    def _ticks(self, cycle: int) -> int:
        return (cycle - self.start_cycle) // self.divider

    def _first_zero(self) -> int:
        # Ticks from start until the counter first reads 0: it counts down from cvr, or, starting
        # at 0, reloads on the first tick and then counts down from RVR.
        return self.cvr if self.cvr else self.rvr + 1

    def _zeros_until(self, ticks: int) -> int:
        if self.rvr == 0 and self.cvr == 0:
            return 0
        first = self._first_zero()
        if ticks < first:
            return 0
        if self.rvr == 0:
            return 1
        return 1 + (ticks - first) // (self.rvr + 1)

    def value(self, cycle: int) -> int:
        if not self.running:
            return self.cvr
        n = self._ticks(cycle)
        first = self._first_zero()
        if n < first:
            return self.cvr - n if self.cvr else (self.rvr + 1 - n if self.rvr else 0)
        if self.rvr == 0:
            return 0
        m = (n - first) % (self.rvr + 1)
        return self.rvr + 1 - m if m else 0

    def _restart(self, cycle: int, value: int) -> None:
        self._fold_countflag(cycle)
        self.cvr = value
        self.start_cycle = cycle
        self.wraps_seen = 0
        self._arm(cycle)

    def _fold_countflag(self, cycle: int) -> None:
        if self.running and self._zeros_until(self._ticks(cycle)) > self.wraps_seen:
            self.countflag = True

    def _arm(self, cycle: int) -> None:
        """Schedule the exception for the first wrap to 0 after ``cycle``."""
        self._cancel()
        if not (self.running and self.csr & TICKINT) or (self.rvr == 0 and self.cvr == 0):
            return
        k = self._zeros_until(self._ticks(cycle))
        if self.rvr == 0 and k >= 1:
            return  # counted down once and stopped: RVR=0 disables reloading
        tick = self._first_zero() + k * (self.rvr + 1)
        self._schedule(self.start_cycle + tick * self.divider)

    def on_event(self, cycle: int) -> None:
        self._pend()
        self._arm(cycle)

    def read(self, offset: int) -> int:
        cycle = self.now()
        if offset == CSR:
            self._fold_countflag(cycle)
            if self.running:
                self.wraps_seen = self._zeros_until(self._ticks(cycle))
            flag = COUNTFLAG if self.countflag else 0
            self.countflag = False
            return self.csr | flag
        if offset == RVR:
            return self.rvr
        if offset == CVR:
            return self.value(cycle)
        if offset == CALIB:
            # NOREF=0, SKEW=1, TENMS = reference ticks in 10 ms
            return (1 << 30) | ((self.cpu_hz // self.ref_div // 100) & 0xFFFFFF)
        return 0

    def write(self, offset: int, value: int) -> None:
        cycle = self.now()
        if offset == CSR:
            current = self.value(cycle)
            self._fold_countflag(cycle)
            self.csr = value & (ENABLE | TICKINT | CLKSOURCE)
            self._restart(cycle, current)
        elif offset == RVR:
            current = self.value(cycle)
            self.rvr = value & 0xFFFFFF
            self._restart(cycle, current)
        elif offset == CVR:
            self.countflag = False
            self._restart(cycle, 0)
            self.countflag = False
