"""Peripheral models, registered by .repl type name.

The type names (and their default windows) are listed once, in :mod:`tandem.platform.types`;
this package registers a factory for each name in ``PERIPHERAL_MODELS`` there.
``create_peripheral`` builds the model for a platform entry: a modelled type gets its class,
any other type with an address range becomes an :class:`Unimplemented` region.
"""
from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from tandem.peripherals.base import BoardContext, Peripheral, Unimplemented
from tandem.peripherals.bitband import BitBanding
from tandem.peripherals.cmsdk_uart import CmsdkApbUart
from tandem.peripherals.dwt import Dwt
from tandem.peripherals.nrf_uart import Nrf52840Uart
from tandem.peripherals.nvic import Nvic
from tandem.peripherals.nxp_lpuart import NxpLpuart
from tandem.peripherals.rtl_peripheral import RtlPeripheral
from tandem.peripherals.sam_sercom import SamSercomUsart
from tandem.peripherals.stm32_flash import Stm32F1Flash, Stm32F4Flash, Stm32L4Flash
from tandem.peripherals.stm32_gpio import Stm32F1GpioPort, Stm32GpioPort
from tandem.peripherals.stm32_misc import Stm32Exti, Stm32F1Afio, Stm32F4Syscfg, Stm32L4Syscfg
from tandem.peripherals.stm32_pwr import Stm32F4Pwr, Stm32L4Pwr
from tandem.peripherals.stm32_rcc import Stm32F1Rcc, Stm32F4Rcc, Stm32L4Rcc
from tandem.peripherals.trace import Trace
from tandem.peripherals.uart import Stm32F7Usart, Stm32Uart
from tandem.platform.model import PeripheralSpec
from tandem.platform.types import PERIPHERAL_MODELS

Factory = Callable[[PeripheralSpec, BoardContext, str], Peripheral]

_FACTORIES: dict[str, Factory] = {
    "IRQControllers.NVIC": lambda spec, ctx, core: Nvic(spec, ctx, core),
    "Miscellaneous.DWT": lambda spec, ctx, core: Dwt(spec, ctx, ctx.trace_enabled,
                                                     core not in ("cortex-m0", "cortex-m0+")),
    "UART.STM32_UART": lambda spec, ctx, core: Stm32Uart(spec, ctx),
    "UART.STM32F7_USART": lambda spec, ctx, core: Stm32F7Usart(spec, ctx),
    "UART.NRF52840_UART": lambda spec, ctx, core: Nrf52840Uart(spec, ctx),
    "UART.SAMD5_UART": lambda spec, ctx, core: SamSercomUsart(spec, ctx),
    "UART.LowPower_UART": lambda spec, ctx, core: NxpLpuart(spec, ctx),
    "UART.CMSDK_APB_UART": lambda spec, ctx, core: CmsdkApbUart(spec, ctx),
    "Tandem.RtlPeripheral": lambda spec, ctx, core: RtlPeripheral(spec, ctx),
    "Tandem.Trace": lambda spec, ctx, core: Trace(spec, ctx),
    "Miscellaneous.STM32F4_RCC": lambda spec, ctx, core: Stm32F4Rcc(spec, ctx),
    "Miscellaneous.STM32L4_RCC": lambda spec, ctx, core: Stm32L4Rcc(spec, ctx),
    "Miscellaneous.STM32F1_RCC": lambda spec, ctx, core: Stm32F1Rcc(spec, ctx),
    "Miscellaneous.STM32_PWR": lambda spec, ctx, core: Stm32F4Pwr(spec, ctx),
    "Miscellaneous.STM32L4_PWR": lambda spec, ctx, core: Stm32L4Pwr(spec, ctx),
    "MTD.STM32F4_FlashController": lambda spec, ctx, core: Stm32F4Flash(spec, ctx),
    "MTD.STM32L4_FlashController": lambda spec, ctx, core: Stm32L4Flash(spec, ctx),
    "MTD.STM32F1_FlashController": lambda spec, ctx, core: Stm32F1Flash(spec, ctx),
    "Miscellaneous.BitBanding": lambda spec, ctx, core: BitBanding(spec, ctx),
    "GPIOPort.STM32_GPIOPort": lambda spec, ctx, core: Stm32GpioPort(spec, ctx),
    "GPIOPort.STM32F1GPIOPort": lambda spec, ctx, core: Stm32F1GpioPort(spec, ctx),
    "IRQControllers.STM32F4_EXTI": lambda spec, ctx, core: Stm32Exti(spec, ctx),
    "Miscellaneous.STM32_SYSCFG": lambda spec, ctx, core: Stm32F4Syscfg(spec, ctx),
    "Miscellaneous.STM32L4_SYSCFG": lambda spec, ctx, core: Stm32L4Syscfg(spec, ctx),
    "Miscellaneous.STM32F1_AFIO": lambda spec, ctx, core: Stm32F1Afio(spec, ctx),
}

# Looked up by the registry's names: a registered type without a factory fails here, on import;
# tests/test_registry.py also checks that no factory is left without a registered name.
PERIPHERAL_TYPES: MappingProxyType[str, Factory] = MappingProxyType(
    {name: _FACTORIES[name] for name in sorted(PERIPHERAL_MODELS)})


def create_peripheral(spec: PeripheralSpec, ctx: BoardContext, core: str) -> Peripheral | None:
    """The model for ``spec``, or None for entries with no address window (semihosting)."""
    factory = PERIPHERAL_TYPES.get(spec.type)
    if factory is not None:
        return factory(spec, ctx, core)
    if spec.base is None:
        return None
    return Unimplemented(spec, ctx)


__all__ = ["PERIPHERAL_TYPES", "Peripheral", "Unimplemented", "create_peripheral"]
