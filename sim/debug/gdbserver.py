"""A GDB remote serial protocol server for a simulated board (``tandem run --gdb PORT``).

``GdbServer(board, host, port).serve()`` waits for one GDB (tested with gdb-multiarch 13),
then runs the board's normal cycle-modelled run loop under it and returns the run's
:class:`~tandem.machine.results.RunResult`. The board calls back into the server at every stop of
the run loop (``Board.debugger``); while the server is talking to GDB nothing runs, so simulated
time stands still while the core is halted.

Breakpoints (Z0 and Z1 alike) are Unicorn code hooks on their exact addresses; a hook stops the
emulator before the instruction runs and the cycle counter un-charges the rest of that block
(``CycleCounter.rewind_to``), so a run with breakpoints and steps counts the same cycles as one
without. A single step is a code hook on every address that stops at the second instruction it
sees. Watchpoints (Z2 write, Z3 read, Z4 access) on RAM/ROM are memory hooks on their ranges;
the emulator stops with PC at the accessing instruction, which runs again on resume, as GDB
expects of Arm's non-steppable watchpoints (it steps over the instruction with its watchpoints
out, then compares values); the stop reply names the watched address (``T05watch:ADDR;``).
Everything is only slower while such hooks are set.

Protocol facts follow GDB's manual, "Remote Protocol" (packets, stop replies, ``qXfer`` target
descriptions with the ``org.gnu.gdb.arm.m-profile`` and ``org.gnu.gdb.arm.vfp`` features).
"""
from __future__ import annotations

import socket
import struct
import sys
from typing import Any, BinaryIO, TextIO, cast

import unicorn

from tandem.config import DEFAULT_MAX_CYCLES
from tandem.debug.rsp import MAX_PACKET, OVERSIZED, Link, escape_binary, unescape_binary
from tandem.debug.target import TargetView, hex_le
from tandem.errors import CycleLimitExceeded, FirmwareFault, SimulationError, TandemError
from tandem.machine.board import CHUNK_MIN, Board
from tandem.machine.limits import RunLimits
from tandem.machine.results import RunResult

SIGINT, SIGTRAP, SIGSEGV, SIGXCPU = 2, 5, 11, 24  # GDB's signal numbers


class DebuggerKilled(SimulationError):
    """GDB's ``kill`` ended the run."""

    stop_reason = "killed"


def _u32(text: str) -> int:
    """A hex field that must be a 32-bit address (ValueError otherwise: an E02 reply)."""
    value = int(text, 16)
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"not a 32-bit address: {text}")
    return value


def _flush_translations(uc: unicorn.Uc) -> None:
    """Drop every translated block, so code hooks added or removed apply to code run before."""
    cast(Any, uc).ctl_flush_tb()  # in unicorn 2.1, missing from its type stubs


