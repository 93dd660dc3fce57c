"""cocotb bench of the conv engine behind its standard buses (rtl/tandem_conv_engine_axi.v):
cocotbext-axi's AxiLiteMaster on the register slave and an AxiRam on the AXI4 master, with the
engine job's golden model (sim/reference/conv_engine.py) as the scoreboard. Each case writes a
memory image into the RAM, programs the registers (sim/accel/regmap.py), starts, waits for irq
and compares the whole RAM with the image the model says the job leaves (so a stray write
fails too). Every read burst is checked against AXI4's rules: INCR, at most MAX_BURST beats,
never across a 4 KiB boundary (ARM IHI 0022E A3.4.1), and so is every write burst."""
from __future__ import annotations

import json
import os
import random
from dataclasses import replace
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from tandem.accel.regmap import ACCEL_ID, ACCEL_VERSION, ERR_BY_NAME, REG_BY_NAME
from tandem.reference.conv_engine import EngineJob, apply_job, fc_as_conv_job, filter_elements
from tandem.reference.quant import INT32_MAX, INT32_MIN, SHIFT_MAX, SHIFT_MIN

RAM_BYTES = 1 << 16
MODE = {"conv": 0, "depthwise": 1}
_ROUND = {n: v for n, v, _ in next(f for f in REG_BY_NAME["CONFIG"].fields if f.name == "ROUND").values}
ROUND_DOUBLE, ROUND_SINGLE = _ROUND["DOUBLE"], _ROUND["SINGLE"]
START = 1
BUSY, DONE, ERROR = 1, 2, 4


def pack(name: str, **values: int) -> int:
    word = 0
    fields = {f.name: f for f in REG_BY_NAME[name].fields}
    for key, value in values.items():
        fld = fields[key]
        word |= (value << fld.lsb) & fld.mask
    return word


def registers(job: EngineJob, mode: int | None = None) -> dict[str, int]:
    """The register values that describe ``job`` (PAD's bottom and right follow from OUT_HW)."""
    ekh, ekw = (job.kh - 1) * job.dh + 1, (job.kw - 1) * job.dw + 1
    pad_b = max(0, (job.out_h - 1) * job.sh + ekh - job.in_h - job.pad_top)
    pad_r = max(0, (job.out_w - 1) * job.sw + ekw - job.in_w - job.pad_left)
    m32 = 0xFFFFFFFF
    return {
        "CONFIG": pack("CONFIG", MODE=MODE[job.mode] if mode is None else mode,
                       ROUND=ROUND_SINGLE if job.single_round else ROUND_DOUBLE),
        "IN_HW": pack("IN_HW", H=job.in_h, W=job.in_w),
        "IN_C": job.in_c,
        "OUT_HW": pack("OUT_HW", H=job.out_h, W=job.out_w),
        "OUT_C": job.out_c,
        "KERNEL": pack("KERNEL", KH=job.kh, KW=job.kw, SH=job.sh, SW=job.sw),
        "DILATION": pack("DILATION", DH=job.dh, DW=job.dw),
        "PAD": pack("PAD", TOP=job.pad_top, BOTTOM=pad_b, LEFT=job.pad_left, RIGHT=pad_r),
        "IN_OFFSET": job.in_offset & m32,
        "OUT_OFFSET": job.out_offset & m32,
        "ACT_MIN": job.act_min & m32,
        "ACT_MAX": job.act_max & m32,
        "IN_ADDR": job.in_addr,
        "FILTER_ADDR": job.filter_addr,
        "BIAS_ADDR": job.bias_addr,
        "MULT_ADDR": job.mult_addr,
        "SHIFT_ADDR": job.shift_addr,
        "OUT_ADDR": job.out_addr,
        "OUT_PSTRIDE": job.out_pstride or job.out_c,
    }


def out_size(size: int, k: int, stride: int, dil: int, pad_lo: int, pad_hi: int) -> int:
    return (size + pad_lo + pad_hi - ((k - 1) * dil + 1)) // stride + 1


