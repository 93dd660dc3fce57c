"""Firmware ELFs on the simulated boards: console output, exit codes, the one clock, exceptions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import BOARDS

from tandem.errors import ElfError, FirmwareFault, SimulationError
from tandem.machine.board import Board
from tandem.platform import load_platform

HELLO = "Hello from tandem!\nline 0\nline 1\nline 2\n"


@pytest.mark.parametrize("board", BOARDS)
def test_hello_on_every_board(run_program, board):
    b, result = run_program(board, "tests/hello.c")
    assert result.output == HELLO
    assert result.exit_code == 0 and result.stop_reason == "exit"
    assert result.cpu_hz == b.platform.cpu.frequency_hz
    assert 0 < result.instructions <= result.cycles


def test_stm32_hello_goes_through_the_usart(build, cfg, monkeypatch):
    """On STM32 boards the port prints through the USART registers, not semihosting."""
    board = Board.from_platform("stm32f4_discovery", cfg)
    board.load_elf(build("stm32f4_discovery", "tests/hello.c"))
    usart = board.peripherals["usart2"]
    written = []
    original = usart.transmit
    monkeypatch.setattr(usart, "transmit", lambda value: (written.append(value), original(value)))
    result = board.run()
    assert bytes(written).decode() == HELLO == result.output


@pytest.mark.parametrize("board", BOARDS)
def test_exit_code(run_program, board):
    _, result = run_program(board, "tests/exit_code.c")
    assert result.output == "fib(12) = 144\n"
    assert result.exit_code == 44


@pytest.mark.parametrize("board", ["stm32f4_discovery", "bluepill", "mps2_an386"])
def test_semihosting_calls(run_program, board):
    _, result = run_program(board, "tests/semihost_hello.c")
    assert result.output == "write via SYS_WRITE\nwrite via SYS_WRITE0\n!\n"
    assert result.exit_code == 0


@pytest.mark.parametrize("board", ["stm32f4_discovery", "nucleo_l4r5zi", "mps2_an386"])
def test_console_input(run_program, board):
    _, result = run_program(board, "tests/echo.c", stdin=b"tandem rocks\nignored")
    assert result.output == "TANDEM ROCKS\n12\n"


@pytest.mark.parametrize("board", BOARDS)
def test_cyccnt_is_the_board_clock_to_the_instruction(run_program, board):
    """DWT CYCCNT and the debugger's clock (SYS_ELAPSED) read tandem's one clock: equal spans."""
    _, result = run_program(board, "tests/clocks.c")
    dwt, elapsed = map(int, re.fullmatch(r"dwt (\d+) elapsed (\d+)\n", result.output).groups())
    assert dwt == elapsed
    assert dwt > 777 * 5  # the loop really ran between the reads


def test_cyccnt_span_matches_run_cycles(build, cfg):
    """The whole program timed from its first instruction: CYCCNT started at reset agrees with
    the run's cycle count (exact: both are the same counter, read at the same instruction)."""
    board = Board.from_platform("stm32f4_discovery", cfg)
    board.load_elf(build("stm32f4_discovery", "tests/cyccnt.c"))
    result = board.run()
    cycles, after_write = re.fullmatch(r"cycles (\d+)\nafter write (\d+)\n", result.output).groups()
    assert int(after_write) == 5 + 1  # CYCCNT=5 then one single-cycle STR before the read
    assert board.dwt is not None and board.dwt.counting
    # CYCCNT keeps counting until exit: its final value is the run's cycles since the write of 5
    assert board.dwt.cyccnt() == 5 + result.cycles - board.dwt.base_cycle
    assert int(cycles) > 1000


@pytest.mark.parametrize("board", BOARDS)
def test_systick_interrupts_and_readback(run_program, board):
    _, result = run_program(board, "tests/systick.c")
    m = re.fullmatch(r"rvr 9999 cvr 0\nticks (\d+)\nspan (\d+)\nwraps 3\n", result.output)
    assert m, result.output
    assert int(m.group(1)) == 10
    # 10 periods of 10,000 cycles; the rest is enabling the timer, the WFI wake-up, one
    # exception entry (12) and return (10) and the loop test: under 100 cycles
    assert 100_000 <= int(m.group(2)) < 100_100
    # WFI sleeps are skipped: far fewer instructions than cycles
    assert result.instructions < result.cycles / 5


@pytest.mark.parametrize("board", ["stm32f4_discovery", "bluepill"])
def test_svc_pendsv_and_tail_chaining(run_program, board):
    _, result = run_program(board, "tests/svc.c")
    assert result.output == "svc 3 pendsv 30 r4 cafe\n"


@pytest.mark.parametrize("board", ["stm32f4_discovery", "bluepill"])
def test_float_hard_and_soft(run_program, board):
    _, result = run_program(board, "tests/float.c")
    assert result.output == "7781\n"


@pytest.mark.parametrize("board", ["stm32f4_discovery", "nucleo_l4r5zi", "bluepill"])
def test_unmodelled_peripheral_is_reported_once(run_program, board):
    _, result = run_program(board, "tests/unmodelled.c")
    assert result.output == "crc 0\n"
    assert len(result.notes) == 1
    assert re.match(r"crc \(CRC\.STM32_CRC\) is not modelled: first access was a write at 0x40023000",
                    result.notes[0])