class GdbServer:
    """Serves one GDB connection for ``board``; see the module docstring.

    ``port`` 0 picks a free port (read it from :attr:`port`). The socket listens from the
    constructor on, so a caller can print the address before :meth:`serve` waits.
    """

    def __init__(self, board: Board, host: str = "127.0.0.1", port: int = 0,
                 log: TextIO | None = None, send_timeout: float = 10.0) -> None:
        self.board = board
        self.send_timeout = send_timeout  # a client that stops reading replies is dropped after it
        self.host = host
        self.log = log if log is not None else sys.stderr
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self._listener = socket.create_server((host, port), family=family, backlog=1)
        except (OSError, OverflowError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            reason = reason.split(" (while attempting")[0]  # create_server repeats the address
            raise TandemError(f"gdb server: cannot listen on {host}:{port}: {reason}") from None
        self.port: int = self._listener.getsockname()[1]
        self._link: Link | None = None
        self.target = TargetView(board)
        self._breakpoints: dict[int, int] = {}  # address -> hook handle (Z0 and Z1)
        self._watchpoints: dict[tuple[int, int, int], list[int]] = {}  # (type 2-4, address, length) -> hooks
        self._step_hook: int | None = None
        self._step_seen = 0
        self._skip_at: int | None = None  # resuming at a breakpoint: let it run once
        self._hit: tuple[int, str] | None = None  # (pc, stop-reply reason) from a code hook
        self._watch_hit: str | None = None
        self._last_stop = f"T{SIGTRAP:02x}thread:1;"
        self._exited: str | None = None  # the final W/X reply, once the run is over

    # public API ------------------------------------------------------------------------------
    def serve(self, max_cycles: int | None = DEFAULT_MAX_CYCLES, stdin: bytes = b"",
              stream: BinaryIO | None = None,
              reset: bool = True, profile: bool = False, vector_faults: bool = False,
              limits: RunLimits | None = None) -> RunResult:
        """Wait for GDB, then run the board under it; the run's result once the firmware exits.

        The core is halted at the reset vector (or where it is, ``reset=False``) when GDB
        attaches. A fault (signal 11, SIGSEGV) or a cycle or time limit (24, SIGXCPU) stops the
        core for GDB to look at; the error is raised once GDB resumes (``X`` reply), kills or
        leaves. A client that hangs up takes its breakpoints with it and the run goes on.
        """
        board = self.board
        if board.elf is None:
            raise SimulationError("no firmware loaded: call load_elf() first")
        try:
            conn, _addr = self._listener.accept()
        finally:
            self._listener.close()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        seconds = int(self.send_timeout)
        micros = int((self.send_timeout - seconds) * 1e6)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", seconds, micros))
        self._link = Link(conn)
        if reset:
            board.reset()
        chunk_max = board.chunk_max
        board.chunk_max = CHUNK_MIN  # stop every ~1 M cycles to look for Ctrl-C
        board.debugger = self._on_stop
        try:
            self._halted(None)
            result = board.run(max_cycles, stdin, stream, reset=False, profile=profile,
                               vector_faults=vector_faults, limits=limits)
        except (FirmwareFault, CycleLimitExceeded) as err:
            sig = SIGSEGV if isinstance(err, FirmwareFault) else SIGXCPU
            self._final(f"X{sig:02x}", f"T{sig:02x}thread:1;", err)
            raise
        finally:
            board.debugger = None
            board.chunk_max = chunk_max
            self._remove_all()
        self._final(f"W{result.exit_code & 0xFF:02x}", None, None)
        return result

    # the board's callback -------------------------------------------------------------------
    def _on_stop(self) -> bool:
        """Called by the run loop after each stop; True when the core was halted for GDB."""
        link = self._link
        if link is None:
            return False
        reply = self._take_hit()
        if reply is None:
            link.poll()
            if link.closed:
                self._detach("gdb disconnected")
                return False
            if not link.interrupted:
                return False
            reply = f"T{SIGINT:02x}thread:1;"
        link.interrupted = False
        self._halted(reply)
        return True

    def _take_hit(self) -> str | None:
        board = self.board
        if self._hit is not None:
            pc, reason = self._hit
            self._hit = None
            self._watch_hit = None
            self._end_step()
            board.counter.rewind_to(pc)  # the hook stopped before pc ran: its cycles were not spent
            board.cpu.set_reg("pc", pc)
            return f"T{SIGTRAP:02x}{reason}thread:1;"
        if self._watch_hit is not None:
            reason, self._watch_hit = self._watch_hit, None
            self._end_step()
            # the emulator abandons the accessing instruction after its access (measured: the
            # store is in memory, its base writeback is not, PC is at it), so it runs again on
            # resume; its cycles and those of the rest of its block are un-charged as for a breakpoint
            pc, block = board.cpu.reg("pc"), board.counter.current_block
            if block is not None and pc in block.insn_addrs:
                board.counter.rewind_to(pc)
            return f"T{SIGTRAP:02x}{reason}thread:1;"
        return None

    # talking to GDB while halted ----------------------------------------------------------------
    def _halted(self, reply: str | None) -> None:
        """Serve GDB until it resumes the core (returns) or kills the run (raises)."""
        link = self._link
        if link is None:
            return
        if reply is not None:
            self._last_stop = reply
            link.send(reply)
        while True:
            pkt = link.read_packet()
            if pkt is None:
                self._detach("gdb disconnected")
                return
            if self._handle(pkt):
                return

    def _final(self, reply: str, stop: str | None, err: TandemError | None) -> None:
        """The run is over: tell GDB (after a stop it may look at, for a fault)."""
        link = self._link
        if link is None or link.closed:
            return
        self._exited = reply
        if stop is not None:
            if err is not None:
                print(f"[tandem] gdb: the run stopped: {err}", file=self.log)
            self._halted(stop)  # registers and memory stay readable; a resume gets the exit
            if self._link is None:
                return
        link.send(reply)
        self._close()

    def _handle(self, pkt: bytes) -> bool:
        """Answer one packet; True when the core should run again."""
        link = self._link
        assert link is not None
        if pkt == OVERSIZED:
            link.send("E01")
            return False
        try:
            text = pkt.decode("latin-1")
            cmd = text[:1]
            if cmd in ("c", "C", "s", "S") or text.startswith("vCont;"):
                return self._resume(text)
            if cmd == "k" or text.startswith("vKill"):
                if text.startswith("vKill"):
                    link.send("OK")
                self._close()
                where = self.board.symbols.describe(self.board.cpu.reg("pc"))
                raise DebuggerKilled(f"gdb killed the run at PC {where}")
            if text == "QStartNoAckMode":
                link.send("OK")
                link.ack = False
                return False
            if cmd == "D":
                link.send("OK")
                self._detach("gdb detached")
                return True
            reply = self._query(text)
        except (ValueError, IndexError, OverflowError, unicorn.UcError):
            reply = "E02"  # malformed: a field is not hex, missing, or out of range
        link.send(reply)
        return False

    def _query(self, text: str) -> str:
        cmd = text[:1]
        if cmd == "?":
            return self._exited if self._exited is not None else self._last_stop
        if cmd == "g":
            return "".join(hex_le(r.read(), r.bits) for r in self.target.regs)
        if cmd == "G":
            return self.target.write_all(text[1:])
        if cmd == "p":
            n = int(text[1:], 16)
            if n >= len(self.target.regs):
                return "E00"
            reg = self.target.regs[n]
            return hex_le(reg.read(), reg.bits)
        if cmd == "P":
            num, _, value = text[1:].partition("=")
            n = int(num, 16)
            if n >= len(self.target.regs) or len(value) != self.target.regs[n].bits // 4:
                return "E00"
            self.target.regs[n].write(int.from_bytes(bytes.fromhex(value), "little"))
            return "OK"
        if cmd == "m":
            head, length = text[1:].split(",")
            addr = _u32(head)
            data = self.target.read_memory(addr, int(length, 16))
            return "E01" if data is None else data.hex()
        if cmd == "M":
            head, _, hexdata = text[1:].partition(":")
            where, size = head.split(",")
            data = bytes.fromhex(hexdata)
            return self.target.write_memory(_u32(where), data) if len(data) == int(size, 16) else "E02"
        if cmd == "X":
            raw = text.encode("latin-1")
            colon = raw.index(b":")
            where, size = raw[1:colon].decode().split(",")
            data = unescape_binary(raw[colon + 1:])
            if int(size, 16) == 0:
                return "OK"  # GDB's probe for X support
            return self.target.write_memory(_u32(where), data) if len(data) == int(size, 16) else "E02"
        if cmd in ("Z", "z"):
            return self._point(cmd == "Z", text[1:])
        if cmd == "H" or cmd == "T":
            return "OK"
        if text.startswith("qSupported"):
            return (f"PacketSize={MAX_PACKET:x};qXfer:features:read+;swbreak+;hwbreak+;"
                    "QStartNoAckMode+;vContSupported+")
        if text.startswith("qXfer:features:read:"):
            return self._xfer(text[len("qXfer:features:read:"):])
        if text == "qAttached" or text.startswith("qAttached:"):
            return "1"
        if text == "qC":
            return "QC1"
        if text == "qfThreadInfo":
            return "m1"
        if text == "qsThreadInfo":
            return "l"
        if text.startswith("qSymbol"):
            return "OK"
        if text == "vCont?":
            return "vCont;c;C;s;S;t"
        if text.startswith("qRcmd,"):
            return self._monitor(bytes.fromhex(text[6:]).decode("utf-8", "replace").strip())
        return ""  # not supported: GDB falls back or tells the user

    # resuming ------------------------------------------------------------------------------------
    def _resume(self, text: str) -> bool:
        assert self._link is not None
        if self._exited is not None:
            self._link.send(self._exited)
            self._close()
            return True
        step = False
        if text.startswith("vCont;"):
            action = self._vcont_action(text[6:])
            if action is None:
                self._link.send("E03")
                return False
            if action == "t":
                self._link.send("OK")
                return False
            step = action in ("s", "S")
        else:
            step = text[0] in ("s", "S")
            arg = text[1:]
            if text[0] in ("C", "S"):  # a signal to deliver: a bare-metal core has none, ignore it
                _, _, arg = arg.partition(";")
            if arg:
                self.board.cpu.set_reg("pc", _u32(arg))
        self._link.interrupted = False  # a Ctrl-C that crossed a stop reply is spent
        pc = self.board.cpu.reg("pc")
        self._skip_at = pc if pc in self._breakpoints else None
        if step:
            self._begin_step()
        return True

    @staticmethod
    def _vcont_action(spec: str) -> str | None:
        """The action of ``vCont;...`` that applies to our one thread (the first that names it)."""
        for part in spec.split(";"):
            action, _, thread = part.partition(":")
            if not action:
                continue
            if thread in ("", "-1", "1", "p1.1", "p1.-1", "p-1.-1", "01"):
                kind = action[0]
                if kind in ("c", "C", "s", "S", "t"):
                    return kind
                return None
        return None

    def _begin_step(self) -> None:
        uc = self.board.cpu.uc
        self._step_seen = 0
        self._step_hook = uc.hook_add(unicorn.UC_HOOK_CODE, self._on_step, begin=1, end=0)
        _flush_translations(uc)  # blocks translated before the hook was added would not call it

    def _end_step(self) -> None:
        if self._step_hook is not None:
            uc = self.board.cpu.uc
            uc.hook_del(self._step_hook)
            self._step_hook = None
            _flush_translations(uc)

    def _on_step(self, uc: unicorn.Uc, addr: int, size: int, _d: object) -> None:
        self._step_seen += 1
        if self._step_seen == 2 and self._hit is None:
            self._hit = (addr, "")
            uc.emu_stop()

    # breakpoints and watchpoints ------------------------------------------------------------------
    def _point(self, insert: bool, spec: str) -> str:
        fields = spec.split(";")[0].split(",")
        kind, addr, length = int(fields[0], 16), _u32(fields[1]), int(fields[2], 16)
        uc = self.board.cpu.uc
        if kind in (0, 1):
            addr &= ~1
            if insert and addr not in self._breakpoints:
                self._breakpoints[addr] = uc.hook_add(unicorn.UC_HOOK_CODE, self._on_breakpoint,
                                                      user_data=kind, begin=addr, end=addr)
                uc.ctl_remove_cache(addr, addr + 4)
            elif not insert and addr in self._breakpoints:
                uc.hook_del(self._breakpoints.pop(addr))
                uc.ctl_remove_cache(addr, addr + 4)
            return "OK"
        if kind in (2, 3, 4):
            if not 0 < length <= 0x10000:
                return "E02"
            key = (kind, addr, length)
            if insert and not self.board.cpu.in_memory(addr, length):
                return "E01"  # a peripheral's register: the repeated access could have side effects
            if insert and key not in self._watchpoints:
                types = {2: unicorn.UC_HOOK_MEM_WRITE, 3: unicorn.UC_HOOK_MEM_READ,
                         4: unicorn.UC_HOOK_MEM_READ | unicorn.UC_HOOK_MEM_WRITE}[kind]
                # an access of up to 8 bytes that starts below the range may still overlap it
                begin, end = max(0, addr - 7), addr + length - 1
                handles = [uc.hook_add(types, self._on_watch, user_data=key, begin=begin, end=end)]
                # loads from a timed memory reach its read mirror, accesses to pages the memory
                # checker guards its check mirror (timing/dataloads.py)
                for write, hook in ((False, unicorn.UC_HOOK_MEM_READ), (True, unicorn.UC_HOOK_MEM_WRITE)):
                    if kind == 4 or (kind == 2) == write:
                        handles += [uc.hook_add(hook, self._on_watch, user_data=key, begin=begin + off,
                                                end=end + off)
                                    for off in self.board.counter.mirror_offsets(begin, end, write)]
                self._watchpoints[key] = handles
            elif not insert and key in self._watchpoints:
                for handle in self._watchpoints.pop(key):
                    uc.hook_del(handle)
            return "OK"
        return ""

    def _on_breakpoint(self, uc: unicorn.Uc, addr: int, size: int, kind: int) -> None:
        if addr == self._skip_at:
            self._skip_at = None
            return
        if self._hit is None:
            self._hit = (addr, "hwbreak:;" if kind == 1 else "swbreak:;")
            uc.emu_stop()

    def _on_watch(self, uc: unicorn.Uc, access: int, address: int, size: int, value: int,
                  key: tuple[int, int, int]) -> None:
        kind, start, length = key
        address &= 0xFFFFFFFF  # a read mirror's address (above 4 GiB) as the core addressed it
        if address >= start + length or address + size <= start or self._watch_hit is not None:
            # the run goes on (a stop resumes at the access, with the IT state Unicorn restored)
            self.board.cpu.undo_restored_it()
            return
        name = {2: "watch", 3: "rwatch", 4: "awatch"}[kind]
        self._watch_hit = f"{name}:{max(address, start):x};"
        uc.emu_stop()

    def _remove_all(self) -> None:
        uc = self.board.cpu.uc
        for handle in [*self._breakpoints.values(), *(h for hs in self._watchpoints.values() for h in hs)]:
            uc.hook_del(handle)
        had_code_hooks = bool(self._breakpoints)
        self._breakpoints.clear()
        self._watchpoints.clear()
        self._end_step()
        if had_code_hooks:
            _flush_translations(uc)
        self._hit = None
        self._watch_hit = None

    def _xfer(self, rest: str) -> str:
        annex, _, span = rest.partition(":")
        if annex != "target.xml":
            return "E00"
        offset, length = (int(x, 16) for x in span.split(","))
        xml = self.target.xml().encode()
        chunk = xml[offset:offset + min(length, MAX_PACKET // 2)]
        more = offset + len(chunk) < len(xml)
        return ("m" if more else "l") + escape_binary(chunk).decode("latin-1")

    # monitor commands -------------------------------------------------------------------------------
    def _monitor(self, command: str) -> str:
        board = self.board
        words = command.split()
        if words == ["cycles"]:
            text = (f"cycles: {board.counter.cycles}\ninstructions: {board.counter.instructions}\n"
                    f"seconds: {board.clock.seconds(board.counter.cycles):.9f}\n")
        elif words == ["reset"] and board.cpu.reg("ipsr") != 0:
            text = (f"reset: the core is in Handler mode (IPSR {board.cpu.reg('ipsr')}); tandem resets the core "
                    "from Thread mode only (its NVIC state is not reset): continue until the handler returns\n")
        elif words == ["reset"]:
            for name in ("control", "primask", "basepri", "faultmask"):  # their reset values (ARMv7-M ARM B1.4)
                board.cpu.set_reg(name, 0)
            board.reset()
            text = (f"reset: SP 0x{board.cpu.reg('sp'):08x}, PC {board.symbols.describe(board.cpu.reg('pc'))} "
                    "(from the vector table; memory, peripherals and the cycle count are kept)\n")
        elif words == ["help"] or not words:
            text = "monitor commands: cycles (the board's cycle counter), reset (the core's reset), help\n"
        else:
            text = f"unknown monitor command {command!r} (try: monitor help)\n"
        assert self._link is not None
        self._link.send("O" + text.encode().hex())
        return "OK"

    # connection ---------------------------------------------------------------------------------------
    def _detach(self, why: str) -> None:
        """GDB left: remove its breakpoints, the run goes on to its end without a debugger."""
        if self._link is None:
            return
        print(f"[tandem] {why}; the run continues without a debugger", file=self.log)
        self._remove_all()
        self._close()
        self.board.debugger = None

    def _close(self) -> None:
        if self._link is not None:
            try:
                self._link.sock.close()
            except OSError:
                pass
            self._link = None


__all__ = ["DebuggerKilled", "GdbServer"]
