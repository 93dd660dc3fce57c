"""SDIV/UDIV timed by their operands: a code hook on each divide of the loaded ELF charges the
cycles of :func:`tandem.timing.divide.div_cycles` beyond the static cost the block was given.

Unicorn calls a code hook only when the instruction executes, so a divide whose IT condition
fails keeps its static cost (1 cycle: ``CoreTiming.conditional_divides``).
"""
from __future__ import annotations

import unicorn

from tandem.core.cpu import CortexM
from tandem.firmware.elf import ElfImage
from tandem.timing.cortex_m import CoreTiming
from tandem.timing.counter import CycleCounter
from tandem.timing.divide import DivSite, div_cycles, find_divides

_HIGH = ("sp", "lr", "pc")


class DivideTimer:
    """The divide hooks of one board; :meth:`load` replaces those of the previous ELF."""

    def __init__(self, cpu: CortexM, timing: CoreTiming, counter: CycleCounter) -> None:
        self.cpu, self.timing, self.counter = cpu, timing, counter
        self._hooks: list[int] = []

    def load(self, image: ElfImage) -> None:
        for handle in self._hooks:
            self.cpu.uc.hook_del(handle)
        self._hooks = []
        table = self.timing.table
        if table.div_range is None or table.arch == "v6m":
            return
        for seg in image.segments:
            if not seg.flags & 1:  # PF_X
                continue
            for site in find_divides(seg.data, seg.address):
                self._hooks.append(self.cpu.uc.hook_add(
                    unicorn.UC_HOOK_CODE, self._on_divide, site, begin=site.addr, end=site.addr))

    def _on_divide(self, uc: unicorn.Uc, addr: int, size: int, site: DivSite) -> None:
        n, d = (self.cpu.raw_reg(f"r{r}") if r < 13 else self.cpu.raw_reg(_HIGH[r - 13]) for r in (site.rn, site.rm))
        table = self.timing.table
        static = 1 if addr in self.timing.conditional_divides else table.div
        self.counter.add(div_cycles(table, n, d, site.signed) - static)
