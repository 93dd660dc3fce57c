"""The parts of Renode's platform description format that Renode's own chip and board files use.

Every construct has a small file of this project's own in Renode's style; the last tests load a
whole made-up chip and board (tests/data/repl/) the way Renode's STM32F4 and nRF52840 files
are written, into a Platform.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tandem.errors import PlatformError
from tandem.platform import load_platform
from tandem.platform.repl import (
    EntrySpec,
    EnumValue,
    InlineObject,
    IrqConnection,
    Range,
    Reference,
    Registration,
    load_entries,
    parse_text,
)

DATA = Path(__file__).parent / "data" / "repl"


def one(text: str) -> EntrySpec:
    _, entries = parse_text(text, "t.repl")
    assert len(entries) == 1
    return entries[0]


def irqs(e: EntrySpec) -> list[tuple[str, str, int]]:
    return [(c.source, c.target, c.number) for c in e.irqs]


def test_enum_values():
    e = one("spi: SPI.X @ sysbus <0x1000, +0x400>\n    series: Series.F4\n    mode: A.B.C\n")
    assert e.properties == {"series": EnumValue("Series.F4"), "mode": EnumValue("A.B.C")}


def test_multiline_registration_list():
    e = one("ram: Memory.MappedMemory @ {\n        sysbus 0x20000000;\n        sysbus 0x800000\n    }\n"
            "    size: 0x1000\n")
    assert [r.address for r in e.registrations] == [0x20000000, 0x800000] and e.properties["size"] == 0x1000
    # the closing brace on column 0, and "}}" closing an inner object and the list at once
    e = one("n: IRQControllers.NVIC @ {\n    sysbus 0xE000E000\n}\n    -> cpu@0\n")
    assert e.registrations[0].address == 0xE000E000 and irqs(e) == [("", "cpu", 0)]
    e = one("p: GPIOPort.X @ {\n    sysbus new Bus.BusMultiRegistration { address: 0x10; size: 0x40; region: \"a\" };\n"
            "    sysbus new Bus.BusMultiRegistration { address: 0x400; size: 0xD0; region: \"b\" }}\n    pins: 4\n")
    assert [(r.address, r.size, r.region) for r in e.registrations] == [(0x10, 0x40, "a"), (0x400, 0xD0, "b")]
    assert e.properties == {"pins": 4}


def test_numbered_gpio_connection():
    _, (_, led, port) = parse_text("port: GPIOPort.X @ sysbus <0x0, +0x400>\nled: Miscellaneous.LED @ port 12\n"
                                   "port:\n    12 -> led@0\n", "t.repl")
    assert port.type is None and irqs(port) == [("12", "led", 0)]
    assert led.registrations == [Registration("port", 12, None)]


def test_irq_ranges_and_lists():
    e = one("x: DMA.X @ sysbus <0x0, +0x400>\n    [0-3] -> nvic@[19-22]\n    [0-1,5] -> nvic@[11-12, 47]\n"
            "    [16, 17] -> nvic@[1, 41]\n    [TriggerA, TriggerB] -> nvic@[26, 26]\n")
    assert irqs(e) == [("0", "nvic", 19), ("1", "nvic", 20), ("2", "nvic", 21), ("3", "nvic", 22),
                       ("0", "nvic", 11), ("1", "nvic", 12), ("5", "nvic", 47),
                       ("16", "nvic", 1), ("17", "nvic", 41), ("TriggerA", "nvic", 26), ("TriggerB", "nvic", 26)]


def test_several_destinations_and_local_index():
    e = one("t: Timers.X @ sysbus <0x0, +0x400>\n    IRQ -> nvic@27 | dma@2\n    0 -> portA#08@01 | portE#9@1\n"
            "    Req->dmaMux#0@81\n    -> nvic@0x3\n")
    assert e.irqs == [IrqConnection("IRQ", "nvic", 27), IrqConnection("IRQ", "dma", 2),
                      IrqConnection("0", "portA", 1, 8), IrqConnection("0", "portE", 1, 9),
                      IrqConnection("Req", "dmaMux", 81, 0), IrqConnection("", "nvic", 3)]


def test_init_reset_blocks_are_recorded():
    e = one("sysbus:\n    init:\n        ApplySVD @https://example.invalid/chip.svd.gz\n"
            "        // a comment line\n\n        Tag <0x40021000, 0x40021003> \"RCC_CR\" 0x2 # why\n"
            "    reset:\n        WriteDoubleWord 0x0 0x1\n    preinit add:\n        include @x.cs\n")
    assert [(c.text, c.line) for c in e.commands["init"]] == [
        ("ApplySVD @https://example.invalid/chip.svd.gz", 3), ('Tag <0x40021000, 0x40021003> "RCC_CR" 0x2 # why', 6)]
    assert [c.text for c in e.commands["reset"]] == ["WriteDoubleWord 0x0 0x1"]
    assert e.command_add == {"preinit"}


def test_init_add_extends_init_replaces(tmp_path):
    (tmp_path / "chip.repl").write_text("cpu: CPU.CortexM @ sysbus\n    init:\n        A\n    reset:\n        R\n")
    (tmp_path / "board.repl").write_text('using "chip.repl"\ncpu:\n    init add:\n        B\n    reset:\n        S\n')
    (cpu,) = load_entries(tmp_path / "board.repl", tmp_path)
    assert [c.text for c in cpu.commands["init"]] == ["A", "B"]
    assert [c.text for c in cpu.commands["reset"]] == ["S"]


def test_bus_point_and_multi_registrations():
    e = one("nvic0: IRQControllers.NVIC @ sysbus new Bus.BusPointRegistration {\n        address: 0xE000E000;\n"
            "        cpu: cpu0\n    }\n    -> cpu0@0\n")
    (r,) = e.registrations
    assert (r.parent, r.address, r.size, r.cpu) == ("sysbus", 0xE000E000, None, "cpu0")
    assert isinstance(r.point, InlineObject) and r.point.type == "Bus.BusPointRegistration"
    e = one('f: MTD.X @ {\n        sysbus 0x40023C00;\n        sysbus new Bus.BusMultiRegistration '
            '{ address: 0x1FFFC000; size: 0x100; region: "optionBytes" }\n    }\n')
    assert [(r.address, r.size, r.region) for r in e.registrations] == [
        (0x40023C00, None, None), (0x1FFFC000, 0x100, "optionBytes")]


def test_non_address_registration_is_kept_without_window():
    e = one("mpu: Miscellaneous.X @ xrdc [0, 0]\n")
    assert e.registrations == [Registration("xrdc", None, None, [0, 0])]
    e = one("phy: Network.Phy @ gem 0\n    id1: 0x7\n")
    assert e.registrations == [Registration("gem", 0, None)]


def test_irqs_and_attributes_in_braces():
    e = one("pit: Timers.X @ sysbus <0x400B0000, +0x1000> { -> mscm@63 }\n")
    assert irqs(e) == [("", "mscm", 63)] and e.registrations[0].size == 0x1000
    e = one("u: UART.X @ sysbus 0x1000 { size: 0x400; IRQ -> nvic@5 }\n")
    assert e.properties == {"size": 0x400} and irqs(e) == [("IRQ", "nvic", 5)]


def test_floats_nested_lists_and_keywords():
    e = one("a: Analog.X @ sysbus <0x0, +0x400>\n    vref: 3.3\n    scale: -0.5\n    pins: [[5, 3], [7, 1, 3]]\n"
            "    cores: [cpu0, empty, cpu1]\n    big: 48_000_000\n    keep: none\n"
            "    point: new Point { x: 640; y: 480 }\n    window: <0x10, +0x20>\n")
    assert e.properties == {"vref": 3.3, "scale": -0.5, "pins": [[5, 3], [7, 1, 3]],
                            "cores": [Reference("cpu0"), Reference("empty"), Reference("cpu1")],
                            "big": 48_000_000, "keep": Reference("none"),
                            "point": InlineObject("Point", {"x": 640, "y": 480}), "window": Range(0x10, 0x20)}


def test_triple_quoted_strings():
    e = one("rcc: Python.PythonPeripheral @ sysbus 0x40021000\n    size: 0x400\n    script: '''\n"
            "if request.isInit:\n    x = 1 // kept\nelse:\n    y = {2} -> [3]\n'''\n    initable: true\n")
    assert e.properties["script"] == "\nif request.isInit:\n    x = 1 // kept\nelse:\n    y = {2} -> [3]\n"
    assert e.properties["initable"] is True and e.irqs == []
    assert one("x: Y\n    name: '''a \\''' b'''\n").properties["name"] == "a ''' b"


def test_type_without_namespace_alias_and_local():
    e = one('local rtc: STM32L_RTC @ sysbus <0x40002800, +0x400> as "clock"\n    -> exti@17\n')
    assert (e.name, e.type, e.alias, irqs(e)) == ("rtc", "STM32L_RTC", "clock", [("", "exti", 17)])


def test_registration_none_cancels(tmp_path):
    (tmp_path / "a.repl").write_text("u: UART.X @ sysbus 0x1000\nu: @ none\n")
    (u,) = load_entries(tmp_path / "a.repl", tmp_path)
    assert u.registrations == []


def test_sysbus_amendment_needs_no_definition(tmp_path):
    (tmp_path / "a.repl").write_text('sysbus:\n    init:\n        Tag <0x0, 0x3> "A"\n')
    (tmp_path / "b.repl").write_text('using "a.repl"\nsysbus:\n    init add:\n        Tag <0x4 4> "B"\n')
    (bus,) = load_entries(tmp_path / "b.repl", tmp_path)
    assert [c.text for c in bus.commands["init"]] == ['Tag <0x0, 0x3> "A"', 'Tag <0x4 4> "B"']


def test_using_prefixed(tmp_path):
    (tmp_path / "node.repl").write_text("nvic: IRQControllers.NVIC @ sysbus 0xE000E000\n"
                                        "uart: UART.X @ sysbus 0x1000\n    -> nvic@3\n    ctl: nvic\n")
    (tmp_path / "b.repl").write_text('using "node.repl" prefixed "n1_"\nn1_uart:\n    baud: 9600\n')
    nvic, uart = load_entries(tmp_path / "b.repl", tmp_path)
    assert (nvic.name, uart.name) == ("n1_nvic", "n1_uart")
    assert irqs(uart) == [("", "n1_nvic", 3)] and uart.properties == {"ctl": Reference("n1_nvic"), "baud": 9600}


BAD = [
    ("x: DMA.X @ sysbus 0x0\n    [0-3] -> nvic@[1-2]\n", 2, "4 sources but 2 destinations"),
    ("x: DMA.X @ sysbus 0x0\n    [3-0] -> nvic@[1-4]\n", 2, "runs backwards"),
    ("x: DMA.X @ sysbus 0x0\n    -> nvic#q@1\n", 2, "local index"),
    ("x: DMA.X @ {\n    sysbus 0x0;\n\n", 1, "unclosed bracket"),
    ("x: Python.P @ sysbus 0x0\n    script: '''\nnever closed\n", 2, "unterminated '''"),
    ("x: DMA.X @ sysbus 0x0\n    init: Foo\n", 2, "following indented lines"),
    ("x: DMA.X @ sysbus new Bus.BusPointRegistration { address 0x0 }\n", 1, "inline object"),
    ('using "a.repl" prefix "p"\n', 1, "malformed using"),
]


@pytest.mark.parametrize("text,line,words", BAD)
def test_errors_name_file_and_line(text, line, words):
    with pytest.raises(PlatformError) as err:
        parse_text(text, "bad.repl")
    assert (err.value.path, err.value.line) == ("bad.repl", line)
    assert words in str(err.value)


def test_realistic_chip_and_board_load():
    p = load_platform(str(DATA / "demo_board.repl"), DATA)
    assert (p.cpu.core, p.cpu.fpu, p.cpu.frequency_hz) == ("cortex-m4", True, 96_000_000)
    assert {(m.name, m.base, m.size, m.aliases) for m in p.memories} == {
        ("flash", 0x08000000, 0x80000, (0,)), ("sram", 0x20000000, 0x20000, ()),
        ("backup", 0x40024000, 0x1000, ())}
    assert p.console == "usart2" and (p.code_memory, p.data_memory) == ("flash", "sram")
    modelled = {q.name: (q.type, q.base, q.size) for q in p.peripherals if q.modelled}
    assert modelled == {"nvic": ("IRQControllers.NVIC", 0xE000E000, 0x1000),
                        "dwt": ("Miscellaneous.DWT", 0xE0001000, 0x1000),
                        "usart1": ("UART.STM32_UART", 0x40011000, 0x400),
                        "usart2": ("UART.STM32_UART", 0x40004400, 0x400)}
    usart2 = p.peripheral("usart2")
    assert [(c.target, c.number) for c in usart2.irqs] == [("nvic", 38), ("dmaIrqs", 1)]
    # what tandem does not model stays an unimplemented region (or, without a sysbus address, a note)
    rcc, fc, mpu, button = (p.peripheral(n) for n in ("rcc", "flashController", "mpu", "UserButton"))
    assert (rcc.modelled, rcc.base, rcc.size) == (False, 0x40023800, 0x400)
    assert "request.isInit" in str(rcc.properties["script"])
    assert (fc.base, fc.size, fc.extra_windows) == (0x40023C00, 0x400, ((0x1FFF7800, 0x20),))
    assert mpu.base is None and button.base is None
    assert [(c.source, c.target, c.number) for c in p.peripheral("gpioPortD").irqs][-1] == ("12", "UserLED", 0)
    assert p.peripheral("exti").irqs[5] == IrqConnection("9", "nvic", 23)
    assert p.peripheral("adc").properties["referenceVoltage"] == 3.3
    assert [(t.name, t.base, t.size, t.value) for t in p.tags] == [
        ("PWR_CR", 0x40007000, 4, 0xC000), ("PWR_CSR", 0x40007004, 4, None), ("USB", 0x50000000, 0x40, None),
        ("PWR_BOARD", 0x40007008, 4, 1)]
    assert [(c.entry, c.text) for c in p.commands] == [
        ("cpu", "IsHalted false"), ("sysbus", "ApplySVD @https://example.invalid/svd/demo_m4.svd.gz")]


def test_model_checks_still_apply_to_renode_style_files(tmp_path):
    chip = (DATA / "demo_m4.repl").read_text()
    (tmp_path / "c.repl").write_text(chip + "\nclash: Miscellaneous.X @ sysbus <0x40011200, +0x100>\n")
    with pytest.raises(PlatformError, match="'clash' .* overlaps 'usart1'") as err:
        load_platform(str(tmp_path / "c.repl"), tmp_path)
    assert err.value.line == chip.count("\n") + 2
    (tmp_path / "d.repl").write_text(chip + "\nsram2: Memory.MappedMemory @ sysbus 0x30000000\n")
    with pytest.raises(PlatformError, match="property 'size' is required"):
        load_platform(str(tmp_path / "d.repl"), tmp_path)


def test_tag_forms():
    from tandem.platform.model import parse_tag

    assert parse_tag('Tag <0x100000a0, 0x100000a3> "ADDRTYPE" 0x1 # random', "t", 1) == \
        parse_tag('Tag <0x100000a0 4> "ADDRTYPE" 0x1', "t", 1)
    tag = parse_tag('Tag <0x402BC000, +0x18> "CMU_0"', "t", 3)
    assert tag is not None
    assert (tag.name, tag.base, tag.size, tag.value, tag.line) == ("CMU_0", 0x402BC000, 0x18, None, 3)
    assert parse_tag("ApplySVD @https://example.invalid/a.svd", "t", 1) is None
    with pytest.raises(PlatformError, match="empty range"):
        parse_tag('Tag <0x10, 0x0> "X"', "t", 2)


def test_init_block_in_braces():
    e = one("cpu: CPU.CortexM @ sysbus\n    init: { IsHalted true; PerformanceInMips 100 }\n")
    assert [c.text for c in e.commands["init"]] == ["IsHalted true", "PerformanceInMips 100"]


def test_realistic_board_builds_a_machine():
    from tandem.machine.board import Board

    board = Board(load_platform(str(DATA / "demo_board.repl"), DATA))
    assert board.platform.peripheral("rcc").base == 0x40023800


def test_using_from_the_platforms_root_parent(tmp_path):
    (tmp_path / "platforms" / "cpus").mkdir(parents=True)
    (tmp_path / "platforms" / "cpus" / "c.repl").write_text("u: UART.X @ sysbus 0x1000\n")
    (tmp_path / "b.repl").write_text('using "platforms/cpus/c.repl"\nu:\n    baud: 1\n')
    (u,) = load_entries(tmp_path / "b.repl", tmp_path / "platforms")
    assert u.properties == {"baud": 1}


# Renode's semantics: what Renode's chip files leave to the C# classes -------------------------

def test_nrf_style_chip_loads_with_default_clock_and_renode_sizes():
    p = load_platform(str(DATA / "demo_nrf.repl"), DATA)
    assert [(m.name, m.base, m.size, m.aliases) for m in p.memories] == [
        ("flash", 0x0, 0x80000, ()), ("ram", 0x800000, 0x20000, (0x20000000,))]
    assert (p.code_memory, p.data_memory) == ("flash", "ram")  # Renode's name for the data memory
    assert p.cpu.frequency_hz == 64_000_000
    sizes = {q.name: (q.base, q.size) for q in p.peripherals}
    # Renode's class sizes (types.RENODE_SIZES), a guess for the others, and the ports fitted
    assert sizes == {"nvic": (0xE000E000, 0x1000), "clock": (0x40000000, 0x1000), "uart0": (0x40002000, 0x1000),
                     "radio": (0x40001000, 0x400), "rtc1": (0x40011000, 0x1000), "egu3": (0x40017000, 0x1000),
                     "port0": (0x50000500, 0x300), "port1": (0x50000800, 0x1000), "portEvents": (0x40006000, 0x400)}
    path = str(DATA / "demo_nrf.repl")
    assert p.notes == (
        "cpu: no frequency in the platform; using 64000000 Hz, tandem's default for cortex-m4 "
        "(set `frequency:` in the cpu entry to change it)",
        f"radio (Wireless.DemoRadio) at 0x40001000 has no size; using a 0x400 window ({path}:24)",
        f"portEvents (GPIOPort.NRF52840_GPIOTasksEvents) at 0x40006000 has no size; using a 0x400 window ({path}:38)",
        f"port0 (GPIOPort.NRF52840_GPIO) at 0x50000500: a 0x1000 window would overlap 'port1'; using 0x300 ({path}:34)",
        # no Tandem.Board entry: the first UART tandem models is the console (test_consoles.py)
        "console: uart0 (UART.NRF52840_UART), the file's first UART tandem models (name another with a "
        "Tandem.Board entry's `console:`)",
    )
    assert [(t.name, t.base, t.size, t.value) for t in p.tags] == [("INFO", 0x10000000, 0x1000, None),
                                                                   ("PART", 0x10000100, 4, 0x1234)]
    assert [c.text for c in p.commands] == ["ApplySVD @https://example.invalid/svd/demo_nrf.svd.gz"]


def test_systick_frequency_gives_the_clock(tmp_path):
    chip = (DATA / "demo_nrf.repl").read_text()
    (tmp_path / "c.repl").write_text(chip + "\nnvic:\n    systickFrequency: 32000000\n")
    p = load_platform(str(tmp_path / "c.repl"), tmp_path)
    assert p.cpu.frequency_hz == 32_000_000
    assert p.notes[0].startswith("cpu: no frequency in the platform; using 32000000 Hz, the systickFrequency of 'nvic'")
    (tmp_path / "d.repl").write_text(chip + "\ncpu:\n    frequency: 16000000\n")
    p = load_platform(str(tmp_path / "d.repl"), tmp_path)
    assert p.cpu.frequency_hz == 16_000_000 and not any(n.startswith("cpu:") for n in p.notes)


def test_tandem_boards_have_no_notes(cfg):
    from tandem.platform.model import list_boards

    for name in list_boards(cfg.platforms_dir):
        assert load_platform(name, cfg.platforms_dir).notes == (), name


def test_guessed_windows_give_way(tmp_path):
    head = ('cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m3"\n'
            "flash: Memory.MappedMemory @ sysbus 0x0\n    size: 0x1000\n"
            "sram: Memory.MappedMemory @ sysbus 0x20000000\n    size: 0x1000\n"
            "uart: UART.STM32_UART @ sysbus <0x40000200, +0x100>\n")
    (tmp_path / "b.repl").write_text(head +
                                     "inMem: Misc.A @ sysbus 0x800\n"  # starts inside flash: dropped
                                     "beforeUart: Misc.B @ sysbus 0x40000000\n"  # runs into uart: shrunk
                                     "first: Misc.C @ sysbus 0x40001000\n"
                                     "second: Misc.D @ sysbus 0x40001000\n"  # same base as a guess: dropped
                                     "spi: SPI.STM32SPI @ sysbus 0x40002000\n")  # Renode's 0x400
    p = load_platform(str(tmp_path / "b.repl"), tmp_path)
    assert p.cpu.frequency_hz == 72_000_000
    got = {q.name: (q.base, q.size) for q in p.peripherals}
    assert got == {"uart": (0x40000200, 0x100), "inMem": (None, 0), "beforeUart": (0x40000000, 0x200),
                   "first": (0x40001000, 0x400), "second": (None, 0), "spi": (0x40002000, 0x400)}
    notes = "\n".join(p.notes)
    assert "inMem (Misc.A) at 0x00000800 lies inside 'flash'; no window for it" in notes
    assert "beforeUart (Misc.B) at 0x40000000: a 0x400 window would overlap 'uart'; using 0x200" in notes
    assert "second (Misc.D) at 0x40001000 lies inside 'first'; no window for it" in notes
    # a window the file wrote still may not overlap; a memory still needs a size
    (tmp_path / "c.repl").write_text(head + "clash: Misc.X @ sysbus <0x40000280, +0x100>\n")
    with pytest.raises(PlatformError, match="'clash' .* overlaps 'uart'"):
        load_platform(str(tmp_path / "c.repl"), tmp_path)


def test_semihosting_hello_runs_on_the_nrf_style_chip(cfg):
    from tandem.firmware.build import FirmwareSpec, build_firmware
    from tandem.machine.board import Board

    platform = load_platform(str(DATA / "demo_nrf.repl"), DATA)
    # the file's console is its UARTE (test_consoles.py); this build prints through semihosting
    elf = build_firmware(platform, FirmwareSpec(("tests/hello.c",), port="semihost"), cfg)
    board = Board(platform, cfg)
    board.load_elf(elf)
    result = board.run()
    assert result.exit_code == 0, result
    assert result.output.startswith("Hello from tandem!\nline 0\n")
    assert result.cpu_hz == 64_000_000
    assert result.notes[0].startswith("cpu: no frequency in the platform; using 64000000 Hz")


ROOT = DATA / "renode_root"


def test_several_cpus_the_first_cortex_m_runs_the_others_are_reported():
    """Renode's dual-core style: a second Cortex-M with an NVIC registered for it alone
    (`new Bus.BusPointRegistration { ...; cpu: cpu1 }`) and a RISC-V core; neither is an error."""
    p = load_platform("dual_board", ROOT)
    assert p.cpu.name == "cpu" and p.cpu.cpu_type == "cortex-m4f" and p.cpu.vector_table is None
    assert [n for n in p.notes if "is not simulated" in n] == [
        f"cpu: cpu1 (CPU.CortexM) is not simulated; tandem runs the first Cortex-M, cpu "
        f"({ROOT / 'platforms/cpus/dualchip.repl'}:13)",
        f"cpu: housekeeper (CPU.RiscV32) is not simulated; tandem runs the first Cortex-M, cpu "
        f"({ROOT / 'platforms/cpus/dualchip.repl'}:22)"]
    assert any(n.startswith("nvic1 (IRQControllers.NVIC) is registered only for cpu1") for n in p.notes)
    names = {q.name for q in p.peripherals}
    assert "nvic" in names and not names & {"nvic1", "cpu1", "housekeeper"}
    assert p.peripheral("nvic").base == 0xE000E000
    # flash only where Renode's STM32 files put it; code and data memories found by name
    assert [(m.name, m.base, m.aliases) for m in p.memories] == [("flash", 0x08000000, ()), ("sram", 0x20000000, ())]
    assert (p.code_memory, p.data_memory) == ("flash", "sram")


def test_a_file_with_no_cortex_m_is_an_error(tmp_path):
    (tmp_path / "r.repl").write_text('cpu: CPU.RiscV32 @ sysbus\n    cpuType: "rv32imac"\n'
                                     "ram: Memory.MappedMemory @ sysbus 0x80000000\n    size: 0x1000\n")
    with pytest.raises(PlatformError, match=r"needs a CPU.CortexM entry \(CPU entries found: cpu \(CPU.RiscV32\)\)"):
        load_platform(str(tmp_path / "r.repl"), tmp_path)


@pytest.mark.parametrize("cpu_part,other", [
    ("    VectorTableOffset: 0x08000000\n", ""),
    ("    init:\n        VectorTableOffset 0x08000000\n", ""),
    ("", "sysbus:\n    init:\n        cpu VectorTableOffset 0x08000000\n"),
    ("", "sysbus:\n    init add:\n        sysbus.cpu VectorTableOffset 0x08000000\n"),
    # an init command runs after the entries are created: it wins over the property
    ("    VectorTableOffset: 0x0\n    init:\n        VectorTableOffset 0x08000000\n", ""),
])
def test_vector_table_offset_as_property_or_monitor_command(tmp_path, cpu_part, other):
    (tmp_path / "v.repl").write_text(
        'cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m3"\n' + cpu_part +
        "rom: Memory.MappedMemory @ sysbus 0x08000000\n    size: 0x1000\n"
        "ram: Memory.MappedMemory @ sysbus 0x20000000\n    size: 0x1000\n" + other)
    p = load_platform(str(tmp_path / "v.repl"), tmp_path)
    assert p.cpu.vector_table == 0x08000000
    assert (p.code_memory, p.data_memory) == ("rom", "ram")


def test_memories_found_by_their_use_not_their_names():
    """vtorchip names its memories code0 and ram0: the code memory is the one holding the
    VectorTableOffset, the data memory the largest in the SRAM region; each choice is a note."""
    p = load_platform("vtor_board", ROOT)
    assert p.cpu.vector_table == 0x08000000
    assert (p.code_memory, p.data_memory) == ("code0", "ram0")
    assert "code memory: 'code0', which holds the VectorTableOffset 0x08000000" in p.notes
    assert "data memory: 'ram0', the largest memory of the SRAM region" in p.notes
