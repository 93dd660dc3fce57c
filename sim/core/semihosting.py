"""ARM semihosting (``BKPT 0xAB``) as a debugger would serve it, limited to the console.

Operations follow Arm's semihosting specification v2: the operation number in r0, a parameter
(block pointer or value) in r1, the result in r0. Only the ``:tt`` console can be opened; host
files are not exposed, which keeps runs deterministic and sandboxed. Time (SYS_CLOCK, SYS_TIME,
SYS_ELAPSED) is the board's modelled time, not the host's.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tandem.core.clock import CoreClock
from tandem.core.console import Console
from tandem.core.cpu import CortexM

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC = 1, 2, 3, 4, 5, 6, 7
SYS_ISERROR, SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_TMPNAM, SYS_REMOVE, SYS_RENAME = 8, 9, 0xA, 0xC, 0xD, 0xE, 0xF
SYS_CLOCK, SYS_TIME, SYS_SYSTEM, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO = 0x10, 0x11, 0x12, 0x13, 0x15, 0x16
SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x18, 0x20, 0x30, 0x31

ADP_STOPPED_APPLICATION_EXIT = 0x20026
HANDLE_STDIN, HANDLE_STDOUT, HANDLE_STDERR = 1, 2, 3
MINUS_ONE = 0xFFFFFFFF
EBADF = 9
EFAULT = 14


class _BadPointer(Exception):
    """A parameter block or buffer outside RAM/ROM: checked before anything is read or allocated."""


@dataclass
class SemihostingState:
    cmdline: bytes = b""
    errno: int = 0


class Semihosting:
    def __init__(self, cpu: CortexM, console: Console, now: Callable[[], int], clock: CoreClock,
                 exit: Callable[[int], None], note: Callable[[str], None], cmdline: str = "") -> None:
        self.cpu = cpu
        self.console = console
        self.now = now
        self.clock = clock
        self.exit = exit
        self.note = note
        self.state = SemihostingState(cmdline.encode())
        self.unknown_reported: set[int] = set()

    def _span(self, addr: int, length: int, what: str) -> None:
        if not self.cpu.in_memory(addr, length):
            raise _BadPointer(f"{what} 0x{addr:08x}+0x{length:x} is not in the board's memory")

    def _words(self, addr: int, n: int) -> list[int]:
        self._span(addr, 4 * n, "parameter block")
        return [self.cpu.read_u32(addr + 4 * i) for i in range(n)]

    def _read(self, addr: int, length: int, what: str) -> bytes:
        self._span(addr, length, what)
        return self.cpu.read(addr, length)

    def _write(self, addr: int, data: bytes, what: str) -> None:
        self._span(addr, len(data), what)
        self.cpu.write(addr, data)

    def _cstring(self, addr: int, limit: int = 1 << 16) -> bytes:
        out = bytearray()
        while len(out) < limit:
            at = addr + len(out)
            step = 64 if self.cpu.in_memory(at, 64) else 1  # byte by byte up to the memory's end
            if not self.cpu.in_memory(at, step):
                raise _BadPointer(f"string at 0x{addr:08x} is not in the board's memory up to its NUL")
            chunk = self.cpu.read(at, step)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                break
            out += chunk
        return bytes(out)

    def call(self) -> None:
        """Serve the call at the current BKPT; the board then resumes after it."""
        op = self.cpu.reg("r0")
        arg = self.cpu.reg("r1")
        try:
            result = self._dispatch(op, arg)
        except _BadPointer as bad:  # as a debugger answers a bad pointer: -1 and an error number
            self.state.errno = EFAULT
            self.note(f"semihosting operation 0x{op:x}: {bad}; it returned -1")
            result = MINUS_ONE
        if result is not None:
            self.cpu.set_reg("r0", result)

    def _dispatch(self, op: int, arg: int) -> int | None:
        if op == SYS_WRITEC:
            self.console.write(self._read(arg, 1, "character"))
            return None
        if op == SYS_WRITE0:
            self.console.write(self._cstring(arg))
            return None
        if op == SYS_WRITE:
            handle, buf, length = self._words(arg, 3)
            if handle not in (HANDLE_STDOUT, HANDLE_STDERR):
                self.state.errno = EBADF
                return length
            self.console.write(self._read(buf, length, "buffer"), "stderr" if handle == HANDLE_STDERR else "stdout")
            return 0
        if op == SYS_OPEN:
            name_ptr, mode, length = self._words(arg, 3)
            name = self._read(name_ptr, length, "file name")
            if name != b":tt":
                self.state.errno = 2  # ENOENT: host files are not exposed
                return MINUS_ONE
            if mode < 4:
                return HANDLE_STDIN
            return HANDLE_STDOUT if mode < 8 else HANDLE_STDERR
        if op == SYS_CLOSE:
            return 0
        if op == SYS_READ:
            handle, buf, length = self._words(arg, 3)
            if handle != HANDLE_STDIN:
                self.state.errno = EBADF
                return MINUS_ONE
            self._span(buf, length, "buffer")
            data = bytearray()
            while len(data) < length:
                b = self.console.read_byte()
                if b is None:
                    break
                data.append(b)
                if b == 0x0A:
                    break
            self._write(buf, bytes(data), "buffer")
            return length - len(data)
        if op == SYS_READC:
            b = self.console.read_byte()
            return MINUS_ONE if b is None else b
        if op == SYS_ISERROR:
            return 1 if arg >= 0x80000000 else 0
        if op == SYS_ISTTY:
            (handle,) = self._words(arg, 1)
            return 1 if handle in (HANDLE_STDIN, HANDLE_STDOUT, HANDLE_STDERR) else 0
        if op in (SYS_SEEK, SYS_FLEN, SYS_TMPNAM, SYS_REMOVE, SYS_RENAME, SYS_SYSTEM):
            self.state.errno = EBADF
            return MINUS_ONE
        if op == SYS_CLOCK:
            return int(self.clock.seconds(self.now()) * 100) & 0xFFFFFFFF
        if op == SYS_TIME:
            return int(self.clock.seconds(self.now())) & 0xFFFFFFFF
        if op == SYS_ERRNO:
            return self.state.errno
        if op == SYS_GET_CMDLINE:
            buf, length = self._words(arg, 2)
            text = self.state.cmdline[: max(0, length - 1)] + b"\0"
            self._write(buf, text, "command-line buffer")
            self.cpu.write_u32(arg + 4, len(text) - 1)
            return 0
        if op == SYS_HEAPINFO:
            (block,) = self._words(arg, 1)
            self._span(block, 16, "heap-info block")
            for i in range(4):
                self.cpu.write_u32(block + 4 * i, 0)  # 0: let the C library use its linker symbols
            return 0
        if op == SYS_EXIT:
            self.exit(0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1)
            return None
        if op == SYS_EXIT_EXTENDED:
            reason, subcode = self._words(arg, 2)
            code = subcode if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            self.exit(code - (1 << 32) if code & 0x80000000 else code)
            return None
        if op == SYS_ELAPSED:
            self._span(arg, 8, "tick count block")
            ticks = self.now()
            self.cpu.write_u32(arg, ticks & 0xFFFFFFFF)
            self.cpu.write_u32(arg + 4, ticks >> 32)
            return 0
        if op == SYS_TICKFREQ:
            return self.clock.hz  # SYS_ELAPSED counts cycles: ticks at the current clock
        if op not in self.unknown_reported:
            self.unknown_reported.add(op)
            self.note(f"semihosting operation 0x{op:x} is not supported; it returned -1")
        return MINUS_ONE
