"""A simulated board: a Cortex-M core, its memories and peripherals, built from a platform.

:class:`Board` is the public Python API::

    board = Board.from_platform("stm32f4_discovery")
    board.load_elf("hello.elf")
    result = board.run(max_cycles=10_000_000)

The run loop owns the one modelled clock (the cycle counter's): timed events (SysTick) and
cycle limits stop emulation at a block boundary (a deadline), the board does what is due
(exception entry, events), and emulation resumes. During an MMIO access the clock reads the
cycle of the accessing instruction (sim/access.py). Exception entry and return are emulated
here because Unicorn does not model them.
"""
from __future__ import annotations

import bisect
import struct
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import unicorn

from sim import cpu as C
from sim.access import AccessLocator
from sim.config import DEFAULT_MAX_CYCLES, TandemConfig
from sim.console import BoardConsole
from sim.cpu import CortexM
from sim.elf import ElfImage, Symbolizer
from sim.errors import CycleLimitExceeded, ElfError, FirmwareFault, SimulationError
from sim.peripherals import create_peripheral
from sim.peripherals.base import Peripheral
from sim.peripherals.dwt import Dwt
from sim.peripherals.nvic import DEMCR, Nvic
from sim.peripherals.systick import SYSTICK_EXCEPTION
from sim.platform.model import PAGE, Platform, load_platform
from sim.semihosting import Semihosting
from sim.timing import CycleCounter, MemoryTiming, core_timing

CHUNK_CYCLES = 1 << 24  # the run loop looks for spinning and limits at least this often
EXC_ENTRY_CYCLES = 12  # Cortex-M3/M4 TRM: interrupt latency with zero-wait memory
EXC_RETURN_CYCLES = 10
TAIL_CHAIN_CYCLES = 6
EXCEPTION_NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
                   11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}
_B_SELF = 0xE7FE  # "b ." in Thumb
_WFI, _WFE = 0xBF30, 0xBF20


def exception_name(number: int) -> str:
    return EXCEPTION_NAMES.get(number, f"IRQ{number - 16}" if number >= 16 else f"exception {number}")


@dataclass
class RunResult:
    """What one run produced. ``output`` is the console text (UART and semihosting)."""

    exit_code: int
    instructions: int
    cycles: int
    cpu_hz: int
    output: str
    stderr: str
    wall_seconds: float
    stop_reason: str
    board: str
    notes: list[str] = field(default_factory=list)

    @property
    def sim_seconds(self) -> float:
        return self.cycles / self.cpu_hz

    @property
    def mips(self) -> float:
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board,
            "exit_code": self.exit_code,
            "instructions": self.instructions,
            "cycles": self.cycles,
            "cpu_hz": self.cpu_hz,
            "sim_seconds": self.sim_seconds,
            "output": self.output,
            "stderr": self.stderr,
            "wall_seconds": self.wall_seconds,
            "host_mips": self.mips,
            "stop_reason": self.stop_reason,
            "notes": self.notes,
        }


class _Bus:
    """Peripheral windows mapped as MMIO pages, dispatching each access by address."""

    def __init__(self, board: "Board") -> None:
        self.board = board
        self.starts: list[int] = []
        self.windows: list[tuple[int, int, Peripheral]] = []
        self.fault: C.UnmappedAccess | None = None

    def add(self, base: int, size: int, periph: Peripheral) -> None:
        i = bisect.bisect(self.starts, base)
        self.starts.insert(i, base)
        self.windows.insert(i, (base, size, periph))

    def map_all(self, cpu: CortexM) -> None:
        spans: list[list[int]] = []
        for base, size, _ in self.windows:
            lo, hi = base & ~(PAGE - 1), (base + size + PAGE - 1) & ~(PAGE - 1)
            if spans and lo <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], hi)
            else:
                spans.append([lo, hi])
        for lo, hi in spans:
            cpu.map_mmio(lo, hi - lo, self.read, self.write)

    def find(self, addr: int) -> tuple[Peripheral, int] | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            base, size, periph = self.windows[i]
            if addr < base + size:
                return periph, addr - base
        return None

    def _miss(self, kind: str, addr: int, size: int) -> None:
        self.fault = C.UnmappedAccess(kind, addr, size)
        self.board.cpu.stop()

    def read(self, addr: int, size: int) -> int:
        hit = self.find(addr)
        if hit is None:
            self._miss("read", addr, size)
            return 0
        periph, off = hit
        self.board.mmio_addr = addr
        try:
            return periph.read(off, size)
        finally:
            self.board.mmio_addr = None

    def write(self, addr: int, size: int, value: int) -> None:
        hit = self.find(addr)
        if hit is None:
            self._miss("write", addr, size)
            return
        periph, off = hit
        self.board.mmio_addr = addr
        try:
            periph.write(off, size, value)
        finally:
            self.board.mmio_addr = None


