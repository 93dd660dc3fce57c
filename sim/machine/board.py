"""A simulated board: a Cortex-M core, its memories and peripherals, built from a platform.

:class:`Board` is the public Python API::

    board = Board.from_platform("stm32f4_discovery")
    board.load_elf("hello.elf")
    result = board.run(max_cycles=10_000_000)

The run loop owns the one modelled clock (the cycle counter's): timed events (SysTick) and
cycle limits stop emulation at a block boundary (a deadline), the board does what is due
(exception entry, events), and emulation resumes. During an MMIO access the clock reads the
cycle of the accessing instruction (core/access.py). Exception entry and return are emulated
by the board's :class:`~tandem.core.exceptions.ExceptionModel` because Unicorn does not model
them; the MMIO dispatch is :class:`~tandem.machine.bus.Bus`, fault classification and reports
are in :mod:`tandem.core.faults`.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, cast

import unicorn

from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.core import cpu as C
from tandem.core.access import AccessLocator
from tandem.core.clock import CoreClock
from tandem.core.cpu import CortexM
from tandem.core.exceptions import ExceptionModel
from tandem.core.faults import classify_uc_error, cpu_exception_fault, fault_report, unmapped_mmio_fault
from tandem.core.isa_guard import IsaGuard
from tandem.core.semihosting import Semihosting
from tandem.core.spin_guard import SpinGuard
from tandem.core.traps import TrapGuard
from tandem.errors import FirmwareFault, SimulationError, UnmodelledWait
from tandem.firmware.elf import ElfImage, Symbolizer
from tandem.machine.boot import find_vector_table, place_segments
from tandem.machine.bus import Bus
from tandem.machine.console import BoardConsole
from tandem.machine.divides import DivideTimer
from tandem.machine.events import Timeline
from tandem.machine.flash import flash_memories, flash_store
from tandem.machine.guards import ccr, ccr_changed, guard_stop
from tandem.machine.idle import asleep, spinning, wake_or_lockup
from tandem.machine.limits import RunLimits
from tandem.machine.memcheck import MemoryChecker
from tandem.machine.polling import PollWatch
from tandem.machine.results import RunResult
from tandem.machine.usage import heap_bytes
from tandem.peripherals import create_peripheral
from tandem.peripherals.base import MemoryWindow, Peripheral
from tandem.peripherals.dwt import Dwt
from tandem.peripherals.nvic import CPACR, DEMCR, VTOR, Nvic
from tandem.platform.model import Platform, load_platform
from tandem.reports.profile import FunctionTable, Profile
from tandem.timing import CoreTiming, CycleCounter, MemoryTiming, core_timing, costcache
from tandem.timing.counter import RING

# The run loop stops at least every chunk to look for spinning code; the chunk doubles while
# nothing else happens (each stop costs a little host time) and shrinks back after any event.
CHUNK_MIN = 1 << 20
CHUNK_MAX = 1 << 27


class Board:
    """A board built from a platform description; see the module docstring."""

    def __init__(self, platform: Platform, config: TandemConfig | None = None,
                 exact_flash_data: bool = False) -> None:
        """``exact_flash_data`` is accepted and ignored: data loads from wait-stated memory (e.g.
        model weights in flash) are always charged their wait states or ART D-cache misses,
        see docs/timing.md."""
        self.platform = platform
        self.config = config or TandemConfig.from_env()
        self.clock = CoreClock(platform.cpu.frequency_hz)  # what the firmware configured, over time
        self.cpu = CortexM(platform.cpu.core)
        self.console = BoardConsole(keep=self.config.console_keep)
        self.notes: list[str] = list(platform.notes)  # what loading the platform assumed
        self._service: list[Peripheral] = []  # peripherals waiting for an outside driver
        self._exit_code: int | None = None
        self._pending_fault: tuple[str, str] | None = None  # (kind, detail)
        self._chunk = CHUNK_MIN
        self.chunk_max = CHUNK_MAX  # a debugger lowers it, to look for Ctrl-C often enough
        self.debugger: Callable[[], bool] | None = None  # at each stop; True: it halted the core
        self.elf: ElfImage | None = None
        self.symbols = Symbolizer([])
        self._functions: FunctionTable | None = None  # while profiling
        self._stack_top: int | None = None
        self.memcheck: MemoryChecker | None = None  # machine/memcheck.py check_memory()
        self._run_start = (0, 0, 0.0)  # cycles, instructions and host time at the run's start
        self._start_seconds = 0.0  # modelled time at the run's start

        self.flash_memories = flash_memories(platform)
        for mem in platform.memories:
            self.cpu.map_memory((mem.base, *mem.aliases), mem.size, writable=mem not in self.flash_memories)
        self.cpu.on_write_protect = lambda addr, size, value: flash_store(self, addr, size, value)  # read-only flash
        timings = [MemoryTiming(m.name, b, m.size, m.wait_states, m.accelerator,
                                *(m.art_geometry or (64, 8, 16)))
                   for m in platform.memories for b in (m.base, *m.aliases)]
        timing = core_timing(platform.cpu.cpu_type, timings, multiplier=platform.cpu.multiplier)
        timing.cost_cache = costcache.shared(self.config.cache_dir / "costs")
        self.timing = timing
        self.isa_guard = IsaGuard(timing, platform.cpu.fpu, self._fpu_enabled, self.cpu.stop)
        self.traps = TrapGuard(self.isa_guard, self.cpu.uc, timing.table.arch, lambda: ccr(self), self.cpu.stop,
                               self.config.cache_dir / "native", self.config.cc)
        self._deadline_set = 0  # the deadline the run loop set last
        # the guards stand in for the CoreTiming they wrap (they forward every other attribute)
        self.counter = CycleCounter(self.cpu.uc, cast(CoreTiming, SpinGuard(self.traps, self._spin_soon)),
                                    cache_dir=self.config.cache_dir / "native", cc=self.config.cc,
                                    host_windows=self.cpu.host_windows)
        self.divides = DivideTimer(self.cpu, timing, self.counter)  # SDIV/UDIV by their operands

        self.locator = AccessLocator(self.cpu, self.counter)
        self.bus = Bus(self.cpu, self.locator)
        self.polls = self.bus.polls = PollWatch(self.locator, self.cpu.stop)
        self.events = Timeline(self.polls.event)
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
        self.bus.map_all()
        # the parts that run on while the core sleeps (Peripheral.sleep overridden)
        self._sleepers = [p for p in self.peripherals.values() if type(p).sleep is not Peripheral.sleep]
        self.exceptions = ExceptionModel(self.cpu, self.nvic, self.counter, timing.table, platform.cpu.fpu,
                                         self._stop_fault, self.note, self._describe)
        self.exceptions.fire_events = self.events.fire
        if self.nvic is not None:
            self.nvic.fpccr_view = self.exceptions.fpccr_read
            self.nvic.on_ccr = lambda: ccr_changed(self)
        self.semihosting = Semihosting(self.cpu, self.console, self.now, self.clock,
                                       self.request_exit, self.note)
        self.cpu.hook_interrupt(self._on_interrupt)

    @classmethod
    def from_platform(cls, name: str, config: TandemConfig | None = None,
                      overlays: list[Path] | None = None, exact_flash_data: bool = False) -> Board:
        config = config or TandemConfig.from_env()
        return cls(load_platform(name, config.platforms_search, overlays), config, exact_flash_data)

    @property
    def mmio_addr(self) -> int | None:
        """The address of the MMIO access in progress, if any."""
        return self.bus.mmio_addr

    @property
    def vector_faults(self) -> bool:
        """Faults are taken by the firmware's handlers (run(vector_faults=True))."""
        return self.exceptions.vector_faults

    @vector_faults.setter
    def vector_faults(self, on: bool) -> None:
        self.exceptions.vector_faults = on

    # BoardContext --------------------------------------------------------------------------
    @property
    def cpu_hz(self) -> int:
        """The core clock now: the board file's until the firmware configures another."""
        return self.clock.hz

    def now(self) -> int:
        """The modelled cycle: during an MMIO access, that of the accessing instruction."""
        addr = self.bus.mmio_addr
        if addr is not None:
            return self.locator.now(addr)
        return self.counter.cycles

    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None:
        self.events.schedule(cycle, callback, owner)
        self._kick()

    def cancel(self, owner: object) -> None:
        self.events.cancel(owner)

    def pend_exception(self, number: int) -> None:
        if self.nvic is not None:
            self.nvic.pend(number)
            self._kick()

    def set_irq(self, line: int, level: bool) -> None:
        if self.nvic is not None:
            self.nvic.set_irq(line, level)
            if level:
                self._kick()

    def reevaluate_exceptions(self) -> None:
        """An NVIC/SCB store may have made an exception due: take it at the next block boundary."""
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
        self._deadline_set = 0

    def _spin_soon(self, addr: int, iteration: int) -> None:
        """A new block is ``b .``: stop a few iterations in (the spin check wants the counter's
        ring of recent blocks, 16, all this one)."""
        self.counter.set_deadline(min(self._deadline_set, self.counter.cycles + (RING + 2) * max(iteration, 1)))

    def _fpu_enabled(self) -> bool:
        cpacr = self.nvic.regs.get(CPACR, 0) if self.nvic is not None else 0xF << 20
        return (cpacr >> 20) & 3 != 0 and (cpacr >> 22) & 3 != 0

    def trace_enabled(self) -> bool:
        return self.nvic is None or bool(self.nvic.regs.get(DEMCR, 0) & (1 << 24))

    def set_cpu_hz(self, hz: int, reason: str) -> None:
        if hz > 0 and hz != self.cpu_hz:
            self.clock.set_hz(hz, self.now())
            self.note(reason)

    def set_flash_timing(self, memory: str, wait_states: int, accelerated: bool) -> None:
        """Applied at the next block boundary (an event now), where cached block costs go."""
        def apply(_cycle: int) -> None:
            self.timing.set_flash_timing(memory, wait_states, accelerated)
            self.counter.retime_data(self.timing)
            self.counter.invalidate()
        self.schedule(self.now(), apply, ("flash timing", memory))

    def bus_read(self, addr: int, size: int) -> int:
        return self.bus.system_read(addr, size)

    def bus_write(self, addr: int, size: int, value: int) -> None:
        self.bus.system_write(addr, size, value)

    def peripheral(self, name: str) -> Peripheral | None:
        return self.peripherals.get(name)

    def memory_windows(self) -> tuple[MemoryWindow, ...]:
        return self.cpu.memory_windows(self.timing.memory)

    # memory --------------------------------------------------------------------------------
    def read_memory(self, addr: int, size: int) -> bytes:
        return self.cpu.read(addr, size)

    def write_memory(self, addr: int, data: bytes) -> None:
        self.cpu.write(addr, data)
        self.counter.invalidate()
        self.locator.invalidate()

    def load_elf(self, path: str | Path) -> ElfImage:
        image = ElfImage.load(path)
        place_segments(self.platform, self.cpu, image)
        self.divides.load(image)
        self.elf = image
        self.symbols = image.symbols
        self.traps.forget()
        self.memcheck = MemoryChecker.drop(self.memcheck)  # the guards of the previous firmware
        self.counter.invalidate()
        self.locator.invalidate()
        return image

    # exceptions ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Take the reset exception: SP and PC from the vector table, which is found as Renode
        finds it (tandem.machine.boot: VectorTableOffset, the ELF's table, address 0); VTOR reads it."""
        boot = find_vector_table(self.platform, self.elf, self.cpu.read_u32)
        if boot.note:
            self.note(boot.note)
        if self.nvic is not None:
            self.nvic.regs[VTOR] = boot.vtor & 0xFFFFFF80
        self.exceptions.handler_since = None
        sp, pc = boot.sp, boot.pc
        self.cpu.set_reg("msp", sp)
        self.cpu.set_reg("sp", sp)
        self.cpu.set_reg("pc", pc & ~1)
        self.cpu.set_reg("lr", 0xFFFFFFFF)
        self._stack_top = sp
        self.counter.reset_stack(sp)

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
            self.exceptions.exception_return(pc | 1)
        elif intno == C.EXCP_SWI:
            self.exceptions.supervisor_call()
        else:
            self.exceptions.fault(*cpu_exception_fault(intno, pc))

    def _stop_fault(self, kind: str, detail: str) -> None:
        self._pending_fault = (kind, detail)
        self.cpu.stop()

    def _describe(self, addr: int) -> str:
        return self.symbols.describe(addr)

    # running -------------------------------------------------------------------------------
    def run(self, max_cycles: int | None = DEFAULT_MAX_CYCLES, stdin: bytes = b"",
            stream: BinaryIO | None = None, reset: bool = True, profile: bool = False,
            vector_faults: bool = False, limits: RunLimits | None = None) -> RunResult:
        """Run until the firmware exits; raises FirmwareFault or CycleLimitExceeded otherwise.

        Faults stop the run with a report. With ``vector_faults`` they are taken as on the part
        instead: CFSR/HFSR/BFAR are set and the firmware's handler runs (escalated to HardFault
        unless SHCSR enables the specific one); a fault inside HardFault is a lock-up.
        With ``profile`` the native profiling hook attributes every cycle to a function and a
        call path (``result.profile``); without it the plain hook runs at full speed. ``limits``
        adds a wall-clock limit and sets the handler limit (machine/limits.py).
        """
        steps = self.run_iter(max_cycles, stdin, stream, reset, profile, vector_faults, limits)
        try:
            periph = next(steps)
        except StopIteration as done:
            result: RunResult = done.value
            return result
        steps.close()
        raise SimulationError(
            f"{periph.name} ({periph.spec.type}) is co-simulated and needs a driver: run the board "
            "that serves it (Board.run_iter)")

    def run_iter(self, max_cycles: int | None = DEFAULT_MAX_CYCLES, stdin: bytes = b"",
                 stream: BinaryIO | None = None, reset: bool = True, profile: bool = False,
                 vector_faults: bool = False,
                 limits: RunLimits | None = None) -> Generator[Peripheral, None, RunResult]:
        """:meth:`run` as a generator: yields each peripheral that called :meth:`request_service`.

        The caller serves it (e.g. runs the RTL under cocotb) and resumes the generator with
        ``send(None)``; the generator's return value is the :class:`RunResult`.
        """
        self.vector_faults = vector_faults
        if self.elf is None:
            raise SimulationError("no firmware loaded: call load_elf() first")
        if profile:
            self._functions = FunctionTable(self.elf)
            self.counter.enable_profile(self._functions.id_of)
            self.exceptions.function_id = self._functions.id_of
        elif self._functions is not None:
            self.counter.disable_profile()
            self._functions = None
            self.exceptions.function_id = None
        self.console.stream = stream
        self.console.feed(stdin)
        self.polls.reset()  # console input
        self.polls.stuck = None
        if reset:
            self.reset()
        limit = max_cycles if max_cycles is not None else DEFAULT_MAX_CYCLES
        self._exit_code = None
        self._service.clear()
        self._run_start = (self.counter.cycles, self.counter.instructions, time.perf_counter())
        self._start_seconds = self.clock.seconds(self.counter.cycles)
        run_limits = replace(limits or RunLimits(0), cycles=self._run_start[0] + limit)
        run_limits.start()
        reason = yield from self._loop(run_limits)
        return self.result(reason)

    def result(self, stop_reason: str) -> RunResult:
        """The last run up to now; after :meth:`run` raised, what the run did until it stopped
        (the CLI prints its notes and writes it as JSON), with ``stop_reason`` as given."""
        start_cycles, start_insns, t0 = self._run_start
        wall = time.perf_counter() - t0
        profile = self._functions is not None
        if self.console.dropped:
            self.note(f"console: {self.console.dropped:,} bytes beyond the first {self.console.keep:,} per channel "
                      "were streamed, not kept (TANDEM_CONSOLE_KEEP sets the limit)")
        return RunResult(
            exit_code=self._exit_code if self._exit_code is not None else 0,
            instructions=self.counter.instructions - start_insns,
            cycles=self.counter.cycles - start_cycles,
            cpu_hz=self.cpu_hz,
            seconds=self.clock.seconds(self.counter.cycles) - self._start_seconds,
            output=self.console.out.decode("utf-8", "replace"),
            stderr=self.console.err.decode("utf-8", "replace"),
            wall_seconds=wall,
            stop_reason=stop_reason,
            board=self.platform.name,
            notes=list(self.notes),
            stack_bytes=self.stack_bytes(),
            heap_bytes=self.heap_bytes(),
            profile=self.profile() if profile else None,
        )

    # memory use and profile ----------------------------------------------------------------
    def stack_bytes(self) -> int | None:
        """The main stack's high-water mark since reset: reset SP minus the lowest SP reached."""
        low = self.counter.sp_low
        if low is None or self._stack_top is None:
            return None
        return max(0, self._stack_top - low)

    def heap_bytes(self) -> int | None:
        """Bytes the C library's _sbrk handed out (its break minus ``_end``), if it has one."""
        return heap_bytes(self.elf, self.cpu) if self.elf is not None else None

    def profile(self) -> Profile:
        """The profile since profiling was enabled (run(profile=True))."""
        if self._functions is None:
            raise SimulationError("profiling is not enabled: run(profile=True)")
        program = self.elf.path.stem if self.elf is not None else ""
        return Profile.from_tree(self.counter.call_tree(), self._functions,
                                 board=self.platform.name, program=program)

    def _deadline(self, limit: int) -> int:
        deadline = min(limit, self.counter.cycles + self._chunk)
        nxt = self.events.next_cycle()
        return deadline if nxt is None else min(deadline, nxt)

    def _loop(self, limits: RunLimits) -> Generator[Peripheral, None, str]:
        cpu, limit = self.cpu, limits.cycles
        self._chunk = CHUNK_MIN
        stuck = 0  # stops in a row that ran nothing (a guard: the loop must never spin)
        while True:
            self.counter.clear_stop()
            start_cycles = self.counter.cycles
            deadline = self._deadline(limit)
            chunk_only = deadline == start_cycles + self._chunk
            self.counter.set_deadline(deadline)
            self._deadline_set = deadline
            pc = cpu.reg("pc")
            try:
                cpu.start(pc)
                self.bus.settle()
            except unicorn.UcError as err:
                self.bus.settle()
                kind, detail, cfsr, bfar = classify_uc_error(err, cpu.last_unmapped)
                if self.exceptions.vectored(kind, detail, cfsr, bfar) and self._pending_fault is None:
                    continue
                self._raise_fault(*(self._pending_fault or (kind, detail)))
            if self._pending_fault is not None:
                self._raise_fault(*self._pending_fault)
            if guard_stop(self):
                continue
            if self.bus.error is not None:
                bus_error, self.bus.error = self.bus.error, None
                raise bus_error
            if self.polls.stuck is not None:
                cpu.set_reg("pc", self.polls.stuck.pc)
                fault = self._make_fault("Unmodelled wait", self.polls.detail(cpu.read))
                raise UnmodelledWait(fault.summary, fault.report)
            if self.isa_guard.violation is not None:
                bad, self.isa_guard.violation = self.isa_guard.violation, None
                self.counter.rewind_to(self.isa_guard.block)  # charged, but it did not run
                self.counter.invalidate()  # decode (and check) it again when it next runs
                if bad != self.isa_guard.block:  # the instructions before it in its block run first
                    cpu.set_reg("pc", self.isa_guard.block)
                    cpu.stop_before(bad, self.isa_guard.block)
                    continue
                cpu.set_reg("pc", bad)
                self.exceptions.fault(*self.isa_guard.fault())
                if self._pending_fault is not None:
                    self._raise_fault(*self._pending_fault)
                continue
            if self.bus.fault is not None:
                f, self.bus.fault = self.bus.fault, None
                insn = self.bus.fault_pc if self.bus.fault_pc is not None else cpu.reg("pc")
                cpu.set_reg("pc", insn)
                kind, detail, cfsr, bfar = unmapped_mmio_fault(f)
                if self.exceptions.vectored(kind, detail, cfsr, bfar) and self._pending_fault is None:
                    continue
                self._raise_fault(*(self._pending_fault or (kind, detail)))
            if self._exit_code is not None:
                return "exit"
            halted = self.debugger() if self.debugger is not None else False
            while self._service:
                # the driver serves it (and charges its time); then events, limits and
                # interrupts (e.g. the accelerator's) are handled as after any other stop
                yield self._service.pop(0)
            now = self.counter.cycles
            self.events.fire(now)
            limits.check(now, self.exceptions.handler_since, lambda: self.symbols.describe(cpu.reg("pc")))
            if not halted and not self.counter.deadline_hit and asleep(cpu):  # a debugger halt is no WFI
                self._wake_or_lockup(None, "sleeps (WFI)")
            elif self.counter.deadline_hit and spinning(cpu, self.counter):
                self._wake_or_lockup(limit, "spins in a loop of one branch")
            self.exceptions.deliver()
            quiet = chunk_only and self.counter.deadline_hit and not self.events
            self._chunk = min(self._chunk * 2, self.chunk_max) if quiet else CHUNK_MIN
            stuck = stuck + 1 if self.counter.cycles == start_cycles and cpu.reg("pc") == pc else 0
            if stuck > 1000:
                raise SimulationError(f"emulation makes no progress at {self.symbols.describe(pc)} "
                                      "(the emulator returns without running an instruction)")

    def _wake_or_lockup(self, limit: int | None, what: str) -> None:
        on_sleep = self._on_sleep if self._sleepers and what.startswith("sleeps") else None
        detail = wake_or_lockup(self.cpu, self.counter, self.nvic, self.exceptions, self.events, limit, what,
                                self.symbols.describe, on_sleep)
        if detail is not None:
            self._raise_fault("Lockup", detail)

    def _on_sleep(self) -> None:
        for p in self._sleepers:
            p.sleep(self.counter.cycles, self.events.next_cycle(exclude=p))

    # fault reports --------------------------------------------------------------------------
    def _raise_fault(self, kind: str, detail: str) -> None:
        raise self._make_fault(*self.exceptions.as_raised(kind, detail))

    def _make_fault(self, kind: str, detail: str) -> FirmwareFault:
        self._pending_fault = None
        return fault_report(kind, detail, self.cpu.regs(), self.symbols.describe, self.counter.cycles,
                            self.counter.instructions, self.counter.recent_blocks())
