"""Tandem.RtlPeripheral: a user's Verilog block on the board's bus, clocked with the CPU.

The device is the example multiply-accumulate unit (rtl/examples/mac_core.v) behind each register
bus (mac_axil.v, mac_apb.v, mac_wb.v; overlays platforms/accel/mac_*.repl). The drivers are
firmware/tests/rtlp_drivers.S. Expected cycle counts are derived below from the RTL's handshakes
and the Cortex-M4 timing table (ARM DDI0439B, 3.3: NOP, MOVS, TST 1; LDR 2; STR 1; B<cond> taken
1+P with P = 1 as tandem's M4 model uses, not taken 1; exception entry 12 cycles), with the
access rule of sim/peripherals/rtl_peripheral.py: an access presented at the instruction's first
cycle c that completes at RTL edge c+n costs the table's cycles plus n-1 wait states.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tandem.cli import main
from tandem.config import TandemConfig
from tandem.cosim.rtl import RtlDesign, run_tests
from tandem.cosim.rtl import build as build_rtl
from tandem.errors import AcceleratorError, PlatformError
from tandem.machine.board import Board
from tandem.peripherals.rtl_peripheral import RESET_CYCLES, model_spec
from tandem.platform import load_platform
from tandem.rtlsim.model import RtlModel, build_model

BUSES = ("mac_axil", "mac_apb", "mac_wb")
BASE = 0x50000000
A, B, ACC, CTRL, STATUS, RESULT, ID, LATENCY = range(0, 32, 4)
MAC_ID = 0x4D414331


def _overlay(tmp_path: Path, text: str, name: str = "amend.repl") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _board(cfg: TandemConfig, bus: str, *extra: Path) -> Board:
    overlay = cfg.platforms_dir / "accel" / f"{bus}.repl"
    return Board(load_platform("generic_m4", cfg.platforms_search, [overlay, *extra]), cfg)


def _drive(cfg: TandemConfig, build: Callable[..., Path], bus: str, driver: int, latency: int,
           *extra: Path) -> tuple[int, int]:
    """Run driver ``driver`` with the unit's LATENCY register set to ``latency``: (t1 - t0, result)."""
    elf = build("generic_m4", "tests/rtlp_drivers.S", extra_cflags=(f"-DDRIVER={driver}", f"-DLATENCY={latency}"))
    board = _board(cfg, bus, *extra)
    board.load_elf(elf)
    result = board.run(max_cycles=10_000_000)
    assert result.exit_code == 0
    t0, t1, value = struct.unpack("<3I", board.read_memory(board.elf.all_symbols["cycles"], 12))
    return t1 - t0, value


# The edge (counted from a write's first RTL cycle) at which the write takes effect: AXI4-Lite at
# the AW/W handshake (edge 1), Wishbone at the edge that registers ACK (edge 1), APB at the
# access phase's edge (edge 2, after the setup phase). Every flavour's zero-wait access takes
# n = 2 edges, so an STR costs 1 + 1 and an LDR 2 + 1.
WRITE_EDGE = {"mac_axil": 1, "mac_apb": 2, "mac_wb": 1}


def expected(bus: str, driver: int, latency: int) -> int:
    """t1 - t0 of each driver, lock-step arithmetic. t0 is read at cycle s (LDR, 2), a NOP
    (1) follows, so START's STR starts at c = s + 3 and costs 2; DONE is set at RTL edge
    d = c + WRITE_EDGE + LATENCY (the CPU and RTL clocks are one, RTL cycle = CPU cycle)."""
    c = 3
    d = c + WRITE_EDGE[bus] + latency
    if driver == 1:
        # NOP at c+2; the RESULT LDR starts at c+3 and is answered at edge c+L+3 on every flavour:
        # AXI4-Lite: DONE at edge d, ARREADY at the next edge d+1, RVALID taken at d+2;
        # Wishbone: DONE at d, ACK registered at d+1 and seen at d+2 (d = c+1+L for both);
        # APB: DONE at d = c+2+L, PREADY seen at the edge after it, d+1.
        # The LDR costs its n = L edges + 1 and ends at c+L+4; a NOP; t1's LDR at c+L+5.
        return c + latency + 5
    if driver == 2:
        # STATUS reads start at p_i = c + 2 + 6i (LDR 3, TST 1, taken BEQ 2). The read returns
        # the state after edge p_i (AXI/Wishbone latch at the first edge; APB samples PRDATA at
        # the second, one edge later, where DONE is one edge later too), so DONE is seen at the
        # first i with d' <= p_i, d' = c + 1 + LATENCY. The exit iteration is 3 + 1 + 1.
        i = 0
        while c + 1 + latency > c + 2 + 6 * i:
            i += 1
        return c + 2 + 6 * i + 5
    # driver 3: WFI at c+2; irq is high from RTL cycle d, the core takes IRQ0 then (12 cycles of
    # entry) and the handler's first instruction (LDR literal, 2) is before its CYCCNT load.
    return d + 12 + 2


