"""The ARMv7-M exception model against QEMU's (``-M mps2-an386`` implements B1.5 of the Arm ARM):
programs that nest, mask, pend and return from exceptions in every EXC_RETURN form, and a
two-task preemptive switcher doing float work, run on QEMU and on tandem's boards; the
transcripts and exit codes must be equal. The switcher's results must also equal the same C
functions compiled for the build machine.

Each program ends with a line "done": QEMU prints nothing for a crash, so a program broken on
QEMU fails the oracle check here, before any comparison with tandem.

Boards: mps2_an386 is the machine QEMU models; generic_m4 (semihosting console) and
stm32f4_discovery (USART console) run the same sources built for them: the programs use only
architectural registers, IRQs below 32 and priorities in the top three bits, so the transcript
does not depend on the part.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from qemu_oracle import run_qemu

from tandem.config import TandemConfig
from tandem.machine.board import Board

# (source, build defines): exc_return.c ends with one of three illegal exception returns.
PROGRAMS: list[tuple[str, dict[str, str]]] = [
    ("tests/exc_nesting.c", {}),
    ("tests/exc_masking.c", {}),
    ("tests/exc_return.c", {"EXC_ILLEGAL": "0"}),
    ("tests/exc_return.c", {"EXC_ILLEGAL": "1"}),
    ("tests/exc_return.c", {"EXC_ILLEGAL": "2"}),
    ("tests/rtos_switch.c", {}),
]
BOARDS = ["mps2_an386", "generic_m4", "stm32f4_discovery"]
# The FPv4-SP unit has VFMA; the host's baseline x86-64 has no fused multiply-add. Contracting
# a*b+c in one build and not the other can change the float results, so neither build contracts
# (GCC 12 -O2 without the flag puts two VFMAs into rtos_switch.c).
CFLAGS = ("-ffp-contract=off",)
# rtos_switch runs about 10 M cycles on tandem; a broken exception model must not spin for the
# default budget (a lost interrupt leaves a task waiting forever).
MAX_CYCLES = 200_000_000


def _id(case: tuple[str, dict[str, str]]) -> str:
    source, defines = case
    return Path(source).stem + "".join(f"-{k}={v}" for k, v in sorted(defines.items()))


def _build(build, board: str, case: tuple[str, dict[str, str]]) -> Path:
    source, defines = case
    return build(board, source, name=_id(case).replace("=", "_"), defines=defines, extra_cflags=CFLAGS)


@pytest.fixture(scope="session")
def qemu_transcripts(build, tmp_path_factory) -> dict[str, tuple[str, int]]:
    """QEMU's transcript and exit code per program, run once per session (mps2-an386 build)."""
    results: dict[str, tuple[str, int]] = {}
    for case in PROGRAMS:
        elf = _build(build, "mps2_an386", case)
        results[_id(case)] = run_qemu(elf, tmp_path_factory.mktemp("qemu") / "out.txt")
    return results


def _run_tandem(cfg: TandemConfig, board: str, elf: Path) -> tuple[str, int]:
    b = Board.from_platform(board, cfg)
    b.load_elf(elf)
    result = b.run(max_cycles=MAX_CYCLES, vector_faults=True)
    return result.output, result.exit_code


@pytest.mark.parametrize("case", PROGRAMS, ids=_id)
def test_program_is_valid_on_qemu(qemu_transcripts, case):
    out, code = qemu_transcripts[_id(case)]
    assert out.endswith("done\n"), f"{_id(case)} did not finish on QEMU:\n{out}"
    assert "not reached" not in out
    assert code == 0


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("case", PROGRAMS, ids=_id)
def test_same_transcript_as_qemu(build, cfg, qemu_transcripts, board, case):
    q_out, q_code = qemu_transcripts[_id(case)]
    assert q_out.endswith("done\n"), "the program is broken on QEMU (see test_program_is_valid_on_qemu)"
    out, code = _run_tandem(cfg, board, _build(build, board, case))
    assert out == q_out
    assert code == q_code


@pytest.fixture(scope="session")
def host_switcher_digests(cfg: TandemConfig, tmp_path_factory) -> list[str]:
    """The digest lines of rtos_switch.c's work functions compiled and run on the build machine."""
    cc = shutil.which("cc")
    assert cc is not None, "no host C compiler (cc): install gcc"
    exe = tmp_path_factory.mktemp("host") / "rtos_switch"
    src = cfg.firmware_dir / "tests" / "rtos_switch.c"
    subprocess.run([cc, "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", *CFLAGS, "-DTANDEM_HOST",
                    str(src), "-o", str(exe)], check=True, capture_output=True, text=True)
    res = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60)
    lines = res.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["task A", "task B"]
    words = " ".join(lines).split()
    assert not {"7fc00000", "ffc00000"} & set(words), f"the work itself produced a NaN: {lines}"
    return lines


def test_switcher_matches_host_on_qemu(qemu_transcripts, host_switcher_digests):
    out, _ = qemu_transcripts[_id(("tests/rtos_switch.c", {}))]
    assert out.splitlines()[:2] == host_switcher_digests


@pytest.mark.parametrize("board", BOARDS)
def test_switcher_matches_host_on_tandem(build, cfg, host_switcher_digests, board):
    out, code = _run_tandem(cfg, board, _build(build, board, ("tests/rtos_switch.c", {})))
    assert out.splitlines()[:2] == host_switcher_digests
    assert "the other task was mid-work when the first finished: yes" in out
    assert "each task switched out mid-work: yes" in out
    assert code == 0
