"""The CPU side of a board: the emulator behind a small interface (cpu), which instruction made an
MMIO access (access), instructions the core lacks, faulted as the part does (isa_guard) and semihosting.

Depends on errors and timing only; the machine layer wires these into a board.
"""
