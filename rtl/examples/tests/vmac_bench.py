"""cocotb bench of the vector MAC unit (rtl/examples/vmac_axi.v) through standard bus models:
cocotbext-axi's AxiLiteMaster on its register slave and an AxiRam on its AXI4 master, against
the golden model (sim/reference/vmac.py). Covers lengths that are not whole words or bursts,
vectors crossing a 4 KiB boundary (the RAM model would not catch a burst across it, so the
bench watches AR itself), offsets, the bias, STORE through the write channel, and irq."""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from tandem.reference.vmac import vmac_dot

IN_ADDR, W_ADDR, LEN, IN_OFFSET, W_OFFSET, BIAS, OUT_ADDR, CTRL, STATUS, RESULT, ID = range(0, 44, 4)
START, ACK, STORE = 1, 2, 4


async def _watch_bursts(dut: object, bursts: list[tuple[int, int]]) -> None:
    while True:
        await RisingEdge(dut.clk)
        if int(dut.m_axi_arvalid.value) and int(dut.m_axi_arready.value):
            bursts.append((int(dut.m_axi_araddr.value), int(dut.m_axi_arlen.value) + 1))


@cocotb.test()
async def dot_products_from_memory(dut: object) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    regs = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=1 << 16)
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    bursts: list[tuple[int, int]] = []
    cocotb.start_soon(_watch_bursts(dut, bursts))
    assert await regs.read_dword(ID) == 0x564D4131
    rng = random.Random(7)
    cases = [(0x100, 0x2000, 4), (0x104, 0x3000, 61), (0x0F80, 0x4F00, 700), (0x8000, 0x9FF0, 1), (0x200, 0x300, 0)]
    for in_addr, w_addr, length in cases:
        x = np.array([rng.randrange(-128, 128) for _ in range(length)], np.int8)
        w = np.array([rng.randrange(-128, 128) for _ in range(length)], np.int8)
        ram.write(in_addr, x.tobytes())
        ram.write(w_addr, w.tobytes())
        in_off, w_off, bias = rng.randrange(-128, 129), rng.randrange(-128, 129), rng.randrange(-2**31, 2**31)
        for reg, value in ((IN_ADDR, in_addr), (W_ADDR, w_addr), (LEN, length), (IN_OFFSET, in_off),
                           (W_OFFSET, w_off), (BIAS, bias), (OUT_ADDR, 0xC000)):
            await regs.write_dword(reg, value & 0xFFFFFFFF)
        bursts.clear()
        await regs.write_dword(CTRL, START | STORE)
        got = await regs.read_dword(RESULT)  # held until done
        want = vmac_dot(x, w, in_off, w_off, bias)
        assert got == want & 0xFFFFFFFF, (in_addr, w_addr, length)
        for _ in range(20):  # STORE's write follows the result; DONE comes with its response
            if await regs.read_dword(STATUS) & 2:
                break
        assert await regs.read_dword(STATUS) == 2 and int(dut.irq.value) == 1
        assert int.from_bytes(ram.read(0xC000, 4), "little") == want & 0xFFFFFFFF
        for addr, beats in bursts:
            assert addr >> 12 == (addr + 4 * beats - 1) >> 12, (hex(addr), beats)  # no 4 KiB crossing
            assert beats <= 16
        assert sum(beats for _, beats in bursts) == 2 * ((length + 3) // 4)
        await regs.write_dword(CTRL, ACK)
        assert int(dut.irq.value) == 0 or await regs.read_dword(STATUS) == 0
