"""Golden models: numpy re-implementations of TFLite's reference integer kernels, bit-exact.

One reference serves the RTL scoreboard, the firmware tests and the CLI's ``--check``.
"""
from __future__ import annotations
