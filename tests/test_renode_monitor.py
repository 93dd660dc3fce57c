"""Renode monitor scripts (tandem.renode.monitor): `.resc` files in Renode's style boot tandem's
UART hello, the commands act on the machine (memory, registers, tags, stepping, simulated time
in resumable slices), and every bad input is one line naming the script, line and command."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tandem.cli import main
from tandem.errors import ScriptError
from tandem.renode.monitor import Monitor, statements, tokenize

DATA = Path(__file__).parent / "data" / "renode"
HELLO = "Hello from tandem!\nline 0\nline 1\nline 2\n"


@pytest.fixture(scope="module")
def shell_elf(build) -> Path:
    return build("stm32f4_discovery", "tests/renode_shell.c")


def _monitor(cfg, **variables: str) -> tuple[Monitor, io.StringIO]:
    out = io.StringIO()
    return Monitor(cfg, out=out, variables=variables), out


@pytest.mark.parametrize("board,script", [("stm32f4_discovery", "stm32f4_hello.resc"),
                                          ("nrf52840dk", "nrf52840_hello.resc")])
def test_resc_boots_uart_hello(build, capsys, board, script):
    elf = build(board, "tests/hello.c")
    code = main(["run", str(DATA / script), "--variable", f"bin=@{elf}"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith(HELLO)  # the analyzer shows the UART, and nothing else comes before it
    assert f"[tandem] {board}: exit 0" in err
    if board == "stm32f4_discovery":
        assert "PerformanceInMips has no meaning in tandem" in err
    else:  # `cpu PC` after RunFor: the firmware exited within the millisecond, PC in hal_exit
        pc = int(out[len(HELLO):].strip(), 16)
        from tandem.firmware.elf import ElfImage

        assert ElfImage.load(elf).symbols.describe(pc).startswith("0x") and "hal_exit" in \
            ElfImage.load(elf).symbols.describe(pc)


def test_variable_precedence_and_include(cfg, tmp_path, shell_elf):
    inner = tmp_path / "inner.resc"
    inner.write_text('$who = "inner"\n$kept ?= "inner"\n')
    (tmp_path / "main.resc").write_text(
        "# variables: ?= keeps a value given before, = replaces it; include runs a script relative to this one\n"
        '$kept ?= "main"\n$who ?= "main"\ninclude @inner.resc\n')
    mon, _ = _monitor(cfg, kept="cli")
    mon.run_file(tmp_path / "main.resc")
    assert (mon.variables["kept"].text, mon.variables["who"].text) == ("cli", "inner")


def test_grammar_triple_quotes_on_the_next_line_and_comments():
    text = ('macro reset\n"""\n    sysbus LoadELF $bin   # a comment inside\n"""\n'
            ':name: header\n$a?=0x10 # trailing comment\nsysbus Tag <0x40000000, 0x400003FF> "TIM2" 0x5\n')
    sts = statements(text, "t.resc")
    assert [s.line for s in sts] == [1, 6, 7]
    toks = tokenize(sts[0])
    assert [t.kind for t in toks] == ["word", "word", "string"] and "LoadELF $bin" in toks[2].text
    assert [(t.kind, t.text) for t in tokenize(sts[1])] == [("var", "a"), ("assign", "?="), ("number", "0x10")]
    escaped = tokenize(statements('x "a \\"quoted\\" word" # not \\" a string\n', "t.resc")[0])
    assert [(t.kind, t.text) for t in escaped] == [("word", "x"), ("string", 'a "quoted" word')]
    tag = tokenize(sts[2])
    assert tag[2].value == (0x40000000, 0x400) and tag[3].text == "TIM2" and tag[4].value == 5


def _shell(cfg, elf: Path) -> tuple[Monitor, io.StringIO]:
    mon, out = _monitor(cfg, bin="@" + str(elf))
    mon.run_file(DATA / "stm32f4_shell.resc")
    return mon, out


