"""The GDB server (sim/debug/gdbserver.py): a real gdb-multiarch session in batch mode against
`tandem run --gdb 0`, and a raw-socket client for the protocol's edges (bad checksums, malformed
and oversized packets, unmapped memory, Ctrl-C, a client that hangs up, kill).

Every wait has a timeout (socket timeouts, subprocess timeouts, thread joins), so a server bug
fails a test instead of hanging the suite.
"""
from __future__ import annotations

import contextlib
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tandem.config import TandemConfig
from tandem.debug.gdbserver import DebuggerKilled, GdbServer
from tandem.debug.rsp import MAX_PACKET, checksum
from tandem.machine.board import Board
from tandem.machine.results import RunResult

TARGET = "tests/gdb_target.c"  # main() sums square(1..5) = 55 into gdb_counter, exits with 55
BOARD = "generic_m4"  # zero-wait memories: one instruction's cycles are the core's own
TIMEOUT = 10.0


def gdb_exe() -> str:
    exe = shutil.which("gdb-multiarch")
    assert exe is not None, "gdb-multiarch is missing: scripts/setup.sh installs it"
    return exe


@pytest.fixture(scope="module")
def elf(build: Callable[..., Path]) -> Path:
    return build(BOARD, TARGET, opt="-O0")  # -g is in every build (firmware/build.py CFLAGS)


@pytest.fixture(scope="module")
def plain(cfg: TandemConfig, elf: Path) -> RunResult:
    """The same firmware run without a debugger: what a debugged run must count too."""
    board = Board.from_platform(BOARD, cfg)
    board.load_elf(elf)
    return board.run()