class Board:
    """A board built from a platform description; see the module docstring."""

    def __init__(self, platform: Platform, config: TandemConfig | None = None) -> None:
        self.platform = platform
        self.config = config or TandemConfig.from_env()
        self.cpu_hz = platform.cpu.frequency_hz
        self.cpu = CortexM(platform.cpu.core)
        self.console = BoardConsole()
        self.notes: list[str] = []
        self._events: dict[object, tuple[int, Callable[[int], None]]] = {}
        self._service: list[Peripheral] = []  # peripherals waiting for an outside driver
        self._exit_code: int | None = None
        self._fault: tuple[str, str] | None = None  # (kind, detail)
        self._fp_stack: list[tuple[list[int], int]] = []
        self.elf: ElfImage | None = None
        self.symbols = Symbolizer([])

        for mem in platform.memories:
            self.cpu.map_memory((mem.base, *mem.aliases), mem.size)
        timings = [MemoryTiming(m.name, b, m.size, m.wait_states, m.accelerator)
                   for m in platform.memories for b in (m.base, *m.aliases)]
        self.counter = CycleCounter(self.cpu.uc, core_timing(platform.cpu.cpu_type, timings),
                                    cache_dir=self.config.cache_dir / "native")

        self.locator = AccessLocator(self.cpu, self.counter)
        self.mmio_addr: int | None = None
        self.bus = _Bus(self)
        self.nvic: Nvic | None = None
        self.dwt: Dwt | None = None
        self.peripherals: dict[str, Peripheral] = {}
        for spec in platform.peripherals:
            periph = create_peripheral(spec, self, platform.cpu.core)
            if periph is None:
                continue
            self.peripherals[spec.name] = periph
            if isinstance(periph, Nvic):
                self.nvic = periph
            if isinstance(periph, Dwt):
                self.dwt = periph
            if spec.base is not None:
                self.bus.add(spec.base, spec.size, periph)
        self.bus.map_all(self.cpu)
        self.semihosting = Semihosting(self.cpu, self.console, self.now, self.cpu_hz,
                                       self.request_exit, self.note)
        self.cpu.hook_interrupt(self._on_interrupt)

    @classmethod
    def from_platform(cls, name: str, config: TandemConfig | None = None,
                      overlays: list[Path] | None = None) -> "Board":
        config = config or TandemConfig.from_env()
        return cls(load_platform(name, config.platforms_dir, overlays), config)

    # BoardContext --------------------------------------------------------------------------
    def now(self) -> int:
        """The modelled cycle: during an MMIO access, that of the accessing instruction."""
        if self.mmio_addr is not None:
            return self.locator.now(self.mmio_addr)
        return self.counter.cycles

    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None:
        self._events[owner] = (cycle, callback)
        self._kick()

    def cancel(self, owner: object) -> None:
        self._events.pop(owner, None)

    def pend_exception(self, number: int) -> None:
        if self.nvic is not None:
            self.nvic.pend(number)
            self._kick()

    def set_irq(self, line: int, level: bool) -> None:
        if self.nvic is not None:
            self.nvic.set_irq(line, level)
            if level:
                self._kick()

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def stall(self, cycles: int) -> None:
        self.counter.add(cycles)

    def request_service(self, periph: Peripheral) -> None:
        """Stop at the next block boundary and hand ``periph`` to the driver of :meth:`run_iter`.

        For models whose work happens outside the emulator (an RTL accelerator under cocotb):
        the instructions left in the current block run, then the CPU waits while the driver
        serves the peripheral (which charges the time it took with ``counter.add``).
        """
        if periph not in self._service:
            self._service.append(periph)
        self._kick()

    def request_exit(self, code: int) -> None:
        self._exit_code = code
        self.cpu.stop()

    def _kick(self) -> None:
        """Stop at the next block boundary so the run loop sees new events or exceptions."""
        self.counter.set_deadline(0)

    def trace_enabled(self) -> bool:
        return self.nvic is None or bool(self.nvic.regs.get(DEMCR, 0) & (1 << 24))

    # memory --------------------------------------------------------------------------------
    def read_memory(self, addr: int, size: int) -> bytes:
        return self.cpu.read(addr, size)

    def write_memory(self, addr: int, data: bytes) -> None:
        self.cpu.write(addr, data)
        self.counter.invalidate()
        self.locator.invalidate()

    def load_elf(self, path: str | Path) -> ElfImage:
        image = ElfImage.load(path)
        for seg in image.segments:
            end = seg.address + len(seg.data)
            if not any(b <= seg.address and end <= b + m.size
                       for m in self.platform.memories for b in (m.base, *m.aliases)):
                mems = ", ".join(f"{m.name} 0x{m.base:08x}-0x{m.end - 1:08x}" for m in self.platform.memories)
                raise ElfError(
                    f"{image.path}: segment 0x{seg.address:08x}-0x{end - 1:08x} does not fit in any "
                    f"memory of board {self.platform.name} ({mems})"
                )
            self.cpu.write(seg.address, seg.data)
        self.elf = image
        self.symbols = image.symbols
        self.counter.invalidate()
        self.locator.invalidate()
        return image

    # exceptions ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Take the reset exception: SP and PC from the vector table at address 0 (VTOR=0)."""
        if not self.cpu.is_mapped(0):
            raise SimulationError(f"board {self.platform.name} has no memory at 0x00000000 for the vector table")
        sp, pc = self.cpu.read_u32(0), self.cpu.read_u32(4)
        if not pc & 1:
            raise FirmwareFault(
                f"reset vector 0x{pc:08x} has bit 0 clear (not a Thumb address): is a vector table at the "
                f"boot address of {self.platform.name}?")
        self.cpu.set_reg("msp", sp)
        self.cpu.set_reg("sp", sp)
        self.cpu.set_reg("pc", pc & ~1)
        self.cpu.set_reg("lr", 0xFFFFFFFF)

    def _enter_exception(self, number: int, tail_chain: bool = False) -> None:
        assert self.nvic is not None
        cpu = self.cpu
        ipsr = cpu.reg("xpsr") & 0x1FF
        control = cpu.reg("control")
        use_psp = ipsr == 0 and bool(control & 2)
        if not tail_chain:
            sp = cpu.reg("sp")
            xpsr = cpu.reg("xpsr")
            pad = sp & 4
            sp = (sp - pad) - 32
            if pad:
                xpsr |= 1 << 9
            ret = cpu.reg("pc")
            frame = [cpu.reg(r) for r in ("r0", "r1", "r2", "r3", "r12", "lr")] + [ret & ~1, xpsr]
            try:
                cpu.write(sp, struct.pack("<8I", *frame))
            except unicorn.UcError:
                self._stop_fault("HardFault", f"stacking for {exception_name(number)} failed: SP 0x{sp:08x} is not in RAM")
                return
            if self.platform.cpu.fpu:
                self._fp_stack.append(cpu.fp_state())
            if use_psp:
                cpu.set_reg("psp", sp)
                cpu.set_reg("control", control & ~2)
            else:
                cpu.set_reg("sp", sp)
            exc_return = 0xFFFFFFF1 if ipsr else (0xFFFFFFFD if use_psp else 0xFFFFFFF9)
            cpu.set_reg("lr", exc_return)
        handler = cpu.read_u32(self.nvic.vtor + 4 * number)
        self.nvic.activate(number)
        cpu.set_reg("xpsr", (cpu.reg("xpsr") & ~0x1FF) | number)
        cpu.set_reg("pc", handler & ~1)
        self.counter.add(TAIL_CHAIN_CYCLES if tail_chain else EXC_ENTRY_CYCLES)

    def _exception_return(self, exc_return: int) -> None:
        assert self.nvic is not None
        cpu = self.cpu
        returning = self.nvic.deactivate()
        if returning is None:
            self._stop_fault("UsageFault", f"exception return (EXC_RETURN 0x{exc_return:08x}) with no active exception")
            return
        due = self.nvic.next_due(bool(cpu.reg("primask")), cpu.reg("basepri"))
        if due is not None:
            # tail-chain: the stacked frame stays; the next handler returns through it
            cpu.set_reg("lr", exc_return)
            self._enter_exception(due, tail_chain=True)
            return
        use_psp = bool(exc_return & 4)
        sp = cpu.reg("psp") if use_psp else cpu.reg("msp")
        r0, r1, r2, r3, r12, lr, pc, xpsr = struct.unpack("<8I", cpu.read(sp, 32))
        sp += 32 + (4 if xpsr & (1 << 9) else 0)
        for name, value in zip(("r0", "r1", "r2", "r3", "r12", "lr"), (r0, r1, r2, r3, r12, lr)):
            cpu.set_reg(name, value)
        if self._fp_stack:
            cpu.set_fp_state(self._fp_stack.pop())
        if use_psp:
            cpu.set_reg("control", cpu.reg("control") | 2)
            cpu.set_reg("psp", sp)
            cpu.set_reg("sp", sp)
        else:
            cpu.set_reg("msp", sp)
            cpu.set_reg("sp", sp)
        cpu.set_reg("xpsr", xpsr & ~(1 << 9))
        cpu.set_reg("pc", pc & ~1)
        self.counter.add(EXC_RETURN_CYCLES)

    def _on_interrupt(self, intno: int) -> None:
        cpu = self.cpu
        pc = cpu.reg("pc")
        if intno == C.EXCP_BKPT:
            if cpu.read(pc, 2) == b"\xab\xbe":
                self.semihosting.call()
                cpu.set_reg("pc", pc + 2)
                if self._exit_code is not None:
                    cpu.stop()
                return
            self._stop_fault("DebugMonitor", f"BKPT 0x{cpu.read(pc, 1)[0]:02x} with no debugger attached")
        elif intno == C.EXCP_EXCEPTION_EXIT:
            self._exception_return(pc | 1)
        elif intno == C.EXCP_SWI:
            if self.nvic is None:
                self._stop_fault("UsageFault", "SVC with no NVIC on the board")
            else:
                self._enter_exception(11)
        elif intno == C.EXCP_UDEF:
            self._stop_fault("UsageFault", "UNDEFINSTR: undefined instruction")
        elif intno == C.EXCP_NOCP:
            self._stop_fault("UsageFault", "NOCP: coprocessor (FPU) instruction with the coprocessor disabled or absent")
        elif intno == C.EXCP_INVSTATE:
            self._stop_fault("UsageFault", "INVSTATE: branch to an ARM-state address (bit 0 clear)")
        elif intno == C.EXCP_UNALIGNED:
            self._stop_fault("UsageFault", "UNALIGNED: unaligned access")
        elif intno == C.EXCP_DIVBYZERO:
            self._stop_fault("UsageFault", "DIVBYZERO: division by zero")
        elif intno in (C.EXCP_PREFETCH_ABORT, C.EXCP_DATA_ABORT):
            self._stop_fault("BusFault", "bus error")
        else:
            self._stop_fault("HardFault", f"CPU exception {intno}")

    def _stop_fault(self, kind: str, detail: str) -> None:
        self._fault = (kind, detail)
        self.cpu.stop()

    # running -------------------------------------------------------------------------------
    def run(self, max_cycles: int | None = DEFAULT_MAX_CYCLES, stdin: bytes = b"",
            stream: BinaryIO | None = None, reset: bool = True) -> RunResult:
        """Run until the firmware exits; raises FirmwareFault or CycleLimitExceeded otherwise."""
        steps = self.run_iter(max_cycles, stdin, stream, reset)
        try:
            periph = next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        steps.close()
        raise SimulationError(
            f"{periph.name} ({periph.spec.type}) is co-simulated and needs a driver: run the board "
            "with sim.cosim.run_with_accel (tandem run --accel)")

    def run_iter(self, max_cycles: int | None = DEFAULT_MAX_CYCLES, stdin: bytes = b"",
                 stream: BinaryIO | None = None,
                 reset: bool = True) -> Generator[Peripheral, None, RunResult]:
        """:meth:`run` as a generator: yields each peripheral that called :meth:`request_service`.

        The caller serves it (e.g. runs the RTL under cocotb) and resumes the generator with
        ``send(None)``; the generator's return value is the :class:`RunResult`.
        """
        if self.elf is None:
            raise SimulationError("no firmware loaded: call load_elf() first")
        self.console.stream = stream
        self.console.feed(stdin)
        if reset:
            self.reset()
        limit = max_cycles if max_cycles is not None else DEFAULT_MAX_CYCLES
        self._exit_code = None
        self._service.clear()
        start_cycles = self.counter.cycles
        start_insns = self.counter.instructions
        t0 = time.perf_counter()
        reason = yield from self._loop(start_cycles + limit)
        wall = time.perf_counter() - t0
        return RunResult(
            exit_code=self._exit_code if self._exit_code is not None else 0,
            instructions=self.counter.instructions - start_insns,
            cycles=self.counter.cycles - start_cycles,
            cpu_hz=self.cpu_hz,
            output=self.console.out.decode("utf-8", "replace"),
            stderr=self.console.err.decode("utf-8", "replace"),
            wall_seconds=wall,
            stop_reason=reason,
            board=self.platform.name,
            notes=list(self.notes),
        )

    def _deadline(self, limit: int) -> int:
        deadline = min(limit, self.counter.cycles + CHUNK_CYCLES)
        for cycle, _cb in self._events.values():
            deadline = min(deadline, cycle)
        return deadline

    def _loop(self, limit: int) -> Generator[Peripheral, None, str]:
        cpu = self.cpu
        while True:
            self.counter.clear_stop()
            self.counter.set_deadline(self._deadline(limit))
            pc = cpu.reg("pc")
            try:
                cpu.start(pc)
            except unicorn.UcError as err:
                self._raise_fault_from(err)
            if self._fault is not None:
                self._raise_fault(*self._fault)
            if self.bus.fault is not None:
                f, self.bus.fault = self.bus.fault, None
                self._raise_fault("BusFault", f"{f.kind} of 0x{f.addr:08x} ({f.size} bytes): no peripheral or memory there")
            if self._exit_code is not None:
                return "exit"
            while self._service:
                # the driver serves it (and charges its time); then events, limits and
                # interrupts (e.g. the accelerator's) are handled as after any other stop
                yield self._service.pop(0)
            now = self.counter.cycles
            self._fire_events(now)
            if now >= limit:
                raise CycleLimitExceeded(
                    f"cycle limit reached: {limit:,} cycles without the firmware exiting "
                    f"(PC {self.symbols.describe(cpu.reg('pc'))}); raise --max-cycles if this is expected"
                )
            if not self.counter.deadline_hit:
                self._after_unexplained_stop()
            elif self._spinning():
                self._fast_forward_or_lockup(limit, "spins in a loop of one branch")
            self._deliver()

    def _fire_events(self, now: int) -> None:
        for owner, (cycle, callback) in sorted(self._events.items(), key=lambda kv: kv[1][0]):
            if cycle <= now:
                self._events.pop(owner, None)
                callback(cycle)

    def _deliver(self) -> None:
        if self.nvic is None:
            return
        due = self.nvic.next_due(bool(self.cpu.reg("primask")), self.cpu.reg("basepri"))
        if due is not None:
            self._enter_exception(due)

    def _after_unexplained_stop(self) -> None:
        """Unicorn returned by itself: the core executed WFI/WFE and is asleep."""
        pc = self.cpu.reg("pc")
        before = struct.unpack("<H", self.cpu.read(pc - 2, 2))[0] if pc >= 2 else 0
        if before in (_WFI, _WFE):
            self._fast_forward_or_lockup(None, "sleeps (WFI)")

    def _spinning(self) -> bool:
        recent = self.counter.recent_blocks()
        if len(recent) < 4 or len(set(recent)) != 1:
            return False
        addr = recent[-1]
        try:
            return struct.unpack("<H", self.cpu.read(addr, 2))[0] == _B_SELF
        except unicorn.UcError:
            return False

    def _fast_forward_or_lockup(self, limit: int | None, what: str) -> None:
        """Skip to the next timed event if it can wake the core; if none can: lock-up."""
        assert self.nvic is not None or not self._events
        primask, basepri = bool(self.cpu.reg("primask")), self.cpu.reg("basepri")
        if self.nvic is not None and self.nvic.next_due(primask, basepri) is not None:
            return
        # The timed events raise SysTick; sleeping or spinning ends only if it can preempt.
        wakeable = self.nvic is not None and self.nvic.priority(SYSTICK_EXCEPTION) < self.nvic.current_priority(primask, basepri)
        if self._events and (wakeable or what.startswith("sleeps")):
            nxt = min(c for c, _ in self._events.values())
            if limit is not None:
                nxt = min(nxt, limit)
            if nxt > self.counter.cycles:
                self.counter.add(nxt - self.counter.cycles)
            self._fire_events(self.counter.cycles)
            if wakeable:
                return
        pc = self.cpu.reg("pc")
        context = ""
        if self.nvic is not None and self.nvic.active:
            context = f" inside the {exception_name(self.nvic.active[-1])} handler"
        self._raise_fault("Lockup", f"the CPU {what} at {self.symbols.describe(pc)}{context} "
                                    "and no interrupt can end it")

    # fault reports --------------------------------------------------------------------------
    def _raise_fault_from(self, err: unicorn.UcError) -> None:
        access = self.cpu.last_unmapped
        if access is not None:
            kind = "HardFault" if access.kind == "fetch" else "BusFault"
            if "read-only" in access.kind:
                detail = f"{access.kind} at 0x{access.address:08x} ({access.size} bytes)"
            else:
                detail = (f"{access.kind} of 0x{access.address:08x} ({access.size} bytes): "
                          "no memory or peripheral mapped there")
            raise self._make_fault(kind, detail)
        if err.errno == unicorn.UC_ERR_INSN_INVALID:
            raise self._make_fault("UsageFault", "UNDEFINSTR: undefined instruction")
        raise self._make_fault("HardFault", f"emulation stopped: {err}")

    def _raise_fault(self, kind: str, detail: str) -> None:
        raise self._make_fault(kind, detail)

    def _make_fault(self, kind: str, detail: str) -> FirmwareFault:
        self._fault = None
        regs = self.cpu.regs()
        sym = self.symbols.describe
        lines = [f"  PC   {sym(regs['pc'])}", f"  LR   {sym(regs['lr'])}"]
        names = [n for n in C.GPRS if n not in ("pc", "lr")] + ["xpsr", "primask", "control"]
        row = []
        for i, n in enumerate(names):
            row.append(f"{n:>7}=0x{regs[n]:08x}")
            if len(row) == 4 or i == len(names) - 1:
                lines.append(" ".join(row))
                row = []
        lines.append(f"  cycles {self.counter.cycles:,}  instructions {self.counter.instructions:,}")
        recent = self.counter.recent_blocks()[-8:]
        if recent:
            lines.append("  last blocks (oldest first):")
            lines.extend(f"    {sym(a)}" for a in recent)
        summary = f"{kind}: {detail} at {sym(regs['pc'])}"
        return FirmwareFault(summary, "\n".join(lines))
