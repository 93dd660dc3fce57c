"""The convolution accelerator's software side: register map, and later the co-simulation bridge."""
from __future__ import annotations
