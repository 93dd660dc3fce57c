"""What the Robot keywords wait on: a UART's text (terminal tester), a LED's pin, tandem's log;
and reading Renode-style keyword arguments (``true``, ``0x1B``, seconds)."""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from tandem.peripherals.stm32_gpio import _Port

LAST_LINES = 8  # lines of UART output quoted when a wait fails


class RenodeFailure(AssertionError):
    """A keyword failed (robot prints the message alone, no exception name)."""

    ROBOT_SUPPRESS_NAME = True


def as_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off", "none", ""):
        return False
    raise RenodeFailure(f"{name}={value!r}: expected true or false")


def as_seconds(value: object, name: str) -> float:
    try:
        seconds = float(str(value).strip().rstrip("s"))
    except ValueError:
        raise RenodeFailure(f"{name}={value!r}: expected seconds") from None
    if not 0 <= seconds < 1e6:
        raise RenodeFailure(f"{name}={value!r}: out of range")
    return seconds


def as_int(value: object, name: str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip(), 0)
    except ValueError:
        raise RenodeFailure(f"{name}={value!r}: expected a number") from None


@dataclass
class TerminalTester:
    """A UART's received text not yet matched, and its recent lines for failure messages."""

    uart: str
    timeout: float
    pending: str = ""
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=LAST_LINES))
    _partial: str = ""

    def feed(self, chunk: str) -> None:
        self.pending += chunk
        if len(self.pending) > 1 << 20:  # a flood nobody waits for: keep the newest
            self.pending = self.pending[-(1 << 19):]
        text = self._partial + chunk
        *lines, self._partial = text.split("\n")
        self.recent.extend(line.rstrip("\r") for line in lines)

    def find_line(self, pattern: str, regex: bool, unfinished: bool) -> re.Match[str] | str | None:
        """The first complete line (or, with ``unfinished``, also the partial last one) matching;
        what is before it and the line itself are consumed."""
        start = 0
        while True:
            end = self.pending.find("\n", start)
            if end < 0:
                if not unfinished:
                    return None
                end = len(self.pending)
            line = self.pending[start:end].rstrip("\r")
            hit: re.Match[str] | str | None = (re.search(pattern, line) if regex
                                               else (line if pattern in line else None))
            if hit is not None:
                self.pending = self.pending[end + 1:]
                return hit if isinstance(hit, re.Match) else line
            if end >= len(self.pending):
                return None
            start = end + 1

    def find_prompt(self, prompt: str, regex: bool) -> str | None:
        m = re.search(prompt, self.pending) if regex else None
        pos, end = (m.start(), m.end()) if m is not None else (self.pending.find(prompt), -1)
        if pos < 0:
            return None
        end = end if end >= 0 else pos + len(prompt)
        line_start = self.pending.rfind("\n", 0, pos) + 1
        text = self.pending[line_start:end]
        self.pending = self.pending[end:]
        return text

    def tail(self) -> str:
        lines = list(self.recent) + ([self._partial] if self._partial else [])
        return "\n".join(f"  | {line}" for line in lines[-LAST_LINES:]) or "  (nothing)"


@dataclass
class LedTester:
    port: _Port
    pin: int
    invert: bool
    timeout: float

    def state(self) -> bool:
        return self.port.pin(self.pin) != self.invert


@dataclass
class LogTester:
    timeout: float
    seen_monitor: int = 0
    seen_board: int = 0
    board_id: int = 0
    entries: list[str] = field(default_factory=list)


__all__ = ["LedTester", "LogTester", "RenodeFailure", "TerminalTester"]
