"""Firmware builds (tandem.firmware.build) as an adversarial or unlucky user meets them: options
never reach a shell, a failed build is one line with the log's path, and concurrent runs with a
cold cache share it safely."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.errors import ToolchainError
from tandem.firmware.build import parse_opt

REPO = Path(__file__).resolve().parents[1]
HELLO = str(REPO / "firmware" / "tests" / "hello.c")


def tandem(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANDEM_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "tandem.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tandem: error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def test_shell_in_opt_runs_nothing(tmp_path):
    marker = tmp_path / "PWNED"
    for opt in (f"-O2 ; touch {marker} ; true", f"-O2 $(touch {marker})", f"-O2 `touch {marker}`",
                f"-O2 && touch {marker}", f"-O2 | touch {marker}"):
        line = one_line_error(tandem("build", "--board", "stm32f4_discovery", "--opt", opt, HELLO,
                                     cache=tmp_path / "cache"))
        assert "is not an optimisation" in line
        assert not marker.exists(), opt


@pytest.mark.parametrize("opt", ["-O2 -o /tmp/elsewhere.elf", "-O2 -Wl,-T,/etc/passwd", "-fplugin=evil.so",
                                 "-O2 /etc/passwd", "-O2 '-fdump-tree-all'", "-O2 'unterminated"])
def test_options_that_name_files_are_refused(opt):
    with pytest.raises(ToolchainError, match="--opt"):
        parse_opt(opt)


def test_ordinary_options_build(tmp_path):
    assert parse_opt("-Os -fno-inline -g3 -DLEVEL=2 -Wno-unused -mno-unaligned-access") == (
        "-Os", "-fno-inline", "-g3", "-DLEVEL=2", "-Wno-unused", "-mno-unaligned-access")
    res = tandem("build", "--board", "stm32f4_discovery", "--opt", "-Os -DLEVEL=2", HELLO, cache=tmp_path)
    assert res.returncode == 0, res.stderr
    assert Path(res.stdout.strip()).is_file()


def test_failed_build_is_one_line_with_the_log(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void)\n{\n    return no_such_symbol;\n}\n")
    line = one_line_error(tandem("build", "--board", "stm32f4_discovery", str(bad), cache=tmp_path / "cache"))
    assert "building bad for stm32f4_discovery failed:" in line
    assert "bad.c:3:12: error: 'no_such_symbol' undeclared" in line
    log = Path(line.rsplit("(full log: ", 1)[1].rstrip(")"))
    text = log.read_text()
    assert "no_such_symbol" in text and "arm-none-eabi-gcc" in text.splitlines()[0]
    assert not list((tmp_path / "cache" / "firmware").glob("*.tmp"))  # nothing half-made is left


def test_two_cold_cache_builds_at_once_both_succeed(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "TANDEM_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "tandem.cli", "build", "--board", "bluepill", HELLO]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    paths = {out.strip() for out, _ in results}
    assert len(paths) == 1 and Path(paths.pop()).is_file()
    assert not list((cache / "firmware").glob("*.tmp"))