def make_job(rng: random.Random, image: bytearray, mode: str, in_hw: tuple[int, int], in_c: int,
             out_c: int, k: int, stride: int, pad: int, *, in_addr: int = 0x1000,
             out_pstride: int = 0, dil: int = 1) -> EngineJob:
    """A job with random operands written into ``image``: input at ``in_addr``, the filter,
    the per-channel arrays and the output placed after it."""
    in_h, in_w = in_hw
    out_h = out_size(in_h, k, stride, dil, pad, pad)
    out_w = out_size(in_w, k, stride, dil, pad, pad)
    job = EngineJob(mode=mode, in_h=in_h, in_w=in_w, in_c=in_c, out_h=out_h, out_w=out_w,
                    out_c=out_c, kh=k, kw=k, sh=stride, sw=stride, dh=dil, dw=dil,
                    pad_top=pad, pad_left=pad,
                    in_offset=rng.randrange(-128, 129), out_offset=rng.randrange(-128, 128),
                    act_min=rng.randrange(-128, -60), act_max=rng.randrange(60, 128),
                    out_pstride=out_pstride)
    return place(rng, image, job, in_addr)


def place(rng: random.Random, image: bytearray, job: EngineJob, in_addr: int) -> EngineJob:
    n_in = job.in_h * job.in_w * job.in_c
    n_f = filter_elements(job)
    f_addr = in_addr + n_in + 3
    bias_addr = (f_addr + n_f + 7) & ~3
    mult_addr = bias_addr + 4 * job.out_c
    shift_addr = mult_addr + 4 * job.out_c
    out_addr = shift_addr + 4 * job.out_c + 1
    job = replace(job, in_addr=in_addr, filter_addr=f_addr, bias_addr=bias_addr,
                  mult_addr=mult_addr, shift_addr=shift_addr, out_addr=out_addr)
    image[in_addr:in_addr + n_in] = bytes(rng.randrange(256) for _ in range(n_in))
    image[f_addr:f_addr + n_f] = bytes(rng.randrange(256) for _ in range(n_f))
    bias = np.array([rng.randrange(-5000, 5000) for _ in range(job.out_c)], "<i4")
    mult = np.array([rng.randrange(1 << 30, (1 << 31) - 1) for _ in range(job.out_c)], "<i4")
    shift = np.array([rng.randrange(-9, 2) for _ in range(job.out_c)], "<i4")
    for addr, arr in ((bias_addr, bias), (mult_addr, mult), (shift_addr, shift)):
        image[addr:addr + 4 * job.out_c] = arr.tobytes()
    return job


