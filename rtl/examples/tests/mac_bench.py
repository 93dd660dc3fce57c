"""cocotb bench of the example MAC unit through standard bus models: cocotbext-axi's
AxiLiteMaster (mac_axil), cocotbext-apb's ApbMaster (mac_apb) and cocotbext-wishbone's
WishboneMaster (mac_wb). The same register transactions as tests/test_rtl_peripheral.py's C bus
master, so the masters are checked against each other. TANDEM_MAC_BUS selects the bus
("axi4lite", "apb3" or "wishbone")."""
from __future__ import annotations

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

A, B, ACC, CTRL, STATUS, RESULT, ID, LATENCY = range(0, 32, 4)


class _Master:
    """One read/write interface over either bus model."""

    def __init__(self, dut: object) -> None:
        self.bus = os.environ.get("TANDEM_MAC_BUS", "axi4lite")
        if self.bus == "axi4lite":
            from cocotbext.axi import AxiLiteBus, AxiLiteMaster

            self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        elif self.bus == "apb3":
            from cocotbext.apb import Apb3Bus, ApbMaster

            self.apb = ApbMaster(Apb3Bus.from_prefix(dut, "s_apb"), dut.clk)
        else:
            from cocotbext.wishbone.driver import WishboneMaster

            self.wb = WishboneMaster(dut, "s_wb", dut.clk, width=32)

    async def write(self, addr: int, value: int) -> None:
        if self.bus == "axi4lite":
            await self.axil.write_dword(addr, value)
        elif self.bus == "apb3":
            await self.apb.write(addr, value)
        else:
            from cocotbext.wishbone.driver import WBOp

            await self.wb.send_cycle([WBOp(adr=addr, dat=value)])

    async def read(self, addr: int) -> int:
        if self.bus == "axi4lite":
            return int(await self.axil.read_dword(addr))
        if self.bus == "wishbone":
            from cocotbext.wishbone.driver import WBOp

            res = await self.wb.send_cycle([WBOp(adr=addr)])
            return int(res[0].datrd)
        data = await self.apb.read(addr)
        return data if isinstance(data, int) else int.from_bytes(data, "little")


async def _reset(dut: object) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    rst = dut.rst if hasattr(dut, "rst") else dut.rst_n
    active = 1 if hasattr(dut, "rst") else 0
    rst.value = active
    await ClockCycles(dut.clk, 4)
    rst.value = 1 - active
    await RisingEdge(dut.clk)


@cocotb.test()
async def registers_and_a_blocking_result(dut: object) -> None:
    await _reset(dut)
    m = _Master(dut)
    assert await m.read(ID) == 0x4D414331
    assert await m.read(LATENCY) == 16  # the parameter's reset value
    await m.write(A, 0xFFFFFFFF)
    await m.write(B, 3)
    await m.write(ACC, 10)
    await m.write(LATENCY, 50)
    await m.write(CTRL, 1)
    assert await m.read(STATUS) == 1
    start = cocotb.utils.get_sim_time("ns")
    assert await m.read(RESULT) == (10 + 0xFFFFFFFF * 3) & 0xFFFFFFFF
    assert cocotb.utils.get_sim_time("ns") - start >= 10 * 40  # the read was held while busy
    assert await m.read(STATUS) == 2
    assert int(dut.irq.value) == 1
    await m.write(CTRL, 2)
    assert await m.read(STATUS) == 0
    assert int(dut.irq.value) == 0
