"""Serving the accelerator peripheral's runs with the RTL, inside the cocotb simulator process.

:class:`RtlBridge` owns ``tb_accel_bridge`` (the engine plus a stand-in memory, see
rtl/bridge/tb_accel_bridge.v). For each START the board reports, :meth:`RtlBridge.serve`:

1. plans the memory regions the registers point at (:func:`plan_regions`), merges overlapping
   ones and places them in the testbench memory at the same address modulo 16, so the engine's
   alignment-dependent paths and cycle counts are those of the real addresses;
2. writes those regions, read from the board's memory, to a hex file, and hands the wrapper's
   job sequencer the changed configuration registers (address registers translated): it loads
   the file (``$readmemh``), writes the registers and START through the engine's register
   interface, waits for ``irq``, reads STATUS and the cycle counters back the same way and dumps
   the output region (``$writememh``);
3. awaits the sequencer's ``seq_done`` once, under cocotb's C clock (no Python per cycle, one
   await per run), stopping a run that has not finished after the platform's ``timeoutCycles``
   with an :class:`AcceleratorError` that reports the registers and the last transactions;
4. copies the output region back into the board's memory, charges the stall (CYCLES scaled by
   the clock ratio) to the board's clock and completes the peripheral.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge, SimTimeoutError, with_timeout

from tandem.accel.regmap import REG_BY_NAME, REGISTERS
from tandem.errors import AcceleratorError
from tandem.peripherals.conv_accel import (
    BUSY,
    DONE,
    ERROR,
    RESET_VALUES,
    AccelParams,
    ConvAccelerator,
    JobStats,
)

CLOCK_NS = 10
ALIGN = 16  # placements keep the address modulo this
ADDRESS_REGS = ("IN_ADDR", "FILTER_ADDR", "BIAS_ADDR", "MULT_ADDR", "SHIFT_ADDR", "OUT_ADDR")


def mem_words(params: AccelParams) -> int:
    """Testbench memory size (words): room for the largest job the buffers admit, power of two."""
    need = (params.input_buffer_words * params.cols
            + params.filter_buffer_words * params.rows * params.cols
            + 12 * params.max_out_channels
            + params.output_buffer_words * params.max_out_channels + 8 * ALIGN)
    words = 1024
    while 4 * words < need:
        words *= 2
    return words


@dataclass(frozen=True)
class Region:
    """Bytes the engine reads (or writes, for ``output``) during a run."""

    reg: str  # the address register
    addr: int
    size: int
    output: bool = False


@dataclass(frozen=True)
class Span:
    """A merged board address range and where it sits in the testbench memory."""

    addr: int
    end: int
    tb: int  # testbench byte address of ``addr`` (same value modulo ALIGN)


@dataclass(frozen=True)
class JobPlan:
    """Everything about a configuration that does not depend on the memory's contents."""

    regions: list[Region]
    left_out: list[str]
    spans: list[Span]
    macs: int
    rtl_values: dict[str, int]  # register values for the RTL (addresses translated)
    out_region: Region | None
    out_span: Span | None
    dump: tuple[int, int, int]  # dump_en, dump_lo, dump_hi

    def describe(self) -> str:
        return ", ".join(f"{r.reg} 0x{r.addr:08x}+{r.size}" for r in self.regions)


def _fields(regs: dict[str, int], name: str) -> dict[str, int]:
    return {f.name: (regs.get(name, 0) & f.mask) >> f.lsb for f in REG_BY_NAME[name].fields}


def plan_regions(regs: dict[str, int], params: AccelParams) -> tuple[list[Region], list[str]]:
    """The operand and output regions of a configuration, and the ones left out (and why).

    A region larger than the buffer it fills can only belong to a configuration the engine
    refuses before touching memory, so it is left out rather than copied; the bridge checks
    after the run that the engine indeed did not touch it.
    """
    ih, iw = _fields(regs, "IN_HW")["H"], _fields(regs, "IN_HW")["W"]
    ic, oc = regs.get("IN_C", 0) & 0xFFFF, regs.get("OUT_C", 0) & 0xFFFF
    oh, ow = _fields(regs, "OUT_HW")["H"], _fields(regs, "OUT_HW")["W"]
    k = _fields(regs, "KERNEL")
    pstride = regs.get("OUT_PSTRIDE", 0)
    sizes = {
        "IN_ADDR": (ih * iw * ic, params.input_buffer_words * params.cols),
        "FILTER_ADDR": (oc * k["KH"] * k["KW"] * ic,
                        params.filter_buffer_words * params.rows * params.cols),
        "BIAS_ADDR": (4 * oc, 4 * params.max_out_channels),
        "MULT_ADDR": (4 * oc, 4 * params.max_out_channels),
        "SHIFT_ADDR": (4 * oc, 4 * params.max_out_channels),
        "OUT_ADDR": ((oh * ow - 1) * pstride + oc if oh * ow and oc else 0,
                     params.output_buffer_words * max(pstride, 1)),
    }
    regions, left_out = [], []
    for reg in ADDRESS_REGS:
        size, bound = sizes[reg]
        addr = regs.get(reg, 0)
        if size <= 0 or size > bound or addr + size > 1 << 32:
            left_out.append(f"{reg} 0x{addr:08x}+{size}")
            continue
        regions.append(Region(reg, addr, size, reg == "OUT_ADDR"))
    return regions, left_out


