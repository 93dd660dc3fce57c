"""Memory timing: where wait states are, and which fetch accelerator hides them.

A board describes each memory region the core fetches from or loads from with a
:class:`MemoryTiming`; the cost model (sim/timing/cortex_m.py) charges instruction fetch and
PC-relative literal loads against it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tandem.errors import PlatformError

# Physical addresses above the 4 GiB the core addresses, used by the cycle counter's virtual TLB
# (timing/blockhook.c tm_tlb_fill): a timed memory at A has its read mirror at MIRROR_BASE + A,
# a fetch from an execute-never address A is sent to XN_FETCH_BASE + A, where nothing is, and a
# page of RAM the memory checker guards at A has its check mirror at CHECK_BASE + A.
MIRROR_BASE = 1 << 32
XN_FETCH_BASE = 1 << 33
CHECK_BASE = 3 << 32


def execute_never(addr: int) -> bool:
    """Whether ``addr`` is in an execute-never region of the default memory map (ARMv7-M ARM
    B3.1.1, Table B3-1: Peripheral, Device and System); blockhook.c tm_execute_never is the
    same test."""
    return 0x4000_0000 <= addr < 0x6000_0000 or addr >= 0xA000_0000

ACCELERATORS = ("stm32-art", "stm32f1-prefetch")


@dataclass(frozen=True)
class MemoryTiming:
    """One memory region's access timing.

    ``wait_states`` are the extra cycles of one access (flash latency minus one cycle).
    ``accelerator`` names a fetch accelerator in front of the region: ``"stm32-art"`` (STM32F4/
    L4 ART: ``icache_lines`` and ``dcache_lines`` of ``art_line_bytes``) or ``"stm32f1-prefetch"``
    (STM32F1 prefetch buffer: 64-bit lines).
    """

    name: str
    base: int
    size: int
    wait_states: int = 0
    accelerator: str | None = None
    # ART geometry: instruction-cache lines, data-cache lines, bytes per line (the STM32F4's by
    # default, RM0090 3.5.2; boards give their part's as .repl properties)
    icache_lines: int = 64
    dcache_lines: int = 8
    art_line_bytes: int = 16

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise PlatformError(f"memory '{self.name}': size must be positive, got {self.size}")
        if self.wait_states < 0:
            raise PlatformError(
                f"memory '{self.name}': wait_states must be >= 0, got {self.wait_states}"
            )
        if self.accelerator is not None and self.accelerator not in ACCELERATORS:
            raise PlatformError(
                f"memory '{self.name}': unknown accelerator '{self.accelerator}' "
                f"(known: {', '.join(ACCELERATORS)})"
            )

    @property
    def end(self) -> int:
        return self.base + self.size

    def contains(self, addr: int) -> bool:
        return self.base <= addr < self.end

    @property
    def line_bytes(self) -> int:
        """Fetch line width in bytes for the accelerator (0 = no accelerator)."""
        if self.accelerator == "stm32-art":
            return self.art_line_bytes
        if self.accelerator == "stm32f1-prefetch":
            return 8
        return 0


@dataclass(frozen=True)
class MemoryMap:
    """Look-up of the timing region holding an address (regions must not overlap)."""

    regions: tuple[MemoryTiming, ...]

    @classmethod
    def of(cls, memories: Sequence[MemoryTiming]) -> MemoryMap:
        regions = tuple(sorted(memories, key=lambda m: m.base))
        for a, b in zip(regions, regions[1:], strict=False):
            if b.base < a.end:
                raise PlatformError(
                    f"memories '{a.name}' [0x{a.base:08x}, 0x{a.end:08x}) and '{b.name}' "
                    f"[0x{b.base:08x}, 0x{b.end:08x}) overlap"
                )
        return cls(regions)

    def find(self, addr: int) -> MemoryTiming | None:
        for m in self.regions:
            if m.contains(addr):
                return m
        return None

    def retimed(self, name: str, wait_states: int, accelerator: str | None) -> MemoryMap:
        """This map with memory ``name`` (every alias of it) at new timing: the firmware set the
        flash latency at run time (FLASH_ACR)."""
        if not any(m.name == name for m in self.regions):
            raise PlatformError(f"flash timing names memory '{name}', which the board does not have")
        return MemoryMap(tuple(replace(m, wait_states=wait_states, accelerator=accelerator)
                               if m.name == name else m for m in self.regions))