def test_runfor_slices_resume_where_they_stopped(cfg, shell_elf):
    one, out1 = _shell(cfg, shell_elf)
    one.execute('emulation RunFor "0.001"')
    two, out2 = _shell(cfg, shell_elf)
    two.execute('emulation RunFor "0.0004"')
    two.execute('emulation RunFor "600us"')
    b1, b2 = one.machine.board, two.machine.board
    assert b1 is not None and b2 is not None
    # 1 ms at the board's 168 MHz: 168,000 cycles; a slice ends at the first block boundary
    # past its target, and the shell's input loop is a few cycles a block
    assert 168_000 <= b1.counter.cycles < 168_000 + 64
    assert 168_000 <= b2.counter.cycles < 168_000 + 2 * 64
    assert out1.getvalue() == out2.getvalue() == "tandem shell on stm32f4_discovery\ntandem> "
    # the paused machine keeps its state: input given now is read when it runs again
    two.machine.uart_line("usart2", "test").inject(b"echo again\r")
    two.execute('emulation RunFor "0.001"')
    assert out2.getvalue().endswith("tandem> echo again\nagain\ntandem> ")


def test_memory_registers_and_step(cfg, shell_elf):
    mon, _ = _shell(cfg, shell_elf)
    sram = 0x20010000
    mon.execute(f"sysbus WriteDoubleWord {sram:#x} 0xCAFEF00D")
    assert mon.execute(f"sysbus ReadDoubleWord {sram:#x}") == "0xCAFEF00D"
    assert mon.execute(f"sysbus ReadWord {sram + 2:#x}") == "0xCAFE"
    mon.execute(f"sysbus WriteByte {sram + 1:#x} 0x12")
    assert mon.execute(f"sysbus ReadByte {sram + 1:#x}") == "0x12"
    mon.execute(f"sysbus WriteWord {sram:#x} 0xBEEF")
    assert mon.execute(f"sysbus ReadDoubleWord {sram:#x}") == "0xCAFEBEEF"
    entry = int(mon.execute("sysbus ReadDoubleWord 0x08000004"), 16) & ~1
    assert int(mon.execute("cpu PC"), 16) == entry  # out of reset: PC from the vector table
    assert mon.execute("cpu ExecutedInstructions") == "0"
    mon.execute("cpu Step 5")
    assert mon.execute("cpu ExecutedInstructions") == "5"
    assert int(mon.execute("cpu PC"), 16) != entry
    mon.execute("cpu SetRegister 3 0x1234")
    assert mon.execute("cpu GetRegister 3") == "0x1234"
    mon.execute("cpu PC 0x08000200")
    assert mon.execute("cpu PC") == "0x8000200"


def test_step_counts_cycles_as_an_uninterrupted_run(cfg, build):
    """Stepping charges what a run charges: 40 steps then the rest equals one run."""
    elf = build("stm32f4_discovery", "tests/hello.c")
    whole, _ = _monitor(cfg, bin="@" + str(elf))
    whole.run_file(DATA / "stm32f4_hello.resc")
    board = whole.machine.core("t")
    ref = board.run(reset=False)
    stepped, _ = _monitor(cfg, bin="@" + str(elf))
    stepped.run_file(DATA / "stm32f4_hello.resc")
    for _ in range(20):
        stepped.execute("cpu Step 2")
    b = stepped.machine.core("t")
    before = b.counter.cycles, b.counter.instructions
    rest = b.run(reset=False)
    assert before[1] == 40
    assert (before[0] + rest.cycles, before[1] + rest.instructions) == (ref.cycles, ref.instructions)
    assert rest.output == ref.output == HELLO


def test_tags_vector_table_and_reset(cfg, shell_elf):
    mon, out = _shell(cfg, shell_elf)
    # the CRC unit is not modelled: a tag gives its data register a value
    mon.execute('sysbus Tag <0x40023000, 0x400233FF> "CRC" 0xABCD')
    assert mon.execute("sysbus ReadDoubleWord 0x40023000") == "0x0000ABCD"
    # a tag where nothing is: reads as its value
    mon.execute('sysbus Tag <0x5F000000, +4> "HOLE" 0x77')
    assert mon.execute("sysbus ReadDoubleWord 0x5F000000") == "0x00000077"
    # USART2 is modelled: the tag is reported, the model answers
    mon.execute('sysbus Tag <0x40004400, +4> "USART2_SR" 0')
    assert any("usart2 (UART.STM32_UART), which tandem models" in m for m in mon.log)
    assert mon.execute("sysbus ReadDoubleWord 0x40004400") == "0x000000C0"  # TXE | TC
    assert mon.execute("cpu VectorTableOffset") == "0x00000000"
    mark = len(out.getvalue())
    mon.execute('emulation RunFor "0.0005"')
    first = out.getvalue()[mark:]
    assert first == "tandem shell on stm32f4_discovery\ntandem> "
    mon.execute("machine Reset")  # a fresh machine; the reset macro loads the ELF again
    assert mon.machine.board.counter.cycles == 0
    mon.execute('emulation RunFor "0.0005"')
    assert out.getvalue()[mark:] == first * 2


