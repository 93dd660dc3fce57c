"""The RTL accelerator co-simulated with a board: firmware driver -> registers -> RTL -> memory.

Each run builds firmware/tests/accel_conv.c with cases from the golden model (tests/
accel_firmware.py), runs it with ``run_with_accel`` (the board inside the cocotb simulator) and
checks the output bytes (the firmware's CRC of each output buffer against the golden model's),
the error codes, the CPU fallback, and that DWT_CYCCNT around each accelerator call contains
exactly the stall the bridge charged. Verilator runs the 8x8 array, Icarus the 4x4 one; the RTL
builds are cached under the cache directory, so only a first run pays for them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from accel_firmware import Case, make_cases, write_cases_c

from tandem.config import TandemConfig
from tandem.cosim import CosimResult, run_with_accel
from tandem.errors import AcceleratorError, PlatformError, SimulationError, TandemError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.peripherals.conv_accel import AccelParams
from tandem.platform import load_platform

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"case (\S+): rc=(-?\d+) \((\S+)\) path=(\S+) cycles=(\d+) accel_cycles=(\d+) "
                  r"crc=([0-9a-f]{8}) mismatches=(\d+) (ok|FAIL)")


@dataclass
class Outcome:
    rc: int
    path: str
    cycles: int
    accel_cycles: int
    crc: int
    ok: bool


def overlay(cfg: TandemConfig, name: str) -> Path:
    return cfg.platforms_dir / "accel" / f"{name}.repl"


def accel_elf(cfg: TandemConfig, board: str, accel: str) -> tuple[Path, list[Case]]:
    platform = load_platform(board, cfg.platforms_dir, [overlay(cfg, accel)])
    cases = make_cases(AccelParams.from_spec(platform.peripheral("accel")))
    src = write_cases_c(cases, cfg.cache_dir / "accel_cases", f"cases_{accel}")
    spec = FirmwareSpec(("tests/accel_conv.c", "drivers/conv_accel.c", str(src)), name=f"accel_conv_{accel}")
    return build_firmware(platform, spec, cfg), cases


def outcomes(output: str) -> dict[str, Outcome]:
    found = {}
    for m in LINE.finditer(output):
        found[m[1]] = Outcome(int(m[2]), m[4], int(m[5]), int(m[6]), int(m[7], 16), m[9] == "ok")
    return found


def check_run(res: CosimResult, cases: list[Case]) -> dict[str, Outcome]:
    """Bit-exact outputs, codes and paths as expected, and the stall inside DWT_CYCCNT."""
    got = outcomes(res.run.output)
    assert list(got) == [c.name for c in cases], res.run.output
    for c in cases:
        o = got[c.name]
        assert o.crc == c.expected_crc(), f"{c.name}: output differs from the golden model\n{res.run.output}"
        assert o.rc == c.expect_rc and o.ok, f"{c.name}: {o}"
    assert res.run.exit_code == 0 and "ALL CASES PASSED" in res.run.output
    # every case starts the engine once (the refused ones too); jobs are in program order
    assert len(res.jobs) == len(cases)
    overheads = set()
    for c, job in zip(cases, res.jobs, strict=True):
        o = got[c.name]
        assert job["accel_cycles"] == o.accel_cycles == job["counters"]["CYCLES"]
        if o.path == "accel":
            assert job["status"] & 0b111 == 0b010 and job["bytes_out"] > 0
            assert o.cycles > job["stall_cycles"] > 0
            overheads.add(o.cycles - job["stall_cycles"])
    # The CPU's own cost of a driver call (~20 register writes, polls) does not depend on how
    # long the RTL ran: DWT_CYCCNT exceeds the charged stall by about the same amount for every
    # accelerated case (flash-cache misses vary a little with what ran in between). The exact
    # check is in test_clock_ratio_and_bus_wait_states_reach_the_cpu_clock.
    assert max(overheads) - min(overheads) <= 16 and max(overheads) < 400, overheads
    return got


@pytest.fixture(scope="module")
def cfg() -> TandemConfig:
    return TandemConfig.from_env()


@pytest.fixture(scope="module")
def icarus_4x4(cfg: TandemConfig) -> tuple[CosimResult, list[Case]]:
    elf, cases = accel_elf(cfg, "nucleo_l4r5zi", "conv4x4")
    return run_with_accel("nucleo_l4r5zi", elf, "conv4x4", cfg, simulator="icarus"), cases


def test_verilator_8x8_bit_exact_through_firmware(cfg: TandemConfig) -> None:
    elf, cases = accel_elf(cfg, "stm32f4_discovery", "conv8x8")
    res = run_with_accel("stm32f4_discovery", elf, "conv8x8", cfg, simulator="verilator")
    got = check_run(res, cases)
    assert [got[c.name].path for c in cases] == ["accel", "accel", "accel", "cpu", "none"]
    first = res.jobs[0]
    # a 3x3 SAME layer keeps the 8x8 array busy for most of its compute phase
    assert first["compute_utilisation"] > 0.8 and first["mac_utilisation"] > 0.4
    assert first["bytes_in"] >= cases[0].job.inp.size + cases[0].job.filt.size
    print(f"verilator 8x8: {res.total_seconds:.2f} s wall (build {res.build_seconds:.1f} s); per job "
          + ", ".join(f"{j['overhead_seconds'] * 1e6:.0f} us overhead" for j in res.jobs))


def test_icarus_4x4_bit_exact_through_firmware(icarus_4x4: tuple[CosimResult, list[Case]]) -> None:
    res, cases = icarus_4x4
    got = check_run(res, cases)
    assert got["capacity_fallback"].path == "cpu"
    # the refused job cost only the engine's 3 check cycles, and the CPU then did the work
    assert res.jobs[3]["error_code"] == 6 and res.jobs[3]["accel_cycles"] == 3
    # ...on the CPU, which needs at least a cycle per multiply-accumulate
    fallback = next(c for c in cases if c.name == "capacity_fallback")
    assert got["capacity_fallback"].cycles > fallback.job.useful_macs() > 0


def test_bad_config_returns_engine_error_code(icarus_4x4: tuple[CosimResult, list[Case]]) -> None:
    res, cases = icarus_4x4
    got = outcomes(res.run.output)
    assert got["bad_param"].rc == 2 and got["bad_param"].path == "none"
    assert "rc=2 (BAD_PARAM)" in res.run.output
    job = res.jobs[[c.name for c in cases].index("bad_param")]
    assert job["status"] & 0b111 == 0b100 and job["error_code"] == 2
    assert job["mem_reads"] == 0 and job["mem_writes"] == 0 and job["bytes_out"] == 0


def test_clock_ratio_and_bus_wait_states_reach_the_cpu_clock(
        cfg: TandemConfig, tmp_path: Path, icarus_4x4: tuple[CosimResult, list[Case]]) -> None:
    """Half-speed accelerator clock doubles the stall; bus wait states lengthen the RTL run."""
    base, cases = icarus_4x4
    slow = tmp_path / "slow.repl"
    hz = load_platform("nucleo_l4r5zi", cfg.platforms_dir).cpu.frequency_hz
    slow.write_text(f"accel: Tandem.ConvAccelerator\n    frequency: {hz // 2}\n"
                    "    busWaitStates: 2\n    busReadLatency: 3\n")
    elf, _ = accel_elf(cfg, "nucleo_l4r5zi", "conv4x4")
    res = run_with_accel("nucleo_l4r5zi", elf, "conv4x4", cfg, simulator="icarus", overlays=[slow])
    got = check_run(res, cases)
    before = outcomes(base.run.output)
    for c, job, job0 in zip(cases, res.jobs, base.jobs, strict=True):
        assert job["stall_cycles"] == 2 * job["accel_cycles"]
        if got[c.name].path == "accel":
            assert job["counters"]["LOAD_CYCLES"] > job0["counters"]["LOAD_CYCLES"]
            assert job["accel_cycles"] > job0["accel_cycles"]
            # the CPU saw exactly the longer stall, nothing else changed
            assert (got[c.name].cycles - before[c.name].cycles
                    == job["stall_cycles"] - job0["stall_cycles"])


def test_hung_rtl_stops_with_report(cfg: TandemConfig, tmp_path: Path) -> None:
    """A memory that stops answering leaves the engine BUSY forever: timeout, report, no hang."""
    hang = tmp_path / "hang.repl"
    hang.write_text("accel: Tandem.ConvAccelerator\n    testStallAfterReads: 5\n    timeoutCycles: 20000\n")
    elf, _ = accel_elf(cfg, "nucleo_l4r5zi", "conv4x4")
    with pytest.raises(AcceleratorError) as info:
        run_with_accel("nucleo_l4r5zi", elf, "conv4x4", cfg, simulator="icarus", overlays=[hang])
    text = str(info.value)
    assert "did not finish within 20,000" in text
    assert "last CPU transaction: START" in text and "IN_ADDR 0x" in text
    assert "5 reads" in text and "pending request: read" in text
    found = re.search(r"STATUS = 0x([0-9a-f]{8})", text)
    assert found, "the report names the STATUS register"
    status = int(found[1], 16)
    assert status & 1, "the report shows the engine still BUSY"


def test_cli_run_accel_json(cfg: TandemConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tandem.cli import main

    elf, cases = accel_elf(cfg, "nucleo_l4r5zi", "conv4x4")
    out = tmp_path / "run.json"
    code = main(["run", "--board", "nucleo_l4r5zi", "--accel", "conv4x4", "--simulator", "icarus",
                 "--quiet", "--json", str(out), str(elf)])
    assert code == 0
    data: dict[str, Any] = json.loads(out.read_text())
    assert len(data["accelerator_jobs"]) == len(cases)
    assert data["run"]["exit_code"] == 0 and "ALL CASES PASSED" in data["run"]["output"]
    err = capsys.readouterr().err
    assert f"{len(cases)} runs" in err and "accelerator cycles" in err


def test_board_without_cosim_driver_refuses_start(cfg: TandemConfig) -> None:
    """Board.run alone cannot serve an RTL peripheral: it says how to run it instead of hanging."""
    elf, _ = accel_elf(cfg, "nucleo_l4r5zi", "conv4x4")
    board = Board.from_platform("nucleo_l4r5zi", cfg, [overlay(cfg, "conv4x4")])
    board.load_elf(elf)
    with pytest.raises(SimulationError, match="run_with_accel"):
        board.run(max_cycles=10_000_000)


def test_overlay_validation(cfg: TandemConfig, tmp_path: Path) -> None:
    bad = tmp_path / "bad.repl"
    bad.write_text("accel: Tandem.ConvAccelerator\n    busWidth: 8\n")
    platform = load_platform("bluepill", cfg.platforms_dir, [overlay(cfg, "conv8x8"), bad])
    with pytest.raises(PlatformError, match="busWidth 8"):
        AccelParams.from_spec(platform.peripheral("accel"))
    bad.write_text("accel: Tandem.ConvAccelerator\n    rows: 6\n")
    platform = load_platform("bluepill", cfg.platforms_dir, [overlay(cfg, "conv8x8"), bad])
    with pytest.raises(PlatformError, match="power of two"):
        AccelParams.from_spec(platform.peripheral("accel"))


def test_interrupt_driven_driver_wakes_from_wfi(cfg: TandemConfig, tmp_path: Path) -> None:
    """With the accelerator wired to an NVIC line, DONE interrupts the CPU sleeping in WFI."""
    irq = tmp_path / "irq.repl"
    irq.write_text("accel: Tandem.ConvAccelerator\n    -> nvic@42\n")
    platform = load_platform("nucleo_l4r5zi", cfg.platforms_dir, [overlay(cfg, "conv4x4"), irq])
    elf = build_firmware(platform, FirmwareSpec(("tests/accel_irq.c", "drivers/conv_accel.c"),
                                                defines={"ACCEL_IRQ": "42"}), cfg)
    res = run_with_accel("nucleo_l4r5zi", elf, "conv4x4", cfg, simulator="icarus", overlays=[irq])
    m = re.search(r"irqs (\d+) status ([0-9a-f]+) rc (-?\d+) \((\w+)\) accel_cycles (\d+) span (\d+)",
                  res.run.output)
    assert m is not None, res.run.output
    assert int(m[1]) == 1 and int(m[2], 16) & 0b111 == 0b010 and int(m[3]) == 0
    assert res.run.exit_code == 0 and len(res.jobs) == 1
    job = res.jobs[0]
    assert int(m[5]) == job["accel_cycles"] > 0
    # the span holds the stall plus the CPU's own work: ~20 register writes, exception entry,
    # handler and return
    assert job["stall_cycles"] + 12 + 10 < int(m[6]) < job["stall_cycles"] + 400


def test_waves_dump_the_rtl(cfg: TandemConfig, tmp_path: Path) -> None:
    """--waves: Icarus writes an FST of the bridge's signals; a bad name is refused up front."""
    elf, _ = accel_elf(cfg, "nucleo_l4r5zi", "conv4x4")
    out = tmp_path / "run.fst"
    res = run_with_accel("nucleo_l4r5zi", elf, "conv4x4", cfg, simulator="icarus", waves=out)
    assert res.waves == out and res.run.exit_code == 0
    data = out.read_bytes()
    assert len(data) > 10_000 and data[0] == 0  # FST files start with a header block (type 0)
    with pytest.raises(TandemError, match="FST"):
        run_with_accel("nucleo_l4r5zi", elf, "conv4x4", cfg, simulator="icarus", waves=tmp_path / "x.vcd")
