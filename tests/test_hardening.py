"""Inputs an adversarial user gives tandem (issue 17): each ends in one line and exit 2 (or 3 for the
simulated program), never a traceback, a hang or unbounded memory. The crafted inputs are written
here: board files, ELFs, models, option values, and a firmware that hands semihosting lengths no
buffer has and floods its console."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tandem.config import TandemConfig
from tandem.machine.board import Board

CPU_AND_NVIC = 'cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m4"\nnvic: IRQControllers.NVIC @ sysbus 0xE000E000\n'


def tandem(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tandem.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line(res: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("[tandem]")]
    assert len(lines) == 1, res.stderr
    assert res.returncode == code, res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def hello(build) -> str:
    return str(build("stm32f4_discovery", "tests/hello.c"))


def board_file(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


MEM = "flash: Memory.MappedMemory @ sysbus {}\n    size: {}\n"


@pytest.mark.parametrize("name,text,expected", [
    ("size0.repl", MEM.format("0x0", "0"), "size0.repl:5: memory 'flash': size 0x0 must be positive"),
    ("sizeneg.repl", MEM.format("0x0", "-0x400"), "size -0x400 must be positive"),
    ("addrneg.repl", MEM.format("-0x400", "0x400"), "outside the 32-bit address space"),
    ("past4g.repl", MEM.format("0xFFFFFC00", "0x800"), "outside the 32-bit address space"),
    ("utf8.repl", b"// ok\nfla\xffsh: Memory.MappedMemory @ sysbus 0x0\n",
     "utf8.repl:5: platform file is not UTF-8 text (byte 0xff)"),
])
def test_bad_board_files(tmp_path, hello, name, text, expected):
    board = board_file(tmp_path, name, (CPU_AND_NVIC.encode() if isinstance(text, bytes) else CPU_AND_NVIC) + text)
    assert expected in one_line(tandem("run", "--board", board, hello))


def test_an_irq_range_of_billions_is_refused(tmp_path, hello):
    """Found by tests/test_fuzz.py: a fuzzed range [0-0xFFFFFFFF4] was expanded line by line (5 GB)."""
    text = CPU_AND_NVIC + MEM.format("0x0", "0x10000") + "uart: UART.STM32_UART @ sysbus 0x40004400\n" \
        "    [0-0xFFFFFFFF4] -> nvic@[6-10]\n"
    line = one_line(tandem("run", "--board", board_file(tmp_path, "irqs.repl", text), hello, timeout=30))
    assert "IRQ range '0-0xFFFFFFFF4' spans more than 1024 lines" in line


def test_deep_using_chain_and_many_memories_end_quickly(tmp_path, hello):
    for i in range(3000):
        (tmp_path / f"d{i}.repl").write_text(f'using "d{i + 1}.repl"\n')
    assert "using: more than 64 files deep (from d0.repl)" in one_line(
        tandem("run", "--board", str(tmp_path / "d0.repl"), hello))
    mems = "".join(f"m{i}: Memory.MappedMemory @ sysbus {0x20000000 + i * 0x400:#x}\n    size: 0x400\n"
                   for i in range(20_000))
    many = board_file(tmp_path, "many.repl", CPU_AND_NVIC + mems)
    # Unicorn maps windows in O(n^2): 20,000 would take minutes; refused after parsing (~10 s)
    assert "20,000 memory windows" in one_line(tandem("run", "--board", many, hello, timeout=90))


def test_files_that_are_not_regular_or_too_short(tmp_path, hello):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    tiny = tmp_path / "tiny.elf"
    tiny.write_bytes(b"\x7fELF")
    assert "cannot read firmware: not a regular file" in one_line(
        tandem("run", "--board", "stm32f4_discovery", str(fifo), timeout=30))
    for command in ("run", "size"):
        assert "shorter than the 52-byte ELF32 header" in one_line(
            tandem(command, "--board", "stm32f4_discovery", str(tiny)))
    for model in ("/dev/zero", str(fifo)):
        assert "cannot read model: not a regular file" in one_line(
            tandem("infer", "--board", "nucleo_l4r5zi", "--model", model, timeout=30))


@pytest.mark.parametrize("args,expected", [
    (["run", "--board", "stm32f4_discovery", "--max-cycles", "1e400"], "not a cycle count: '1e400'"),
    (["run", "--board", "stm32f4_discovery", "--max-cycles", "1e30"], "the cycle limit must be at most"),
    (["run", "--board", "stm32f4_discovery", "--top", "-1"], "--top: -1 is outside 0..1,000,000"),
    (["infer", "--board", "nucleo_l4r5zi", "--model", "m.tflite", "--invocations", "-1"], "-1 is outside 1..1,000,000"),
    (["infer", "--board", "nucleo_l4r5zi", "--model", "m.tflite", "--invocations", "0"], "0 is outside 1..1,000,000"),
    (["infer", "--board", "nucleo_l4r5zi", "--model", "m.tflite", "--invocations", "5000000000"], "outside"),
    (["infer", "--board", "nucleo_l4r5zi", "--model", "m.tflite", "--seed", "-1"], "--seed: -1 is outside"),
    (["infer", "--board", "nucleo_l4r5zi", "--model", "m.tflite", "--plot", "x.xyz"], "written as .png, .svg or .pdf"),
    (["bench", "sim", "--runs", "0"], "--runs: 0 is outside 1..1,000"),
    (["bench", "sim", "--rounds", "-3"], "--rounds: -3 is outside"),
])
def test_option_values_out_of_range(hello, args, expected):
    line = one_line(tandem(*args, *([hello] if args[0] == "run" else [])))
    assert expected in line and "(see tandem" in line


def test_unwritable_outputs_are_refused_before_the_run(tmp_path, hello):
    missing = tmp_path / "no" / "such" / "r.json"
    assert "cannot write into" in one_line(tandem("run", "--board", "stm32f4_discovery", "--json", str(missing), hello))
    assert "is a folder, not a file" in one_line(
        tandem("run", "--board", "stm32f4_discovery", "--json", str(tmp_path), hello))
    assert "--out /proc/forbidden: cannot make the folder" in one_line(tandem("demo", "--out", "/proc/forbidden"))


def test_an_internal_error_is_one_line_with_a_log(tmp_path, monkeypatch, capsys):
    from tandem import cli

    def boom(args, cfg):
        raise KeyError("a bug")

    monkeypatch.setenv("TANDEM_CACHE", str(tmp_path))
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), boom))
    assert cli.main(["boards"]) == cli.INTERNAL_ERROR_EXIT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tandem: internal error: KeyError: 'a bug' (traceback in ")
    log = Path(err[0].split("traceback in ", 1)[1].split(";", 1)[0])
    assert log.parent == tmp_path / "logs" and "raise KeyError" in log.read_text()


def _with_func(parser, func):
    parser._subparsers._group_actions[0].choices["boards"].set_defaults(func=func)
    return parser


def test_bad_environment_value_is_one_line():
    res = tandem("boards", env={"TANDEM_CONSOLE_KEEP": "lots"})
    assert "TANDEM_CONSOLE_KEEP='lots': not a byte count" in one_line(res)


def test_semihosting_lengths_no_buffer_has(cfg, build):
    """SYS_WRITE/SYS_OPEN with 0xFFFFFFF0 bytes, an unmapped string and parameter block: -1 and
    EFAULT each (checked by the firmware), a note per call, and no host allocation."""
    elf = build("stm32f4_discovery", "tests/hostile_semihost.c")
    b = Board.from_platform("stm32f4_discovery", cfg)
    b.load_elf(elf)
    r = b.run(max_cycles=5_000_000)
    assert r.exit_code == 0 and r.output == "survived\n"
    bad = [n for n in r.notes if "semihosting operation" in n and "is not in the board's memory" in n]
    assert any("0x5: buffer 0x2" in n and "+0xfffffff0" in n for n in bad)
    assert any("0x1: file name" in n for n in bad)
    assert any("0x4: string at 0x70000000" in n for n in bad) and any("parameter block 0x70000000" in n for n in bad)


def test_console_flood_is_streamed_but_not_kept(build):
    """4 MiB of console output with 64 KiB kept: memory stays bounded, the stream gets every byte."""
    flood = 4 << 20
    elf = build("stm32f4_discovery", "tests/hostile_semihost.c", defines={"HOSTILE_FLOOD": str(flood)})
    cfg = TandemConfig.from_env()
    from dataclasses import replace

    b = Board.from_platform("stm32f4_discovery", replace(cfg, console_keep=64 << 10))
    b.load_elf(elf)
    stream = io.BytesIO()
    r = b.run(max_cycles=2_000_000_000, stream=stream)
    assert r.exit_code == 0
    sent = len(stream.getvalue())
    assert sent >= flood and stream.getvalue().endswith(b"survived\n")
    assert len(r.output) == 64 << 10
    assert any(f"console: {sent - (64 << 10):,} bytes beyond the first 65,536" in n for n in r.notes)


def _model(tmp_path: Path, name: str, shape: tuple[int, ...] = (1, 4), out_index: int | None = None,
           op_input: int | None = None) -> str:
    from tandem.tinyml.models.builder import ModelBuilder

    mb = ModelBuilder()
    x = mb.tensor("x", shape, "int8", 0.1, 0)
    y = mb.tensor("y", (1, 4), "int8", 0.1, 0)
    mb.op("RELU", [x if op_input is None else op_input], [y])
    mb.inputs, mb.outputs = [x], [y if out_index is None else out_index]
    path = tmp_path / name
    path.write_bytes(mb.build())
    return str(path)


@pytest.mark.parametrize("kind,expected", [
    ("output past the tensors", "the subgraph's output tensor 7 is not one of the model's 2 tensors"),
    ("op input past the tensors", "op RELU (index 0) input tensor 9 is not one of the model's 2 tensors"),
    ("negative dimension", "tensor 0 has a negative dimension in shape [1, -4]"),
    ("huge shape", "tensor 0 of shape [65536, 65536] (int8) needs 4,294,967,296 bytes"),
])
def test_crafted_model_structure(tmp_path, kind, expected):
    path = {"output past the tensors": lambda: _model(tmp_path, "a.tflite", out_index=7),
            "op input past the tensors": lambda: _model(tmp_path, "b.tflite", op_input=9),
            "negative dimension": lambda: _model(tmp_path, "c.tflite", shape=(1, -4)),
            "huge shape": lambda: _model(tmp_path, "d.tflite", shape=(65536, 65536))}[kind]()
    assert expected in one_line(tandem("infer", "--board", "nucleo_l4r5zi", "--model", path))


def test_a_handler_that_never_returns_stops_at_the_handler_limit(cfg, build):
    """49 ticks of 10,000 cycles return; the 50th never does. With a 3 M-cycle handler limit the
    run stops about 50 * 10,000 + 3,000,000 cycles in (within one run-loop chunk), not at the
    5,000,000,000-cycle default limit."""
    from tandem.machine.limits import HandlerLimitExceeded, RunLimits

    b = Board.from_platform("stm32f4_discovery", cfg)
    b.load_elf(build("stm32f4_discovery", "tests/handler_stuck.c"))
    with pytest.raises(HandlerLimitExceeded, match=r"in Handler mode for 3,0[0-9,]+ cycles .*SysTick_Handler"):
        b.run(limits=RunLimits(0, handler_cycles=3_000_000))
    assert 3_500_000 <= b.counter.cycles < 3_500_000 + 1_100_000
    res = tandem("run", "--board", "stm32f4_discovery", "--max-handler-cycles", "3000000",
                 str(build("stm32f4_discovery", "tests/handler_stuck.c")))
    assert "raise --max-handler-cycles if this is expected" in one_line(res, code=3)


def test_wall_clock_limit(build):
    res = tandem("run", "--board", "stm32f4_discovery", "--max-seconds", "1.5",
                 str(build("stm32f4_discovery", "tests/runaway.c")), timeout=60)
    line = one_line(res, code=3)
    assert "time limit reached: 1.5 s of host time" in line and "main" in line


@pytest.mark.parametrize("outputs", [4, 5])
def test_an_arena_plan_past_4_gib_never_wraps(outputs):
    """``outputs`` FILL ops each make a 1 GiB tensor that lives to the end: the plan needs 4 or
    5 GiB. In 32-bit sums that wrapped to 0 or 1 GiB, and 4 GiB "fitted" a 4 MiB arena (the
    firmware would then write over whatever lies past it); now the figure saturates at
    0xFFFFFFFF and the runtime refuses the model."""
    from tandem.tinyml.host_runtime import HostRuntime
    from tandem.tinyml.models.builder import ModelBuilder

    m = ModelBuilder("huge_plan")
    v = m.tensor("value", (), "int8", scale=0.1, zero_point=0)
    dims = m.tensor("dims", (1,), "int32", data=np.array([1 << 30]))
    outs = [m.tensor(f"o{i}", (1 << 30,), "int8", scale=0.1, zero_point=0) for i in range(outputs)]
    for o in outs:
        m.op("FILL", [dims, v], [o])
    m.inputs, m.outputs = [v], outs
    got = HostRuntime().run(m.build(), [np.array(3, np.int8)], arena_size=4 << 20)
    assert got.status.name == "arena too small", got.status
    assert got.status.bytes_needed == 0xFFFFFFFF
