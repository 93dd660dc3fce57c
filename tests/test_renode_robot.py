"""`tandem robot`: Robot Framework tests in Renode's style, with Renode's keywords, run against
tandem's line shell (firmware/tests/renode_shell.c); robot's exit code and its output XML say
which passed. A wait for a line that never comes fails at its (simulated) timeout, quoting the
UART's last lines."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "renode"
SHELL_TESTS = ["Should Print The Banner", "Should Echo A Line", "Should Answer Key By Key", "Should Drive The LED",
               "Should Log An Unmodelled Part", "Should Read Registers And Memory", "Should Exit With A Code"]


@pytest.fixture(scope="module")
def shell_elf(build) -> Path:
    return build("stm32f4_discovery", "tests/renode_shell.c")


def _robot(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, str]]]:
    proc = subprocess.run([sys.executable, "-m", "tandem", "robot", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env=os.environ.copy())
    for name in ("robot_output.xml", "log.html", "report.html"):
        assert (tmp_path / name).is_file(), (name, proc.stdout, proc.stderr)
    tests = {}
    for test in ET.parse(tmp_path / "robot_output.xml").iter("test"):
        status = test.find("status")
        assert status is not None
        tests[test.get("name", "")] = (status.get("status", ""), status.text or "")
    return proc, tests


def test_renode_style_suite_passes(tmp_path, shell_elf):
    proc, tests = _robot(tmp_path, "--variable", f"BIN:{shell_elf}", str(DATA / "shell.robot"))
    assert proc.returncode == 0, proc.stdout
    assert tests == {name: ("PASS", "") for name in SHELL_TESTS}


def test_wait_for_a_line_that_never_comes_fails_at_its_timeout(tmp_path, shell_elf):
    t0 = time.perf_counter()
    proc, tests = _robot(tmp_path, "--variable", f"BIN:{shell_elf}", str(DATA / "never.robot"))
    wall = time.perf_counter() - t0
    assert proc.returncode == 1  # robot's exit code: the number of failed tests
    status, message = tests["Should Time Out Waiting For A Line"]
    assert status == "FAIL"
    assert "line 'this line never comes': not seen in 0.01 s of simulated time (timeout 0.01 s)" in message
    assert "| tandem shell on stm32f4_discovery" in message  # the UART's last lines
    # 0.01 s simulated is 1.68 M cycles of the shell's input loop: seconds of host time, far from
    # the wall-clock guard (60 s), with robot's start-up
    assert wall < 60


def test_robot_errors(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tandem", "robot", "missing.robot"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == "tandem: error: missing.robot: no such test file"
    bad = tmp_path / "bad.robot"
    bad.write_text("*** Settings ***\nResource    ${RENODEKEYWORDS}\n\n*** Test Cases ***\nNo Machine\n"
                   "    Create Terminal Tester    sysbus.usart2\n\nUnknown Command\n"
                   "    Execute Command    mach create\n    Execute Command    frobnicate\n")
    proc, tests = _robot(tmp_path, str(bad))
    assert proc.returncode == 2
    assert tests["No Machine"][1].startswith("no machine: run `Execute Command  mach create`")
    assert tests["Unknown Command"][1] == "Execute Command:1: unknown command 'frobnicate'"


def test_wall_clock_guard_ends_a_long_wait(monkeypatch, shell_elf):
    """A wait of 100 simulated seconds (16.8 G cycles) is stopped by the wall-clock guard, quoting
    the UART, instead of keeping the host busy for minutes (the library used in-process)."""
    from tandem.renode import robot as lib
    from tandem.renode.testers import RenodeFailure

    monkeypatch.setattr(lib, "WALL_GUARD_SECONDS", 0.5)
    monkeypatch.setattr(lib, "WALL_PER_SIM_SECOND", 0.0)
    kw = lib.RenodeKeywords()
    kw.execute_command(f"$bin=@{shell_elf}")
    kw.execute_script(str(DATA / "stm32f4_shell.resc"))
    kw.create_terminal_tester("sysbus.usart2")
    t0 = time.perf_counter()
    with pytest.raises(RenodeFailure) as err:
        kw.wait_for_line_on_uart("never", timeout="100")
    assert time.perf_counter() - t0 < 10
    assert "time limit reached: 0.5 s of host time" in str(err.value)
    assert "| tandem shell on stm32f4_discovery" in str(err.value)
