"""What the CPU side and the peripherals need of a console: bytes out (stdout or stderr), bytes in.

The board's implementation is :class:`tandem.machine.console.BoardConsole`; semihosting and the
UART models write through this protocol only.
"""
from __future__ import annotations

from typing import Protocol


class Console(Protocol):
    def write(self, data: bytes, stream: str = "stdout") -> None: ...

    def read_byte(self) -> int | None: ...
