"""A user's RTL block on the board's bus (``Tandem.RtlPeripheral``), clocked with the CPU.

The block is a Verilated model driven from C (:mod:`tandem.rtlsim`); docs/bring-your-own-
accelerator.md is the contract. Timing, on the board's one clock:

* The RTL runs at ``frequency`` (0: the CPU's clock); RTL cycle ``r`` and CPU cycle ``c`` are
  related by ``r = r0 + floor((c - c0) * f / cpu_hz)`` from an anchor re-taken when the core clock
  changes.
* A CPU load or store in the window is one bus transaction, presented to the RTL at the cycle the
  accessing instruction starts (the RTL first catches up to it; a second access of the same
  instruction, LDM/STRD, starts when the first ended). The transaction takes ``n`` RTL cycles
  (from presenting the request to the edge completing it; a slave holding its response makes
  ``n`` as long as it likes) and ends at CPU cycle ``c_end``, the first CPU cycle at or after it.
  The core's timing table already charges the access one data cycle at zero wait states, so the
  stall (wait states) is ``c_end - c - 1``. On every flavour of this module's buses a zero-wait
  slave answers in 2 RTL cycles (address, response), so it costs one wait state, as an access
  across an AHB-to-APB bridge does.
* Between accesses nothing the CPU can see changes except ``irq``, so the RTL catches up at each
  access; when ``irq`` is connected and low, a timed event every ``quantumCycles`` CPU cycles
  advances it and raises the line (at most a quantum late while the CPU runs), and when the core
  sleeps (WFI/WFE) the RTL runs ahead until ``irq`` rises, which wakes the core at exactly that
  cycle.
* An RTL at a fixed point (its whole state unchanged by an idle clock edge) skips idle cycles
  and stops the quantum events until the next access: an idle block costs nothing.
* A transaction not answered within ``timeoutCycles`` RTL cycles ends the run with an
  AcceleratorError naming the address and the bus signals; so does a sleep with nothing but
  the block to wake the core when its irq stays low for ``timeoutCycles`` RTL cycles.
* With ``memoryBus: axi4`` (``ahb``, ``wishbone``) the block's AXI4 (AHB-Lite, Wishbone)
  master reads and writes the board's memories in place: the shim gets each RAM/ROM window's
  host buffer once, here, and serves every beat in C at the wait states of the memory it
  touches (re-sent when the firmware changes the flash latency). A beat outside memory or a
  burst breaking its bus's rules ends the run with an
  AcceleratorError naming the RTL's address (exit 3), at the CPU access, quantum or sleep during
  which the RTL made it.

With :attr:`RtlPeripheral.log` set to an :class:`~tandem.accel.joblog.AccessLog`, every
transaction is appended to it as an :class:`Access` (what a report needs to tell the block's
jobs apart: :mod:`tandem.accel.joblog`).
"""
from __future__ import annotations

import shlex
from pathlib import Path

from tandem.accel.joblog import Access, AccessLog
from tandem.errors import AcceleratorError, PlatformError
from tandem.peripherals.base import BoardContext, MemoryWindow, NativeHost, Peripheral
from tandem.platform.model import PeripheralSpec
from tandem.rtlsim.fast import FastReads, Site
from tandem.rtlsim.model import ModelSpec, RtlModel, build_model
from tandem.rtlsim.ports import BUSES, MEMORY_BUSES

TYPE_NAME = "Tandem.RtlPeripheral"
RESET_CYCLES = 4
_KNOWN = frozenset({"sources", "top", "parameters", "registerBus", "memoryBus", "frequency", "resetPort",
                    "timeoutCycles", "quantumCycles"})


def _where(spec: PeripheralSpec, prop: str | None = None) -> tuple[str, int]:
    if prop is not None and prop in spec.property_lines:
        return spec.property_lines[prop]
    return spec.path, spec.line


def _error(spec: PeripheralSpec, prop: str | None, message: str) -> PlatformError:
    path, line = _where(spec, prop)
    return PlatformError(f"{spec.name}: {message}", path, line)


def _string(spec: PeripheralSpec, prop: str, default: str | None = None) -> str | None:
    value = spec.properties.get(prop, default)
    if value is not None and not isinstance(value, str):
        raise _error(spec, prop, f"{prop} must be a string, got {value!r}")
    return value