ERRORS = [
    ("frobnicate 1", "s.resc:3: unknown command 'frobnicate'"),
    ("sysbus Frob 0x0", "s.resc:3: sysbus Frob: unknown method (tandem has LoadBinary"),
    ("machine StartGdbServer 70000", "s.resc:3: machine StartGdbServer: port 70000 is not 0..65535"),
    ("sysbus ReadDoubleWord zzz", "s.resc:3: sysbus ReadDoubleWord: address: not a number: zzz"),
    ("sysbus ReadDoubleWord", "s.resc:3: sysbus ReadDoubleWord: expected ADDRESS, got nothing"),
    ("sysbus ReadDoubleWord 0x90000000", "s.resc:3: sysbus ReadDoubleWord: nothing at 0x90000000"),
    ("sysbus WriteByte 0x20000000 0x100", "s.resc:3: sysbus WriteByte: value 0x100 does not fit in 1 byte"),
    ("sysbus LoadELF @missing.elf", "s.resc:3: sysbus LoadELF: @missing.elf: no such file"),
    ("sysbus LoadELF @https://example.com/x.elf", "s.resc:3: sysbus LoadELF: @https://example.com/x.elf: tandem "
                                                  "does not download files"),
    ("cpu SetRegister 99 1", "s.resc:3: cpu SetRegister: no register number 99"),
    ('emulation RunFor "soon"', "s.resc:3: emulation RunFor: not a time interval: 'soon'"),
    ("showAnalyzer sysbus.gpioPortA", "s.resc:3: showAnalyzer: gpioPortA is not a UART tandem models"),
    ("showAnalyzer sysbus.nope", "s.resc:3: showAnalyzer: no peripheral 'nope'"),
    ("runMacro $nothing", "s.resc:3: $nothing: no such variable"),
    ('mach create "second"', "s.resc:3: mach create: tandem runs one machine per session"),
    ("include @helper.cs", "s.resc:3: include: helper.cs: tandem cannot load Renode extensions"),
    ("cpu VectorTableOffset 0x08000004", "s.resc:3: cpu VectorTableOffset: 0x8000004 is not a vector table"),
    ('machine LoadPlatformDescriptionFromString "cpu2: CPU.CortexM @ sysbus"',
     "the machine was already built at s.resc:2"),
    ("sysbus.usart2 WriteChar 65", "s.resc:3: sysbus.usart2 WriteChar: tandem has no monitor commands on peripherals"),
    ('macro broken """\n  start', 's.resc:3: unterminated """ string'),
]


@pytest.mark.parametrize("command,message", ERRORS)
def test_errors_name_script_line_and_command(capsys, tmp_path, command, message):
    (tmp_path / "helper.cs").write_text("// a Renode C# extension\n")
    script = tmp_path / "s.resc"
    head = "mach create\nmachine LoadPlatformDescription @platforms/boards/stm32f4_discovery.repl\n"
    if "already built" in message:  # the read on line 3 builds the machine; line 4 adds to it
        head += "sysbus ReadDoubleWord 0x20000000\n"
        message = f"s.resc:4: machine LoadPlatformDescriptionFromString: {message.replace(':2', ':3')}"
    script.write_text(head + command + "\n")
    assert main(["run", str(script)]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tandem: error: ")
    assert message.replace("s.resc", str(script)) in lines[0], lines[0]


def test_script_errors_are_typed(cfg, tmp_path):
    mon, _ = _monitor(cfg)
    with pytest.raises(ScriptError, match=r"<command>:1: no machine|mach create"):
        mon.execute("sysbus LoadELF @x.elf")


def test_cli_options(capsys, tmp_path):
    assert main(["run", "fw.elf"]) == 2
    assert "--board is required" in capsys.readouterr().err
    assert main(["run", "--board", "stm32f4_discovery", "--variable", "a=1", "fw.elf"]) == 2
    assert "--variable is for Renode monitor scripts" in capsys.readouterr().err
    (tmp_path / "x.resc").write_text("mach create\n")
    assert main(["run", str(tmp_path / "x.resc"), "--variable", "novalue"]) == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "x.resc")]) == 0
    assert "did not start the machine" in capsys.readouterr().err


