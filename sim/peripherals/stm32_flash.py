"""STM32 flash interfaces: FLASH_ACR's latency and accelerator enables, for F1 (RM0008 3.3.3),
F4 (RM0090 3.9) and L4/L4+ (RM0432 3.7).

Flash is read-only outside the programming sequence (the board maps it so; machine/board.py asks
:meth:`Stm32Flash.store` about each store to it): KEYR takes KEY1 = 0x45670123 then
KEY2 = 0xCDEF89AB to clear CR.LOCK, a wrong key keeps CR locked until reset, and CR cannot be
written while locked (RM0090 3.5-3.6, RM0432 3.3). With CR.PG set a store programs the flash
(the value lands as written; erase is not modelled, a run note says so). A store without PG is
ignored and sets SR.PGSERR, the programming-sequence error (RM0090 and RM0432, the FLASH_SR
descriptions in 3.9 and 3.7); SR's error flags clear when written with 1. For the F1 RM0008
names no flag for that case: the store is ignored and nothing is flagged.

The other registers read back with their reset values. A write to FLASH_ACR sets the timing
the cycle model charges for fetches from the flash memory
(the entry's ``flash`` property names it, as in Renode's chip files; default ``flash``):
LATENCY wait states, and the board file's accelerator on or off (F4/L4: the ART instruction
cache, ICEN; F1: the prefetch buffer, PRFTBE). Until the firmware first writes ACR the board
file's ``waitStates`` stay, so firmware that never touches the flash interface keeps its timing.
Each new setting is a run note. The exact data-load hook (``--exact-flash-data``) keeps the board
file's wait states; DCEN and PRFTEN (F4/L4) read back without changing the model.
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

ACR = 0x00
KEY1, KEY2 = 0x45670123, 0xCDEF89AB
LOCK = 1 << 31
PG = 1 << 0


class Stm32Flash(Peripheral):
    """The shared register-map style; subclasses give reset values and ACR's fields."""

    RESETS: dict[int, int]
    LATENCY_MASK: int
    ACCEL_BIT: int  # the enable of the fetch accelerator the board file declares
    ACCEL_NAME = "ART instruction cache (ICEN)"
    READ_ONLY: dict[int, int] = {}  # offset -> bits the firmware cannot write
    WRITE_ONLY: frozenset[int] = frozenset()  # key registers: read as zero
    KEYR: int
    SR: int
    CR: int
    LOCK_BIT = LOCK
    SR_ERRORS: int  # rc_w1 bits of SR (and EOP)
    PGSERR: int | None = 1 << 7
    START = 1 << 16  # CR.STRT: an erase the model does not do
    MANUAL = "RM0090 3.6"

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.regs: dict[int, int] = dict(self.RESETS)
        flash = spec.properties.get("flash", "flash")
        self.memory = str(getattr(flash, "name", flash))
        self.applied: tuple[int, bool] | None = None  # the timing last handed to the board
        self._key_step = 0  # KEY1 seen
        self._locked_out = False  # a wrong key: locked until reset
        self.refused = 0  # stores to flash ignored (no PG)
        self.programmed = 0  # stores to flash with PG set

    @property
    def programming(self) -> bool:
        """CR.PG set with the interface unlocked: a store to flash programs it."""
        cr = self.regs.get(self.CR, 0)
        return not cr & self.LOCK_BIT and bool(cr & PG)

    def store(self, addr: int, size: int) -> bool:
        """A store to the flash this interface serves: True if it programs, False if ignored
        (with SR's flag set)."""
        if self.programming:
            self.programmed += 1
            return True
        self.refused += 1
        if self.PGSERR is not None:
            self.regs[self.SR] = self.regs.get(self.SR, 0) | self.PGSERR
        return False

    @property
    def latency(self) -> int:
        return self.regs[ACR] & self.LATENCY_MASK

    @property
    def accelerated(self) -> bool:
        return bool(self.regs[ACR] >> self.ACCEL_BIT & 1)

    def read(self, offset: int, size: int) -> int:
        offset &= ~3
        return 0 if offset in self.WRITE_ONLY else self.regs.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        offset &= ~3
        if offset == self.KEYR:
            self._key(value)
            return
        if offset == self.SR:
            self.regs[offset] = self.regs.get(offset, 0) & ~(value & self.SR_ERRORS)
            return
        if offset == self.CR:
            cr = self.regs.get(offset, 0)
            if cr & self.LOCK_BIT:
                return  # locked: CR is not writable (LOCK is set again only by writing 1)
            if value & self.START:
                self.ctx.note(f"{self.name}: erase (CR.STRT) is not modelled: the flash keeps its contents")
        ro = self.READ_ONLY.get(offset, 0)
        self.regs[offset] = (value & ~ro | self.regs.get(offset, 0) & ro) & 0xFFFFFFFF
        if offset == ACR:
            self.after_acr_write()
            timing = (self.latency, self.accelerated)
            if timing != self.applied:
                self.applied = timing
                self.ctx.set_flash_timing(self.memory, *timing)
                self.ctx.note(f"{self.name}: FLASH_ACR sets {self.memory} to {timing[0]} wait states, "
                              f"{self.ACCEL_NAME} {'on' if timing[1] else 'off'}")

    def after_acr_write(self) -> None:
        """Family-specific status bits of ACR."""

    def _key(self, value: int) -> None:
        if self._locked_out or not self.regs.get(self.CR, 0) & self.LOCK_BIT:
            return
        if self._key_step == 0 and value == KEY1:
            self._key_step = 1
            return
        if self._key_step == 1 and value == KEY2:
            self._key_step = 0
            self.regs[self.CR] &= ~self.LOCK_BIT
            return
        self._key_step = 0
        self._locked_out = True  # a wrong sequence locks CR until the next reset
        self.ctx.note(f"{self.name}: wrong key sequence in FLASH_KEYR (0x{value:08x}): FLASH_CR stays locked "
                      "until reset")


