"""What GDB sees of a board: its registers (numbered as the target description XML numbers them,
with the ``org.gnu.gdb.arm.m-profile``, ``m-system`` and, with an FPU, ``org.gnu.gdb.arm.vfp``
features) and its memory (RAM/ROM, peripheral registers read through their models)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from tandem.machine.board import Board

MAX_MEMORY = 0x1000  # bytes one m/M/X packet may move (well inside the packet size as hex)

_GPRS = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc")


@dataclass(frozen=True)
class Register:
    name: str
    bits: int
    feature: str
    type: str
    read: Callable[[], int]
    write: Callable[[int], None]


def hex_le(value: int, bits: int) -> str:
    return (value & ((1 << bits) - 1)).to_bytes(bits // 8, "little").hex()


class TargetView:
    """The registers and memory of ``board`` as the protocol's packets address them."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.regs = self._register_table()

    def _register_table(self) -> list[Register]:
        cpu = self.board.cpu

        def reader(name: str) -> Callable[[], int]:
            return lambda: cpu.reg(name)

        def writer(name: str) -> Callable[[int], None]:
            return lambda value: cpu.set_reg(name, value)

        mprof = "org.gnu.gdb.arm.m-profile"
        regs = [Register(n, 32, mprof, "code_ptr" if n == "pc" else "data_ptr" if n == "sp" else "int",
                         reader(n), writer(n)) for n in _GPRS]

        def set_xpsr(v: int) -> None:
            cpu.set_reg("xpsr", v)
            cpu.rebuild_flags()

        regs.append(Register("xpsr", 32, mprof, "int", lambda: cpu.reg("xpsr"), set_xpsr))
        system = ["msp", "psp", "primask", "control"]
        if self.board.platform.cpu.core not in ("cortex-m0", "cortex-m0+"):
            system[3:3] = ["basepri", "faultmask"]
        for n in system:
            regs.append(Register(n, 32, "org.gnu.gdb.arm.m-system", "data_ptr" if n.endswith("sp") else "int",
                                 reader(n), writer(n)))
        if self.board.platform.cpu.fpu:
            for i in range(16):
                regs.append(Register(f"d{i}", 64, "org.gnu.gdb.arm.vfp", "ieee_double",
                                     partial(self._read_d, i), partial(self._write_d, i)))
            regs.append(Register("fpscr", 32, "org.gnu.gdb.arm.vfp", "int", reader("fpscr"), writer("fpscr")))
        return regs

    def _read_d(self, i: int) -> int:
        lo, hi = self.board.cpu.sregs(2 * i + 2)[2 * i:]
        return lo | hi << 32

    def _write_d(self, i: int, value: int) -> None:
        s = self.board.cpu.sregs(32)
        s[2 * i], s[2 * i + 1] = value & 0xFFFFFFFF, value >> 32
        self.board.cpu.set_sregs(s)

    def xml(self) -> str:
        lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">', "<target>",
                 "<architecture>arm</architecture>"]
        feature = None
        for num, reg in enumerate(self.regs):
            if reg.feature != feature:
                if feature is not None:
                    lines.append("</feature>")
                feature = reg.feature
                lines.append(f'<feature name="{feature}">')
            group = ' group="float"' if reg.type == "ieee_double" else ""
            lines.append(f'<reg name="{reg.name}" bitsize="{reg.bits}" regnum="{num}" type="{reg.type}"{group}/>')
        lines += ["</feature>", "</target>"]
        return "\n".join(lines) + "\n"

    def write_all(self, hexdata: str) -> str:
        raw = bytes.fromhex(hexdata)
        pos = 0
        for reg in self.regs:
            n = reg.bits // 8
            if pos + n > len(raw):
                break
            if reg.write is not None:
                reg.write(int.from_bytes(raw[pos:pos + n], "little"))
            pos += n
        return "OK"

    def read_memory(self, addr: int, length: int) -> bytes | None:
        """RAM/ROM as it is; a peripheral's registers through its model (word by word where
        aligned, which a read of a FIFO register may pop); None for a hole or a long read."""
        board = self.board
        if not 0 <= length <= MAX_MEMORY or addr + length > 1 << 32:
            return None
        if board.cpu.in_memory(addr, length):
            return board.read_memory(addr, length)
        out = bytearray()
        pos = addr
        while pos < addr + length:
            size = 4 if pos % 4 == 0 and addr + length - pos >= 4 else 1
            hit = board.bus.find(pos)
            if hit is not None:
                out += (hit[0].read(hit[1], size) & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
            elif board.cpu.in_memory(pos, size):
                out += board.read_memory(pos, size)
            else:
                return bytes(out) if out else None  # a partial read ends at the hole
            pos += size
        return bytes(out)

    def write_memory(self, addr: int, data: bytes) -> str:
        if len(data) > MAX_MEMORY or addr + len(data) > 1 << 32:
            return "E01"
        if not self.board.cpu.in_memory(addr, len(data)):
            return "E01"  # peripheral registers are not written from the debugger
        self.board.write_memory(addr, data)
        return "OK"


__all__ = ["MAX_MEMORY", "Register", "TargetView", "hex_le"]
