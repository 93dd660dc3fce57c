"""The one registry of .repl type names tandem knows: per name, its default register window and
whether a peripheral model implements it.

The platform layer validates boards with it (:func:`default_window` for an entry registered
with an address only, :func:`is_modelled` for the "not modelled" notes), and
``tandem.peripherals`` registers one factory per name in :data:`PERIPHERAL_MODELS`
(tests/test_registry.py asserts the two agree). Any other type with an address range becomes
an unimplemented region; when the file gives it no size, :data:`RENODE_SIZES` (Renode's own
class sizes) or :data:`GUESSED_WINDOW` gives its window.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class TypeInfo:
    """One .repl type: ``window`` is its register window size when the file gives only an
    address (None: the entry must give a size); ``peripheral`` says a peripheral model builds
    it (False: the platform or board handles the entry itself: memories, the CPU, ...)."""

    name: str
    window: int | None = None
    peripheral: bool = True
    console: bool = False  # a UART that can be the board console (see CONSOLE_TYPES)


_TYPES = (
    TypeInfo("Memory.MappedMemory", peripheral=False),
    TypeInfo("CPU.CortexM", peripheral=False),
    TypeInfo("UART.SemihostingUart", peripheral=False),  # no window: the semihosting console
    TypeInfo("Tandem.Board", peripheral=False),  # the board's own properties
    TypeInfo("IRQControllers.NVIC", 0x1000),
    TypeInfo("Miscellaneous.DWT", 0x1000),
    TypeInfo("UART.STM32_UART", 0x400, console=True),
    TypeInfo("UART.STM32F7_USART", 0x400, console=True),
    # the other families' consoles; windows are Renode's class sizes (renode-infrastructure,
    # Peripherals/UART/<class>.cs: Size)
    TypeInfo("UART.NRF52840_UART", 0x1000, console=True),  # nRF52840 UART/UARTE
    TypeInfo("UART.SAMD5_UART", 0x100, console=True),  # SAM D5x/E5x SERCOM USART
    TypeInfo("UART.LowPower_UART", 0x30, console=True),  # NXP LPUART (VERID..WATER)
    TypeInfo("UART.CMSDK_APB_UART", 0x1000, console=True),  # Arm CMSDK APB UART
    TypeInfo("Tandem.Trace", 0x400),
    # STM32 system peripherals (RM0008 / RM0090 / RM0432); Renode's names where Renode has one
    TypeInfo("Miscellaneous.STM32F4_RCC", 0x400),
    TypeInfo("Miscellaneous.STM32L4_RCC", 0x400),
    TypeInfo("Miscellaneous.STM32F1_RCC", 0x400),
    TypeInfo("Miscellaneous.STM32_PWR", 0x400),
    TypeInfo("Miscellaneous.STM32L4_PWR", 0x400),
    TypeInfo("MTD.STM32F4_FlashController", 0x400),
    TypeInfo("MTD.STM32L4_FlashController", 0x400),
    TypeInfo("MTD.STM32F1_FlashController", 0x400),
    TypeInfo("Miscellaneous.BitBanding"),  # the entry gives its alias window
    TypeInfo("GPIOPort.STM32_GPIOPort", 0x400),
    TypeInfo("GPIOPort.STM32F1GPIOPort", 0x400),
    TypeInfo("IRQControllers.STM32F4_EXTI", 0x400),
    TypeInfo("Miscellaneous.STM32_SYSCFG", 0x400),
    TypeInfo("Miscellaneous.STM32L4_SYSCFG", 0x400),
    TypeInfo("Miscellaneous.STM32F1_AFIO", 0x400),
    TypeInfo("Tandem.RtlPeripheral"),  # a user's RTL block; the entry gives its window
)

TYPES: MappingProxyType[str, TypeInfo] = MappingProxyType({t.name: t for t in _TYPES})
# Every type tandem models (the others with an address range are unimplemented regions).
MODELLED: frozenset[str] = frozenset(TYPES)
# The types a peripheral model implements: tandem.peripherals has a factory for each.
PERIPHERAL_MODELS: frozenset[str] = frozenset(t.name for t in _TYPES if t.peripheral)
# The UART models a board console can be: a platform file with no Tandem.Board entry (a Renode
# file) takes the first peripheral of these types in file order (tandem.platform.model).
CONSOLE_TYPES: frozenset[str] = frozenset(t.name for t in _TYPES if t.console)


# Renode's register window (the C# class's ``Size``) of common peripherals tandem does not model,
# for chip files that register them with an address only. Each value is read from the class in
# renode/renode-infrastructure, src/Emulator/Peripherals/Peripherals/<folder>/<class>.cs:
RENODE_SIZES: MappingProxyType[str, int] = MappingProxyType({
    "Timers.NRF52840_RTC": 0x1000,  # Timers/NRF52840_RTC.cs
    "Timers.NRF52840_Watchdog": 0x1000,  # Timers/NRF52840_Watchdog.cs
    "Miscellaneous.NRF52840_PPI": 0x1000,  # Miscellaneous/NRF52840_PPI.cs
    "Miscellaneous.NRF52840_CLOCK": 0x1000,  # Miscellaneous/NRF52840_CLOCK.cs
    "Miscellaneous.NRF52840_EGU": 0x1000,  # Miscellaneous/NRF52840_EGU.cs
    "GPIOPort.NRF52840_GPIO": 0x1000,  # GPIOPort/NRF52840_GPIO.cs (ports 0x300 apart: see the overlap rule)
    "CRC.STM32_CRC": 0x400,  # CRC/STM32_CRC.cs
    "SPI.STM32SPI": 0x400,  # SPI/STM32SPI.cs: Size { get { return 0x400; } }
})
# The window of any other unmodelled type registered with an address only (a note says so).
GUESSED_WINDOW = 0x400


def renode_window(type_name: str) -> int | None:
    """Renode's own register window of the unmodelled ``type_name``, if the table has it."""
    return RENODE_SIZES.get(type_name)


def default_window(type_name: str) -> int | None:
    """The register window of ``type_name`` when the file gives only an address, if it has one."""
    info = TYPES.get(type_name)
    return info.window if info is not None else None


def is_modelled(type_name: str) -> bool:
    return type_name in MODELLED


__all__ = ["CONSOLE_TYPES", "GUESSED_WINDOW", "MODELLED", "PERIPHERAL_MODELS", "RENODE_SIZES", "TYPES", "TypeInfo",
           "default_window", "is_modelled", "renode_window"]
