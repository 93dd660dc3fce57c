"""RTL builds for the engine's cocotb benches (``rtl``) and the speed figures of a
Tandem.RtlPeripheral (``rtl_bench``, ``tandem bench cosim``)."""
from __future__ import annotations
