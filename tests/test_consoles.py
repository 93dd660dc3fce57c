"""Consoles of the common families: nRF52840 UARTE, SAM D5x SERCOM USART, NXP LPUART and the Arm
CMSDK APB UART. tandem's own programs print and read through each board's firmware port; the
status flags and interrupts behave as the manuals say; the CMSDK UART matches QEMU's mps2-an386."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from qemu_oracle import run_qemu

from tandem.config import TandemConfig
from tandem.firmware.build import port_for
from tandem.machine.board import Board
from tandem.platform import load_platform

# board, console entry, its type, the firmware port built for it
CONSOLES = [
    ("nrf52840dk", "uart0", "UART.NRF52840_UART", "nrf_uarte"),
    ("metro_m4", "sercom3", "UART.SAMD5_UART", "sam_sercom"),
    ("s32k144evb", "lpuart1", "UART.LowPower_UART", "nxp_lpuart"),
    ("mps2_an386_uart", "uart0", "UART.CMSDK_APB_UART", "cmsdk_uart"),
]
HELLO = "Hello from tandem!\nline 0\nline 1\nline 2\n"


def _board(cfg: TandemConfig, name: str) -> Board:
    return Board.from_platform(name, cfg)


@pytest.mark.parametrize("board,console,type_name,port", CONSOLES)
def test_uart_hello(cfg, build, board, console, type_name, port):
    platform = load_platform(board, cfg.platforms_dir)
    assert platform.console == console and platform.peripheral(console).type == type_name
    assert port_for(platform) == port
    b = _board(cfg, board)
    b.load_elf(build(board, "tests/hello.c"))
    result = b.run()
    assert (result.output, result.exit_code) == (HELLO, 0)
    assert result.notes == []


@pytest.mark.parametrize("board", [c[0] for c in CONSOLES])
def test_stdin_echo(cfg, build, board):
    b = _board(cfg, board)
    b.load_elf(build(board, "tests/echo.c"))
    result = b.run(stdin=b"Renode, tandem\nrest")
    assert result.output == "RENODE, TANDEM\n14\n" and result.exit_code == 0


# nRF52840 UARTE (nRF52840 PS 6.34) ----------------------------------------------------------------

NRF = 0x40002000


def test_nrf_uarte_endtx_after_maxcnt_bytes_from_ram(cfg):
    b = _board(cfg, "nrf52840dk")
    for i, byte in enumerate(b"hello, dma"):
        b.bus_write(0x20001000 + i, 1, byte)
    b.bus_write(NRF + 0x500, 4, 8)  # ENABLE = UARTE
    b.bus_write(NRF + 0x544, 4, 0x20001000)  # TXD.PTR
    b.bus_write(NRF + 0x548, 4, 5)  # TXD.MAXCNT: the first 5 bytes only
    b.bus_write(NRF + 0x304, 4, 1 << 8)  # INTENSET.ENDTX (event 0x120: bit (0x120 - 0x100) / 4)
    assert b.bus_read(NRF + 0x120, 4) == 0 and not b.nvic.levels[2]
    b.bus_write(NRF + 0x008, 4, 1)  # TASKS_STARTTX
    assert bytes(b.console.out) == b"hello"
    assert b.bus_read(NRF + 0x54C, 4) == 5  # TXD.AMOUNT
    assert [b.bus_read(NRF + e, 4) for e in (0x150, 0x11C, 0x120)] == [1, 1, 1]  # TXSTARTED, TXDRDY, ENDTX
    assert b.nvic.levels[2]  # uart0 -> nvic@2
    b.bus_write(NRF + 0x120, 4, 0)  # clearing ENDTX drops the line (TXSTARTED is not enabled)
    assert not b.nvic.levels[2] and b.bus_read(NRF + 0x300, 4) == 1 << 8
    # EasyDMA reads Data RAM only: a buffer in flash sends nothing
    b.bus_write(NRF + 0x544, 4, 0x00001000)
    b.bus_write(NRF + 0x008, 4, 1)
    assert bytes(b.console.out) == b"hello" and b.bus_read(NRF + 0x54C, 4) == 0
    assert any("EasyDMA buffer at 0x00001000" in n for n in b.notes)


def test_nrf_uarte_receive_and_legacy_uart(cfg):
    b = _board(cfg, "nrf52840dk")
    b.console.feed(b"xyz")
    b.bus_write(NRF + 0x500, 4, 8)
    b.bus_write(NRF + 0x534, 4, 0x20002000)  # RXD.PTR
    b.bus_write(NRF + 0x538, 4, 2)  # RXD.MAXCNT
    b.bus_write(NRF + 0x000, 4, 1)  # TASKS_STARTRX
    assert b.bus_read(NRF + 0x110, 4) == 1 and b.bus_read(NRF + 0x53C, 4) == 2  # ENDRX, RXD.AMOUNT
    assert [b.bus_read(0x20002000 + i, 1) for i in range(3)] == [ord("x"), ord("y"), 0]
    # the legacy UART (ENABLE = 4): TXD after STARTTX, RXD with RXDRDY
    b.bus_write(NRF + 0x500, 4, 4)
    b.bus_write(NRF + 0x008, 4, 1)
    b.bus_write(NRF + 0x51C, 4, ord("!"))
    assert bytes(b.console.out) == b"!" and b.bus_read(NRF + 0x11C, 4) == 1
    b.bus_write(NRF + 0x000, 4, 1)
    assert b.bus_read(NRF + 0x108, 4) == 1 and b.bus_read(NRF + 0x518, 4) == ord("z")


# NXP LPUART (S32K1xx RM, LPUART) -------------------------------------------------------------------

LPUART1 = 0x4006B000
TDRE, TC, RDRF = 1 << 23, 1 << 22, 1 << 21
TE, RE, TIE, TCIE, RIE = 1 << 19, 1 << 18, 1 << 23, 1 << 22, 1 << 21


def test_lpuart_flags_and_interrupts(cfg):
    b = _board(cfg, "s32k144evb")
    assert b.bus_read(LPUART1 + 0x14, 4) == 0x00C00000  # STAT reset: TDRE | TC
    assert b.bus_read(LPUART1 + 0x10, 4) == 0x0F000004  # BAUD reset
    b.bus_write(LPUART1 + 0x1C, 4, ord("a"))  # TE clear: the byte waits in the buffer
    assert b.console.out == b"" and b.bus_read(LPUART1 + 0x14, 4) & (TDRE | TC) == 0
    b.bus_write(LPUART1 + 0x18, 4, TE)
    assert bytes(b.console.out) == b"a" and b.bus_read(LPUART1 + 0x14, 4) & (TDRE | TC) == TDRE | TC
    assert not b.nvic.levels[33]
    b.bus_write(LPUART1 + 0x18, 4, TE | TCIE)  # TC set and enabled: lpuart1 IRQ -> nvic@33
    assert b.nvic.levels[33]
    b.bus_write(LPUART1 + 0x18, 4, TE | RE | RIE)
    assert not b.nvic.levels[33]
    assert b.bus_read(LPUART1 + 0x1C, 4) & (1 << 12)  # DATA.RXEMPT: nothing received
    b.console.feed(b"q")
    assert b.bus_read(LPUART1 + 0x14, 4) & RDRF and b.nvic.levels[33]
    assert b.bus_read(LPUART1 + 0x1C, 4) == ord("q")
    assert not b.bus_read(LPUART1 + 0x14, 4) & RDRF and not b.nvic.levels[33]


# SAM D5x SERCOM USART (DS60001507, SERCOM USART) ----------------------------------------------------

SERCOM3 = 0x41014000
DRE, TXC, RXC = 1, 2, 4


def test_sercom_usart_flags_and_interrupt_lines(cfg):
    b = _board(cfg, "metro_m4")
    assert b.bus_read(SERCOM3 + 0x18, 1) == 0  # INTFLAG: nothing while disabled
    b.bus_write(SERCOM3 + 0x28, 4, ord("-"))  # DATA with DRE clear: ignored
    assert b.console.out == b"" and any("DATA written while DRE is clear" in n for n in b.notes)
    b.bus_write(SERCOM3 + 0x04, 4, 3 << 16)  # CTRLB: TXEN | RXEN
    b.bus_write(SERCOM3 + 0x00, 4, 1 << 2 | 1 << 1)  # CTRLA: USART, ENABLE
    assert b.bus_read(SERCOM3 + 0x1C, 4) == 0 and b.bus_read(SERCOM3 + 0x18, 1) == DRE
    b.bus_write(SERCOM3 + 0x28, 4, ord("s"))
    assert bytes(b.console.out) == b"s" and b.bus_read(SERCOM3 + 0x18, 1) == DRE | TXC
    b.bus_write(SERCOM3 + 0x16, 1, TXC)  # INTENSET.TXC: SERCOM3_1 -> nvic@59
    assert b.nvic.levels[59] and not b.nvic.levels[58] and b.bus_read(SERCOM3 + 0x14, 1) == TXC
    b.bus_write(SERCOM3 + 0x18, 1, TXC | DRE)  # TXC is write-1-to-clear, DRE read-only
    assert b.bus_read(SERCOM3 + 0x18, 1) == DRE and not b.nvic.levels[59]
    b.bus_write(SERCOM3 + 0x16, 1, RXC)
    b.console.feed(b"r")
    assert b.bus_read(SERCOM3 + 0x18, 1) == DRE | RXC and b.nvic.levels[60]
    assert b.bus_read(SERCOM3 + 0x28, 4) == ord("r") and b.bus_read(SERCOM3 + 0x18, 1) == DRE
    b.bus_write(SERCOM3 + 0x00, 4, 1)  # CTRLA.SWRST: every register back to reset
    assert b.bus_read(SERCOM3 + 0x04, 4) == 0 and b.bus_read(SERCOM3 + 0x16, 1) == 0


# Arm CMSDK APB UART (DDI0479C 4.3), and QEMU's mps2-an386 as the oracle ---------------------------

UART0 = 0x40004000


def test_cmsdk_buffers_overrun_interrupts_and_ids(cfg):
    b = _board(cfg, "mps2_an386_uart")
    b.bus_write(UART0 + 0x00, 4, ord("1"))  # TXEN clear: held in the TX buffer
    assert b.bus_read(UART0 + 0x04, 4) == 1  # STATE.TXFULL
    b.bus_write(UART0 + 0x00, 4, ord("2"))  # a second byte: TX overrun, lost
    assert b.bus_read(UART0 + 0x04, 4) == 1 | 4
    b.bus_write(UART0 + 0x04, 4, 4)  # STATE overrun bits are write-1-to-clear
    b.bus_write(UART0 + 0x08, 4, 1 | 4)  # TXEN | TXINTEN: the held byte goes, TX interrupt
    assert bytes(b.console.out) == b"1" and b.bus_read(UART0 + 0x04, 4) == 0
    assert b.bus_read(UART0 + 0x0C, 4) == 1 and b.nvic.levels[1] and not b.nvic.levels[0]
    b.bus_write(UART0 + 0x0C, 4, 1)  # INTCLEAR
    assert b.bus_read(UART0 + 0x0C, 4) == 0 and not b.nvic.levels[1]
    # receive: RXEN | RXINTEN, a byte from the console fills RXFULL and raises RxInterrupt (nvic@0)
    b.bus_write(UART0 + 0x08, 4, 1 | 2 | 8)
    b.console.feed(b"k")
    assert b.bus_read(UART0 + 0x04, 4) == 2 and b.nvic.levels[0]
    assert b.bus_read(UART0 + 0x00, 4) == ord("k") and b.bus_read(UART0 + 0x04, 4) == 0
    b.bus_write(UART0 + 0x0C, 4, 2)
    assert not b.nvic.levels[0]
    ids = [b.bus_read(UART0 + off, 4) for off in (0xFD0, 0xFE0, 0xFE4, 0xFE8, 0xFEC, 0xFF0, 0xFF4, 0xFF8, 0xFFC)]
    assert ids == [0x04, 0x21, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1]


@pytest.mark.parametrize("program", ["tests/hello.c", "tests/exit_code.c", "tests/primes.c", "tests/float.c",
                                     "tests/cmsdk_tx_irq.c"])
def test_cmsdk_uart_same_as_qemu(cfg, build, tmp_path, program):
    elf = build("mps2_an386_uart", program)
    q_out, q_code = run_qemu(elf, tmp_path / "semihosting.out", serial=tmp_path / "uart0.out")
    b = _board(cfg, "mps2_an386_uart")
    b.load_elf(elf)
    result = b.run()
    assert q_out, "QEMU's UART0 printed nothing"
    assert result.output == q_out and result.exit_code == q_code


def test_cmsdk_tx_interrupt_counts(cfg, build):
    b = _board(cfg, "mps2_an386_uart")
    b.load_elf(build("mps2_an386_uart", "tests/cmsdk_tx_irq.c"))
    result = b.run()
    # four bytes sent with TXINTEN: four TX interrupts, taken as exception 16 + 1
    assert result.output.endswith("irq!\ntx irqs 4, exception 17, intstatus 0, state 0\n")


# The console choice -------------------------------------------------------------------------------

def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


CHIP = ('cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m4"\n    frequency: 16000000\n'
        "flash: Memory.MappedMemory @ sysbus 0x0\n    size: 0x10000\n"
        "sram: Memory.MappedMemory @ sysbus 0x20000000\n    size: 0x10000\n"
        "other: UART.SomeVendorUart @ sysbus <0x40000000, +0x400>\n"
        "sercom0: UART.SAMD5_UART @ sysbus 0x40001000\n"
        "lpuart0: UART.LowPower_UART @ sysbus 0x40002000\n")


def test_renode_file_takes_its_first_modelled_uart(tmp_path):
    p = load_platform(_write(tmp_path / "chip.repl", CHIP), tmp_path)
    assert p.console == "sercom0" and port_for(p) == "sam_sercom"
    assert p.notes == ("console: sercom0 (UART.SAMD5_UART), the file's first UART tandem models (name another "
                       "with a Tandem.Board entry's `console:`)",)
    # a Tandem.Board entry chooses: its console, or semihosting without one
    board = CHIP + "tandem: Tandem.Board\n    console: lpuart0\n"
    p = load_platform(_write(tmp_path / "b.repl", board), tmp_path)
    assert (p.console, port_for(p), p.notes) == ("lpuart0", "nxp_lpuart", ())
    p = load_platform(_write(tmp_path / "c.repl", CHIP + "tandem: Tandem.Board\n"), tmp_path)
    assert (p.console, port_for(p)) == (None, "semihost")


def test_mps2_an386_keeps_semihosting(cfg):
    p = load_platform("mps2_an386", cfg.platforms_dir)
    assert p.console is None and port_for(p) == "semihost"


def test_uart_hello_on_the_renode_style_nrf_chip(cfg, build: Callable[..., Path]):
    """tests/data/repl/demo_nrf.repl has no Tandem.Board entry: its uart0 (a UARTE) prints."""
    from tandem.firmware.build import FirmwareSpec, build_firmware

    data = Path(__file__).parent / "data" / "repl"
    platform = load_platform(str(data / "demo_nrf.repl"), data)
    assert platform.console == "uart0" and port_for(platform) == "nrf_uarte"
    elf = build_firmware(platform, FirmwareSpec(("tests/echo.c",)), cfg)
    b = Board(platform, cfg)
    b.load_elf(elf)
    result = b.run(stdin=b"nrf\n")
    assert result.output == "NRF\n3\n" and result.exit_code == 0


# The chips' memory maps (nRF52840 PS 4.2, DS60001507 9.2, S32K1xx RM memory map) ------------------

@pytest.mark.parametrize("board,hz,memories,data", [
    ("nrf52840dk", 64_000_000, {"flash": (0x0, 1 << 20, ()), "ram": (0x20000000, 256 << 10, (0x00800000,))},
     (0x20000000, 256 << 10)),
    ("metro_m4", 48_000_000, {"flash": (0x0, 512 << 10, ()), "sram": (0x20000000, 192 << 10, ())},
     (0x20000000, 192 << 10)),
    # SRAM_L ends where SRAM_U starts: the linker's DATA region spans both (32 + 28 KiB)
    ("s32k144evb", 48_000_000, {"flash": (0x0, 512 << 10, ()), "flexnvm": (0x10000000, 64 << 10, ()),
                                "flexram": (0x14000000, 4 << 10, ()), "sram_l": (0x1FFF8000, 32 << 10, ()),
                                "sram_u": (0x20000000, 28 << 10, ())}, (0x1FFF8000, 60 << 10)),
])
def test_chip_memory_maps(cfg, board, hz, memories, data):
    from tandem.firmware.build import data_span

    p = load_platform(board, cfg.platforms_dir)
    assert p.cpu.frequency_hz == hz and p.cpu.fpu
    assert {m.name: (m.base, m.size, m.aliases) for m in p.memories} == memories
    assert data_span(p) == data and p.notes == ()