@pytest.mark.parametrize("bus", BUSES)
def test_same_transactions_on_each_bus(cfg: TandemConfig, bus: str) -> None:
    board = _board(cfg, bus)
    read = lambda off, size=4: board.bus_read(BASE + off, size)  # noqa: E731
    write = lambda off, value: board.bus_write(BASE + off, 4, value)  # noqa: E731
    assert read(ID) == MAC_ID
    assert read(ID, 1) == 0x31 and board.bus_read(BASE + ID + 2, 2) == 0x4D41  # byte lanes
    assert read(LATENCY) == 16  # the overlay's parameters: "LATENCY=16"
    write(A, 0xFFFFFFFF)
    write(B, 3)
    write(ACC, 10)
    write(CTRL, 1)
    assert read(STATUS) == 1  # BUSY
    before = board.counter.cycles
    assert read(RESULT) == (10 + 0xFFFFFFFF * 3) & 0xFFFFFFFF  # held until done
    assert board.counter.cycles - before > 10  # the CPU waited for the response
    assert read(STATUS) == 2  # DONE
    assert board.peripherals["accel"].irq_level  # irq = DONE
    write(CTRL, 2)
    assert read(STATUS) == 0 and not board.peripherals["accel"].irq_level


@pytest.mark.parametrize("bus", BUSES)
@pytest.mark.parametrize("driver", [1, 2, 3], ids=["blocking", "polling", "wfi"])
@pytest.mark.parametrize("latency", [2, 16, 17, 100])
def test_driver_cycles_match_lock_step(cfg: TandemConfig, build: Callable[..., Path], bus: str, driver: int,
                                       latency: int) -> None:
    assert _drive(cfg, build, bus, driver, latency) == (expected(bus, driver, latency), 42)


def test_three_drivers_wait_for_the_same_rtl(cfg: TandemConfig, build: Callable[..., Path]) -> None:
    """Each further RTL cycle of latency costs each driver exactly one CPU cycle (blocking, WFI),
    or a whole 6-cycle poll period once the polls fall behind it."""
    for driver in (1, 3):
        base = _drive(cfg, build, "mac_axil", driver, 40)[0]
        assert _drive(cfg, build, "mac_axil", driver, 41)[0] == base + 1
    assert _drive(cfg, build, "mac_axil", 2, 42)[0] - _drive(cfg, build, "mac_axil", 2, 41)[0] == 0
    assert _drive(cfg, build, "mac_axil", 2, 44)[0] - _drive(cfg, build, "mac_axil", 2, 43)[0] == 6


def test_half_speed_rtl_doubles_the_wait(cfg: TandemConfig, build: Callable[..., Path], tmp_path: Path) -> None:
    """frequency = cpu/2: an RTL cycle is two CPU cycles, so 30 more cycles of latency cost 60
    more CPU cycles in the blocking and the WFI driver (same code, same clock phase)."""
    half = _overlay(tmp_path, "accel:\n    frequency: 50000000\n")
    for driver in (1, 3):
        slow = _drive(cfg, build, "mac_axil", driver, 40, half)
        fast = _drive(cfg, build, "mac_axil", driver, 10, half)
        assert (slow[0] - fast[0], slow[1]) == (60, 42)


def test_irq_while_the_cpu_runs_is_at_most_a_quantum_late(cfg: TandemConfig, build: Callable[..., Path],
                                                           tmp_path: Path) -> None:
    """Driver 4 loops on RAM while the unit runs: the RTL catches up every quantumCycles (50), so
    the handler starts between the lock-step cycle (as for WFI) and a quantum plus one loop
    iteration (LDR 2 + CMP 1 + taken BEQ 2) and the block boundary after it later."""
    quantum = _overlay(tmp_path, "accel:\n    quantumCycles: 50\n")
    delta, value = _drive(cfg, build, "mac_axil", 4, 500, quantum)
    exact = expected("mac_axil", 3, 500)
    assert value == 42
    assert exact <= delta <= exact + 50 + 5


