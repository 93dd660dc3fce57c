"""The one registry of .repl type names: the platform's table and the peripheral factories agree."""
from __future__ import annotations

from tandem.peripherals import PERIPHERAL_TYPES
from tandem.peripherals.dwt import Dwt
from tandem.platform.model import PeripheralSpec
from tandem.platform.types import MODELLED, PERIPHERAL_MODELS, TYPES, default_window, is_modelled


def test_every_peripheral_model_has_a_factory_and_every_factory_a_name():
    assert set(PERIPHERAL_TYPES) == set(PERIPHERAL_MODELS)


def test_types_without_a_factory_are_the_board_level_ones():
    board_level = {name for name, info in TYPES.items() if not info.peripheral}
    assert board_level == {"Memory.MappedMemory", "CPU.CortexM", "UART.SemihostingUart", "Tandem.Board"}
    assert MODELLED == board_level | PERIPHERAL_MODELS


def test_default_windows():
    assert default_window("IRQControllers.NVIC") == 0x1000
    assert default_window("Miscellaneous.DWT") == 0x1000
    assert default_window("UART.STM32_UART") == default_window("UART.STM32F7_USART") == 0x400
    assert default_window("Tandem.Trace") == 0x400
    assert default_window("Tandem.RtlPeripheral") is None  # the entry must give its size
    assert default_window("Miscellaneous.STM32F4_RCC") == 0x400


def test_modelled():
    assert is_modelled("Tandem.RtlPeripheral") and is_modelled("CPU.CortexM")
    assert is_modelled("Miscellaneous.STM32F4_RCC") and not is_modelled("CRC.STM32_CRC")


class _Ctx:
    cpu_hz = 1

    def trace_enabled(self) -> bool:
        return True


def test_dwt_factory_reads_trace_enable_from_the_context():
    spec = PeripheralSpec("dwt", "Miscellaneous.DWT", 0xE0001000, 0x1000, {}, (), "test.repl", 1)
    dwt = PERIPHERAL_TYPES["Miscellaneous.DWT"](spec, _Ctx(), "cortex-m4")
    assert isinstance(dwt, Dwt) and dwt.trace_enabled()