class Tb:
    def __init__(self, dut: Any) -> None:
        self.dut = dut
        self.params = json.loads(os.environ.get("TANDEM_BENCH_PARAMS", "{}"))
        self.max_burst = int(self.params.get("MAX_BURST", 16))
        self.regs = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=RAM_BYTES)
        self.bursts: list[tuple[int, int, int, int]] = []
        self.wbursts: list[tuple[int, int, int, int]] = []
        self.cycles: dict[str, int] = {}

    async def start(self) -> None:
        cocotb.start_soon(Clock(self.dut.clk, 10, unit="ns").start())
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 4)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)
        cocotb.start_soon(self._watch())

    async def _watch(self) -> None:
        dut = self.dut
        while True:
            await RisingEdge(dut.clk)
            if int(dut.m_axi_arvalid.value) and int(dut.m_axi_arready.value):
                self.bursts.append((int(dut.m_axi_araddr.value), int(dut.m_axi_arlen.value) + 1,
                                    int(dut.m_axi_arburst.value), int(dut.m_axi_arsize.value)))
            if int(dut.m_axi_awvalid.value) and int(dut.m_axi_awready.value):
                self.wbursts.append((int(dut.m_axi_awaddr.value), int(dut.m_axi_awlen.value) + 1,
                                     int(dut.m_axi_awburst.value), int(dut.m_axi_awsize.value)))

    async def write(self, name: str, value: int) -> None:
        await self.regs.write_dword(REG_BY_NAME[name].offset, value)

    async def read(self, name: str) -> int:
        return int(await self.regs.read_dword(REG_BY_NAME[name].offset))

    async def run(self, job: EngineJob, image: bytearray, mode: int | None = None,
                  **overrides: int) -> int:
        """Program ``job`` (register values in ``overrides`` replace its own) over the image in
        RAM, start it, wait for irq; returns STATUS."""
        self.ram.write(0, bytes(image))
        for name, value in {**registers(job, mode), **overrides}.items():
            await self.write(name, value)
        self.bursts.clear()
        self.wbursts.clear()
        await self.write("CTRL", START)
        for _ in range(20000):
            await ClockCycles(self.dut.clk, 16)
            if int(self.dut.irq.value):
                break
        else:
            raise AssertionError(f"no irq after 320000 cycles for {job}")
        for addr, beats, burst, size in self.bursts + self.wbursts:
            assert burst == 1 and size == 2, (hex(addr), burst, size)
            assert 1 <= beats <= self.max_burst, (hex(addr), beats)
            assert addr >> 12 == (addr + 4 * beats - 1) >> 12, (hex(addr), beats)  # A3.4.1
        return await self.read("STATUS")

    async def check(self, label: str, job: EngineJob, image: bytearray) -> None:
        status = await self.run(job, image)
        code = (status >> 8) & 0xFF
        assert status == DONE, f"{label}: STATUS 0x{status:08X} (ERR_CODE {code})"
        want = bytearray(image)
        apply_job(job, want)
        got = self.ram.read(0, RAM_BYTES)
        if got != bytes(want):
            diff = [i for i in range(RAM_BYTES) if got[i] != want[i]]
            raise AssertionError(f"{label}: {len(diff)} bytes differ, first at 0x{diff[0]:04X} "
                                 f"(got {got[diff[0]]}, want {want[diff[0]]}); output at "
                                 f"0x{job.out_addr:04X}")
        self.cycles[label] = await self.read("CYCLES")
        words = sum(b for _, b, _, _ in self.bursts)
        wwords = sum(b for _, b, _, _ in self.wbursts)
        dense = (job.out_pstride or job.out_c) == job.out_c
        if dense:  # one run of words: every word once, in bursts
            n = job.out_h * job.out_w * job.out_c
            assert wwords == (job.out_addr % 4 + n + 3) // 4, (label, wwords)
        self.dut._log.info("%s: %d cycles, %d read bursts, %d beats, %d write bursts, %d beats",
                           label, self.cycles[label], len(self.bursts), words, len(self.wbursts),
                           wwords)


def _seed() -> int:
    return int(os.environ.get("TANDEM_BENCH_SEED", "1"))


@cocotb.test()
async def identity_and_reset_values(dut: Any) -> None:
    """ID, VERSION and the generated reset values read back through AXI4-Lite."""
    tb = Tb(dut)
    await tb.start()
    assert await tb.read("ID") == ACCEL_ID
    assert await tb.read("VERSION") == ACCEL_VERSION
    for reg in REG_BY_NAME.values():
        if reg.access == "RW":
            assert await tb.read(reg.name) == reg.reset, reg.name
    assert await tb.read("STATUS") == 0
    caps = await tb.read("CAPS")
    assert (caps & 0xFF, (caps >> 8) & 0xFF) == (tb.params["PO"], tb.params["PI"])


@cocotb.test()
async def conv_jobs(dut: Any) -> None:
    """CONV_2D: 3x3 stride 2 with padding (odd channel counts, unaligned tensors, a burst that
    would cross 4 KiB), 1x1 with aligned channels (word-wide loads and stores), a strided
    output, and FULLY_CONNECTED as a 1x1 conv."""
    tb = Tb(dut)
    await tb.start()
    rng = random.Random(_seed())
    image = bytearray(RAM_BYTES)
    po = tb.params["PO"]
    job = make_job(rng, image, "conv", (7, 6), 5, po + 2, 3, 2, 1, in_addr=0x0F9D)
    await tb.check("conv3x3_s2_pad", job, image)
    image = bytearray(RAM_BYTES)
    job = make_job(rng, image, "conv", (4, 4), 8, 2 * po, 1, 1, 0, in_addr=0x2000)
    job = replace(job, out_addr=(job.out_addr + 3) & ~3)
    await tb.check("conv1x1", job, image)
    image = bytearray(RAM_BYTES)
    job = make_job(rng, image, "conv", (5, 5), 3, 4, 3, 1, 1, in_addr=0x3001, out_pstride=7)
    await tb.check("conv3x3_pstride", job, image)
    image = bytearray(RAM_BYTES)
    fc = fc_as_conv_job(2, 12, po + 1, in_offset=rng.randrange(-128, 129),
                        out_offset=rng.randrange(-128, 128))
    fc = place(rng, image, fc, 0x4000)
    await tb.check("fc_as_conv", fc, image)