def test_an_idle_block_reaches_a_fixed_point(cfg: TandemConfig) -> None:
    """Idle cycles of a block whose state no longer changes are skipped, counted all the same;
    a busy one (the run's counter decrementing) is clocked until it is done."""
    board = _board(cfg, "mac_axil")
    periph = board.peripherals["accel"]
    model = periph.rtl
    assert model.run(10**9, stop_on_irq=False) == 10**9 and model.quiet()
    board.bus_write(BASE + LATENCY, 4, 5000)
    board.bus_write(BASE + CTRL, 4, 1)
    start = model.cycles
    ran = model.run(10**9, stop_on_irq=True)  # stops at irq: DONE, 5000 edges after START's
    assert (ran, model.irq) == (5000 - 1, True)  # START took effect at its write's first edge
    assert model.library_cycles() == model.cycles == start + ran
    prof = model.profile()  # every cycle since reset either evaluated or skipped (reset's edges too)
    assert prof.edges + prof.skipped == model.cycles + RESET_CYCLES and prof.skipped >= 10**9 - 64
    assert prof.eval_seconds == prof.call_seconds == 0  # timed only in a TANDEM_PROFILE build


def test_a_profile_build_times_its_evals(cfg: TandemConfig) -> None:
    """The TANDEM_PROFILE build (tandem bench cosim's split) is another cached build of the same
    block, counting the same cycles and timing the evals inside the calls."""
    board = _board(cfg, "mac_axil")
    spec = replace(model_spec(board.peripherals["accel"].spec), profile=True)
    lib, _ = build_model(spec, cfg.cache_dir / "rtl", cfg.cxx)
    model = RtlModel(lib)
    model.reset(RESET_CYCLES)
    assert model.access(10, 0, True, 7, 0xF, 1000) > 0 and model.run(100, stop_on_irq=False) == 100
    prof = model.profile()
    assert prof.edges + prof.skipped == model.cycles + RESET_CYCLES
    assert 0 < prof.eval_seconds <= prof.call_seconds
    model.close()


def test_an_rtl_that_never_answers_is_a_hang_report(cfg: TandemConfig, build: Callable[..., Path],
                                                    tmp_path: Path) -> None:
    short = _overlay(tmp_path, "accel:\n    timeoutCycles: 500\n")
    with pytest.raises(AcceleratorError, match=r"accel: read at 0x50000014 not answered after 500 RTL cycles "
                                               r"\(axi4lite: .*arvalid=1 arready=0 rvalid=0"):
        _drive(cfg, build, "mac_axil", 1, 100_000, short)


@pytest.mark.parametrize(("text", "message"), [
    ('accel:\n    top: ""\n', r"amend.repl:2: accel: property 'top' \(the top-level module\) is required"),
    ('accel:\n    registerBus: "ahb"\n', r"amend.repl:2: accel: unknown registerBus 'ahb' \(choose one of "
                                       r"axi4lite, apb3, wishbone\)"),
    ('accel:\n    memoryBus: "ahb"\n', r"accel: memoryBus is ahb but the top level has no m_ahb_\* ports"),
    ('accel:\n    memoryBus: "apb"\n', r"amend.repl:2: accel: unknown memoryBus 'apb' \(choose one of none, axi4, ahb, "
                                      r"wishbone\)"),
    ('accel:\n    memoryBus: "wishbone"\n', r"accel: memoryBus is wishbone but the top level has no m_wb_\* ports"),
    ('accel:\n    memoryBus: "axi4"\n', r"accel: memoryBus is axi4 but the top level has no m_axi_\* ports"),
    ('accel:\n    registerBus: "apb3"\n', r"accel: the top level has no port 's_apb_paddr'"),
    ('accel:\n    colour: 3\n', r"amend.repl:2: accel: unknown property 'colour'"),
    ('accel:\n    resetPort: "rst_n"\n', r"the top level has no port 'rst_n'"),
])
def test_bad_properties_are_one_line_errors(cfg: TandemConfig, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PlatformError, match=message) as info:
        _board(cfg, "mac_axil", _overlay(tmp_path, text))
    assert "\n" not in str(info.value)


