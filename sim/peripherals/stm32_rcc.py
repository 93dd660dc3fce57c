"""STM32 reset and clock control: the F1 (RM0008 ch. 7), F4 (RM0090 ch. 7) and L4/L4+ (RM0432
ch. 6) RCCs, enough for CubeMX-style SystemClock_Config() code.

Every register reads back what was written (reset values from the manuals). In RCC_CR each
oscillator's ready flag follows its enable bit after a start-up time (the datasheet figure,
converted to cycles with the board's current CPU clock and scheduled as a board event); a PLL
locks only while its input is ready; the low-speed LSI (RCC_CSR) and LSE (RCC_BDCR) work the
same way, and RCC_CSR's RMVF clears the reset flags. RCC_CFGR.SWS follows SW once the selected
source is ready, and an oscillator that clocks SYSCLK (directly or through the PLL) cannot be
switched off, as the manuals say of HSION/HSEON/PLLON. Peripheral clock enables and resets
(the *ENR/*RSTR registers) read back but gate nothing.

The clock tree (:attr:`sysclk_hz`, :attr:`hclk_hz`, :attr:`pclk1_hz`, :attr:`pclk2_hz`) is
computed from the registers the way HAL_RCC_GetSysClockFreq does. The board's CPU clock stays
the board file's ``frequency`` until the firmware writes RCC_CFGR; from then on it is HCLK, and
each change is a run note. The HSE frequency is the entry's ``hseFrequency`` property (the
crystal or bypass clock of the board, 8 MHz by default as on Discovery, Nucleo and Blue Pill).
"""
from __future__ import annotations

from dataclasses import dataclass

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

CR = 0x00
HSE_ON, HSE_RDY = 16, 17
PLL_ON, PLL_RDY = 24, 25
# AHB prescaler (HPRE, 4 bits: 0xxx = /1, 1000.. = /2 /4 /8 /16 /64 /128 /256 /512) and APB
# prescalers (PPREx, 3 bits: 0xx = /1, 100.. = /2 /4 /8 /16): the same coding on all three
# families (RM0008 7.3.2, RM0090 7.3.3, RM0432 6.4.3).
_AHB_SHIFT = (1, 2, 3, 4, 6, 7, 8, 9)


@dataclass(frozen=True)
class Oscillator:
    """One clock source: enable bit, ready bit, start-up time in nanoseconds, and the register
    holding them (RCC_CR; the low-speed LSI and LSE sit in RCC_CSR and RCC_BDCR)."""

    name: str
    on: int
    rdy: int
    startup_ns: int
    reg: int = 0x00


def ahb_divider(hpre: int) -> int:
    return 1 << _AHB_SHIFT[hpre & 7] if hpre & 8 else 1


def apb_divider(ppre: int) -> int:
    return 1 << ((ppre & 3) + 1) if ppre & 4 else 1


