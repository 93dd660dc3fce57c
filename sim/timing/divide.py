"""SDIV/UDIV timing by operand values (Cortex-M3/M4/M33), charged at run time.

The Cortex-M3 and M4 Technical Reference Manuals (instruction timing tables, SDIV/UDIV: 2-12
cycles) say division terminates early "depending on the number of leading ones and zeroes in
the input operands"; the Cortex-M33 TRM gives 2-11 cycles. Neither gives the formula, so
tandem takes the TRM's end points and interpolates linearly in the number of quotient bits
the divider must produce: with magnitudes ``n`` (dividend) and ``d`` (divisor, non-zero),
``q = bits(n) - bits(d) + 1`` when ``n >= d``, else 0, and

    cycles = lo + ceil(q * (hi - lo) / 32)

so a quotient of 0 (or a division by zero, which returns 0 without the DIV_0_TRP trap) costs
``lo`` = 2 and a 32-bit quotient (``n`` with bit 31 set, ``d`` = 1) costs ``hi``. The block's
static cost is the table's midpoint ``CoreTable.div``, or 1 in an IT block (what the
instruction costs when its condition fails); the board's code hook at each SDIV/UDIV, which
Unicorn calls only when the division executes, charges the rest (:func:`div_cycles` minus the
static cost). A cycle counter without a board keeps the static costs. The Cortex-M7 has no
published range: its constant ``CoreTable.div`` stays, with no hook.
"""
from __future__ import annotations

from dataclasses import dataclass

from tandem.timing.tables import CoreTable

__all__ = ["DivSite", "div_cycles", "find_divides"]


@dataclass(frozen=True)
class DivSite:
    """One SDIV/UDIV (T1 encoding) in the code: its address and operand registers."""

    addr: int
    rn: int  # dividend
    rm: int  # divisor
    signed: bool


def _magnitude(value: int, signed: bool) -> int:
    value &= 0xFFFFFFFF
    if signed and value & 0x80000000:
        return (1 << 32) - value
    return value


def div_cycles(table: CoreTable, dividend: int, divisor: int, signed: bool) -> int:
    """Cycles of one SDIV/UDIV on ``table``'s core (see the module docstring)."""
    lo, hi = table.div_range or (table.div, table.div)
    n, d = _magnitude(dividend, signed), _magnitude(divisor, signed)
    q = n.bit_length() - d.bit_length() + 1 if d and n >= d else 0
    return lo + -(-q * (hi - lo) // 32)


def find_divides(code: bytes, base: int) -> list[DivSite]:
    """Every halfword-aligned SDIV/UDIV T1 encoding in ``code`` loaded at ``base`` (a literal
    that happens to look like one only gets a hook that never runs)."""
    sites: list[DivSite] = []
    for off in range(0, len(code) - 3, 2):
        hw1 = int.from_bytes(code[off:off + 2], "little")
        hw2 = int.from_bytes(code[off + 2:off + 4], "little")
        op = hw1 & 0xFFF0
        if op in (0xFB90, 0xFBB0) and hw2 & 0xF0F0 == 0xF0F0:
            sites.append(DivSite(base + off, hw1 & 0xF, hw2 & 0xF, op == 0xFB90))
    return sites
