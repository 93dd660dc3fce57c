"""Differential tests: the same ELF on QEMU's mps2-an386 and on tandem's mps2_an386 board
must print the same output and exit with the same code."""
from __future__ import annotations

import pytest
from qemu_oracle import run_qemu

from tandem.machine.board import Board

# semihost_hello.c is left out: QEMU sends SYS_WRITE on ":tt" to its own stdout but SYS_WRITE0
# to the semihosting chardev, so the two streams cannot be compared in order.
PROGRAMS = ["tests/hello.c", "tests/exit_code.c", "tests/float.c", "tests/primes.c", "tests/svc.c"]


@pytest.mark.parametrize("program", PROGRAMS)
def test_same_output_as_qemu(build, cfg, tmp_path, program):
    elf = build("mps2_an386", program)
    q_out, q_code = run_qemu(elf, tmp_path / "qemu.out")
    board = Board.from_platform("mps2_an386", cfg)
    board.load_elf(elf)
    result = board.run()
    assert q_out, "QEMU printed nothing"
    assert result.output == q_out
    assert result.exit_code == q_code