class Stm32Rcc(Peripheral):
    """The register-map style shared by the three RCCs; subclasses give offsets and the tree."""

    CFGR: int
    HPRE_SHIFT = 4
    PPRE1_SHIFT: int
    PPRE2_SHIFT: int
    RESETS: dict[int, int]
    OSCILLATORS: tuple[Oscillator, ...]
    SW_SOURCES: tuple[str, ...]  # SW/SWS value -> source name ("hsi", "hse", "pll", "msi")
    HSI_HZ: int
    CSR: int
    RMVF: int  # RCC_CSR: writing 1 clears the reset flags (RESET_FLAGS, read-only otherwise)
    RESET_FLAGS: int
    # The LSE crystal starts in about 2 s (the datasheets' typical tsu(LSE)): modelled as 2 ms,
    # so that RTC set-up code does not poll for seconds of simulated time.
    LSE_NS = 2_000_000

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.regs: dict[int, int] = dict(self.RESETS)
        hse = spec.properties.get("hseFrequency", 8_000_000)
        self.hse_hz = hse if isinstance(hse, int) else 8_000_000
        self.configured = False  # the firmware wrote RCC_CFGR: the CPU clock follows HCLK
        self._owners = {osc.name: (self, osc.name) for osc in self.OSCILLATORS}

    # -- registers ---------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        return self.regs.get(offset & ~3, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        offset &= ~3
        if offset == CR:
            self._write_cr(value)
        elif offset == self.CFGR:
            sws = self.regs[self.CFGR] & 0xC
            self.regs[self.CFGR] = (value & ~0xC & 0xFFFFFFFF) | sws
            self.configured = True
            self._switch()
        elif offset == self.CSR:
            flags = self.RESET_FLAGS
            kept = 0 if value >> self.RMVF & 1 else self.regs[offset] & flags
            self._write_osc_reg(offset, value & ~flags & ~(1 << self.RMVF) | kept)
        elif any(o.reg == offset for o in self.OSCILLATORS):
            self._write_osc_reg(offset, value)
        else:
            self.regs[offset] = value & 0xFFFFFFFF

    def _on(self, osc: Oscillator, bit: int | None = None) -> bool:
        return bool(self.regs.get(osc.reg, 0) >> (osc.on if bit is None else bit) & 1)

    def _write_cr(self, value: int) -> None:
        old = self.regs[CR]
        self._write_osc_reg(CR, value)
        self.after_cr_write(old)
        self._switch()

    def _write_osc_reg(self, offset: int, value: int) -> None:
        """A register with enable and ready bits: ready bits are read-only and follow the
        enables; an oscillator clocking SYSCLK stays on (RM0090 7.3.1: HSION, HSEON, PLLON)."""
        oscs = [o for o in self.OSCILLATORS if o.reg == offset]
        old = self.regs.get(offset, 0)
        rdy_mask = sum(1 << o.rdy for o in oscs)
        keep_on = sum(1 << o.on for o in oscs if o.name in self.in_use())
        self.regs[offset] = ((value | keep_on) & ~rdy_mask & 0xFFFFFFFF) | (old & rdy_mask)
        for osc in oscs:
            was, now = bool(old >> osc.on & 1), self._on(osc)
            if now and not was:
                self._start(osc)
            elif was and not now:
                self.ctx.cancel(self._owners[osc.name])
                self.regs[offset] &= ~(1 << osc.rdy)

    def after_cr_write(self, old: int) -> None:
        """Family-specific CR side effects (the L4's MSI range)."""

    def _osc(self, name: str) -> Oscillator:
        return next(o for o in self.OSCILLATORS if o.name == name)

    def _start(self, osc: Oscillator) -> None:
        if osc.name == "pll" and not self.pll_input_ready():
            return  # no input clock, no lock: retried when the input becomes ready
        cycles = max(1, osc.startup_ns * self.ctx.cpu_hz // 1_000_000_000)
        def ready(_cycle: int) -> None:
            self._ready(osc)
        self.ctx.schedule(self.ctx.now() + cycles, ready, self._owners[osc.name])

    def _ready(self, osc: Oscillator) -> None:
        if not self._on(osc):
            return
        self.regs[osc.reg] |= 1 << osc.rdy
        pll = self._osc("pll")
        if osc.name == self.pll_source() and self._on(pll) and not self._on(pll, pll.rdy):
            self._start(pll)  # the PLL was waiting for its input
        self._switch()

    def source_ready(self, name: str) -> bool:
        return any(o.name == name and self._on(o, o.rdy) for o in self.OSCILLATORS)

    def in_use(self) -> set[str]:
        """The oscillators SYSCLK runs from now (directly, or as the PLL's input)."""
        src = self.SW_SOURCES[(self.regs[self.CFGR] >> 2) & 3]
        return {src, self.pll_source()} if src == "pll" else {src}

    def _switch(self) -> None:
        # RM0090 7.2.6: a switch to a source that is not ready yet happens once it is ready
        sw = self.regs[self.CFGR] & 3
        if self.source_ready(self.SW_SOURCES[sw]):
            self.regs[self.CFGR] = (self.regs[self.CFGR] & ~0xC) | (sw << 2)
        if self.configured:
            self.ctx.set_cpu_hz(self.hclk_hz, self.describe())

    # -- the clock tree ----------------------------------------------------------------------
    def pll_source(self) -> str:
        raise NotImplementedError

    def pll_input_ready(self) -> bool:
        src = self.pll_source()
        return src != "none" and self.source_ready(src)

    def pll_hz(self) -> int:
        raise NotImplementedError

    def source_hz(self, name: str) -> int:
        if name == "hsi":
            return self.HSI_HZ
        if name == "hse":
            return self.hse_hz
        if name == "pll":
            return self.pll_hz()
        if name == "msi":
            return self.msi_hz()
        return 0

    def msi_hz(self) -> int:
        return 0

    @property
    def sysclk_source(self) -> str:
        return self.SW_SOURCES[(self.regs[self.CFGR] >> 2) & 3]

    @property
    def sysclk_hz(self) -> int:
        return self.source_hz(self.sysclk_source)

    @property
    def hclk_hz(self) -> int:
        return self.sysclk_hz // ahb_divider(self.regs[self.CFGR] >> self.HPRE_SHIFT & 0xF)

    @property
    def pclk1_hz(self) -> int:
        return self.hclk_hz // apb_divider(self.regs[self.CFGR] >> self.PPRE1_SHIFT & 7)

    @property
    def pclk2_hz(self) -> int:
        return self.hclk_hz // apb_divider(self.regs[self.CFGR] >> self.PPRE2_SHIFT & 7)

    def describe(self) -> str:
        src = self.sysclk_source
        text = f"{self.name}: SYSCLK {self.sysclk_hz / 1e6:g} MHz from {src.upper()}"
        if src == "pll":
            pin = self.pll_source()
            text += f" ({pin.upper()} {self.source_hz(pin) / 1e6:g} MHz)"
        return text + f", HCLK {self.hclk_hz / 1e6:g} MHz"


class Stm32F4Rcc(Stm32Rcc):
    """STM32F405/407 RCC (RM0090 7.3). Start-up times from the STM32F407 datasheet (DS8626):
    HSI 4 us (tsu(HSI) max), HSE 2 ms (tsu(HSE) typical, 8 MHz crystal), main PLL 100 us (tLOCK
    typical; PLLI2S the same), LSI 40 us (tsu(LSI) max)."""

    CFGR = 0x08
    PLLCFGR = 0x04
    PPRE1_SHIFT, PPRE2_SHIFT = 10, 13
    HSI_HZ = 16_000_000
    SW_SOURCES = ("hsi", "hse", "pll", "none")
    CSR, RMVF, RESET_FLAGS = 0x74, 24, 0xFE00_0000
    OSCILLATORS = (Oscillator("hsi", 0, 1, 4_000), Oscillator("hse", HSE_ON, HSE_RDY, 2_000_000),
                   Oscillator("pll", PLL_ON, PLL_RDY, 100_000), Oscillator("plli2s", 26, 27, 100_000),
                   Oscillator("lsi", 0, 1, 40_000, CSR), Oscillator("lse", 0, 1, Stm32Rcc.LSE_NS, 0x70))
    # RM0090 7.3.1-7.3.24: CR (HSION, HSIRDY, HSITRIM = 16), PLLCFGR, AHB1ENR (CCMDATARAMEN),
    # the low-power enables, CSR (PORRSTF, PINRSTF, BORRSTF), PLLI2SCFGR.
    RESETS = {0x00: 0x0000_0083, 0x04: 0x2400_3010, 0x08: 0, 0x30: 0x0010_0000, 0x50: 0x7E67_91FF,
              0x54: 0x0000_00F1, 0x58: 0x0000_0001, 0x60: 0x36FE_C9FF, 0x64: 0x0007_5F33,
              0x74: 0x0E00_0000, 0x84: 0x2000_3000}

    def pll_source(self) -> str:
        return "hse" if self.regs[self.PLLCFGR] >> 22 & 1 else "hsi"

    def pll_hz(self) -> int:
        # RM0090 7.3.2: f(VCO) = f(PLL in) x PLLN / PLLM; f(PLL out) = f(VCO) / PLLP, P = 2/4/6/8
        cfg = self.regs[self.PLLCFGR]
        m, n, p = cfg & 0x3F, cfg >> 6 & 0x1FF, ((cfg >> 16 & 3) + 1) * 2
        return self.source_hz(self.pll_source()) // m * n // p if m else 0


class Stm32L4Rcc(Stm32Rcc):
    """STM32L4/L4+ RCC (RM0432 6.4). Start-up times from the STM32L4R5 datasheet (DS12023):
    MSI 4 MHz 6 us (tSU(MSI)), HSI16 1.2 us (tsu(HSI16) max), HSE 2 ms (typical), PLL lock
    40 us (tLOCK max; PLLSAI1/2 the same), LSI 80 us (tSU(LSI) max), HSI48 (RCC_CRRCR) 6 us
    (tsu(HSI48) max)."""

    CFGR = 0x08
    PLLCFGR = 0x0C
    CSR, RMVF, RESET_FLAGS = 0x94, 23, 0xFF00_0000
    PPRE1_SHIFT, PPRE2_SHIFT = 8, 11
    HSI_HZ = 16_000_000
    SW_SOURCES = ("msi", "hsi", "hse", "pll")
    OSCILLATORS = (Oscillator("msi", 0, 1, 6_000), Oscillator("hsi", 8, 10, 1_200),
                   Oscillator("hse", HSE_ON, HSE_RDY, 2_000_000), Oscillator("pll", PLL_ON, PLL_RDY, 40_000),
                   Oscillator("pllsai1", 26, 27, 40_000), Oscillator("pllsai2", 28, 29, 40_000),
                   Oscillator("lsi", 0, 1, 80_000, CSR), Oscillator("lse", 0, 1, Stm32Rcc.LSE_NS, 0x90),
                   Oscillator("hsi48", 0, 1, 6_000, 0x98))
    # RM0432 6.4.2: MSI ranges 0-11 (MSIRANGE in CR when MSIRGSEL is set, else MSISRANGE in CSR).
    MSI_RANGES = (100_000, 200_000, 400_000, 800_000, 1_000_000, 2_000_000, 4_000_000, 8_000_000,
                  16_000_000, 24_000_000, 32_000_000, 48_000_000)
    # RM0432 6.4.1-6.4.33: CR (MSION, MSIRDY, MSIRANGE = 4 MHz), ICSCR (HSITRIM = 0x40),
    # PLLCFGR and the two SAI PLLs (PLLN = 16), AHB1ENR (FLASHEN), CSR (MSISRANGE = 4 MHz, reset flags).
    RESETS = {0x00: 0x0000_0063, 0x04: 0x4000_0000, 0x08: 0, 0x0C: 0x0000_1000, 0x10: 0x0000_1000,
              0x14: 0x0000_1000, 0x48: 0x0000_0100, 0x94: 0x0C00_0600, 0x98: 0}

    def msi_hz(self) -> int:
        cr = self.regs[CR]
        rng = cr >> 4 & 0xF if cr >> 3 & 1 else self.regs[self.CSR] >> 8 & 0xF
        return self.MSI_RANGES[rng] if rng < len(self.MSI_RANGES) else 0

    def after_cr_write(self, old: int) -> None:
        # MSIRGSEL is set-only (RM0432 6.4.1: "cleared by hardware" only on Standby exit)
        self.regs[CR] |= old & (1 << 3)

    def pll_source(self) -> str:
        return ("none", "msi", "hsi", "hse")[self.regs[self.PLLCFGR] & 3]

    def pll_hz(self) -> int:
        # RM0432 6.4.4: f(VCO) = f(PLL in) x PLLN / (PLLM + 1); f(PLLCLK) = f(VCO) / PLLR,
        # PLLR = 2/4/6/8. SYSCLK is the R output.
        cfg = self.regs[self.PLLCFGR]
        m, n, r = (cfg >> 4 & 0xF) + 1, cfg >> 8 & 0x7F, ((cfg >> 25 & 3) + 1) * 2
        return self.source_hz(self.pll_source()) // m * n // r


class Stm32F1Rcc(Stm32Rcc):
    """STM32F10x RCC (RM0008 7.3). Start-up times from the STM32F103x8 datasheet (DS5319):
    HSI 2 us (tsu(HSI) max), HSE 2 ms (typical), PLL lock 200 us (tLOCK max), LSI 85 us
    (tsu(LSI) max)."""

    CFGR = 0x04
    PPRE1_SHIFT, PPRE2_SHIFT = 8, 11
    HSI_HZ = 8_000_000
    SW_SOURCES = ("hsi", "hse", "pll", "none")
    CSR, RMVF, RESET_FLAGS = 0x24, 24, 0xFC00_0000
    OSCILLATORS = (Oscillator("hsi", 0, 1, 2_000), Oscillator("hse", HSE_ON, HSE_RDY, 2_000_000),
                   Oscillator("pll", PLL_ON, PLL_RDY, 200_000), Oscillator("lsi", 0, 1, 85_000, CSR),
                   Oscillator("lse", 0, 1, Stm32Rcc.LSE_NS, 0x20))
    # RM0008 7.3.1-7.3.10: CR (HSION, HSIRDY, HSITRIM = 16), AHBENR (SRAMEN, FLITFEN), CSR.
    RESETS = {0x00: 0x0000_0083, 0x04: 0, 0x08: 0, 0x14: 0x0000_0014, 0x24: 0x0C00_0000}

    def pll_source(self) -> str:
        return "hse" if self.regs[self.CFGR] >> 16 & 1 else "hsi"

    def pll_hz(self) -> int:
        # RM0008 7.3.2: PLL input HSI/2 (PLLSRC = 0) or HSE, halved by PLLXTPRE; PLLMUL 0000 = x2
        # up to 1110 = x16 (1111 is x16 as well).
        cfg = self.regs[self.CFGR]
        if cfg >> 16 & 1:
            pin = self.hse_hz // (2 if cfg >> 17 & 1 else 1)
        else:
            pin = self.HSI_HZ // 2
        return pin * min((cfg >> 18 & 0xF) + 2, 16)

    def describe(self) -> str:
        text = super().describe()
        return text.replace("(HSI 8 MHz)", "(HSI/2 4 MHz)")


__all__ = ["Oscillator", "Stm32F1Rcc", "Stm32F4Rcc", "Stm32L4Rcc", "Stm32Rcc", "ahb_divider", "apb_divider"]
