"""The board console: what firmware prints (UART or semihosting) and what it reads."""
from __future__ import annotations

from typing import BinaryIO


class BoardConsole:
    """Collects output, optionally streams it live, and feeds input bytes to the firmware."""

    def __init__(self, stream: BinaryIO | None = None, stdin: bytes = b"") -> None:
        self.stream = stream
        self.out = bytearray()
        self.err = bytearray()
        self._input = bytearray(stdin)

    def write(self, data: bytes, stream: str = "stdout") -> None:
        if not data:
            return
        (self.err if stream == "stderr" else self.out).extend(data)
        if self.stream is not None:
            self.stream.write(data)
            self.stream.flush()

    def read_byte(self) -> int | None:
        if not self._input:
            return None
        return self._input.pop(0)

    def feed(self, data: bytes) -> None:
        self._input.extend(data)