def test_deterministic_cycles(run_program):
    runs = [run_program("nucleo_l4r5zi", "tests/primes.c")[1] for _ in range(2)]
    assert runs[0].output.startswith("1229 primes below 10000, checksum ")
    assert (runs[0].cycles, runs[0].instructions) == (runs[1].cycles, runs[1].instructions)


def test_memory_api(build, cfg):
    board = Board.from_platform("stm32f4_discovery", cfg)
    board.load_elf(build("stm32f4_discovery", "tests/hello.c"))
    board.write_memory(0x20000100, b"tandem")
    assert board.read_memory(0x20000100, 6) == b"tandem"
    assert board.read_memory(0x10000000, 4) == b"\0\0\0\0"  # CCM
    # the flash alias at 0 (booting from flash, RM0090 2.4) shows the same bytes as 0x08000000
    assert board.read_memory(0, 64) == board.read_memory(0x08000000, 64)


def test_elf_that_does_not_fit(build, cfg):
    elf = build("stm32f4_discovery", "tests/bigrom.c")
    board = Board.from_platform("bluepill", cfg)
    with pytest.raises(ElfError, match=r"segment 0x08000000-0x0801.* does not fit in any memory of board bluepill"):
        board.load_elf(elf)


def test_malformed_elves(tmp_path, cfg):
    board = Board.from_platform("stm32f4_discovery", cfg)
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"\x7fELF\x01\x01\x01" + b"\0" * 9 + b"\x02\x00\x28\x00")
    with pytest.raises(ElfError, match="bad.elf: malformed ELF"):
        board.load_elf(bad)
    with pytest.raises(ElfError, match="no.elf: cannot read"):
        board.load_elf(tmp_path / "no.elf")
    (tmp_path / "x86.elf").write_bytes(b"\x7fELF\x02\x01" + b"\0" * 64)
    with pytest.raises(ElfError, match="not a 32-bit little-endian ELF"):
        board.load_elf(tmp_path / "x86.elf")


def test_run_without_firmware(cfg):
    with pytest.raises(SimulationError, match="no firmware loaded"):
        Board.from_platform("bluepill", cfg).run()


@pytest.mark.parametrize("board", ["nucleo_l4r5zi", "bluepill"])
def test_trace_register_stamps_exact_cycles(build, cfg, board):
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/trace.c"))
    result = b.run()
    trace = b.peripherals["trace"]
    (t1, _, v1), (t2, _, v2) = trace.events
    assert (v1, v2) == (1, 2)
    # CYCCNT is read a few instructions before each store; the compiler puts one load before the
    # first store and two loads and a move before the second (checked in the disassembly), so
    # the spans differ by those few cycles, not more
    assert 0 <= (t2 - t1) - int(result.output) <= 5
    assert int(result.output) > 100 * 4


def test_free_memory_symbols(build, cfg):
    b = Board.from_platform("stm32f4_discovery", cfg)
    image = b.load_elf(build("stm32f4_discovery", "tests/hello.c"))
    s = image.all_symbols
    assert 0x08000000 < s["__tandem_free_flash_start"] < s["__tandem_free_flash_end"] == 0x08100000
    assert s["__tandem_free_flash_start"] % 16 == 0
    assert s["_end"] < s["__tandem_free_ram_start"] < s["__tandem_free_ram_end"] == 0x20020000 - 0x2000


def test_same_elf_on_boards_whose_memory_map_allows(build, cfg):
    """One semihosting ELF linked for the STM32F407 runs unchanged on the STM32L4R5 (same flash
    and SRAM bases, more of both); on the Blue Pill its stack lies beyond the 20 KiB of SRAM."""
    elf = build("stm32f4_discovery", "tests/hello.c", port="semihost")
    outputs = {}
    for board in ("stm32f4_discovery", "nucleo_l4r5zi"):
        b = Board.from_platform(board, cfg)
        b.load_elf(elf)
        outputs[board] = b.run().output
    assert outputs == {"stm32f4_discovery": HELLO, "nucleo_l4r5zi": HELLO}
    b = Board.from_platform("bluepill", cfg)
    b.load_elf(elf)  # code and data fit; the initial SP (0x20020000) does not
    with pytest.raises(FirmwareFault, match=r"BusFault: write of 0x2001ff.. \(4 bytes\): no memory or peripheral"):
        b.run()


def test_one_memory_for_code_and_data(cfg, build, tmp_path):
    """The build splits a memory that is both the code and the data memory: code in the lower
    half, data (stack, heap) in the upper half, so .data never lands on .text."""
    from tandem.firmware.build import data_span

    board_file = str(Path(__file__).parent / "data" / "repl" / "one_memory.repl")
    platform = load_platform(board_file, cfg.platforms_dir)
    assert data_span(platform) == (0x40000, 0x40000)
    b = Board(platform, cfg)
    b.load_elf(build(board_file, "tests/hello.c"))
    result = b.run(max_cycles=10_000_000)
    assert result.exit_code == 0 and result.output.startswith("Hello from tandem!\n")
    ld = (b.elf.path.parent / "board_memory.ld").read_text() if b.elf is not None else ""
    assert "CODE (rx) : ORIGIN = 0x00000000, LENGTH = 0x40000" in ld