def start_tandem(elf: Path, *extra: str, board: str = BOARD) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "tandem.cli", "run", "--board", board, "--gdb", "0",
                             *extra, str(elf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stderr.readline()
        m = re.search(r"gdb server listening on 127\.0\.0\.1:(\d+)", line)
        if m:
            return proc, int(m.group(1))
        if not line:
            break
    proc.kill()
    raise AssertionError(f"tandem run --gdb did not announce its port: {proc.communicate()}")


def gdb_batch(elf: Path, port: int, *commands: str) -> str:
    args = [gdb_exe(), "-q", "-nx", "-batch", "-ex", "set confirm off", "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    res = subprocess.run([*args, str(elf)], capture_output=True, text=True, timeout=TIMEOUT)
    return res.stdout + res.stderr


def cycles_of(text: str) -> list[tuple[int, int]]:
    """(cycles, instructions) of each `monitor cycles` in a transcript."""
    return [(int(c), int(i)) for c, i in re.findall(r"cycles: (\d+)\ninstructions: (\d+)", text)]


def test_gdb_session_breaks_steps_prints_watches_and_exits(elf: Path, plain: RunResult) -> None:
    proc, port = start_tandem(elf, "--quiet")
    try:
        out = gdb_batch(elf, port,
                        "break main", "continue", "monitor cycles",
                        "stepi", "monitor cycles",  # main's first instruction after the prologue: MOVS
                        "next", "next", "print total", "print/x $pc",
                        "watch gdb_counter", "continue", "print gdb_counter", "monitor cycles",
                        "delete", "continue")
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert "Breakpoint 1, main () at tests/gdb_target.c" in out, out
    assert "$1 = 0" in out, out  # total after `uint32_t total = 0;` and the loop's start
    assert re.search(r"Hardware watchpoint 2: gdb_counter\s+Old value = 0\s+New value = 1", out), out
    assert "$3 = 1" in out, out  # gdb_counter = square(1)
    assert "exited with code 067" in out, out  # 55, in GDB's octal
    (c0, i0), (c1, i1), (c2, i2) = cycles_of(out)
    # stepi runs exactly one instruction; MOVS Rd, #imm is 1 cycle on the Cortex-M4 (TRM r0p1,
    # 3.3.1 Table 3-1, "MOV Rd, <imm>"), the memories have no wait states
    assert (i1 - i0, c1 - c0) == (1, 1), out
    assert 0 < c0 < c1 < c2 < plain.cycles
    assert proc.returncode == 55, stderr
    # halting, stepping and watching change nothing the firmware sees: the same counts as without gdb
    m = re.search(r"exit 55; ([\d,]+) instructions, ([\d,]+) cycles", stderr)
    assert m, stderr
    assert (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) == \
        (plain.instructions, plain.cycles)
    assert stdout == ""  # --quiet


def test_gdb_finish_and_target_description(elf: Path) -> None:
    proc, port = start_tandem(elf, "--quiet")
    try:
        out = gdb_batch(elf, port, "break square", "continue", "print x", "finish",
                        "info registers xpsr msp", "print $d0", "print $fpscr", "monitor reset",
                        "maintenance flush register-cache", "print $pc == &Reset_Handler", "kill")
        _stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert "Breakpoint 1, square (x=1)" in out, out
    assert "$1 = 1" in out, out
    assert "Value returned is $2 = 1" in out, out
    assert re.search(r"msp\s+0x2", out), out  # the m-system feature's MSP: in SRAM
    assert "$3 = 0" in out and "$4 = 0" in out, out  # the vfp feature (a Cortex-M4F)
    assert "reset: SP 0x" in out and "$5 = 1" in out, out  # the core restarts at the reset vector
    assert "gdb killed the run" in stderr, stderr
    assert proc.returncode != 0


# raw protocol ---------------------------------------------------------------------------------
class Client:
    """A minimal RSP client with acknowledgements on, reading with a timeout."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def packet(self, data: bytes | str) -> bytes:
        raw = data.encode() if isinstance(data, str) else data
        self.raw(b"$" + raw + b"#" + checksum(raw))
        assert self.byte() == b"+"
        return self.reply()

    def byte(self) -> bytes:
        while not self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection"
            self.buf += chunk
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def reply(self) -> bytes:
        while b"#" not in self.buf or len(self.buf) < self.buf.index(b"#") + 3:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection"
            self.buf += chunk
        start, end = self.buf.index(b"$"), self.buf.index(b"#")
        data, cs = self.buf[start + 1:end], self.buf[end + 1:end + 3]
        self.buf = self.buf[end + 3:]
        assert cs == checksum(data)
        self.raw(b"+")
        return data


@contextlib.contextmanager
def serving(board: Board) -> Iterator[tuple[Client, dict[str, object]]]:
    """A GdbServer for ``board`` on a thread and a client connected to it; ``outcome`` gets the
    serve() result (or "error"), checked to have finished once the client left."""
    server = GdbServer(board, "127.0.0.1", 0)
    outcome: dict[str, object] = {}

    def serve() -> None:
        try:
            outcome["result"] = server.serve()
        except Exception as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = Client(server.port)
    outcome["thread"] = thread
    try:
        yield client, outcome
    finally:
        client.sock.close()
        thread.join(TIMEOUT)
    assert not thread.is_alive(), "the server did not finish after the client left"


@pytest.fixture
def served(cfg: TandemConfig, elf: Path) -> Iterator[tuple[Client, Board, dict[str, object]]]:
    board = Board.from_platform(BOARD, cfg)
    board.load_elf(elf)
    with serving(board) as (client, outcome):
        yield client, board, outcome


def test_raw_protocol_errors_are_replies_not_tracebacks(served: tuple[Client, Board, dict[str, object]]) -> None:
    client, board, outcome = served
    assert b"PacketSize=%x" % MAX_PACKET in client.packet("qSupported:multiprocess+;swbreak+")
    client.raw(b"$g#00")  # wrong checksum: NAK, nothing else
    assert client.byte() == b"-"
    assert client.packet("mzz,4") == b"E02"  # not hex
    assert client.packet("m") == b"E02"  # fields missing
    assert client.packet("m60000000,4") == b"E01"  # no memory there on this board
    assert client.packet("m20000000,100000") == b"E01"  # longer than one reply may carry
    assert client.packet("M60000000,2:abcd") == b"E01"
    assert client.packet("p999") == b"E00"
    assert client.packet("Z9,0,2") == b""  # an unknown point type: not supported
    assert client.packet("qNoSuchQuery") == b""
    assert client.packet(b"m" + b"0" * (MAX_PACKET + 100)) == b"E01"  # oversized: bounded, refused
    for nasty in ("Z0,ffffffffffffffffffff,2", "Z2,20000000,0", "z0,10", "cZZ", "s12345678901234567890",
                  "Pf=zz", "P10=00", "G0011", "X20000000,4:ab", "M20000000,2:zz", "qRcmd,zz", "vCont;",
                  "qXfer:features:read:other.xml:0,10", "qXfer:features:read:target.xml:zz", "H", "Z",
                  "m-1,4", "m0,-4", "mffffffff,2", "M-4,1:00"):
        assert client.packet(nasty)[:1] in (b"E", b"", b"O"), nasty
    assert client.packet("?").startswith(b"T05")
    assert [client.packet(q) for q in ("qAttached", "qC", "Hg0", "Hc-1", "qfThreadInfo", "qsThreadInfo")] == \
        [b"1", b"QC1", b"OK", b"OK", b"m1", b"l"]
    xml = client.packet("qXfer:features:read:target.xml:0,3fff")
    assert xml.startswith(b"l") and b"org.gnu.gdb.arm.m-profile" in xml and b"org.gnu.gdb.arm.vfp" in xml
    # g: 16 core registers, xPSR, 6 system registers (32 bits), d0-d15 (64), FPSCR
    assert len(client.packet("g")) == 2 * (23 * 4 + 16 * 8 + 4)
    # memory: write, read back, and the board sees it
    sram = board.platform.memories[1].base if len(board.platform.memories) > 1 else 0x20000000
    assert client.packet(f"M{sram + 0x100:x},4:78563412") == b"OK"
    assert client.packet(f"m{sram + 0x100:x},4") == b"78563412"
    assert board.read_memory(sram + 0x100, 4) == bytes.fromhex("78563412")
    # a breakpoint on square: the stop reply and the PC
    assert board.elf is not None
    square = board.elf.all_symbols["square"] & ~1
    assert client.packet(f"Z0,{square:x},2") == b"OK"
    assert client.packet("c") == b"T05swbreak:;thread:1;"
    assert int.from_bytes(bytes.fromhex(client.packet("pf").decode()), "little") == square
    assert client.packet(f"z0,{square:x},2") == b"OK"
    assert client.packet("c") == b"W37"  # exit code 55
    client.sock.close()
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(TIMEOUT)
    result = outcome.get("result")
    assert isinstance(result, RunResult) and result.exit_code == 55, outcome


def test_client_hanging_up_mid_session_lets_the_run_finish(
        served: tuple[Client, Board, dict[str, object]], plain: RunResult) -> None:
    client, board, outcome = served
    assert board.elf is not None
    square = board.elf.all_symbols["square"] & ~1
    assert client.packet(f"Z1,{square:x},2") == b"OK"
    assert client.packet("c") == b"T05hwbreak:;thread:1;"
    client.raw(b"$m0,4")  # half a packet, then the connection drops
    client.sock.close()
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(TIMEOUT)
    result = outcome.get("result")
    assert isinstance(result, RunResult), outcome
    # the breakpoint went with the client; the run counted what an undebugged run counts
    assert (result.exit_code, result.cycles) == (55, plain.cycles)


def test_vcont_step_and_detach(served: tuple[Client, Board, dict[str, object]], plain: RunResult) -> None:
    client, board, outcome = served
    assert client.packet("vCont?") == b"vCont;c;C;s;S;t"
    pc0 = board.cpu.reg("pc")
    insns = board.counter.instructions
    assert client.packet("vCont;s:1;c") == b"T05thread:1;"  # thread 1 steps, the others (none) go on
    assert board.counter.instructions == insns + 1 and board.cpu.reg("pc") != pc0
    assert client.packet("vCont;x") == b"E03"  # no such action
    assert client.packet("D") == b"OK"
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(TIMEOUT)
    result = outcome.get("result")
    assert isinstance(result, RunResult) and (result.exit_code, result.cycles) == (55, plain.cycles), outcome


def test_watchpoint_stops_at_the_store(served: tuple[Client, Board, dict[str, object]], plain: RunResult) -> None:
    import capstone

    client, board, outcome = served
    assert board.elf is not None
    var = board.elf.all_symbols["gdb_counter"]
    main = board.elf.all_symbols["main"] & ~1
    assert client.packet(f"Z2,{var:x},4") == b"OK"
    assert client.packet("Z2,40000000,4") == b"E01"  # not on peripheral registers
    assert client.packet(f"Z0,{main:x},2") == b"OK"  # past the start-up code's zeroing of .bss
    assert client.packet("c") == b"T05watch:%x;thread:1;" % var
    assert client.packet(f"z2,{var:x},4") == b"OK"
    assert client.packet("c") == b"T05swbreak:;thread:1;"
    assert client.packet(f"z0,{main:x},2") == b"OK"
    assert client.packet(f"Z2,{var:x},4") == b"OK"
    assert client.packet("c") == b"T05watch:%x;thread:1;" % var  # main: gdb_counter = total
    pc = board.cpu.reg("pc")
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    insn = next(md.disasm(board.read_memory(pc, 4), pc))
    assert insn.mnemonic.startswith("str"), insn  # PC at the store, which runs again on resume
    # as GDB resumes from a watchpoint: remove it, step over the store, put it back, continue
    assert client.packet(f"z2,{var:x},4") == b"OK"
    assert client.packet("s") == b"T05thread:1;"
    assert board.cpu.reg("pc") == pc + insn.size
    assert board.read_memory(var, 4) == (1).to_bytes(4, "little")  # total after square(1)
    assert client.packet(f"Z2,{var:x},4") == b"OK"
    assert client.packet("c") == b"T05watch:%x;thread:1;" % var  # the next iteration's store
    assert client.packet(f"z2,{var:x},4") == b"OK"
    assert client.packet("c") == b"W37"
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(TIMEOUT)
    result = outcome.get("result")
    assert isinstance(result, RunResult) and result.cycles == plain.cycles, outcome


def test_a_client_that_stops_reading_is_dropped(cfg: TandemConfig, elf: Path, plain: RunResult) -> None:
    board = Board.from_platform(BOARD, cfg)
    board.load_elf(elf)
    server = GdbServer(board, "127.0.0.1", 0, send_timeout=0.5)
    outcome: dict[str, object] = {}
    thread = threading.Thread(target=lambda: outcome.update(result=server.serve()), daemon=True)
    thread.start()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = b"$m20000000,1000#" + checksum(b"m20000000,1000")  # 8 KB of reply each
    try:
        for _ in range(2000):  # 16 MB of replies that are never read
            sock.sendall(request)
    except OSError:
        pass  # the server gave up on us and closed the connection
    thread.join(TIMEOUT)
    sock.close()
    assert not thread.is_alive()
    result = outcome.get("result")
    assert isinstance(result, RunResult) and (result.exit_code, result.cycles) == (55, plain.cycles), outcome


def test_ctrl_c_interrupts_a_running_core_and_kill_ends_the_run(
        cfg: TandemConfig, build: Callable[..., Path]) -> None:
    board = Board.from_platform(BOARD, cfg)
    board.load_elf(build(BOARD, "tests/runaway.c"))  # never exits
    server = GdbServer(board, "127.0.0.1", 0)
    outcome: dict[str, object] = {}

    def serve() -> None:
        try:
            outcome["result"] = server.serve()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = Client(server.port)
    assert client.packet("qRcmd," + b"cycles".hex()).startswith(b"O")
    assert client.reply() == b"OK"
    client.raw(b"$c#63")
    assert client.byte() == b"+"
    deadline = time.monotonic() + TIMEOUT
    while board.counter.cycles < 200_000 and time.monotonic() < deadline:  # running, not halted
        time.sleep(0.01)
    client.raw(b"\x03")
    assert client.reply() == b"T02thread:1;"
    out = client.packet("qRcmd," + b"cycles".hex())
    assert client.reply() == b"OK"
    cycles = int(re.search(rb"cycles: (\d+)", bytes.fromhex(out[1:].decode())).group(1))  # type: ignore[union-attr]
    assert cycles >= 200_000  # it ran between c and Ctrl-C
    time.sleep(0.2)  # halted: simulated time stands still
    assert board.counter.cycles == cycles
    client.raw(b"$k#6b")
    thread.join(TIMEOUT)
    client.sock.close()
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), DebuggerKilled), outcome


def test_gdb_port_in_use_is_a_one_line_error(elf: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        res = subprocess.run([sys.executable, "-m", "tandem.cli", "run", "--board", BOARD, "--gdb", str(port),
                              str(elf)], capture_output=True, text=True, timeout=TIMEOUT)
    assert res.returncode != 0
    assert res.stderr.strip().splitlines()[-1].startswith(f"tandem: error: gdb server: cannot listen on "
                                                          f"127.0.0.1:{port}"), res.stderr
    assert "Traceback" not in res.stderr


def test_a_fault_stops_for_gdb_then_ends_the_run(build: Callable[..., Path]) -> None:
    elf = build(BOARD, "tests/fault.c", opt="-O0")  # reads 0x70000000, where nothing is mapped
    proc, port = start_tandem(elf, "--quiet")
    try:
        out = gdb_batch(elf, port, "continue", "bt", "print/x $r3", "continue")
        _stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert "Program received signal SIGSEGV" in out, out
    assert "in read_nowhere ()" in out and "in main ()" in out, out  # the backtrace at the fault
    assert "$1 = 0x70000000" in out, out  # the faulting address, in the register it was loaded to
    assert "Program terminated with signal SIGSEGV" in out, out
    assert "tandem: error: BusFault: read of 0x70000000" in stderr, stderr
    assert "Traceback" not in stderr
    assert proc.returncode not in (0, None)


def test_breaking_in_an_interrupt_handler_and_stepping_wfi_change_nothing(
        cfg: TandemConfig, build: Callable[..., Path]) -> None:
    board_name = "stm32f4_discovery"
    elf = build(board_name, "tests/systick.c", opt="-O0")  # SysTick ticks while main sleeps in WFI
    board = Board.from_platform(board_name, cfg)
    board.load_elf(elf)
    plain = board.run()
    proc, port = start_tandem(elf, board=board_name)
    try:
        out = gdb_batch(elf, port, "break SysTick_Handler", "continue", "bt", "print ticks",
                        "continue", "print ticks", "delete", "break 25", "continue",
                        "stepi", "print $pc == &SysTick_Handler", "print ($xpsr & 0x1ff) == 15",
                        "delete", "continue")
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert re.search(r"#1  <signal handler called>\s+#2  main \(\)", out), out  # GDB unwinds the exception frame
    assert "$1 = 0" in out and "$2 = 1" in out, out
    assert "$3 = 1" in out and "$4 = 1" in out, out  # one stepi over WFI: the handler's first instruction, IPSR 15
    assert "exited normally" in out, out
    # the firmware prints the CYCCNT span of 10 ticks: the same with the debugger stopping it
    assert stdout == plain.output, (stdout, plain.output)
    m = re.search(r"exit 0; ([\d,]+) instructions, ([\d,]+) cycles", stderr)
    assert m and int(m.group(2).replace(",", "")) == plain.cycles, stderr


@pytest.mark.parametrize(("board_name", "fpu", "masks"), [
    ("generic_m0", False, ["primask"]),  # ARMv6-M: no BASEPRI, FAULTMASK (ARMv6-M ARM, B1.4)
    ("generic_m3", False, ["primask", "basepri", "faultmask"]),
    ("generic_m4", True, ["primask", "basepri", "faultmask"]),
])
def test_target_description_follows_the_core(cfg: TandemConfig, board_name: str, fpu: bool,
                                              masks: list[str]) -> None:
    import xml.etree.ElementTree as ET

    from tandem.debug.target import TargetView

    view = TargetView(Board.from_platform(board_name, cfg))
    root = ET.fromstring(view.xml().split("\n", 2)[2])  # past the XML declaration and DOCTYPE
    features = {f.get("name"): [r.get("name") for r in f] for f in root.iter("feature")}
    assert features["org.gnu.gdb.arm.m-profile"] == [*(f"r{i}" for i in range(13)), "sp", "lr", "pc", "xpsr"]
    assert features["org.gnu.gdb.arm.m-system"] == ["msp", "psp", *masks, "control"]
    if fpu:
        assert features["org.gnu.gdb.arm.vfp"] == [*(f"d{i}" for i in range(16)), "fpscr"]
    else:
        assert "org.gnu.gdb.arm.vfp" not in features
    assert [int(r.get("regnum", -1)) for r in root.iter("reg")] == list(range(len(view.regs)))


def test_gdb_host_without_gdb_is_refused(elf: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "tandem.cli", "run", "--board", BOARD, "--gdb-host", "0.0.0.0",
                          str(elf)], capture_output=True, text=True, timeout=TIMEOUT)
    assert res.returncode == 2 and res.stderr.strip() == \
        "tandem: error: --gdb-host needs --gdb PORT (the port the GDB server listens on)", res.stderr


def test_monitor_script_start_gdb_server(elf: Path, plain: RunResult, tmp_path: Path) -> None:
    """`machine StartGdbServer PORT` in a Renode monitor script: the script sets the machine up,
    tandem serves GDB where it ends, and the debugged run counts what a plain run counts."""
    script = tmp_path / "debug.resc"
    script.write_text(f'mach create "dbg"\nmachine LoadPlatformDescription @platforms/boards/{BOARD}.repl\n'
                      f"sysbus LoadELF @{elf}\nmachine StartGdbServer 0\n")
    proc = subprocess.Popen([sys.executable, "-m", "tandem.cli", "run", "--quiet", str(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    port = None
    deadline = time.monotonic() + TIMEOUT
    while port is None and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        line = proc.stderr.readline() if ready else ""
        if not line:
            break
        m = re.search(r"gdb server listening on 127\.0\.0\.1:(\d+)", line)
        port = int(m.group(1)) if m else None
    try:
        assert port is not None, proc.communicate(timeout=TIMEOUT)
        out = gdb_batch(elf, port, "break square", "continue", "print x", "delete", "continue")
        _stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert "Breakpoint 1, square (x=1)" in out, out
    assert "exited with code 067" in out, out
    assert proc.returncode == 55, stderr
    m = re.search(r"exit 55; ([\d,]+) instructions, ([\d,]+) cycles", stderr)
    assert m, stderr
    assert (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) == (plain.instructions, plain.cycles)


def test_a_read_watchpoint_on_timed_flash_stops_at_the_load(cfg: TandemConfig, build: Callable[..., Path]) -> None:
    """nucleo_l4r5zi's flash has wait states: its data loads reach the cycle counter's read
    mirror (timing/dataloads.py) instead of the flash's own address, and a read watchpoint must
    see them there too."""
    board = Board.from_platform("nucleo_l4r5zi", cfg)
    board.load_elf(build("nucleo_l4r5zi", "tests/flash_unaligned.c"))
    assert board.elf is not None and board.counter.mirror_offsets(0x08000000, 0x08000000)
    table = board.elf.all_symbols["flash_table"]
    with serving(board) as (client, outcome):
        assert client.packet(f"Z3,{table + 8:x},4") == b"OK"
        assert client.packet("c") == b"T05rwatch:%x;thread:1;" % (table + 8)  # LOAD(8)
        assert client.packet(f"z3,{table + 8:x},4") == b"OK"
        assert client.packet("c") == b"W00"  # the loads read what they should
    assert isinstance(outcome.get("result"), RunResult)


def test_a_write_watchpoint_on_a_page_the_memory_checker_guards_stops_at_the_store(
        cfg: TandemConfig, build: Callable[..., Path]) -> None:
    """The memory checker sends stores to a guarded page to its check mirror (timing/dataloads.py
    guard): a write watchpoint on an owned word of that page must see the store there too.
    tests/memcheck.c mode 4 stores host_block[3]; the guard covers host_block[0..2] only."""
    from tandem.machine.memcheck import Guard, check_memory

    board = Board.from_platform("mps2_an386", cfg)
    board.load_elf(build("mps2_an386", "tests/memcheck.c", defines={"MEMCHECK_MODE": "4"}))
    assert board.elf is not None
    block = board.elf.all_symbols["host_block"]
    checker = check_memory(board, [Guard("three words of the host's block", block, block + 12)])
    assert checker.native and board.counter.mirror_offsets(block + 12, block + 15, write=True)
    with serving(board) as (client, outcome):
        assert client.packet(f"Z2,{block + 12:x},4") == b"OK"
        assert client.packet("c") == b"T05watch:%x;thread:1;" % (block + 12)
        assert client.packet(f"z2,{block + 12:x},4") == b"OK"
        assert client.packet("c") == b"W00"  # outside the guard: no violation
    assert isinstance(outcome.get("result"), RunResult) and checker.violation is None
    assert board.read_memory(block + 12, 4) == (7).to_bytes(4, "little")  # the store went through


@pytest.mark.parametrize("board_name,where", [("mps2_an386", "ram"), ("nucleo_l4r5zi", "ram"),
                                              ("nucleo_l4r5zi", "blob")])
def test_watchpoints_on_data_read_in_it_blocks_leave_the_program_as_it_was(
        board_name: str, where: str, cfg: TandemConfig, build: Callable[..., Path]) -> None:
    """Before a memory hook Unicorn writes the IT state of the accessing instruction into the CPU
    (its cpu_restore_state), and inside an IT block that value outlived the translated block:
    the next block ran as if still in the IT block (measured, Unicorn 2.1.4: with an access
    watchpoint on the tables tests/flash_loads.c reads through `ite; ldrh...`, walk_tables read
    a wild pointer). The watch callback puts the value back (CortexM.undo_restored_it). An
    access watchpoint on byte 43 of ``ram`` or ``blob`` (flash, behind the read mirror on
    nucleo_l4r5zi) fires its hook for every access to bytes 36..43 (the hook starts 7 bytes
    early), where the first table's vtable entries are read by field_offset's ``ldrhhi``, and
    stops only at that byte (GDB-style: step over the access with the watchpoint out, put it
    back, continue); the program must still pass its own checks. Without the fix all three
    cases failed."""
    board = Board.from_platform(board_name, cfg)
    board.load_elf(build(board_name, "tests/flash_loads.c", "tests/flash_probe.S"))
    assert board.elf is not None
    last = board.elf.all_symbols[where] + 43
    stops = 0
    with serving(board) as (client, outcome):
        assert client.packet(f"Z4,{last:x},1") == b"OK"
        reply = client.packet("c")
        while reply == b"T05awatch:%x;thread:1;" % last and stops < 100:
            stops += 1  # as GDB goes on: step over the access with the watchpoint out
            assert client.packet(f"z4,{last:x},1") == b"OK"
            assert client.packet("s").startswith(b"T05")
            assert client.packet(f"Z4,{last:x},1") == b"OK"
            reply = client.packet("c")
        assert reply == b"W00", (stops, reply)
    result = outcome.get("result")
    assert isinstance(result, RunResult) and "flash loads ok" in result.output, result
    assert stops > 0