def place(regions: list[Region], capacity: int) -> list[Span]:
    """Merge overlapping regions and pack them into ``capacity`` bytes, keeping addr % ALIGN."""
    merged: list[list[int]] = []
    for r in sorted(regions, key=lambda r: r.addr):
        lo, hi = r.addr & ~3, (r.addr + r.size + 3) & ~3
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    spans, cursor = [], 0
    for lo, hi in merged:
        tb = cursor + ((lo - cursor) % ALIGN)
        spans.append(Span(lo, hi, tb))
        cursor = tb + (hi - lo)
    if cursor > capacity:
        sizes = ", ".join(f"{r.reg} {r.size} B" for r in regions)
        raise AcceleratorError(
            f"co-simulation: the job's regions ({sizes}) need {cursor} bytes, more than the "
            f"testbench memory's {capacity}; is OUT_PSTRIDE much larger than OUT_C?")
    return spans


def translate(addr: int, spans: list[Span]) -> int | None:
    for s in spans:
        if s.addr <= addr < s.end:
            return s.tb + (addr - s.addr)
    return None


def useful_macs(regs: dict[str, int]) -> int:
    """Multiply-accumulates the reference kernel performs for this configuration (taps inside)."""
    ih, iw = _fields(regs, "IN_HW")["H"], _fields(regs, "IN_HW")["W"]
    oh, ow = _fields(regs, "OUT_HW")["H"], _fields(regs, "OUT_HW")["W"]
    k, d, p = _fields(regs, "KERNEL"), _fields(regs, "DILATION"), _fields(regs, "PAD")

    def inside(n_out: int, stride: int, pad: int, taps: int, dil: int, n_in: int) -> int:
        origin = np.arange(n_out) * stride - pad
        return sum(int(((origin + t * dil >= 0) & (origin + t * dil < n_in)).sum()) for t in range(taps))

    return (inside(oh, k["SH"], p["TOP"], k["KH"], d["DH"], ih)
            * inside(ow, k["SW"], p["LEFT"], k["KW"], d["DW"], iw)
            * (regs.get("IN_C", 0) & 0xFFFF) * (regs.get("OUT_C", 0) & 0xFFFF))


