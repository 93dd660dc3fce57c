"""The board console: what firmware prints (UART or semihosting) and what it reads.

Output is streamed whole (when a stream is set) but kept only up to ``keep`` bytes per channel,
so a firmware that floods its console costs no more memory than that; :attr:`dropped` counts
what was not kept, and the board says so in the run's notes.
"""
from __future__ import annotations

from typing import BinaryIO

DEFAULT_KEEP = 4 << 20


class BoardConsole:
    """Collects output, optionally streams it live, and feeds input bytes to the firmware."""

    def __init__(self, stream: BinaryIO | None = None, stdin: bytes = b"", keep: int = DEFAULT_KEEP) -> None:
        self.stream = stream
        self.out = bytearray()
        self.err = bytearray()
        self.keep = keep
        self.dropped = 0
        self._input = bytearray(stdin)

    def write(self, data: bytes, stream: str = "stdout") -> None:
        if not data:
            return
        kept = self.err if stream == "stderr" else self.out
        room = max(0, self.keep - len(kept))
        kept.extend(data[:room])
        self.dropped += max(0, len(data) - room)
        if self.stream is not None:
            self.stream.write(data)
            self.stream.flush()

    def read_byte(self) -> int | None:
        if not self._input:
            return None
        return self._input.pop(0)

    def feed(self, data: bytes) -> None:
        self._input.extend(data)