def fc_operands(rng: random.Random, image: bytearray, job: EngineJob, in_addr: int, style: str,
                shifts: list[int] | None = None) -> EngineJob:
    """Place an FC-as-conv job with operands of one ``style``: "tflite" (positive Q31
    multipliers, shifts and biases as a converter makes them), "edges" (the given ``shifts``,
    the multipliers 0, 1, 2^30, INT32_MAX, INT32_MIN, then random int32 ones), "saturating"
    (int32 extremes: biases that wrap the accumulator, the INT32_MIN * INT32_MIN product of
    SaturatingRoundingDoublingHighMul's saturating case, positive shifts whose results leave
    int32)."""
    if style == "saturating" and job.in_offset == -128:
        job = replace(job, in_offset=-127)  # the zero row below needs an input of -IN_OFFSET
    job = place(rng, image, job, in_addr)
    n = job.out_c
    if style == "tflite":
        mult = [rng.randrange(1 << 30, 1 << 31) for _ in range(n)]
        shift = [rng.randrange(-12, 2) for _ in range(n)]
        bias = [rng.randrange(-20000, 20000) for _ in range(n)]
    elif style == "edges":
        assert shifts is not None and len(shifts) == n
        shift = shifts
        special = [0, 1, 1 << 30, INT32_MAX, INT32_MIN]
        mult = [special[i] if i < len(special) else rng.randrange(INT32_MIN, INT32_MAX + 1) for i in range(n)]
        bias = [rng.randrange(-(1 << 20), 1 << 20) for _ in range(n)]
    else:
        shift = [rng.choice([SHIFT_MIN, -1, 0, 1, 7, SHIFT_MAX, rng.randrange(SHIFT_MIN, SHIFT_MAX + 1)])
                 for _ in range(n)]
        mult = [rng.choice([INT32_MIN, INT32_MAX, rng.randrange(INT32_MIN, INT32_MAX + 1)]) for _ in range(n)]
        bias = [rng.choice([INT32_MIN, INT32_MAX, rng.randrange(INT32_MIN, INT32_MAX + 1)]) for _ in range(n)]
        # batch 0 accumulates 0 (its inputs are -IN_OFFSET); unit 0's bias INT32_MIN, multiplier
        # INT32_MIN and shift 0 make the saturating product
        image[job.in_addr:job.in_addr + job.in_c] = bytes([(-job.in_offset) & 0xFF] * job.in_c)
        bias[0], mult[0], shift[0] = INT32_MIN, INT32_MIN, 0
    for addr, values in ((job.bias_addr, bias), (job.mult_addr, mult), (job.shift_addr, shift)):
        image[addr:addr + 4 * n] = np.array(values, "<i4").tobytes()
    return job