class RtlBridge:
    """Drives tb_accel_bridge for one board's ConvAccelerator (see the module docstring)."""

    def __init__(self, dut: Any, board: Any, accel: ConvAccelerator, workdir: Path) -> None:
        self.dut = dut
        self.board = board
        self.accel = accel
        self.params = accel.params
        self.capacity = 4 * mem_words(self.params)
        self.mem_in = workdir / "mem_in.hex"
        self.mem_out = workdir / "mem_out.hex"
        # what the RTL's configuration registers hold (reset values until first written)
        self.rtl_regs = {r.name: RESET_VALUES.get(r.name, 0) for r in REGISTERS if r.access == "RW"}
        self.code_ranges = [(b, b + m.size) for m in board.platform.memories
                            if m.name == board.platform.code_memory for b in (m.base, *m.aliases)]
        self.mem_ranges = [(b, b + m.size) for m in board.platform.memories for b in (m.base, *m.aliases)]
        self.go = 0
        self._plans: dict[tuple[int, ...], JobPlan] = {}
        self._dump = (-1, -1, -1)  # what dump_en/lo/hi hold
        self._mask = -1  # what seq_mask holds
        self._last: tuple[JobPlan, int] | None = None  # the last job handed over, registers written

    async def start(self) -> None:
        d = self.dut
        Clock(d.clk, CLOCK_NS, unit="ns", impl="gpi").start()
        for sig in (d.reg_sel, d.reg_we, d.reg_addr, d.reg_wdata, d.seq_data, d.seq_mask, d.seq_go,
                    d.dump_en, d.dump_lo, d.dump_hi):
            sig.value = 0
        d.cfg_req_wait.value = self.params.bus_wait_states
        d.cfg_rd_lat.value = self.params.bus_read_latency
        d.cfg_stall_after.value = self.params.test_stall_after_reads
        d.rst.value = 1
        for _ in range(3):
            await RisingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    # memory ---------------------------------------------------------------------------------
    def _mapped(self, lo: int, hi: int) -> bool:
        return any(b <= lo and hi <= e for b, e in self.mem_ranges)

    def _plan(self, regs: dict[str, int]) -> JobPlan:
        """The job's regions, placement and RTL register values (cached per configuration)."""
        key = tuple(regs.values())
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        regions, left_out = plan_regions(regs, self.params)
        bad = [r for r in regions if not self._mapped(r.addr, r.addr + r.size)]
        regions = [r for r in regions if r not in bad]
        left_out += [f"{r.reg} 0x{r.addr:08x}+{r.size} (not in the board's memory)" for r in bad]
        spans = place(regions, self.capacity)
        rtl_values = dict(regs)
        for reg in ADDRESS_REGS:
            tb = translate(regs[reg], spans) if any(r.reg == reg for r in regions) else None
            # outside the testbench memory, low bits kept: an access raises mem_fault
            rtl_values[reg] = tb if tb is not None else 0x8000_0000 | (regs[reg] & (ALIGN - 1))
        out_region = next((r for r in regions if r.output), None)
        out_span = next((s for s in spans if out_region and s.addr <= out_region.addr < s.end), None)
        dump = (0, 0, 0) if out_span is None else (
            1, out_span.tb // 4, (out_span.tb + out_span.end - out_span.addr) // 4 - 1)
        plan = JobPlan(regions, left_out, spans, useful_macs(regs), rtl_values, out_region, out_span, dump)
        if len(self._plans) < 256:
            self._plans[key] = plan
        return plan

    def _write_load_file(self, spans: list[Span]) -> int:
        chunks = []
        for s in spans:
            data = np.frombuffer(self.board.read_memory(s.addr, s.end - s.addr), dtype=np.uint8)
            hexed = data.reshape(-1, 4)[:, ::-1].tobytes().hex().encode()
            words = np.frombuffer(hexed, dtype="S8").tolist()
            chunks.append(f"@{s.tb // 4:x}\n".encode() + b"\n".join(words) + b"\n")
        self.mem_in.write_bytes(b"".join(chunks))
        return sum(s.end - s.addr for s in spans)

    def _read_dump(self) -> bytes:
        text = self.mem_out.read_text()
        if "//" in text or "@" in text:
            lines = [ln.split("//")[0].strip() for ln in text.splitlines()]
            text = "".join(ln for ln in lines if ln and not ln.startswith("@"))
        raw = bytes.fromhex(text.replace("\n", ""))
        return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 4)[:, ::-1].tobytes()

    # registers (diagnostics only; runs use the wrapper's sequencer) ---------------------------
    async def _read_regs(self, names: list[str]) -> dict[str, int]:
        d = self.dut
        d.reg_sel.value = 0
        d.reg_we.value = 0
        out: dict[str, int] = {}
        for name in names:
            d.reg_addr.value = REG_BY_NAME[name].index
            await FallingEdge(d.clk)
            out[name] = int(d.reg_rdata.value)
        return out

    # one run --------------------------------------------------------------------------------
    async def serve(self) -> JobStats:
        t0 = time.perf_counter()
        accel, d, board = self.accel, self.dut, self.board
        regs = accel.register_values()
        plan = self._plan(regs)
        bytes_in = self._write_load_file(plan.spans)
        data, mask = 0, 0
        if plan.rtl_values != self.rtl_regs:
            for name, value in plan.rtl_values.items():
                if self.rtl_regs.get(name) != value:
                    index = REG_BY_NAME[name].index
                    data |= (value & 0xFFFFFFFF) << (32 * index)
                    mask |= 1 << index
            d.seq_data.value = data
            self.rtl_regs = dict(plan.rtl_values)
        if mask != self._mask:
            d.seq_mask.value = mask
            self._mask = mask
        if plan.dump != self._dump:
            d.dump_en.value, d.dump_lo.value, d.dump_hi.value = plan.dump
            self._dump = plan.dump
        self.go ^= 1
        d.seq_go.value = self.go
        self._last = (plan, bin(mask).count("1"))
        t_rtl = time.perf_counter()
        try:
            # the sequencer's register writes and read-back take under 64 cycles
            await with_timeout(RisingEdge(d.seq_done), (self.params.timeout_cycles + 64) * CLOCK_NS, "ns")
        except SimTimeoutError:
            raise AcceleratorError(await self._hang_report()) from None
        rtl_seconds = time.perf_counter() - t_rtl
        snap = int(d.snap.value)
        word = [(snap >> (32 * i)) & 0xFFFFFFFF for i in range(9)]
        status = word[0]
        counters = dict(zip(("CYCLES", "COMPUTE_CYCLES", "MAC_CYCLES", "LOAD_CYCLES", "STORE_CYCLES"),
                            word[1:6], strict=True))
        reads, writes_n, fault = word[6], word[7], word[8] & 1
        if fault:
            raise AcceleratorError(
                f"{accel.name}: the engine accessed memory outside the job's regions (last "
                f"{'write' if int(d.last_we.value) else 'read'} at testbench 0x{int(d.last_addr.value):08x}); "
                f"left out: {', '.join(plan.left_out) or 'none'}\n{accel.describe_registers()}")
        if status & BUSY:
            raise AcceleratorError(f"{accel.name}: irq raised while STATUS 0x{status:08x} still BUSY")
        bytes_out = 0
        out_region, out_span = plan.out_region, plan.out_span
        if out_region is not None and out_span is not None and status & DONE:
            lo = out_region.addr - out_span.addr
            chunk = self._read_dump()[lo:lo + out_region.size]
            if any(a < out_region.addr + out_region.size and out_region.addr < b for a, b in self.code_ranges):
                board.write_memory(out_region.addr, chunk)
            else:
                board.cpu.write(out_region.addr, chunk)
            bytes_out = out_region.size
        cycles = counters["CYCLES"]
        stall = self.params.stall_cycles(cycles, board.cpu_hz)
        start_cycle = board.counter.cycles
        board.stall(stall)
        peak = self.params.rows * self.params.cols
        macs = plan.macs if status & DONE else 0
        wall = time.perf_counter() - t0
        stats = JobStats(
            index=len(accel.jobs), start_cycle=start_cycle, status=status,
            error_code=(status >> 8) & 0xFF if status & ERROR else 0, accel_cycles=cycles,
            stall_cycles=stall, counters=counters, bytes_in=bytes_in, bytes_out=bytes_out,
            mem_reads=reads, mem_writes=writes_n, useful_macs=macs,
            mac_utilisation=round(macs / (peak * cycles), 4) if cycles and macs else 0.0,
            compute_utilisation=round(macs / (peak * counters["COMPUTE_CYCLES"]), 4)
            if counters["COMPUTE_CYCLES"] and macs else 0.0,
            wall_seconds=wall, overhead_seconds=wall - rtl_seconds, rtl_seconds=rtl_seconds,
            registers=regs)
        accel.complete(stats)
        return stats

    def _describe_last(self) -> str:
        if self._last is None:
            return "none"
        plan, writes = self._last
        return f"START after {writes} register writes; regions {plan.describe()}"

    async def _hang_report(self) -> str:
        d = self.dut
        got = await self._read_regs([r.name for r in REGISTERS])
        rows = [f"{n:>15} = 0x{v:08x}" for n, v in got.items()]
        table = "\n".join("  " + "  ".join(rows[i:i + 3]) for i in range(0, len(rows), 3))
        pending = (f"{'write' if int(d.pend_we.value) else 'read'} at testbench 0x{int(d.pend_addr.value):08x} "
                   "waiting for the bus" if int(d.pend_req.value) else "none")
        return (f"{self.accel.name}: the accelerator did not finish within {self.params.timeout_cycles:,} "
                f"of its cycles (timeoutCycles) after START at board cycle {self.board.counter.cycles:,}\n"
                f"  last CPU transaction: {self._describe_last()}\n"
                f"  memory port: {int(d.mem_reads.value)} reads, {int(d.mem_writes.value)} writes; last "
                f"accepted {'write' if int(d.last_we.value) else 'read'} at testbench "
                f"0x{int(d.last_addr.value):08x}; pending request: {pending}\n"
                f"  RTL registers:\n{table}")
