"""STM32 GPIO ports, EXTI and SYSCFG/AFIO: firmware drives a pin through BSRR/BRR/ODR, reads
an input the test drives, locks a pin's configuration, and raises EXTI line 0 in software."""
from __future__ import annotations

import pytest

from tandem.machine.board import Board
from tandem.peripherals.stm32_gpio import Stm32F1GpioPort, Stm32GpioPort
from tandem.peripherals.stm32_misc import Stm32Exti, Stm32F1Afio
from tandem.platform.model import PeripheralSpec

BOARDS = ["stm32f4_discovery", "nucleo_l4r5zi", "bluepill"]


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("level", [False, True])
def test_gpio_and_exti_firmware(build, cfg, board, level):
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/gpio_exti.c"))
    port_c = b.peripherals["gpioPortC"]
    assert isinstance(port_c, Stm32GpioPort | Stm32F1GpioPort)
    port_c.set_input(13, level)
    result = b.run()
    out = result.output
    # BSRR set -> 0x20; BSRR reset -> 0; both halves written: set wins -> 0x20; BRR -> 0;
    # IDR of an output reads its ODR bit (1 after the set).
    assert "odr 20 0 20 0 idr 1\n" in out
    assert f"pc13 {int(level)}\n" in out
    # LCKR reads LCKK | the locked pins; the write to PA5's configuration was refused
    # (F4/L4 MODER field 01 = output; F1 CRL nibble 0010 = output, 2 MHz)
    assert f"lckr 10020 conf {2 if board == 'bluepill' else 1}\n" in out
    # SWIER with IMR clear leaves PR clear; with IMR set, the IRQ ran once and cleared PR
    assert "exti pr 0 count 1 pr 0\n" in out
    port_a = b.peripherals["gpioPortA"]
    assert isinstance(port_a, Stm32GpioPort | Stm32F1GpioPort)
    assert port_a.pin(5) is True and port_a.mode(5) == "output"


def test_gpio_reset_values_from_the_chip_files(cfg):
    f4 = Board.from_platform("stm32f4_discovery", cfg)
    a, b, c = (f4.peripherals[f"gpioPort{p}"] for p in "ABC")
    # RM0090 8.4.1: PA13/PA14/PA15 (SWD/JTAG) alternate, PB3/PB4 alternate
    assert [p.read(0x00, 4) for p in (a, b, c)] == [0xA8000000, 0x00000280, 0]
    assert a.read(0x0C, 4) == 0x64000000 and b.read(0x08, 4) == 0xC0
    l4 = Board.from_platform("nucleo_l4r5zi", cfg)
    assert l4.peripherals["gpioPortA"].read(0, 4) == 0xABFFFFFF
    assert l4.peripherals["gpioPortD"].read(0, 4) == 0xFFFFFFFF
    f1 = Board.from_platform("bluepill", cfg)
    assert f1.peripherals["gpioPortB"].read(0, 4) == f1.peripherals["gpioPortB"].read(4, 4) == 0x44444444


def _spec(type_name: str, props: dict | None = None) -> PeripheralSpec:
    return PeripheralSpec("p", type_name, 0x40000000, 0x400, props or {}, (), "t.repl", 1)


class _Ctx:
    def __init__(self) -> None:
        self.irqs: dict[int, bool] = {}

    def set_irq(self, line: int, level: bool) -> None:
        self.irqs[line] = level


def test_input_levels_follow_pulls_and_open_drain():
    port = Stm32GpioPort(_spec("GPIOPort.STM32_GPIOPort"), _Ctx())  # type: ignore[arg-type]
    port.write(0x0C, 4, 1 << 0 | 2 << 2)  # PUPDR: pin 0 pull-up, pin 1 pull-down
    assert port.read(0x10, 4) & 3 == 1
    port.set_input(1, True)
    assert port.read(0x10, 4) & 3 == 3
    port.write(0x00, 4, 1 << 4)  # pin 2 output ...
    port.write(0x04, 4, 1 << 2)  # ... open-drain
    port.write(0x14, 4, 0)
    assert not port.pin(2)  # driven low
    port.write(0x18, 4, 1 << 2)
    assert port.pin(2)  # released: pulled up outside
    port.write(0x00, 4, 3 << 6)  # pin 3 analog: IDR reads 0 whatever drives it
    port.set_input(3, True)
    assert not port.read(0x10, 4) >> 3 & 1


