"""STM32 GPIO ports, one entry per port as in Renode's chip files: the F2/F4/L4 layout
(``GPIOPort.STM32_GPIOPort``: RM0090 8.4, RM0432 8.5) and the F1 layout
(``GPIOPort.STM32F1GPIOPort``: RM0008 9.2).

Registers read back with their reset values (the F4/L4 ports A and B differ: the debug pins;
Renode's ``modeResetValue``, ``outputSpeedResetValue`` and ``pullUpPullDownResetValue``
properties give them). BSRR sets and resets ODR bits (set wins when both are written, RM0090
8.4.7), BRR resets them, and the LCKR key sequence (LCKK 1, 0, 1 with the same mask, then a
read) freezes the configuration of the masked pins until reset.

Each pin has a level, visible from Python (:meth:`pin`): an output drives ODR (an open-drain
output only drives low), any other pin takes the level set with :meth:`set_input`, or its pull
resistor's level while nothing drives it. IDR reads those levels (0 for analog pins). A pin
whose level changes is sent along the entry's connections (``[0-15] -> syscfg#2@[0-15]``: port
C's pins to SYSCFG, or AFIO on F1, which passes the ports EXTICR selects on to EXTI).
"""
from __future__ import annotations

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.platform.model import PeripheralSpec

LCKK = 1 << 16


def _prop(spec: PeripheralSpec, name: str, default: int) -> int:
    value = spec.properties.get(name, default)
    return value if isinstance(value, int) else default


class _Port(Peripheral):
    IDR: int
    ODR: int
    BSRR: int
    BRR: int
    LCKR: int

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext) -> None:
        super().__init__(spec, ctx)
        self.regs: dict[int, int] = self.resets(spec)
        self.inputs: dict[int, bool] = {}  # pin -> level driven from outside
        self._lock_step = 0
        self._lock_mask = 0
        self.locked = 0  # pins whose configuration is frozen
        self._levels = self.levels()  # as last sent to the connected parts

    def resets(self, spec: PeripheralSpec) -> dict[int, int]:
        raise NotImplementedError

    # -- pins ---------------------------------------------------------------------------------
    def mode(self, pin: int) -> str:
        """"input", "output", "open-drain", "alternate" or "analog"."""
        raise NotImplementedError

    def pull(self, pin: int) -> bool | None:
        """The level the pull resistor gives an undriven pin (None: floating)."""
        raise NotImplementedError

    def set_input(self, pin: int, level: bool | None) -> None:
        """Drive ``pin`` from outside (None: stop driving it)."""
        if level is None:
            self.inputs.pop(pin, None)
        else:
            self.inputs[pin] = level
        self._propagate()

    def levels(self) -> int:
        return sum(1 << n for n in range(16) if self.pin(n))

    def _propagate(self) -> None:
        """Send the pins whose level changed to the connected parts (SYSCFG/AFIO, to EXTI)."""
        now = self.levels()
        changed, self._levels = now ^ self._levels, now
        for n in range(16):
            if changed >> n & 1:
                self.send(n, bool(now >> n & 1))

    def pin(self, pin: int) -> bool:
        """The level on ``pin``."""
        mode = self.mode(pin)
        odr = bool(self.regs[self.ODR] >> pin & 1)
        if mode == "output":
            return odr
        if mode == "analog":
            return False
        outside = self.inputs.get(pin)
        if mode == "open-drain" and not odr:
            return False
        if outside is not None:
            return outside
        pulled = self.pull(pin)
        # undriven: the pull resistor; a released open-drain line is assumed pulled up outside
        return pulled if pulled is not None else mode == "open-drain"

    def idr(self) -> int:
        return sum(1 << n for n in range(16) if self.pin(n) and self.mode(n) != "analog")

    # -- registers ----------------------------------------------------------------------------
    def config_regs(self) -> dict[int, int]:
        """Configuration register -> bits per pin (the ones LCKR freezes)."""
        raise NotImplementedError

    def read(self, offset: int, size: int) -> int:
        offset &= ~3
        if offset == self.IDR:
            return self.idr()
        if offset in (self.BSRR, self.BRR):
            return 0
        value = self.regs.get(offset, 0)
        if offset == self.LCKR and self._lock_step == 3:
            self._lock_step = 0
            self.locked |= self._lock_mask
            self.regs[self.LCKR] = LCKK | self.locked
            value = self.regs[self.LCKR]
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        offset &= ~3
        odr = self.regs[self.ODR]
        if offset == self.BSRR:
            self.regs[self.ODR] = (odr & ~(value >> 16) | value) & 0xFFFF
        elif offset == self.BRR:
            self.regs[self.ODR] = odr & ~value & 0xFFFF
        elif offset == self.ODR:
            self.regs[self.ODR] = value & 0xFFFF
        elif offset == self.LCKR:
            self._lock_sequence(value)
        elif offset in self.config_regs():
            bits = self.config_regs()[offset]
            keep = 0
            for pin in range(16):
                if self.locked >> pin & 1:
                    keep |= self._pin_field(offset, pin, bits)
            self.regs[offset] = (value & ~keep | self.regs[offset] & keep) & 0xFFFFFFFF
        elif offset != self.IDR:
            self.regs[offset] = value & 0xFFFFFFFF
        self._propagate()

    def _pin_field(self, offset: int, pin: int, bits: int) -> int:
        """The mask of ``pin``'s field in configuration register ``offset``."""
        per_reg = 32 // bits
        first = self.first_pin(offset)
        if not first <= pin < first + per_reg:
            return 0
        return ((1 << bits) - 1) << ((pin - first) * bits)

    def first_pin(self, offset: int) -> int:
        return 0

    def _lock_sequence(self, value: int) -> None:
        # RM0090 8.4.8 / RM0008 9.2.7: WR LCKK=1 + mask, WR LCKK=0 + mask, WR LCKK=1 + mask, RD
        mask, key = value & 0xFFFF, bool(value & LCKK)
        if self.locked:
            return  # frozen until reset
        expected = (True, False, True)
        same = self._lock_step == 0 or mask == self._lock_mask
        if self._lock_step < 3 and key == expected[self._lock_step] and same:
            self._lock_mask = mask
            self._lock_step += 1
        else:
            self._lock_step = 1 if key else 0
            self._lock_mask = mask
        self.regs[self.LCKR] = mask


