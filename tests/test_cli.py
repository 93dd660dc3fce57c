"""The tandem command line, run as a user runs it: output, exit codes, JSON, errors."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest


def tandem(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], input=stdin.decode(),
                          capture_output=True, text=True, timeout=300)


def test_boards_lists_core_clock_memories():
    res = tandem("boards")
    assert res.returncode == 0
    lines = {line.split()[0]: line for line in res.stdout.splitlines()}
    assert set(lines) >= {"stm32f4_discovery", "nucleo_l4r5zi", "bluepill", "mps2_an386"}
    assert "cortex-m4f @ 168 MHz" in lines["stm32f4_discovery"] and "flash 1024 KiB @0x08000000" in lines["stm32f4_discovery"]
    assert "cortex-m3 @ 72 MHz" in lines["bluepill"]


def test_run_streams_output_and_returns_exit_code(build, tmp_path):
    elf = build("stm32f4_discovery", "tests/exit_code.c")
    out = tmp_path / "r.json"
    res = tandem("run", "--board", "stm32f4_discovery", str(elf), "--json", str(out))
    assert res.returncode == 44
    assert res.stdout == "fib(12) = 144\n"
    assert "[tandem] stm32f4_discovery: exit 44;" in res.stderr and "host MIPS" in res.stderr
    data = json.loads(out.read_text())
    for key in ("exit_code", "instructions", "cycles", "cpu_hz", "output", "wall_seconds"):
        assert key in data
    assert data["exit_code"] == 44 and data["cpu_hz"] == 168_000_000
    assert data["output"] == "fib(12) = 144\n" and data["cycles"] >= data["instructions"] > 0


def test_run_with_stdin(build):
    elf = build("mps2_an386", "tests/echo.c")
    res = tandem("run", "--board", "mps2_an386", "--stdin", str(elf), stdin=b"abc\n")
    assert res.returncode == 0 and res.stdout == "ABC\n3\n"


@pytest.mark.parametrize(
    "args,message,code",
    [
        (["run", "--board", "no_such_board", "x.elf"], "tandem: error: unknown board 'no_such_board'", 2),
        (["run", "--board", "bluepill", "/nonexistent.elf"], "tandem: error: /nonexistent.elf: cannot read", 2),
        (["run", "--board", "bluepill", "/etc/hostname"], "not an ELF file", 2),
    ],
)
def test_user_errors_are_messages_not_tracebacks(args, message, code):
    res = tandem(*args)
    assert res.returncode == code
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_fault_and_limit_exit_codes(build):
    res = tandem("run", "--board", "bluepill", str(build("bluepill", "tests/fault.c")))
    assert res.returncode == 3 and "BusFault: read of 0x70000000" in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == "about to fault\n"
    res = tandem("run", "--board", "bluepill", "--max-cycles", "2e6", str(build("bluepill", "tests/runaway.c")))
    assert res.returncode == 3 and "cycle limit reached: 2,000,000 cycles" in res.stderr


def test_bad_max_cycles():
    res = tandem("run", "--board", "bluepill", "--max-cycles", "lots", "x.elf")
    assert res.returncode == 2 and "not a cycle count" in res.stderr


def test_malformed_repl_from_cli(tmp_path, build):
    bad = tmp_path / "bad.repl"
    bad.write_text('cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m4"\n    frequency: fast\n')
    res = tandem("run", "--board", str(bad), str(build("bluepill", "tests/hello.c")))
    assert res.returncode == 2
    assert f"{bad}:3:" in res.stderr and "Traceback" not in res.stderr