def test_f1_input_pull_up_down_follows_odr():
    port = Stm32F1GpioPort(_spec("GPIOPort.STM32F1GPIOPort"), _Ctx())  # type: ignore[arg-type]
    port.write(0x00, 4, 0x8)  # pin 0: CNF 10 (pull-up/down), MODE 00 (input)
    port.write(0x0C, 4, 1)  # ODR 1: pull-up
    assert port.read(0x08, 4) & 1 == 1
    port.write(0x0C, 4, 0)
    assert port.read(0x08, 4) & 1 == 0


def test_exti_lines_sharing_an_irq_are_ored():
    from tandem.platform.repl import IrqConnection

    spec = PeripheralSpec("exti", "IRQControllers.STM32F4_EXTI", 0x40013C00, 0x400, {"numberOfOutputLines": 23},
                          tuple(IrqConnection(str(n), "nvic", 23) for n in range(5, 10)), "t.repl", 1)
    ctx = _Ctx()
    exti = Stm32Exti(spec, ctx)  # type: ignore[arg-type]
    exti.write(0x00, 4, 1 << 5 | 1 << 6)
    exti.write(0x10, 4, 1 << 5 | 1 << 6)
    assert ctx.irqs[23] and exti.read(0x14, 4) == 1 << 5 | 1 << 6
    exti.write(0x14, 4, 1 << 5)  # clearing line 5 leaves line 6 pending: IRQ 23 stays high
    assert ctx.irqs[23] and exti.read(0x10, 4) == 1 << 6
    exti.write(0x14, 4, 1 << 6)
    assert not ctx.irqs[23]


def test_afio_exticr_routes_lines_and_swj_cfg_is_write_only():
    afio = Stm32F1Afio(_spec("Miscellaneous.STM32F1_AFIO"), _Ctx())  # type: ignore[arg-type]
    afio.write(0x0C, 4, 0x2 << 4)  # EXTICR2: line 5 from port C
    assert afio.exti_port(5) == 2 and afio.exti_port(4) == 0
    afio.write(0x04, 4, 2 << 24 | 1 << 2)  # MAPR: SWJ_CFG = 010 (JTAG off), USART1 remap
    assert afio.read(0x04, 4) == 1 << 2


@pytest.mark.parametrize("board,selector,exticr4", [
    ("stm32f4_discovery", "syscfg", 0x14), ("nucleo_l4r5zi", "syscfg", 0x14), ("bluepill", "afio", 0x14)])
def test_pin_edge_reaches_exti_through_the_exticr_selection(cfg, board, selector, exticr4):
    b = Board.from_platform(board, cfg)
    port_c, port_b = b.peripherals["gpioPortC"], b.peripherals["gpioPortB"]
    exti, sel = b.peripherals["exti"], b.peripherals[selector]
    assert isinstance(exti, Stm32Exti) and b.nvic is not None
    if board != "bluepill":
        port_c.write(0x00, 4, 0)  # inputs (the L4's pins reset to analog)
        port_b.write(0x00, 4, 0)
    sel.write(exticr4, 4, 0x2 << 4)  # EXTICR4: line 13 from port C
    exti.write(0x08, 4, 1 << 13)  # RTSR: rising edge
    exti.write(0x00, 4, 1 << 13)  # IMR
    port_b.set_input(13, True)  # port B is not selected: nothing
    assert not exti.pending(13)
    port_c.set_input(13, False)
    assert not exti.pending(13)  # no edge (0 -> 0)
    port_c.set_input(13, True)  # rising edge on PC13 -> EXTI15_10 (IRQ 40)
    assert exti.pending(13) and 16 + 40 in b.nvic.pending
    exti.write(0x14, 4, 1 << 13)  # clear PR; a falling edge is not selected
    port_c.set_input(13, False)
    assert not exti.pending(13)
