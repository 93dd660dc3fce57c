"""The System Control Space at 0xE000E000 (Renode's ``IRQControllers.NVIC``): NVIC, SCB,
SysTick and the debug registers start-up code touches (DEMCR), plus the exception bookkeeping
(pending, active, priorities) that the board consults to deliver exceptions.

Unicorn does not model exceptions, so delivery is the board's job; this module decides *which*
exception is due (the ARMv7-M ARM's B1.5.4 execution priority with AIRCR.PRIGROUP grouping), the
exception model (tandem.core.exceptions) does the stacking. Priorities keep only the bits the
part implements: the ``priorityMask`` property, as Renode's NVIC (default 0xFF; STM32 parts
implement four bits, 0xF0). A store that can change which exception is due (ICSR, ISER, ISPR,
IPR, SHPR, STIR, AIRCR) asks the board to re-evaluate at the next block boundary.

ARMv6-M cores (Cortex-M0/M0+, DDI0419 B3.4): two priority bits (priorityMask 0xC0 unless the
file sets it), no ICTR (RAZ), no STIR, no FP registers; the Cortex-M0 has no VTOR (RAZ/WI, the
vector table stays at 0), the M0+ has one. CPUID per core from the TRMs (revisions: M0 r0p0,
M0+ r0p1, M3 r2p1, M4 r0p1, M7 r1p2, M33 r0p3).
"""
from __future__ import annotations

from collections.abc import Callable

from tandem.peripherals.base import BoardContext, Peripheral
from tandem.peripherals.systick import SYSTICK_EXCEPTION, SysTick
from tandem.platform.model import PeripheralSpec

ICTR = 0x004
ISER, ICER, ISPR, ICPR, IABR, IPR = 0x100, 0x180, 0x200, 0x280, 0x300, 0x400
CPUID, ICSR, VTOR, AIRCR, SCR, CCR = 0xD00, 0xD04, 0xD08, 0xD0C, 0xD10, 0xD14
SHPR1, SHPR2, SHPR3, SHCSR = 0xD18, 0xD1C, 0xD20, 0xD24
CFSR, HFSR, MMFAR, BFAR = 0xD28, 0xD2C, 0xD34, 0xD38
CPACR, DEMCR, STIR = 0xD88, 0xDFC, 0xF00
FPCCR, FPCAR, FPDSCR = 0xF34, 0xF38, 0xF3C

PENDSV, SVCALL = 14, 11
CPUIDS = {"cortex-m0": 0x410CC200, "cortex-m0+": 0x410CC601, "cortex-m3": 0x412FC231,
          "cortex-m4": 0x410FC241, "cortex-m7": 0x411FC272, "cortex-m33": 0x410FD213}
V6M = ("cortex-m0", "cortex-m0+")
NUM_IRQS = 240
CCR_RESET = 0x200  # STKALIGN set, as on Cortex-M3 r2p0+ and Cortex-M4
FPCCR_RESET = 0xC0000000  # ASPEN and LSPEN set (ARMv7-M ARM B3.2.24, FP extension)


