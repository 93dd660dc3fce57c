"""Debugging a simulated board from outside: the GDB remote serial protocol server (``gdbserver``)."""
from __future__ import annotations

from tandem.debug.gdbserver import GdbServer

__all__ = ["GdbServer"]