class Stm32F4Flash(Stm32Flash):
    """STM32F4 flash interface (RM0090 3.9): ACR LATENCY[3:0], PRFTEN 8, ICEN 9, DCEN 10,
    ICRST 11, DCRST 12; KEYR 0x04, OPTKEYR 0x08, SR 0x0C, CR 0x10 (LOCK), OPTCR 0x14."""

    RESETS = {0x00: 0, 0x0C: 0, 0x10: 0x8000_0000, 0x14: 0x0FFF_AAED}
    LATENCY_MASK = 0xF
    ACCEL_BIT = 9
    WRITE_ONLY = frozenset({0x04, 0x08})
    KEYR, SR, CR = 0x04, 0x0C, 0x10
    SR_ERRORS = 0x1F3  # EOP 0, OPERR 1, WRPERR 4, PGAERR 5, PGPERR 6, PGSERR 7, RDERR 8


class Stm32L4Flash(Stm32Flash):
    """STM32L4/L4+ flash interface (RM0432 3.7): ACR (reset: ICEN, DCEN) LATENCY[3:0],
    PRFTEN 8, ICEN 9, DCEN 10; PDKEYR 0x04, KEYR 0x08, OPTKEYR 0x0C, SR 0x10, CR 0x14 (LOCK,
    OPTLOCK), OPTR 0x20 (factory options, RDP level 0)."""

    RESETS = {0x00: 0x0000_0600, 0x10: 0, 0x14: 0xC000_0000, 0x20: 0xFFEF_F8AA}
    LATENCY_MASK = 0xF
    ACCEL_BIT = 9
    WRITE_ONLY = frozenset({0x04, 0x08, 0x0C})
    KEYR, SR, CR = 0x08, 0x10, 0x14
    SR_ERRORS = 0xC3FB  # EOP, OPERR, PROGERR, WRPERR, PGAERR, SIZERR, PGSERR, MISSERR, FASTERR, RDERR, OPTVERR
    MANUAL = "RM0432 3.3"


class Stm32F1Flash(Stm32Flash):
    """STM32F1 flash interface (RM0008 3.3.3): ACR LATENCY[2:0], HLFCYA 3, PRFTBE 4, PRFTBS 5
    (read-only: the prefetch buffer is on); KEYR 0x04, OPTKEYR 0x08, SR 0x0C, CR 0x10 (LOCK),
    AR 0x14, OBR 0x1C, WRPR 0x20."""

    RESETS = {0x00: 0x30, 0x0C: 0, 0x10: 0x80, 0x14: 0, 0x1C: 0x03FF_FFFC, 0x20: 0xFFFF_FFFF}
    LATENCY_MASK = 0x7
    ACCEL_BIT = 4
    ACCEL_NAME = "prefetch buffer (PRFTBE)"
    KEYR, SR, CR = 0x04, 0x0C, 0x10
    LOCK_BIT = 1 << 7
    SR_ERRORS = 0x34  # PGERR 2, WRPRTERR 4, EOP 5
    PGSERR = None
    START = 1 << 6
    MANUAL = "RM0008 3.3"
    READ_ONLY = {0x00: 1 << 5, 0x1C: 0xFFFF_FFFF, 0x20: 0xFFFF_FFFF}
    WRITE_ONLY = frozenset({0x04, 0x08})

    def after_acr_write(self) -> None:
        # PRFTBS follows PRFTBE (the buffer switches while SYSCLK runs below 24 MHz, RM0008 3.3.3)
        self.regs[ACR] = self.regs[ACR] & ~(1 << 5) | (self.regs[ACR] >> 4 & 1) << 5


# the .repl types of these interfaces (their ``flash`` property names the memory they program)
FLASH_CONTROLLERS = frozenset({"MTD.STM32F4_FlashController", "MTD.STM32L4_FlashController",
                               "MTD.STM32F1_FlashController"})

__all__ = ["FLASH_CONTROLLERS", "Stm32F1Flash", "Stm32F4Flash", "Stm32Flash", "Stm32L4Flash"]
