"""The conv engine as a Tandem.RtlPeripheral (rtl/tandem_conv_engine_axi.v, platforms/accel/
conv*.repl) driven by the firmware driver on a board: bit-exact jobs through the firmware
(cases from the golden model, tests/accel_firmware.py), the jobs the host reads from the register
accesses (tandem.accel.joblog), flash wait states paid by the engine's reads, a bus error naming
the engine's address, an interrupt-driven driver and a hang while the CPU sleeps."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from accel_firmware import LINE_RE, make_cases, write_cases_c

from tandem.accel.joblog import AccessLog, engine_jobs
from tandem.config import TandemConfig
from tandem.errors import AcceleratorError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.peripherals.rtl_peripheral import RtlPeripheral, model_spec
from tandem.platform import load_platform
from tandem.platform.model import Platform

OVERLAY = "conv8x8"


@dataclass(frozen=True)
class EngineParams:
    """What tests/accel_firmware.make_cases needs, from the overlay's Verilog parameters."""

    rows: int
    cols: int
    max_out_channels: int
    input_buffer_words: int


def _platform(cfg: TandemConfig, board: str, *extra: Path) -> Platform:
    return load_platform(board, cfg.platforms_search, [cfg.platforms_dir / "accel" / f"{OVERLAY}.repl", *extra])


def _run(cfg: TandemConfig, platform: Platform, sources: tuple[str, ...], name: str,
         defines: dict[str, str] | None = None) -> tuple[Board, RtlPeripheral, str, int]:
    elf = build_firmware(platform, FirmwareSpec(sources, name=name, defines=defines or {}), cfg)
    board = Board(platform, cfg)
    board.load_elf(elf)
    accel = board.peripherals["accel"]
    assert isinstance(accel, RtlPeripheral)
    accel.log = AccessLog()
    res = board.run(max_cycles=50_000_000)
    return board, accel, res.output, res.exit_code


def test_cases_bit_exact_through_the_firmware(cfg: TandemConfig) -> None:
    platform = _platform(cfg, "stm32f4_discovery")
    p = model_spec(platform.peripheral("accel")).parameters
    params = EngineParams(int(p["PO"]), int(p["PI"]), int(p["MAX_OC"]), int(p["IBUF_WORDS"]))
    cases = make_cases(params)
    src = write_cases_c(cases, cfg.cache_dir / "accel_cases", f"cases_{OVERLAY}")
    _, accel, output, code = _run(cfg, platform, ("tests/accel_conv.c", "drivers/conv_accel.c", str(src)),
                                  f"accel_conv_{OVERLAY}")
    got = {m[1]: m for m in LINE_RE.finditer(output)}
    assert list(got) == [c.name for c in cases], output
    for c in cases:
        m = got[c.name]
        assert int(m[7], 16) == c.expected_crc(), f"{c.name}: output differs from the golden model\n{output}"
        assert int(m[2]) == c.expect_rc and m[9] == "ok", output
    assert code == 0 and "ALL CASES PASSED" in output
    # every case starts the engine once (the refused ones too); the host's record of each job
    # has the engine's own CYCLES, which the firmware read back after it
    jobs = engine_jobs(accel.log or [])
    assert len(jobs) == len(cases)
    for c, job in zip(cases, jobs, strict=True):
        m = got[c.name]
        assert job["accel_cycles"] == int(m[6])
        assert (job["error_code"] == 0) == (m[4] == "accel")
        if m[4] == "accel":
            # the stall spans the job; DWT around the driver call adds the ~20 register writes
            assert 0 < job["stall_cycles"] < int(m[5])
            assert job["useful_macs"] == c.job.useful_macs() and 0 < job["mac_utilisation"] <= 1
            assert job["bytes_moved"] >= c.job.inp.size + c.job.filt.size


def test_the_engines_reads_pay_the_flash_wait_states(cfg: TandemConfig) -> None:
    """The same 1x1 job with its operands in flash, then in SRAM (0 wait states): the shim
    presents a beat 1 + W edges after the previous one (sim/rtlsim/shim.cpp), so the load phase
    grows by W cycles per 32-bit beat read from flash. The tolerance, one cycle per operand
    stream (input, filter, bias, multipliers, shifts), covers where each stream's first burst
    overlaps the previous stream's tail; measured: 2 on this board."""
    platform = _platform(cfg, "stm32f4_discovery")
    _, accel, output, code = _run(cfg, platform, ("tests/accel_flash.c", "drivers/conv_accel.c"), "accel_flash")
    assert code == 0 and "same 1" in output, output
    flash = re.search(r"flash rc 0 cycles (\d+) load (\d+) bytes (\d+)", output)
    sram = re.search(r"sram rc 0 cycles (\d+) load (\d+) bytes (\d+)", output)
    assert flash and sram, output
    wait = next(w.wait_states for w in accel.ctx.memory_windows() if w.name == "flash")
    assert wait == 5  # 168 MHz, FLASH_ACR LATENCY 5 (RM0090 3.5.1)
    beats = int(flash[3]) // 4
    assert abs((int(flash[2]) - int(sram[2])) - wait * beats) <= 5
    assert int(flash[1]) - int(sram[1]) == int(flash[2]) - int(sram[2])  # only the load phase changed


def test_a_read_outside_memory_is_a_bus_error_naming_the_engines_address(cfg: TandemConfig) -> None:
    platform = _platform(cfg, "nucleo_l4r5zi")
    with pytest.raises(AcceleratorError, match=r"accel: bus error on the RTL's axi4 memory port: read at "
                                               r"0x90000000 outside the board's memory \(DECERR\)"):
        _run(cfg, platform, ("tests/accel_bus_error.c", "drivers/conv_accel.c"), "accel_bus_error")


def test_an_interrupt_driven_driver_wakes_from_wfi(cfg: TandemConfig) -> None:
    platform = _platform(cfg, "nucleo_l4r5zi")
    _, accel, output, code = _run(cfg, platform, ("tests/accel_irq.c", "drivers/conv_accel.c"), "accel_irq",
                                  {"ACCEL_IRQ": "0"})
    m = re.search(r"irqs (\d+) status ([0-9a-f]+) rc (-?\d+) \((\w+)\) accel_cycles (\d+) span (\d+)", output)
    assert m is not None and code == 0, output
    assert int(m[1]) == 1 and int(m[2], 16) & 0b111 == 0b010
    (job,) = engine_jobs(accel.log or [])
    assert job["accel_cycles"] == int(m[5]) > 0
    # the CPU slept through the job: the span holds it, entry and exit of the handler
    assert int(m[5]) < int(m[6]) < int(m[5]) + 400


def test_a_job_longer_than_the_timeout_while_the_cpu_sleeps_is_a_hang_report(cfg: TandemConfig,
                                                                            tmp_path: Path) -> None:
    short = tmp_path / "short.repl"
    short.write_text("accel:\n    timeoutCycles: 50\n")
    platform = _platform(cfg, "nucleo_l4r5zi", short)
    with pytest.raises(AcceleratorError, match=r"accel: the CPU sleeps \(WFI/WFE\) at cycle \d+ waiting for irq, "
                                               r"which the RTL did not raise within 50 RTL cycles"):
        _run(cfg, platform, ("tests/accel_irq.c", "drivers/conv_accel.c"), "accel_irq", {"ACCEL_IRQ": "0"})
