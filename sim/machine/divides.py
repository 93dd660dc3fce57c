"""SDIV/UDIV timed by their operands: a code hook on each divide of the loaded ELF charges the
cycles of :func:`tandem.timing.divide.div_cycles` beyond the static cost the block was given
(the hook is the cycle counter's, in C: :meth:`CycleCounter.time_divides`).

Unicorn calls a code hook only when the instruction executes, so a divide whose IT condition
fails keeps its static cost (1 cycle: ``CoreTiming.conditional_divides``).
"""
from __future__ import annotations

from tandem.core.cpu import CortexM
from tandem.firmware.elf import ElfImage
from tandem.timing.cortex_m import CoreTiming
from tandem.timing.counter import CycleCounter
from tandem.timing.divide import DivSite, find_divides


class DivideTimer:
    """The divide hooks of one board; :meth:`load` replaces those of the previous ELF."""

    def __init__(self, cpu: CortexM, timing: CoreTiming, counter: CycleCounter) -> None:
        self.cpu, self.timing, self.counter = cpu, timing, counter

    def load(self, image: ElfImage) -> None:
        table = self.timing.table
        sites: list[DivSite] = []
        if table.div_range is not None and table.arch != "v6m":
            for seg in image.segments:
                if seg.flags & 1:  # PF_X
                    sites.extend(find_divides(seg.data, seg.address))
        self.counter.time_divides(sites)  # C code hooks (blockhook.c tm_div_hook)