def _int(spec: PeripheralSpec, prop: str, default: int, lo: int) -> int:
    value = spec.properties.get(prop, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise _error(spec, prop, f"{prop} must be an integer >= {lo}, got {value!r}")
    return value


def model_spec(spec: PeripheralSpec) -> ModelSpec:
    """The build described by an entry's properties, validated (one-line PlatformErrors)."""
    for prop in spec.properties:
        if prop not in _KNOWN:
            raise _error(spec, prop, f"unknown property {prop!r} (known: {', '.join(sorted(_KNOWN))})")
    top = _string(spec, "top")
    if not top:
        raise _error(spec, "top", "property 'top' (the top-level module) is required")
    raw = spec.properties.get("sources")
    names = [raw] if isinstance(raw, str) else raw
    if not names or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _error(spec, "sources", "sources must be a Verilog file name or a list of them")
    base = Path(_where(spec, "sources")[0]).parent
    sources = tuple((base / str(n)).resolve() for n in names)
    bus = _string(spec, "registerBus", "axi4lite") or ""
    if bus not in BUSES:
        raise _error(spec, "registerBus", f"unknown registerBus {bus!r} (choose one of {', '.join(BUSES)})")
    memory = _string(spec, "memoryBus", "none") or ""
    if memory not in MEMORY_BUSES:
        raise _error(spec, "memoryBus", f"unknown memoryBus {memory!r} (choose one of {', '.join(MEMORY_BUSES)})")
    params: dict[str, int | str] = {}
    raw_params = spec.properties.get("parameters", [])
    items = shlex.split(raw_params) if isinstance(raw_params, str) else raw_params
    if not isinstance(items, list):
        raise _error(spec, "parameters", "parameters must be \"NAME=VALUE ...\" or a list of such strings")
    for item in items:
        name, eq, value = str(item).partition("=")
        if not eq or not name.isidentifier():
            raise _error(spec, "parameters", f"parameter {item!r} is not NAME=VALUE")
        params[name] = int(value, 0) if value.lstrip("-").isdigit() or value.startswith("0x") else value
    path, line = _where(spec)
    return ModelSpec(sources=sources, top=top, parameters=params, bus=bus, reset=_string(spec, "resetPort"),
                     where=f"{path}:{line}: {spec.name}", memory=memory)


class RtlPeripheral(Peripheral):
    """The register window of a user's RTL block; see the module docstring for its timing."""

    rtl: RtlModel

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        mspec = model_spec(spec)
        self.bus_name = mspec.bus
        self.frequency = _int(spec, "frequency", 0, 0)
        self.timeout = _int(spec, "timeoutCycles", 1_000_000, 1)
        self.quantum = _int(spec, "quantumCycles", 1000, 1)
        lib, self.ports = build_model(mspec, ctx.config.cache_dir / "rtl", ctx.config.cxx)
        self.irq_lines = [c.number for c in spec.irqs if c.target == "nvic"]
        if self.irq_lines and not self.ports.has_irq:
            raise _error(spec, None, f"{mspec.top} has no irq output for its -> nvic connection")
        self.addr_mask = (1 << self.ports.address_bits) - 1
        self.memory_bus = mspec.memory
        self._windows: tuple[MemoryWindow, ...] = ()
        self._host: NativeHost | None = None  # the bus, once it maps the library's read callback
        self._mapped: FastReads | None = None  # the model whose callback Unicorn calls
        self._binding: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
        self._last_read: tuple[int, int, int] | None = None  # (offset, size, read data) of the last read
        self._window_index: list[int] = []
        self.load_model(lib)
        self.transactions = 0
        self.log: AccessLog | None = None  # every transaction, when a report asks for them
        self.irq_level = False
        self._hz = ctx.cpu_hz
        self._cpu0 = 0  # the clock anchor: CPU cycle _cpu0 is RTL cycle _rtl0
        self._rtl0 = 0
        self._event_at: int | None = None
        self._arm(0)

    def load_model(self, lib: Path) -> None:
        """Load the block's library (another build of the same spec, e.g. a profiling one, may
        replace the first before the run starts), give it the board's memories and reset it."""
        previous: RtlModel | None = getattr(self, "rtl", None)
        if previous is not None:
            previous.close()
        self.rtl = RtlModel(lib)
        mapped = getattr(self, "_mapped", None)
        if mapped is not None:  # Unicorn calls the first model's read callback: hand reads on
            self.rtl.fast.bind(*self._binding)
            mapped.delegate(self.rtl.fast)
        if self.memory_bus != "none":
            self._windows = self.ctx.memory_windows()
            self._window_index = [self.rtl.map_memory(w.base, w.size, w.host, w.writable, w.wait_states)
                                  for w in self._windows]
        self.rtl.reset(RESET_CYCLES)

    # clocks ----------------------------------------------------------------------------------
    def _ratio(self) -> tuple[int, int]:
        """(RTL Hz, CPU Hz) now, re-anchoring the clocks when the core clock changed."""
        hz = self.ctx.cpu_hz
        if hz != self._hz:
            now = self.ctx.now()
            self._rtl0, self._cpu0 = self._rtl_at(now), now
            self._hz = hz
        return (self.frequency or hz), hz

    def _rtl_at(self, cpu: int) -> int:
        """The RTL cycle that CPU cycle ``cpu`` corresponds to."""
        f = self.frequency or self._hz
        return self._rtl0 + (cpu - self._cpu0) * f // self._hz

    def _cpu_at(self, rtl: int) -> int:
        """The first CPU cycle at which RTL cycle ``rtl`` has been reached."""
        f = self.frequency or self._hz
        return self._cpu0 + -(-(rtl - self._rtl0) * self._hz // f)

    # CPU side --------------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        self._transact(offset, False, 0, size)
        return (self.rtl.read_data >> (8 * (offset & 3))) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        lane = offset & 3
        self._transact(offset, True, (value << (8 * lane)) & 0xFFFFFFFF, size)

    def _retime(self) -> None:
        """Follow the board's wait states (the firmware may have changed the flash latency)."""
        windows = self.ctx.memory_windows()
        if windows is not self._windows:
            for index, window in zip(self._window_index, windows, strict=True):
                self.rtl.set_wait_states(index, window.wait_states)
            self._windows = windows

    def _bus_fault(self) -> None:
        """Stop the run on the memory port's bus error, naming the RTL's address."""
        message = self.rtl.mem_error()
        if message:
            raise AcceleratorError(f"{self.name}: bus error on the RTL's {self.memory_bus} memory port: {message}")

    def _transact(self, offset: int, write: bool, wdata: int, size: int) -> None:
        # the hot path of every register access (tandem bench cosim): _retime's check and the
        # clock arithmetic of _ratio/_rtl_at/_cpu_at inlined, one call into the model
        ctx, rtl = self.ctx, self.rtl
        hz = self._hz
        pending = not write and rtl.fast.pending_flag.value and rtl.fast.pending()
        if pending:  # a read the library ran (shim_fast.inc) with another outcome: finish it here
            now, start, n = pending.now, pending.start, pending.n
            rtl.read_data, rtl.response, rtl.irq, rtl.bus_error, rtl.access_beats = pending[3:]
            rtl.cycles = rtl.library_cycles()
        else:
            if self._window_index and ctx.memory_windows() is not self._windows:
                self._retime()
            if ctx.cpu_hz != hz:
                self._ratio()
                hz = self._hz
            now = ctx.now()
            start = self._rtl0 + (now - self._cpu0) * (self.frequency or hz) // hz
            if start < rtl.cycles:
                start = rtl.cycles
            strb = ((1 << size) - 1) << (offset & 3) if write else 0
            n = rtl.access(start - rtl.cycles, offset & ~3 & self.addr_mask, write, wdata, strb, self.timeout)
        if n < 0:
            kind = "write" if write else "read"
            raise AcceleratorError(
                f"{self.name}: {kind} at 0x{(self.spec.base or 0) + offset:08x} not answered after "
                f"{self.timeout} RTL cycles ({self.bus_name}: {self.rtl.bus_state()})")
        if rtl.bus_error:
            self._bus_fault()
        self.transactions += 1
        stall = self._cpu0 + -(-(start + n - self._rtl0) * hz // (self.frequency or hz)) - now - 1
        if stall > 0:
            ctx.stall(stall)
        if self.log is not None:
            self.log.append(Access(now, offset, write, wdata if write else rtl.read_data, stall if stall > 0 else 0,
                                   start + n, rtl.access_beats))
        if rtl.response:
            ctx.note(f"{self.name}: the RTL answered an access at offset 0x{offset:x} with an error "
                     f"response ({rtl.response}); tandem ignores it")
        if rtl.irq != self.irq_level:
            self._update_irq()
        if self.irq_lines and not self.irq_level and self._event_at is None:
            self._arm(now)
        if self._host is not None and not write:
            read = (offset, size, rtl.read_data)
            if read == self._last_read and not rtl.response:
                self._arm_reads(read, now, max(stall, 0))
            self._last_read = read

    # reads served by the library (rtlsim/fast.py) --------------------------------------------
    def native_read(self) -> tuple[int, int] | None:
        return self.rtl.fast.callback()

    def bind_native(self, fallback: int, window: int, host: NativeHost) -> None:
        self._host, self._mapped = host, self.rtl.fast
        self._binding = (fallback, *host.locator.counter.hot_fields(), window)
        self.rtl.fast.bind(*self._binding)

    def _arm_reads(self, read: tuple[int, int, int], now: int, stalled: int) -> None:
        """The second read in a row of one register with one result: let the library serve the
        same read by the same instruction while it keeps giving that result (see shim_fast.inc)."""
        assert self._host is not None
        locator = self._host.locator
        site = locator.site()
        if site is None or locator.counter.cycles - stalled - site[1] != now:  # the C side's `now`
            return
        offset, size, value = read
        hz = self._hz
        self.rtl.fast.arm(Site(site[0], site[1], offset, size, offset & ~3 & self.addr_mask, value,
                               int(self.rtl.irq), self._rtl0, self._cpu0, self.frequency or hz, hz, self.timeout))
        self._host.armed.append(self)

    def settle(self) -> None:
        n = self.rtl.fast.take()
        if not n:
            return
        self.rtl.cycles = self.rtl.library_cycles()
        self.transactions += n
        if self.log is not None and self._last_read is not None:  # the armed read
            offset, _size, value = self._last_read
            self.log.add_reads(offset, value, self.rtl.fast.records(n))

    # irq -------------------------------------------------------------------------------------
    def _update_irq(self) -> None:
        level = self.rtl.irq
        if level != self.irq_level:
            self.irq_level = level
            for line in self.irq_lines:
                self.ctx.set_irq(line, level)

    def _arm(self, now: int) -> None:
        """Keep a quantum event pending while an interrupt line waits for irq to rise."""
        if self.irq_lines and not self.irq_level and self._event_at is None:
            self._event_at = now + self.quantum
            self.ctx.schedule(self._event_at, self._tick, self)

    def _tick(self, cycle: int) -> None:
        self._event_at = None
        self._ratio()
        target = self._rtl_at(cycle)
        if target > self.rtl.cycles:
            if self._window_index:
                self._retime()
            self.rtl.run(target - self.rtl.cycles, stop_on_irq=True)
            if self._window_index:
                self._bus_fault()
            if self.rtl.quiet():
                self._update_irq()
                return  # at a fixed point: irq cannot change before the next access
        self._update_irq()
        self._arm(cycle)

    def _raise_irq(self, cycle: int) -> None:
        self._event_at = None
        self._update_irq()

    def sleep(self, now: int, until: int | None) -> None:
        """The core sleeps from CPU cycle ``now`` until an interrupt; ``until`` is the next other
        timed event's cycle. Run the RTL until irq rises (then wake the core at that cycle with an
        event) or until ``until`` (bounded by ``timeoutCycles`` without one)."""
        if not self.irq_lines or self.irq_level:
            return
        self.ctx.cancel(self)
        self._event_at = None
        self._ratio()
        start = max(self._rtl_at(now), self.rtl.cycles)
        limit = self._rtl_at(until) if until is not None else start + self.timeout
        if self._window_index:
            self._retime()
        self.rtl.run(max(0, limit - self.rtl.cycles), stop_on_irq=True)
        if self._window_index:
            self._bus_fault()
        if self.rtl.irq:
            self._event_at = max(now, self._cpu_at(self.rtl.cycles))
            self.ctx.schedule(self._event_at, self._raise_irq, self)
        elif until is None:
            # nothing else can wake the core: the block is the one it waits for, and it hung
            idle = "; the RTL is idle, so it never will" if self.rtl.quiet() else ""
            raise AcceleratorError(
                f"{self.name}: the CPU sleeps (WFI/WFE) at cycle {now} waiting for irq, which the RTL did not "
                f"raise within {self.timeout} RTL cycles{idle} ({self.describe()})")
        elif not self.rtl.quiet():
            self._arm(until)

    def describe(self) -> str:
        beats = f", {self.rtl.beats()} memory beats" if self._window_index else ""
        return f"{self.name}: {self.transactions} transactions{beats}, RTL at cycle {self.rtl.cycles}"


__all__ = ["RtlPeripheral", "TYPE_NAME", "model_spec"]
