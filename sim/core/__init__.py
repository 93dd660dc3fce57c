"""The CPU side of a board: the emulator behind a small interface (cpu), which instruction made an
MMIO access (access), floating-point faults Unicorn does not raise (fpu_guard) and semihosting.

Depends on errors and timing only; the machine layer wires these into a board.
"""