class Nvic(Peripheral):

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext, core: str) -> None:
        super().__init__(spec, ctx)
        self.core = core
        self.enabled = [False] * NUM_IRQS
        self.levels = [False] * NUM_IRQS
        self.pending: set[int] = set()  # exception numbers
        self.active: list[int] = []  # stack of active exception numbers
        self.prio = [0] * (16 + NUM_IRQS)
        self.regs: dict[int, int] = {CCR: CCR_RESET, VTOR: 0}
        self.v6m = core in V6M
        if core != "cortex-m3" and not self.v6m:
            self.regs[FPCCR] = FPCCR_RESET
        # FPCCR reads (LSPACT depends on the core's state): set by the board to its exception model
        self.fpccr_view: Callable[[], int] | None = None
        # told when CCR's DIV_0_TRP or UNALIGN_TRP change (the board's trap guard, core/traps.py)
        self.on_ccr: Callable[[], None] | None = None
        default_mask = 0xC0 if self.v6m else 0xFF
        mask = spec.properties.get("priorityMask", default_mask)
        self.priority_mask = mask & 0xFF if isinstance(mask, int) else default_mask
        self.sysreset_requested = False
        div = spec.properties.get("referenceDivider", 8)
        self.systick = SysTick(
            now=ctx.now,
            schedule=lambda cycle: ctx.schedule(cycle, self.systick.on_event, self.systick),
            cancel=lambda: ctx.cancel(self.systick),
            pend=lambda: self.pend(SYSTICK_EXCEPTION),
            reference_divider=div if isinstance(div, int) and div > 0 else 8,
            cpu_hz=ctx.cpu_hz,
        )

    # exception bookkeeping ----------------------------------------------------------------
    @property
    def vtor(self) -> int:
        return self.regs[VTOR]

    def pend(self, number: int) -> None:
        self.pending.add(number)

    def set_irq(self, line: int, level: bool) -> None:
        if 0 <= line < NUM_IRQS:
            self.levels[line] = level
            if level:
                self.pending.add(16 + line)

    def priority(self, number: int) -> int:
        return self.prio[number] if number >= 4 else number - 4  # Reset -3, NMI -2, HardFault -1

    @property
    def prigroup(self) -> int:
        return (self.regs.get(AIRCR, 0) >> 8) & 7

    def group(self, priority: int) -> int:
        """The group priority of ``priority``: only it decides preemption (B1.5.4)."""
        if priority < 0:
            return priority
        size = 2 << self.prigroup
        return priority - priority % size

    def current_priority(self, primask: bool, basepri: int, faultmask: bool = False) -> int:
        """ExecutionPriority() of B1.5.4: the active exceptions' highest group priority, boosted
        by BASEPRI (its implemented bits), PRIMASK (0) and FAULTMASK (-1)."""
        level = 256
        if self.active:
            level = min(self.group(self.priority(n)) for n in self.active)
        boost = 256
        basepri &= self.priority_mask
        if basepri:
            boost = self.group(basepri)
        if primask:
            boost = 0
        if faultmask:
            boost = -1
        return min(level, boost)

    def next_due(self, primask: bool, basepri: int, faultmask: bool = False) -> int | None:
        """The pending exception that should be taken now, if any: the highest priority
        (group, then subpriority, then lowest number) whose group priority preempts."""
        threshold = self.current_priority(primask, basepri, faultmask)
        best: int | None = None
        for number in self.pending:
            if number >= 16 and not self.enabled[number - 16]:
                continue
            p = self.priority(number)
            if self.group(p) < threshold and (best is None or (p, number) < (self.priority(best), best)):
                best = number
        return best

    def activate(self, number: int) -> None:
        self.pending.discard(number)
        self.active.append(number)

    def deactivate(self, number: int | None = None) -> int | None:
        """Clear ``number``'s active state (default: the most recently activated)."""
        if number is None:
            number = self.active[-1] if self.active else None
        if number is None or number not in self.active:
            return None
        self.active.remove(number)
        if number is not None and number >= 16 and self.levels[number - 16]:
            self.pending.add(number)  # level-sensitive line still asserted
        return number

    # register window ----------------------------------------------------------------------
    def _bits(self, offset: int, base: int, pred: Callable[[int], bool]) -> int:
        first = (offset - base) * 8
        return sum(1 << i for i in range(32) if first + i < NUM_IRQS and pred(first + i))

    def read(self, offset: int, size: int) -> int:
        aligned = offset & ~3
        shift = (offset & 3) * 8
        value = self._read32(aligned)
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def _read32(self, off: int) -> int:
        if 0x010 <= off <= 0x01C:
            return self.systick.read(off)
        if off == ICTR:
            return 0 if self.v6m else NUM_IRQS // 32 - 1
        if ISER <= off < ISER + 0x40 or ICER <= off < ICER + 0x40:
            base = ISER if off < ICER else ICER
            return self._bits(off, base, lambda n: self.enabled[n])
        if ISPR <= off < ISPR + 0x40 or ICPR <= off < ICPR + 0x40:
            base = ISPR if off < ICPR else ICPR
            return self._bits(off, base, lambda n: 16 + n in self.pending)
        if IABR <= off < IABR + 0x40:
            return self._bits(off, IABR, lambda n: 16 + n in self.active)
        if IPR <= off < IPR + NUM_IRQS:
            n = 16 + off - IPR
            return sum(self.prio[n + i] << (8 * i) for i in range(4))
        if SHPR1 <= off <= SHPR3:
            n = 4 + off - SHPR1
            return sum(self.prio[n + i] << (8 * i) for i in range(4))
        if off == CPUID:
            return CPUIDS.get(self.core, CPUIDS["cortex-m4"])
        if off == ICSR:
            # B3.2.4: VECTACTIVE, RETTOBASE (no other active exception), VECTPENDING (the
            # highest priority pending enabled exception, masks not applied), ISRPENDING
            # (an external interrupt is pending), and the set bits
            value = self.active[-1] if self.active else 0
            if len(self.active) <= 1:
                value |= 1 << 11
            waiting = [n for n in self.pending if n < 16 or self.enabled[n - 16]]
            if waiting:
                value |= (min(waiting, key=lambda n: (self.priority(n), n)) & 0x1FF) << 12
            if any(n >= 16 for n in self.pending):
                value |= 1 << 22
            if SYSTICK_EXCEPTION in self.pending:
                value |= 1 << 26
            if PENDSV in self.pending:
                value |= 1 << 28
            if 2 in self.pending:
                value |= 1 << 31
            return value
        if off == FPCCR and self.fpccr_view is not None:
            return self.fpccr_view()
        if off == AIRCR:
            return 0xFA050000 | (self.regs.get(AIRCR, 0) & 0x700)
        return self.regs.get(off, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        off = offset & ~3
        if off in _REEVALUATE or ISER <= off < ISER + 0x40 or ISPR <= off < ISPR + 0x40 \
                or IPR <= off < IPR + NUM_IRQS:
            self.ctx.reevaluate_exceptions()
        mask = self.priority_mask
        if size != 4 and IPR <= offset < IPR + NUM_IRQS:
            for i in range(size):  # byte or halfword access to IPR (B3.4.9: byte accessible)
                if offset + i < IPR + NUM_IRQS:
                    self.prio[16 + offset - IPR + i] = (value >> (8 * i)) & mask
            return
        if size != 4 and SHPR1 <= offset < SHPR3 + 4:
            for i in range(size):
                if offset + i < SHPR3 + 4:
                    self._set_shpr(4 + offset - SHPR1 + i, (value >> (8 * i)) & mask)
            return
        if 0x010 <= off <= 0x01C:
            self.systick.write(off, value)
        elif ISER <= off < ISER + 0x40:
            for i in range(32):
                if value >> i & 1 and (off - ISER) * 8 + i < NUM_IRQS:
                    self.enabled[(off - ISER) * 8 + i] = True
        elif ICER <= off < ICER + 0x40:
            for i in range(32):
                if value >> i & 1 and (off - ICER) * 8 + i < NUM_IRQS:
                    self.enabled[(off - ICER) * 8 + i] = False
        elif ISPR <= off < ISPR + 0x40:
            for i in range(32):
                if value >> i & 1:
                    self.pending.add(16 + (off - ISPR) * 8 + i)
        elif ICPR <= off < ICPR + 0x40:
            for i in range(32):
                if value >> i & 1:
                    self.pending.discard(16 + (off - ICPR) * 8 + i)
        elif IPR <= off < IPR + NUM_IRQS:
            for i in range(4):
                self.prio[16 + off - IPR + i] = (value >> (8 * i)) & mask
        elif SHPR1 <= off <= SHPR3:
            for i in range(4):
                self._set_shpr(4 + off - SHPR1 + i, (value >> (8 * i)) & mask)
        elif off == ICSR:
            if value & (1 << 31):
                self.pend(2)  # NMIPENDSET
            if value & (1 << 26):
                self.pend(SYSTICK_EXCEPTION)
            if value & (1 << 25):
                self.pending.discard(SYSTICK_EXCEPTION)
            if value & (1 << 28):
                self.pend(PENDSV)
            if value & (1 << 27):
                self.pending.discard(PENDSV)
        elif off == AIRCR:
            if value >> 16 == 0x05FA:
                self.regs[AIRCR] = value & 0x700
                if value & 0x4:
                    self.sysreset_requested = True
                    self.ctx.request_exit(0x5E5E7)
        elif off == STIR:
            if not self.v6m:
                self.pending.add(16 + (value & 0x1FF))
        elif off == VTOR:
            if self.core != "cortex-m0":
                self.regs[VTOR] = value & 0xFFFFFF80
        elif off in (CFSR, HFSR):
            self.regs[off] = self.regs.get(off, 0) & ~value  # write-one-to-clear
        elif off == CPUID:
            pass
        elif off == FPCAR:
            self.regs[off] = value & ~7
        elif off == CCR:
            old, self.regs[CCR] = self.regs.get(CCR, 0), value
            if (old ^ value) & 0x18 and self.on_ccr is not None:
                self.on_ccr()
        else:
            self.regs[off] = value

    def _set_shpr(self, number: int, value: int) -> None:
        # the bytes of exceptions 7-10 and 13 are reserved: RAZ/WI (B3.2.10-B3.2.12)
        if number not in (7, 8, 9, 10, 13):
            self.prio[number] = value


_REEVALUATE = frozenset({ICSR, AIRCR, STIR, SHPR1, SHPR2, SHPR3})
