"""The RTL convolution accelerator as a board peripheral (``Tandem.ConvAccelerator``).

The model keeps the CPU-visible side of ``rtl/tandem_conv_accel.v``: the register file of
:mod:`tandem.accel.regmap` (configuration registers read back masked to their fields, as the RTL
does; ID/VERSION/CAPS* from the platform's parameters), STATUS and the cycle counters of the last
run. The run itself is not modelled here: writing START (when idle) makes the register snapshot
a pending job and asks the board for service (:meth:`Board.request_service`); a co-simulation
driver (:mod:`tandem.cosim`) runs the RTL under cocotb, charges the stall to the board's clock and
calls :meth:`ConvAccelerator.complete`. Between START and that moment (the rest of the CPU's
current basic block) STATUS reads BUSY, as on the hardware.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tandem.accel.regmap import ACCEL_ID, ACCEL_VERSION, REGISTERS
from tandem.errors import PlatformError
from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

TYPE_NAME = "Tandem.ConvAccelerator"
BUSY, DONE, ERROR = 1, 2, 4
COUNTERS = ("CYCLES", "COMPUTE_CYCLES", "MAC_CYCLES", "LOAD_CYCLES", "STORE_CYCLES")

_IDX: Mapping[str, int] = MappingProxyType({r.name: r.index for r in REGISTERS})


def _rw_masks() -> dict[int, int]:
    """The bits each writable register implements (all 32 when it has no fields)."""
    masks = {}
    for r in REGISTERS:
        if r.access == "RW":
            bits = 0
            for f in r.fields:
                bits |= f.mask
            masks[r.index] = bits if r.fields else 0xFFFFFFFF
    return masks


_RW_MASK: Mapping[int, int] = MappingProxyType(_rw_masks())
# Reset values of the RW registers, as the RTL's reset sets them (dilation 1, activation -128..127).
RESET_VALUES: Mapping[str, int] = MappingProxyType({"DILATION": 0x0101, "ACT_MIN": 0xFFFFFF80, "ACT_MAX": 127})


@dataclass(frozen=True)
class AccelParams:
    """The accelerator's build parameters and bus/clock model, from its platform entry."""

    rows: int
    cols: int
    input_buffer_words: int
    filter_buffer_words: int
    output_buffer_words: int
    max_out_channels: int
    frequency_hz: int  # 0: the CPU's clock
    bus_width: int
    bus_wait_states: int
    bus_read_latency: int
    register_wait_states: int
    timeout_cycles: int
    test_stall_after_reads: int  # fault injection for tests: memory stops answering (0 = off)

    @classmethod
    def from_spec(cls, spec: PeripheralSpec) -> AccelParams:
        def num(key: str, default: int | None = None, lo: int = 0, hi: int = 1 << 32) -> int:
            value = spec.properties.get(key, default)
            if value is None:
                raise PlatformError(f"{spec.name}: property {key!r} is required", spec.path, spec.line)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise PlatformError(f"{spec.name}: {key} must be an integer in {lo}..{hi}, got {value!r}",
                                    spec.path, spec.line)
            return value

        def pow2(key: str, lo: int) -> int:
            value = num(key, lo=lo, hi=128)
            if value & (value - 1):
                raise PlatformError(f"{spec.name}: {key} must be a power of two >= {lo}, got {value}",
                                    spec.path, spec.line)
            return value

        params = cls(
            rows=pow2("rows", 2), cols=pow2("cols", 4),
            input_buffer_words=num("inputBufferWords", 1024, 2, 1 << 16),
            filter_buffer_words=num("filterBufferWords", 256, 2, 1 << 16),
            output_buffer_words=num("outputBufferWords", 1024, 2, 1 << 16),
            max_out_channels=num("maxOutChannels", 64, 4, 4096),
            frequency_hz=num("frequency", 0),
            bus_width=num("busWidth", 4),
            bus_wait_states=num("busWaitStates", 0, 0, 15),
            bus_read_latency=num("busReadLatency", 0, 0, 15),
            register_wait_states=num("registerWaitStates", 1, 0, 1000),
            timeout_cycles=num("timeoutCycles", 20_000_000, 1),
            test_stall_after_reads=num("testStallAfterReads", 0),
        )
        if params.bus_width != 4:
            raise PlatformError(f"{spec.name}: busWidth {params.bus_width}: the engine's memory port "
                                "is 32 bits wide (busWidth: 4)", spec.path, spec.line)
        if params.max_out_channels % params.rows or params.max_out_channels < 2 * params.rows:
            raise PlatformError(f"{spec.name}: maxOutChannels must be a multiple of rows and at least "
                                f"2*rows ({2 * params.rows})", spec.path, spec.line)
        return params

    def rtl_parameters(self) -> dict[str, int]:
        """Verilog parameters of the engine."""
        return {"PO": self.rows, "PI": self.cols, "IBUF_WORDS": self.input_buffer_words,
                "WBUF_WORDS": self.filter_buffer_words, "OBUF_WORDS": self.output_buffer_words,
                "MAX_OC": self.max_out_channels}

    def stall_cycles(self, accel_cycles: int, cpu_hz: int) -> int:
        """CPU cycles spent waiting for ``accel_cycles`` of the accelerator's clock (rounded up)."""
        hz = self.frequency_hz or cpu_hz
        return -(-accel_cycles * cpu_hz // hz)


@dataclass
class JobStats:
    """What one accelerator run did, for the run report."""

    index: int
    start_cycle: int  # board cycle at which the CPU stalled for it
    status: int
    error_code: int
    accel_cycles: int
    stall_cycles: int
    counters: dict[str, int]
    bytes_in: int
    bytes_out: int
    mem_reads: int
    mem_writes: int
    useful_macs: int
    mac_utilisation: float  # useful MACs / (rows*cols*CYCLES)
    compute_utilisation: float  # useful MACs / (rows*cols*COMPUTE_CYCLES)
    wall_seconds: float
    overhead_seconds: float  # wall time outside the RTL simulator's own run
    rtl_seconds: float  # wall time of the simulator from the job's hand-over to seq_done
    registers: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class ConvAccelerator(Peripheral):
    """Register file of the accelerator; runs are served by a co-simulation driver."""

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.params = AccelParams.from_spec(spec)
        self.regs: dict[int, int] = {r.index: RESET_VALUES.get(r.name, 0) for r in REGISTERS
                                     if r.index in _RW_MASK}
        self.status = 0
        self.counters = {name: 0 for name in COUNTERS}
        self.pending = False
        self.jobs: list[JobStats] = []
        self.irq_lines = [c.number for c in spec.irqs if c.target == "nvic"]

    # CPU side -------------------------------------------------------------------------------
    def _wait(self) -> None:
        if self.params.register_wait_states:
            self.ctx.stall(self.params.register_wait_states)

    def read(self, offset: int, size: int) -> int:
        self._wait()
        index = offset >> 2
        value = self._read_index(index)
        shift = 8 * (offset & 3)
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def _read_index(self, index: int) -> int:
        p = self.params
        if index == _IDX["ID"]:
            return ACCEL_ID
        if index == _IDX["VERSION"]:
            return ACCEL_VERSION
        if index == _IDX["CAPS"]:
            return p.rows | (p.cols << 8) | (p.max_out_channels << 16)
        if index == _IDX["CAPS_IBUF"]:
            return p.input_buffer_words
        if index == _IDX["CAPS_WBUF"]:
            return p.filter_buffer_words
        if index == _IDX["CAPS_OBUF"]:
            return p.output_buffer_words
        if index == _IDX["STATUS"]:
            return BUSY if self.pending else self.status
        for name in COUNTERS:
            if index == _IDX[name]:
                return self.counters[name]
        return self.regs.get(index, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        self._wait()
        if offset & 3 or size != 4:
            self.ctx.note(f"{self.name}: {size}-byte write at offset 0x{offset:x} ignored "
                          "(registers take aligned 32-bit writes)")
            return
        index = offset >> 2
        if self.pending:
            return  # the RTL ignores configuration writes and START while busy
        if index == _IDX["CTRL"]:
            if value & 1:
                self.pending = True
                self.status = BUSY
                for line in self.irq_lines:
                    self.ctx.set_irq(line, False)
                self.ctx.request_service(self)
            return
        if index in _RW_MASK:
            self.regs[index] = value & _RW_MASK[index]

    # driver side ----------------------------------------------------------------------------
    def register_values(self) -> dict[str, int]:
        """The configuration registers, by name, as the RTL will see them."""
        return {r.name: self.regs[r.index] for r in REGISTERS if r.index in _RW_MASK}

    def complete(self, stats: JobStats) -> None:
        """Record a finished (or refused) run: STATUS, counters, interrupt."""
        self.pending = False
        self.status = stats.status & ~BUSY
        self.counters = {name: stats.counters.get(name, 0) for name in COUNTERS}
        self.jobs.append(stats)
        if self.status & (DONE | ERROR):
            for line in self.irq_lines:
                self.ctx.set_irq(line, True)

    def describe_registers(self) -> str:
        rows = []
        for r in REGISTERS:
            rows.append(f"{r.name:>15} = 0x{self._read_index(r.index):08x}")
        return "\n".join("  " + "  ".join(rows[i:i + 3]) for i in range(0, len(rows), 3))


__all__ = ["AccelParams", "ConvAccelerator", "JobStats", "RESET_VALUES", "TYPE_NAME"]
