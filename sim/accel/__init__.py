"""tandem's convolution engine, its software side: the register map (``regmap``), a job's
description for the RTL benches (``job``) and its jobs read from the CPU's accesses (``joblog``)."""
from __future__ import annotations

# the engine's top level as a Tandem.RtlPeripheral (rtl/tandem_conv_engine_axi.v)
ENGINE_TOP = "tandem_conv_engine_axi"