def test_bytes_sent_to_a_uart_reach_an_interrupt_driven_receiver(cfg, build):
    """The firmware sleeps in WFI with RXNEIE set; bytes injected while it sleeps raise USART2's
    interrupt (IRQ 38) and its handler echoes them."""
    elf = build("stm32f4_discovery", "tests/uart_rx_irq.c")
    mon, out = _monitor(cfg, bin="@" + str(elf))
    mon.run_file(DATA / "stm32f4_hello.resc")  # the same platform and reset macro
    mon.execute('emulation RunFor "0.001"')
    assert out.getvalue() == ">"
    mon.machine.uart_line("usart2", "test").inject(b"renode")
    mon.execute('emulation RunFor "0.001"')
    assert out.getvalue() == ">RENODE"
    mon.machine.uart_line("usart2", "test").inject(b"q")
    mon.execute('emulation RunFor "0.001"')
    assert mon.machine.exit_code == 7  # r, e, n, o, d, e and q


def test_loads_sleep_and_quit(cfg, tmp_path, shell_elf):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(1, 9)))
    (tmp_path / "s.resc").write_text(
        "using sysbus\nmach create\nmachine LoadPlatformDescription @platforms/boards/stm32f4_discovery.repl\n"
        "LoadELF $bin                     # `using sysbus`: the sysbus method on its own\n"
        "sysbus LoadBinary @blob.bin 0x20010000\n"
        "sysbus LoadSymbolsFrom $bin\n"
        "logLevel 3\n"
        "start\nsleep 0.001                      # while started: simulated time passes\n"
        "quit\nfrobnicate                       # never reached\n")
    mon, out = _monitor(cfg, bin="@" + str(shell_elf))
    mon.run_file(tmp_path / "s.resc")
    assert mon.quit and mon.machine is not None
    board = mon.machine.board
    assert board is not None and board.read_memory(0x20010000, 8) == bytes(range(1, 9))
    assert 168_000 <= board.counter.cycles < 168_000 + 64  # 1 ms at 168 MHz
    assert "Reset_Handler" in board.symbols.describe(int(mon.execute("sysbus ReadDoubleWord 0x08000004"), 16) & ~1)
    with pytest.raises(ScriptError, match="do not fit in any memory"):
        mon.execute("sysbus LoadBinary @" + str(blob) + " 0x9F000000")


def test_renode_script_features_tandem_lacks_are_one_line_errors(cfg, tmp_path):
    """Lines from Renode's own stm32f4_discovery.resc that tandem does not run."""
    mon, _ = _monitor(cfg)
    mon.execute("mach create")
    for command, message in [('python "import _random"', "unknown command 'python'"),
                             ('emulation CreateUartPtyTerminal "term" "/tmp/uart"',
                              "emulation CreateUartPtyTerminal: unknown method (tandem has RunFor)")]:
        with pytest.raises(ScriptError, match=message.replace("(", r"\(").replace(")", r"\)")):
            mon.execute(command)


def test_run_limits_bound_runfor(capsys, tmp_path, shell_elf):
    """A script cannot run past --max-cycles: RunFor stops there with the run's cycle-limit error."""
    script = tmp_path / "long.resc"
    script.write_text("mach create\nmachine LoadPlatformDescription @platforms/boards/stm32f4_discovery.repl\n"
                      'sysbus LoadELF $bin\nemulation RunFor "100"   # 16.8 G cycles at 168 MHz\n')
    assert main(["run", str(script), "--variable", f"bin=@{shell_elf}", "--max-cycles", "200000"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{script}:4: emulation RunFor: cycle limit reached: 200,000 cycles" in err[0], err