def test_a_users_overlay_with_a_port_off_the_convention(cfg: TandemConfig, tmp_path: Path) -> None:
    src = tmp_path / "rtl"
    src.mkdir()
    (src / "odd.v").write_text(
        "module odd(input wire clk, input wire rst, input wire [3:0] s_wb_adr, input wire s_wb_cyc,\n"
        "  input wire s_wb_stb, input wire s_wb_we, input wire [31:0] s_wb_datwr, output wire [31:0] s_wb_datrd,\n"
        "  output wire s_wb_ack, input wire go);\n"
        "  assign s_wb_datrd = 0; assign s_wb_ack = s_wb_stb & go;\nendmodule\n")
    overlay = _overlay(tmp_path, 'odd: Tandem.RtlPeripheral @ sysbus <0x50000000, +0x100>\n'
                                 '    sources: "rtl/odd.v"\n    top: "odd"\n    registerBus: "wishbone"\n',
                       "odd.repl")
    with pytest.raises(PlatformError, match=r"odd.repl:1: odd: port 'go' does not match the wishbone convention"):
        Board(load_platform("generic_m4", cfg.platforms_search, [overlay]), cfg)


def test_cli_run_with_a_named_overlay(cfg: TandemConfig, build: Callable[..., Path],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    elf = build("generic_m4", "tests/rtlp_drivers.S", extra_cflags=("-DDRIVER=2", "-DLATENCY=16"))
    assert main(["run", "--board", "generic_m4", "--accel", "mac_wb", str(elf)]) == 0
    assert "accel: " in capsys.readouterr().err


@pytest.mark.parametrize(("top", "bus"), [("mac_axil", "axi4lite"), ("mac_apb", "apb3"), ("mac_wb", "wishbone")])
def test_the_unit_under_standard_bus_models(cfg: TandemConfig, top: str, bus: str) -> None:
    """The same transactions through cocotbext-axi / -apb / -wishbone's masters (Icarus)."""
    rtl = cfg.rtl_dir / "examples"
    design = RtlDesign(toplevel=top, sources=(rtl / f"{top}.v", rtl / "mac_core.v"),
                       parameters={"LATENCY": 16}, includes=())
    built = build_rtl("icarus", design, cfg.cache_dir / "rtl")
    total, _ = run_tests(built, "rtl.examples.tests.mac_bench", extra_env={"TANDEM_MAC_BUS": bus})
    assert total == 1


def test_cli_infer_layers_an_rtl_overlay_on_the_cpu_run(cfg: TandemConfig,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The block sits on the bus of an ordinary run (no kernel uses it): same result; --compare
    runs the model without it, then with it, and compares (no op ran on it)."""
    model = str(Path(__file__).parent / "models" / "op_softmax.tflite")
    assert main(["infer", "--board", "nucleo_l4r5zi", "--model", model, "--accel", "mac_apb", "--check"]) == 0
    assert "bit-exact" in capsys.readouterr().out
    assert main(["infer", "--board", "nucleo_l4r5zi", "--model", model, "--accel", "mac_apb", "--compare"]) == 0
    out = capsys.readouterr().out
    assert "-- CPU only vs accelerated" in out and "with the mac_apb accelerator" in out
    assert " accel " not in out.split("-- CPU only vs accelerated")[1]


def test_the_build_key_follows_the_verilator_version_not_its_path(tmp_path: Path) -> None:
    """Checkouts with their own venvs share $TANDEM_CACHE's builds when their Verilator is the same."""
    from tandem.rtlsim.model import ModelSpec

    src = tmp_path / "top.v"
    src.write_text("module top(input wire clk); endmodule\n")
    spec = ModelSpec(sources=(src,), top="top", parameters={}, bus="wishbone", reset=None, where="x")

    def install(name: str, version: str) -> Path:
        (tmp_path / name / "bin").mkdir(parents=True)
        (tmp_path / name / "include").mkdir()
        (tmp_path / name / "include" / "verilated_config.h").write_text(f'#define VERILATOR_VERSION "{version}"\n')
        exe = tmp_path / name / "bin" / "verilator"
        exe.write_text("#!/bin/sh\n")
        return exe

    a, b, c = install("a", "5.048"), install("b", "5.048"), install("c", "5.050")
    assert spec.key(a) == spec.key(b)
    assert spec.key(a) != spec.key(c)