@cocotb.test()
async def fc_rounding_jobs(dut: Any) -> None:
    """FULLY_CONNECTED as a 1x1 conv in both CONFIG.ROUND modes against the golden model:
    converter-like operands over batches 1..3, depths that are and are not multiples of PI and
    units across PO groups; every shift from -31 to 30 with edge multipliers (as many jobs of
    MAX_OC units as that takes); saturating int32 values. CONFIG reads back the mode written.
    On the edge and saturating operands the two roundings give different bytes, so an engine
    that ignored CONFIG.ROUND would fail."""
    tb = Tb(dut)
    await tb.start()
    rng = random.Random(_seed() + 5)
    po, pi, max_oc = tb.params["PO"], tb.params["PI"], tb.params["MAX_OC"]
    shapes = [(1, 4 * pi, 2 * po), (3, pi + 3, po + 1), (2, 17, max_oc)]
    all_shifts = list(range(SHIFT_MIN, SHIFT_MAX + 1))
    rng.shuffle(all_shifts)
    units = min(max_oc, len(all_shifts))
    jobs: list[tuple[str, tuple[int, int, int], list[int] | None]] = [
        *(("tflite", shape, None) for shape in shapes),
        *(("edges", (2, pi + 1, units), (all_shifts + all_shifts)[i:i + units])
          for i in range(0, len(all_shifts), units)),
        *(("saturating", shape, None) for shape in shapes),
    ]
    differ = {"edges": 0, "saturating": 0}
    for style, (batches, depth, n), shifts in jobs:
        fc = fc_as_conv_job(batches, depth, n, in_offset=rng.randrange(-128, 129),
                            out_offset=rng.randrange(-128, 128),
                            act_min=rng.choice([-128, rng.randrange(-128, 0)]),
                            act_max=rng.choice([127, rng.randrange(0, 128)]))
        image = bytearray(RAM_BYTES)
        job = fc_operands(rng, image, fc, 0x1000 + rng.randrange(4), style, shifts)
        outs = []
        for single in (False, True):
            rjob = replace(job, single_round=single)
            await tb.check(f"fc_{style}_{batches}x{depth}x{n}_{'single' if single else 'double'}", rjob, image)
            assert await tb.read("CONFIG") == pack("CONFIG", MODE=MODE["conv"],
                                                   ROUND=ROUND_SINGLE if single else ROUND_DOUBLE)
            want = bytearray(image)
            apply_job(rjob, want)
            outs.append(bytes(want))
        if style in differ:
            differ[style] += outs[0] != outs[1]
    covered = {s for style, _, shifts in jobs if shifts for s in shifts}
    assert covered == set(range(SHIFT_MIN, SHIFT_MAX + 1))
    assert all(differ.values()), f"the roundings agree on every job of a style: {differ}"


@cocotb.test()
async def depthwise_jobs(dut: Any) -> None:
    """DEPTHWISE_CONV_2D (1HWO filter): multiplier 1 and 2, 3x3, stride 1 and 2, padding, a
    channel count that is not a multiple of the array, a 1-channel input with multiplier 3,
    dilation 2."""
    tb = Tb(dut)
    await tb.start()
    rng = random.Random(_seed() + 1)
    po = tb.params["PO"]
    cases = [
        ("dw_m1_s1_pad", (6, 6), 2 * po, 2 * po, 3, 1, 1),
        ("dw_m1_s2_pad_odd", (7, 5), po + 3, po + 3, 3, 2, 1),
        ("dw_m2_s1_pad", (5, 5), 3, 6, 3, 1, 1),
        ("dw_m2_s2_nopad", (7, 7), po, 2 * po, 3, 2, 0),
        ("dw_m3_1ch", (4, 6), 1, 3, 3, 1, 1),
        ("dw_m1_dil2_pad", (7, 7), po, po, 3, 1, 2),
    ]
    for label, hw, in_c, out_c, k, stride, pad in cases:
        image = bytearray(RAM_BYTES)
        job = make_job(rng, image, "depthwise", hw, in_c, out_c, k, stride, pad,
                       in_addr=0x1000 + rng.randrange(4), dil=2 if "dil2" in label else 1)
        await tb.check(label, job, image)


