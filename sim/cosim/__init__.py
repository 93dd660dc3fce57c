"""Co-simulation of a board with the RTL convolution accelerator (cocotb + Verilator/Icarus).

:func:`run_with_accel` (in :mod:`tandem.cosim.run`) is the API; :mod:`tandem.cosim.bridge` and
:mod:`tandem.cosim.entry` run inside the RTL simulator's process.
"""
from __future__ import annotations

from tandem.cosim.run import CosimResult, run_with_accel

__all__ = ["CosimResult", "run_with_accel"]