class Stm32GpioPort(_Port):
    """F2/F4/L4 port: MODER 0x00, OTYPER 0x04, OSPEEDR 0x08, PUPDR 0x0C, IDR 0x10, ODR 0x14,
    BSRR 0x18, LCKR 0x1C, AFRL 0x20, AFRH 0x24, BRR 0x28 (L4; reserved on F4)."""

    MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH, BRR = range(0, 0x2C, 4)

    def resets(self, spec: PeripheralSpec) -> dict[int, int]:
        return {self.MODER: _prop(spec, "modeResetValue", 0), self.OTYPER: 0,
                self.OSPEEDR: _prop(spec, "outputSpeedResetValue", 0),
                self.PUPDR: _prop(spec, "pullUpPullDownResetValue", 0), self.ODR: 0, self.LCKR: 0,
                self.AFRL: 0, self.AFRH: 0}

    def config_regs(self) -> dict[int, int]:
        return {self.MODER: 2, self.OTYPER: 1, self.OSPEEDR: 2, self.PUPDR: 2, self.AFRL: 4, self.AFRH: 4}

    def first_pin(self, offset: int) -> int:
        return 8 if offset == self.AFRH else 0

    def mode(self, pin: int) -> str:
        moder = self.regs[self.MODER] >> (2 * pin) & 3
        if moder == 1:
            return "open-drain" if self.regs[self.OTYPER] >> pin & 1 else "output"
        return ("input", "output", "alternate", "analog")[moder]

    def pull(self, pin: int) -> bool | None:
        return {1: True, 2: False}.get(self.regs[self.PUPDR] >> (2 * pin) & 3)

    def alternate_function(self, pin: int) -> int:
        reg = self.AFRH if pin >= 8 else self.AFRL
        return self.regs[reg] >> (4 * (pin % 8)) & 0xF


class Stm32F1GpioPort(_Port):
    """F1 port: CRL 0x00, CRH 0x04 (4 bits a pin: MODE[1:0], CNF[1:0]; reset 0x44444444 =
    floating inputs), IDR 0x08, ODR 0x0C, BSRR 0x10, BRR 0x14, LCKR 0x18."""

    CRL, CRH, IDR, ODR, BSRR, BRR, LCKR = range(0, 0x1C, 4)

    def resets(self, spec: PeripheralSpec) -> dict[int, int]:
        return {self.CRL: 0x4444_4444, self.CRH: 0x4444_4444, self.ODR: 0, self.LCKR: 0}

    def config_regs(self) -> dict[int, int]:
        return {self.CRL: 4, self.CRH: 4}

    def first_pin(self, offset: int) -> int:
        return 8 if offset == self.CRH else 0

    def _nibble(self, pin: int) -> int:
        reg = self.CRH if pin >= 8 else self.CRL
        return self.regs[reg] >> (4 * (pin % 8)) & 0xF

    def mode(self, pin: int) -> str:
        nib = self._nibble(pin)
        cnf = nib >> 2
        if nib & 3 == 0:  # MODE 00: input; CNF 00 analog, 01 floating, 10 pull-up/down
            return "analog" if cnf == 0 else "input"
        if cnf & 2:
            return "alternate"
        return "open-drain" if cnf & 1 else "output"

    def pull(self, pin: int) -> bool | None:
        # RM0008 table 20: CNF 10 in input mode pulls up or down as ODR says
        if self._nibble(pin) >> 2 == 2:
            return bool(self.regs[self.ODR] >> pin & 1)
        return None


__all__ = ["Stm32F1GpioPort", "Stm32GpioPort"]
