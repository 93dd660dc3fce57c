"""The tandem command line, run as a user runs it: output, exit codes, JSON, errors."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest


def tandem(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tandem.cli", *args], input=stdin.decode(),
                          capture_output=True, text=True, timeout=300)


def test_boards_lists_core_clock_memories():
    res = tandem("boards")
    assert res.returncode == 0
    lines = {line.split()[0]: line for line in res.stdout.splitlines()}
    assert set(lines) >= {"stm32f4_discovery", "nucleo_l4r5zi", "bluepill", "mps2_an386"}
    f4 = lines["stm32f4_discovery"]
    assert "cortex-m4f @ 168 MHz" in f4 and "flash 1024 KiB @0x08000000" in f4
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


def test_infer_prints_table_check_and_json(tmp_path):
    out = tmp_path / "i.json"
    res = tandem("infer", "--board", "stm32f4_discovery", "--model", "tests/models/fc_autoencoder.tflite",
                 "--check", "--json", str(out))
    assert res.returncode == 0, res.stderr
    assert "FULLY_CONNECTED" in res.stdout and "cyc/MAC" in res.stdout
    # TFLM's interpreter differs from LiteRT by 1 LSB of the int8 value before the DEQUANTIZE
    # (0.0480688 is its scale) in one element; tandem matches LiteRT
    assert ("output 0: LiteRT and TFLM differ in 1 of 640 values by at most 0.0480688; tandem matches LiteRT"
            in res.stdout)
    data = json.loads(out.read_text())
    assert data["outputs_match_reference"] is True
    assert 0 < sum(o["cycles"] for o in data["ops"]) < data["cycles"] < data["total_cycles"]
    assert data["arena_bytes"] > 0 and len(data["ops"]) == 12
    assert all({"op", "cycles", "macs"} <= set(o) for o in data["ops"])
    assert "building the runtime image" in res.stderr and "simulating 1 inference" in res.stderr


def test_infer_with_input_file(tmp_path):
    import numpy as np

    x = np.arange(24, dtype=np.int8).reshape(2, 12)
    np.save(tmp_path / "x.npy", x)
    res = tandem("infer", "--board", "nucleo_l4r5zi", "--model", "tests/models/op_softmax.tflite",
                 "--input", str(tmp_path / "x.npy"), "--check")
    assert res.returncode == 0 and "bit-exact" in res.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "tests/models/op_svdf.tflite", "--op-set", "dscnn"],
         "unsupported op SVDF (index 0)"),
        (["--model", "/nonexistent.tflite"], "cannot read model"),
        (["--model", "README.md"], "not a readable .tflite model"),
        (["--model", "tests/models/op_softmax.tflite", "--input", "WRONG"], "cannot read input array"),
    ],
)
def test_infer_errors(args, message):
    res = tandem("infer", "--board", "nucleo_l4r5zi", *args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr


def test_infer_wrong_input_shape_and_arena(tmp_path):
    import numpy as np

    np.save(tmp_path / "x.npy", np.zeros((2, 11), np.int8))
    res = tandem("infer", "--board", "nucleo_l4r5zi", "--model", "tests/models/op_softmax.tflite",
                 "--input", str(tmp_path / "x.npy"))
    assert res.returncode == 2 and "shape (2, 11) does not match the model's (2, 12)" in res.stderr
    from tandem.tinyml.models import ops

    (tmp_path / "big_arena.tflite").write_bytes(ops.expand_contract(np.random.default_rng(3))[0])
    res = tandem("infer", "--board", "bluepill", "--model", str(tmp_path / "big_arena.tflite"))
    assert res.returncode == 2 and "arena too small on bluepill: the model needs" in res.stderr


def test_infer_with_the_rtl_accelerator_compare_plot_timeline(tmp_path):
    """A small conv model with the 4x4 engine on the bus: bit-exact, faster, plot and timeline."""
    out, png, trace = tmp_path / "r.json", tmp_path / "ops.png", tmp_path / "t.json"
    res = tandem("infer", "--board", "nucleo_l4r5zi", "--model", "tests/models/op_conv2d.tflite", "--accel", "conv4x4",
                 "--compare", "--check", "--json", str(out), "--plot", str(png),
                 "--timeline", str(trace))
    assert res.returncode == 0, res.stderr
    assert "-- with the conv4x4 accelerator (verilator)" in res.stdout and "-- CPU only vs accelerated" in res.stdout
    assert "[accelerated] output 0: bit-exact with the TFLite reference kernels" in res.stdout
    assert "[CPU only] output 0: bit-exact" in res.stdout
    data = json.loads(out.read_text())
    (op,) = data["ops"]
    assert op["where"] == "accel" and op["accel_cycles"] > 0 and op["stall_cycles"] >= op["accel_cycles"]
    assert op["bytes_moved"] > 0 and 0 < op["mac_utilisation"] <= 1
    assert op["cpu_only_cycles"] > op["cycles"] and data["speedup"] > 1
    assert data["outputs_match_reference"] is True
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events = json.loads(trace.read_text())["traceEvents"]
    rtl = [e for e in events if e.get("cat") == "accel" and e["ph"] == "X" and e["tid"] == 2]
    cpu_op = [e for e in events if e["ph"] == "X" and e["tid"] == 1 and e["pid"] == 2]
    assert len(rtl) == 1 and len(cpu_op) == 1
    # the accelerator's job lies inside its op on the timeline
    assert cpu_op[0]["ts"] <= rtl[0]["ts"] and rtl[0]["ts"] + rtl[0]["dur"] <= cpu_op[0]["ts"] + cpu_op[0]["dur"]


def test_infer_accel_errors():
    res = tandem("infer", "--board", "nucleo_l4r5zi", "--model", "tests/models/op_conv2d.tflite", "--compare")
    assert res.returncode == 2 and "--compare needs --accel" in res.stderr
    res = tandem("infer", "--board", "nucleo_l4r5zi", "--model", "tests/models/op_conv2d.tflite", "--op-set", "accel")
    assert res.returncode == 2 and "op set 'accel' needs a board with an accelerator" in res.stderr