@cocotb.test()
async def refused_jobs(dut: Any) -> None:
    """Refused configurations end in STATUS.ERROR with their ERR_CODE and write nothing; a
    good job afterwards still runs."""
    tb = Tb(dut)
    await tb.start()
    rng = random.Random(_seed() + 2)
    image = bytearray(RAM_BYTES)
    dw = make_job(rng, image, "depthwise", (4, 4), 2, 4, 3, 1, 1)
    cases: list[tuple[str, EngineJob, dict[str, int]]] = [
        ("BAD_DEPTH", replace(dw, out_c=5), {}),
        ("BAD_MODE", dw, {"CONFIG": 2}),
        ("ZERO_SIZE", replace(dw, in_c=0), {}),
        ("BAD_OUT_SHAPE", replace(dw, out_pstride=dw.out_c - 1), {}),
        ("BAD_OUT_SHAPE", dw, {"OUT_HW": pack("OUT_HW", H=dw.out_h + 1, W=dw.out_w)}),
        ("KERNEL_TOO_BIG", replace(dw, kh=7, pad_top=0, out_h=1), {"PAD": pack("PAD", LEFT=1, RIGHT=1)}),
        ("UNALIGNED", replace(dw, bias_addr=dw.bias_addr + 2), {}),
        ("BAD_PARAM", replace(dw, act_min=10, act_max=5), {}),
        ("CAPACITY", replace(dw, out_c=2 * int(tb.params["MAX_OC"])), {}),
    ]
    for name, job, overrides in cases:
        status = await tb.run(job, image, **overrides)
        assert status == ERROR | (ERR_BY_NAME[name] << 8), (name, hex(status))
        assert tb.ram.read(0, RAM_BYTES) == bytes(image), name
    # a shift out of range is found while loading: the run aborts with beats of the shift
    # array's burst still unclaimed, which the adapter drains before STATUS says so
    wide = make_job(rng, bytearray(RAM_BYTES), "conv", (3, 3), 4, 12, 1, 1, 0)
    bad = bytearray(RAM_BYTES)
    wide = place(rng, bad, wide, 0x1000)
    bad[wide.shift_addr + 4:wide.shift_addr + 8] = (40).to_bytes(4, "little", signed=True)
    status = await tb.run(wide, bad)
    assert status == ERROR | (ERR_BY_NAME["BAD_SHIFT"] << 8), hex(status)
    assert tb.ram.read(0, RAM_BYTES) == bytes(bad)
    await tb.check("dw_after_errors", dw, image)


@cocotb.test()
async def bus_errors(dut: Any) -> None:
    """An error response (the RAM answers SLVERR from FAULT_BASE on) on a read or on a write
    makes the run end in STATUS.ERROR with ERR_BUS_ERROR and irq; the next START clears it."""
    tb = Tb(dut)
    await tb.start()
    fault_base = RAM_BYTES - 0x100
    read, write = tb.ram.read_if._read, tb.ram.write_if._write

    async def faulting_read(address: int, length: int) -> bytes:
        if address >= fault_base:
            raise ValueError(f"0x{address:X}: no memory here")  # AxiSlaveRead answers SLVERR
        return bytes(await read(address, length))

    async def faulting_write(address: int, data: bytes) -> None:
        if address >= fault_base:
            raise ValueError(f"0x{address:X}: no memory here")  # AxiSlaveWrite answers SLVERR
        await write(address, data)

    tb.ram.read_if._read = faulting_read  # type: ignore[method-assign]
    tb.ram.write_if._write = faulting_write  # type: ignore[method-assign]
    rng = random.Random(_seed() + 3)
    image = bytearray(RAM_BYTES)
    job = make_job(rng, image, "conv", (3, 3), 4, 4, 1, 1, 0, in_addr=0x1000)
    bus_error = ERROR | (ERR_BY_NAME["BUS_ERROR"] << 8)
    for label, bad in (("read", replace(job, filter_addr=fault_base - 8)),
                       ("write", replace(job, out_addr=fault_base - 16))):
        status = await tb.run(bad, image)
        assert status == bus_error, (label, hex(status))
        assert int(dut.irq.value) == 1, label
    await tb.check("after_bus_errors", job, image)


@cocotb.test()
async def depthwise_needs_rows_at_most_cols(dut: Any) -> None:
    """On an array with more rows than columns DEPTHWISE is refused (ERR_BAD_MODE); CONV_2D
    still runs."""
    tb = Tb(dut)
    await tb.start()
    assert tb.params["PO"] > tb.params["PI"]
    rng = random.Random(_seed() + 4)
    image = bytearray(RAM_BYTES)
    dw = make_job(rng, image, "depthwise", (4, 4), 4, 4, 3, 1, 1)
    assert await tb.run(dw, image) == ERROR | (ERR_BY_NAME["BAD_MODE"] << 8)
    image = bytearray(RAM_BYTES)
    job = make_job(rng, image, "conv", (5, 4), 6, 10, 3, 1, 1)
    await tb.check("conv_on_8x4", job, image)
