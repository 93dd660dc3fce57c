"""STM32 system peripherals: CubeMX-style clock set-up firmware on F4, L4+ and F1 (RCC, PWR,
FLASH ACR), the CPU clock and flash wait states following what the firmware configured, and
the bit-band aliases."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tandem.machine.board import Board
from tandem.peripherals.stm32_rcc import Stm32F4Rcc, Stm32L4Rcc, Stm32Rcc
from tandem.platform.model import PeripheralSpec

# (board, program, -D flags, SYSCLK, HCLK, PCLK1, PCLK2, FLASH_ACR read back, a note)
SETUPS = [
    # HSE 8 MHz / M 8 x N 336 / P 2 = 168 MHz; APB1 /4, APB2 /2; ACR = PRFTEN | ICEN | DCEN | 5 WS
    ("stm32f4_discovery", "tests/stm32f4_clocks.c", (), 168_000_000, 168_000_000, 42_000_000,
     84_000_000, 0x705, "rcc: SYSCLK 168 MHz from PLL (HSE 8 MHz), HCLK 168 MHz"),
    # HSI 16 MHz / 16 x 336 / 4 = 84 MHz; APB1 /2; 2 WS (RM0090 table 10)
    ("stm32f4_discovery", "tests/stm32f4_clocks.c", ("-DUSE_HSI",), 84_000_000, 84_000_000,
     42_000_000, 84_000_000, 0x702, "rcc: SYSCLK 84 MHz from PLL (HSI 16 MHz), HCLK 84 MHz"),
    # MSI 4 MHz / 1 x 60 / R 2 = 120 MHz, range 1 boost, ACR = ICEN | DCEN (reset) | 5 WS
    ("nucleo_l4r5zi", "tests/stm32l4_clocks.c", (), 120_000_000, 120_000_000, 120_000_000,
     120_000_000, 0x605, "rcc: SYSCLK 120 MHz from PLL (MSI 4 MHz), HCLK 120 MHz"),
    # HSI16 / 2 x 20 / 2 = 80 MHz, range 1 normal, 3 WS (RM0432 table 12)
    ("nucleo_l4r5zi", "tests/stm32l4_clocks.c", ("-DUSE_HSI",), 80_000_000, 80_000_000,
     80_000_000, 80_000_000, 0x603, "rcc: SYSCLK 80 MHz from PLL (HSI 16 MHz), HCLK 80 MHz"),
    # HSE 8 MHz x 9 = 72 MHz, APB1 /2; ACR = PRFTBS | PRFTBE | 2 WS
    ("bluepill", "tests/stm32f1_clocks.c", (), 72_000_000, 72_000_000, 36_000_000, 72_000_000,
     0x32, "rcc: SYSCLK 72 MHz from PLL (HSE 8 MHz), HCLK 72 MHz"),
    # HSI/2 4 MHz x 16 = 64 MHz, APB1 /2
    ("bluepill", "tests/stm32f1_clocks.c", ("-DUSE_HSI",), 64_000_000, 64_000_000, 32_000_000,
     64_000_000, 0x32, "rcc: SYSCLK 64 MHz from PLL (HSI/2 4 MHz), HCLK 64 MHz"),
]

# SysTick handler entry and return (12 + 12 cycles on the M3/M4, TRM "exception latency"), the
# handler itself and one pass of the delay loop: cycles the wait may run past its last tick.
TICK_SLACK = 100


def _run(build: Callable[..., Any], cfg: Any, board: str, program: str,
         flags: tuple[str, ...]) -> tuple[Board, str, list[str]]:
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, program, extra_cflags=flags))
    result = b.run(max_cycles=100_000_000)
    assert result.exit_code == 0, result.output
    assert result.cpu_hz == b.cpu_hz
    return b, result.output, result.notes


@pytest.mark.parametrize("setup", SETUPS, ids=lambda s: f"{s[0]}-{s[3] // 1_000_000}MHz")
def test_clock_setup(build, cfg, setup):
    board, program, flags, sysclk, hclk, pclk1, pclk2, acr, note = setup
    b, out, notes = _run(build, cfg, board, program, flags)
    assert f"SYSCLK={sysclk} HCLK={hclk} PCLK1={pclk1} PCLK2={pclk2}\n" in out
    assert f"ACR 0x{acr:x}\n" in out
    rcc = b.peripherals["rcc"]
    assert isinstance(rcc, Stm32Rcc)
    assert (rcc.sysclk_hz, rcc.hclk_hz, rcc.pclk1_hz, rcc.pclk2_hz) == (sysclk, hclk, pclk1, pclk2)
    assert b.cpu_hz == hclk
    assert note in notes
    # The flash latency the firmware wrote is the one the timing model charges now.
    flash = b.timing.memory.find(0x0800_0000)
    assert flash is not None and flash.wait_states == acr & 7
    # HAL_Delay(10) waits for 11 SysTick increments of P = HCLK / 1000 cycles each. The first
    # comes 0 < t <= P after the start, so the 11th comes 10 P < t <= 11 P after it: the span
    # is 10 ms of HCLK, plus at most one tick period (plus the handler's few cycles).
    m = re.search(r"delay10 (\d+)", out)
    assert m is not None, out
    span = int(m.group(1))
    period = hclk // 1000
    assert 10 * period < span <= 11 * period + TICK_SLACK


def test_flash_latency_applies_to_fetches(build, cfg):
    """The F4 firmware times 100 passes of a flash loop at ACR.LATENCY 5 and 0, ART off and on.

    A pass: 8 ADD.W (1 cycle each), SUBS (1), taken BNE (1 + P, P = 1): 11 cycles at zero wait
    states (Cortex-M4 TRM table 3-1). With the ART off each 32-bit fetch takes 1 + 5 cycles and
    overlaps only the 1 cycle of the previous word: 9 fetches per pass (8 ADD.W words, SUBS+BNE
    in one), each stalling 5, the first one after the taken branch included: 45 cycles more per
    pass. With the ART's I-cache on, the loop's 3 lines hit after the warm-up call: no stall.
    """
    _, out, _ = _run(build, cfg, "stm32f4_discovery", "tests/stm32f4_clocks.c", ())
    m = re.search(r"loop off5 (\d+) off0 (\d+) on5 (\d+) on0 (\d+)", out)
    assert m is not None, out
    off5, off0, on5, on0 = map(int, m.groups())
    assert off0 == on0 == on5 == 100 * 11
    assert off5 - off0 == 100 * 9 * 5


@pytest.mark.parametrize("board", ["stm32f4_discovery", "bluepill"])
def test_bit_band_sets_and_clears_one_bit(run_program, board):
    _, result = run_program(board, "tests/bitband.c")
    # SRAM word 0x00F0F000: bit 3 set, bit 13 cleared -> 0x00F0D008; word 1: only bit 30 set.
    assert "sram 00f0d008 40000000 read 1 0\n" in result.output
    # RCC_APB1ENR from reset 0: PWREN (bit 28) set, then cleared again.
    assert "periph 00000000 10000000 00000000 read 0\n" in result.output


def test_firmware_that_never_touches_rcc_keeps_the_board_clock(run_program):
    b, result = run_program("stm32f4_discovery", "tests/hello.c")
    assert result.cpu_hz == b.platform.cpu.frequency_hz == 168_000_000
    assert not any(n.startswith("rcc:") for n in result.notes)
    flash = b.timing.memory.find(0x0800_0000)
    assert flash is not None and flash.wait_states == 5  # the board file's


class _Ctx:
    """A board stand-in: a settable clock and the scheduled events."""

    def __init__(self, hz: int) -> None:
        self.cpu_hz = hz
        self.cycle = 0
        self.events: dict[object, tuple[int, Callable[[int], None]]] = {}
        self.notes: list[str] = []

    def now(self) -> int:
        return self.cycle

    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None:
        self.events[owner] = (cycle, callback)

    def cancel(self, owner: object) -> None:
        self.events.pop(owner, None)

    def set_cpu_hz(self, hz: int, reason: str) -> None:
        self.cpu_hz = hz
        self.notes.append(reason)

    def advance(self, cycles: int) -> None:
        self.cycle += cycles
        for owner, (due, cb) in sorted(self.events.items(), key=lambda kv: kv[1][0]):
            if due <= self.cycle:
                del self.events[owner]
                cb(due)


def _spec(name: str, type_name: str) -> PeripheralSpec:
    return PeripheralSpec(name, type_name, 0x40023800, 0x400, {"hseFrequency": 25_000_000}, (), "t.repl", 1)


def test_f4_rcc_ready_flags_follow_enables_after_the_startup_time():
    ctx = _Ctx(16_000_000)
    rcc = Stm32F4Rcc(_spec("rcc", "Miscellaneous.STM32F4_RCC"), ctx)  # type: ignore[arg-type]
    assert rcc.read(0x00, 4) == 0x83 and rcc.read(0x04, 4) == 0x2400_3010
    rcc.write(0x00, 4, 0x83 | 1 << 16)  # HSEON
    # HSE start-up 2 ms at 16 MHz = 32000 cycles
    ctx.advance(31_999)
    assert not rcc.read(0x00, 4) & 1 << 17
    ctx.advance(1)
    assert rcc.read(0x00, 4) & 1 << 17
    # SW = PLL while the PLL is off: SWS stays HSI, the clock HSI
    rcc.write(0x08, 4, 2)
    assert rcc.read(0x08, 4) & 0xC == 0 and rcc.sysclk_hz == 16_000_000
    rcc.write(0x04, 4, 25 | 336 << 6 | 1 << 22)  # HSE 25 MHz / 25 x 336 / 2 = 168 MHz
    rcc.write(0x00, 4, rcc.read(0x00, 4) | 1 << 24)
    ctx.advance(1_600)  # PLL lock 100 us at 16 MHz
    assert rcc.read(0x00, 4) & 1 << 25 and rcc.read(0x08, 4) & 0xC == 8
    assert rcc.sysclk_hz == ctx.cpu_hz == 168_000_000
    # the PLL and its input clock SYSCLK now: clearing PLLON and HSEON is refused
    rcc.write(0x00, 4, 0x83)
    assert rcc.read(0x00, 4) & (1 << 24 | 1 << 16) == 1 << 24 | 1 << 16


def test_l4_msi_ranges_and_the_pll_without_input():
    ctx = _Ctx(4_000_000)
    rcc = Stm32L4Rcc(_spec("rcc", "Miscellaneous.STM32L4_RCC"), ctx)  # type: ignore[arg-type]
    assert rcc.sysclk_hz == 4_000_000  # MSI range 6 from CSR.MSISRANGE at reset
    rcc.write(0x00, 4, 0x03 | 1 << 3 | 0xB << 4)  # MSION, MSIRGSEL, range 11
    assert rcc.sysclk_hz == 48_000_000
    rcc.write(0x00, 4, (rcc.read(0x00, 4) & ~(1 << 3)) | 1 << 24)  # MSIRGSEL stays; PLLON, no source
    assert rcc.read(0x00, 4) & 1 << 3
    ctx.advance(1_000_000)
    assert not rcc.read(0x00, 4) & 1 << 25  # PLLSRC = none: never locks


def test_low_speed_oscillators_and_reset_flags():
    ctx = _Ctx(16_000_000)
    rcc = Stm32F4Rcc(_spec("rcc", "Miscellaneous.STM32F4_RCC"), ctx)  # type: ignore[arg-type]
    assert rcc.read(0x74, 4) == 0x0E00_0000  # CSR: POR, PIN and BOR reset flags
    rcc.write(0x74, 4, 1)  # LSION: ready after 40 us = 640 cycles at 16 MHz
    ctx.advance(639)
    assert rcc.read(0x74, 4) == 0x0E00_0001
    ctx.advance(1)
    assert rcc.read(0x74, 4) == 0x0E00_0003
    rcc.write(0x74, 4, 1 | 1 << 24)  # RMVF clears the reset flags and reads 0
    assert rcc.read(0x74, 4) == 0x3
    rcc.write(0x70, 4, 1)  # BDCR LSEON: 2 ms modelled = 32000 cycles
    ctx.advance(32_000)
    assert rcc.read(0x70, 4) == 0x3


def test_bit_band_alias_of_missing_sram_is_a_bus_error(cfg):
    b = Board.from_platform("bluepill", cfg)  # 20 KiB of SRAM: 0x20005000 is not there
    alias = b.peripherals["bitbandSram"]
    assert alias.read(0x5000 * 32 + 3 * 4, 4) == 0
    assert b.bus.fault is not None and (b.bus.fault.kind, b.bus.fault.address) == ("read", 0x20005000)


def test_modelled_time_follows_the_clock_changes(build, cfg):
    """The F4 set-up runs its start at the board's 168 MHz, switches to HSI (16 MHz) while it sets
    up the PLL, then runs at 168 MHz: the run lasts longer than its cycles at 168 MHz, and less
    than at 16 MHz (core/clock.py: seconds accumulate per clock segment)."""
    b = Board.from_platform("stm32f4_discovery", cfg)
    b.load_elf(build("stm32f4_discovery", "tests/stm32f4_clocks.c"))
    result = b.run(max_cycles=100_000_000)
    assert result.exit_code == 0
    assert result.cycles / 168e6 < result.sim_seconds < result.cycles / 16e6
    assert result.to_json()["sim_seconds"] == result.sim_seconds


def test_core_clock_segments():
    from tandem.core.clock import CoreClock

    clock = CoreClock(16_000_000)
    assert clock.seconds(16_000) == 1e-3
    clock.set_hz(168_000_000, 16_000)  # 1 ms at 16 MHz, then 168 MHz
    assert clock.seconds(16_000 + 168_000) == 2e-3
