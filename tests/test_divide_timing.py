"""SDIV/UDIV cycles by operand magnitude and in failing IT blocks (issue 15, item 4).

firmware/tests/divide_ops.S divides 100 times; two builds that differ only in the operands
differ by 100 x the difference of the rule's cycles (sim/timing/divide.py: the TRM's 2-12
cycles on M3/M4 and 2-11 on M33, early termination by the quotient's bit count).
"""
from __future__ import annotations

import pytest

from tandem.machine.board import Board
from tandem.timing.divide import div_cycles, find_divides
from tandem.timing.tables import TABLES


def _cycles(cfg, build, board: str, n: int, d: int, signed: bool = False, it: int | None = None) -> int:
    flags = [f"-DDIVIDEND={n}", f"-DDIVISOR={d}"] + (["-DSIGNED"] if signed else [])
    flags += [f"-DIT_MODE={it}"] if it else []
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/divide_ops.S", extra_cflags=tuple(flags)))
    r = b.run(max_cycles=1_000_000)
    assert r.exit_code == 0
    return r.cycles


def test_rule_end_points() -> None:
    m4, m33 = TABLES["cortex-m4"], TABLES["cortex-m33"]
    assert div_cycles(m4, 5, 7, False) == 2  # quotient 0
    assert div_cycles(m4, 5, 0, False) == 2  # divide by zero: 0, no trap
    assert div_cycles(m4, 0xFFFFFFFF, 1, False) == 12  # 32 quotient bits
    assert div_cycles(m33, 0xFFFFFFFF, 1, False) == 11
    assert div_cycles(m4, 0x100, 0x10, False) == 2 + 2  # 5 quotient bits: ceil(5 * 10 / 32)
    assert div_cycles(m4, -1000 & 0xFFFFFFFF, 3, True) == div_cycles(m4, 1000, 3, False)


def test_find_divides() -> None:
    udiv = bytes.fromhex("b1fb f2f2")  # udiv r2, r1, r2
    sdiv = bytes.fromhex("90fb f1f3")  # sdiv r3, r0, r1
    sites = find_divides(b"\x00\xbf" + udiv + sdiv, 0x100)
    assert [(s.addr, s.rn, s.rm, s.signed) for s in sites] == [(0x102, 1, 2, False), (0x106, 0, 1, True)]


@pytest.mark.parametrize("board,core", [("generic_m4", "cortex-m4f"), ("generic_m3", "cortex-m3"),
                                        ("generic_m33", "cortex-m33")])
def test_divide_cycles_follow_the_operands(cfg, build, board: str, core: str) -> None:
    t = TABLES[core]
    small = _cycles(cfg, build, board, 5, 7)
    for n, d, signed in ((0xFFFFFFFF, 1, False), (1000, 3, False), (-(1 << 30), 5, True)):
        big = _cycles(cfg, build, board, n, d, signed)
        assert big - small == 100 * (div_cycles(t, n & 0xFFFFFFFF, d, signed) - 2)


def test_failed_condition_costs_one_cycle(cfg, build) -> None:
    t = TABLES["cortex-m4f"]
    passed_small = _cycles(cfg, build, "generic_m4", 5, 7, it=1)
    passed_big = _cycles(cfg, build, "generic_m4", 0xFFFFFFFF, 1, it=1)
    failed_small = _cycles(cfg, build, "generic_m4", 5, 7, it=2)
    failed_big = _cycles(cfg, build, "generic_m4", 0xFFFFFFFF, 1, it=2)
    assert passed_big - passed_small == 100 * (div_cycles(t, 0xFFFFFFFF, 1, False) - 2)
    assert failed_big == failed_small  # the operands do not matter when it does not execute
    # TRM: an instruction whose IT condition fails takes 1 cycle; executed, 2 (quotient 0)
    assert passed_small - failed_small == 100 * (2 - 1)
