"""benchmarks/fidelity_it.py: the bound on what tandem overcharges IT instructions that fail."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from capstone import arm as A

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import fidelity_it  # noqa: E402

from tandem.firmware.build import FirmwareSpec, build_firmware  # noqa: E402
from tandem.machine.board import Board  # noqa: E402

N, Z, C, V = 1 << 31, 1 << 30, 1 << 29, 1 << 28


@pytest.mark.parametrize("cc,apsr,passes", [
    (A.ARM_CC_EQ, Z, True), (A.ARM_CC_NE, Z, False), (A.ARM_CC_HS, C, True),
    (A.ARM_CC_LO, C, False), (A.ARM_CC_MI, N, True), (A.ARM_CC_PL, N, False),
    (A.ARM_CC_VS, V, True), (A.ARM_CC_VC, V, False), (A.ARM_CC_HI, C, True),
    (A.ARM_CC_HI, C | Z, False), (A.ARM_CC_LS, C | Z, True), (A.ARM_CC_GE, N | V, True),
    (A.ARM_CC_LT, N, True), (A.ARM_CC_GT, N | V, True), (A.ARM_CC_GT, Z, False),
    (A.ARM_CC_LE, Z, True), (A.ARM_CC_LE, 0, False),
])
def test_condition_passed_as_the_arm_arm_defines_it(cc: int, apsr: int, passes: bool) -> None:
    assert fidelity_it.condition_passes(cc, apsr) is passes


# A loop whose IT-block load never executes (CMP of a register with itself sets Z: NE fails)
# and whose block ends right after it, so the flags at the next block are the CMP's.
LOOP = r"""
volatile int x = 5;
int main(void)
{
    int r = 0;
    for (int i = 0; i < ROUNDS; i++)
        __asm__ volatile("cmp %1, %1\n\tit ne\n\tldrne %0, [%2]\n\tb 1f\n1:\n"
                         : "+r"(r) : "r"(i), "r"(&x) : "cc", "memory");
    return r;
}
"""


def _run(tmp_path: Path, cfg, rounds: int) -> fidelity_it.Tally:
    src = tmp_path / "it_loop.c"
    src.write_text(LOOP)
    board = Board.from_platform("generic_m4", cfg)
    spec = FirmwareSpec(sources=(str(src),), name=f"it_loop_{rounds}",
                        extra_cflags=(f"-DROUNDS={rounds}",))
    board.load_elf(build_firmware(board.platform, spec, cfg))
    counter = fidelity_it.attach(board)
    assert board.run().exit_code == 0
    return counter.tally


def test_each_failed_load_counts_its_cost_over_one(tmp_path: Path, cfg) -> None:
    """The difference of 100 rounds: 100 failed LDRs, each charged 2 (M4 TRM table 3-1: LDR
    is 2 cycles when not pipelined after another load; here it follows the IT)."""
    a, b = _run(tmp_path, cfg, 50), _run(tmp_path, cfg, 150)
    assert b.executed - a.executed == 100
    assert b.failed - a.failed == 100 and b.unsure == a.unsure
    assert b.over - a.over == 100 * (2 - 1)
    assert b.by_kind.get("load", 0) - a.by_kind.get("load", 0) == 100
