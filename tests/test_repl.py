"""The .repl parser and platform validation: valid boards load, malformed files name file and line."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BOARDS

from tandem.errors import PlatformError, UnknownBoardError
from tandem.platform import list_boards, load_platform
from tandem.platform.repl import Range, Reference, parse_text


def test_all_boards_listed(cfg):
    assert set(BOARDS) <= set(list_boards(cfg.platforms_dir))


@pytest.mark.parametrize(
    "board,core,fpu,hz,mem",
    [
        ("stm32f4_discovery", "cortex-m4", True, 168_000_000, {"flash": 1 << 20, "sram": 128 << 10, "ccm": 64 << 10}),
        ("nucleo_l4r5zi", "cortex-m4", True, 120_000_000,
         {"flash": 2 << 20, "sram": 192 << 10, "sram2": 64 << 10, "sram3": 384 << 10}),
        ("bluepill", "cortex-m3", False, 72_000_000, {"flash": 64 << 10, "sram": 20 << 10}),
        ("mps2_an386", "cortex-m4", True, 25_000_000, {"ssram1": 4 << 20, "ssram23": 4 << 20, "psram": 16 << 20}),
    ],
)
def test_board_descriptions(cfg, board, core, fpu, hz, mem):
    p = load_platform(board, cfg.platforms_dir)
    assert (p.cpu.core, p.cpu.fpu, p.cpu.frequency_hz) == (core, fpu, hz)
    assert {m.name: m.size for m in p.memories} == mem


def test_chip_layering_and_aliases(cfg):
    p = load_platform("stm32f4_discovery", cfg.platforms_dir)
    flash = p.memory("flash")
    # flash at 0x08000000 and, as on the part booting from flash (RM0090 2.4), aliased at 0
    assert flash.base == 0x08000000 and flash.aliases == (0,)
    assert flash.wait_states == 5 and flash.accelerator == "stm32-art"
    uart = p.peripheral("usart2")
    assert (uart.type, uart.base, uart.size) == ("UART.STM32_UART", 0x40004400, 0x400)
    assert uart.irqs[0].target == "nvic" and uart.irqs[0].number == 38
    assert p.console == "usart2"
    # UART4/UART5 as Renode names them, at their RM0090 addresses and vectors 52/53
    assert [(q.base, q.irqs[0].number) for q in (p.peripheral("uart4"), p.peripheral("uart5"))] == \
        [(0x40004C00, 52), (0x40005000, 53)]
    # the core parts come from cpus/armv7m.repl through cpus/stm32f407.repl
    assert p.peripheral("nvic").path.endswith("armv7m.repl")


def test_parse_values_and_comments():
    usings, entries = parse_text(
        'using "x.repl"\n'
        "/* block\n comment */\n"
        "mem: Memory.MappedMemory @ sysbus <0x1000, +0x400> // trailing\n"
        "    size: 0x400\n"
        '    label: "a // not a comment"\n'
        "    flag: true\n"
        "    link: nvic\n"
        "    window: <0x10, 0x1f>\n"
        "    list: [1, 2]\n"
    )
    assert usings == [("x.repl", 1)]
    (e,) = entries
    assert e.line == 4 and e.registrations[0].address == 0x1000 and e.registrations[0].size == 0x400
    assert e.properties == {"size": 0x400, "label": "a // not a comment", "flag": True,
                            "link": Reference("nvic"), "window": Range(0x10, 0x10), "list": [1, 2]}


BAD = [
    ("mem Memory.MappedMemory @ sysbus 0x0\n", 1, "expected 'name: Type"),
    ("mem: Memory.MappedMemory @ sysbus 0xZZ\n", 1, "malformed address"),
    ("mem: Memory.MappedMemory @ sysbus 0x0\n    size: \"oops\n", 2, "unterminated string"),
    ("mem: Memory.MappedMemory @ sysbus <0x0, +0>\n", 1, "empty"),
    ("\n\n    size: 4\n", 3, "outside an entry"),
    ("x: Foo-Bar @ sysbus 0x0\n", 1, "malformed type"),
    ("u: UART.STM32_UART @ sysbus 0x0\n    -> nvic@\n", 2, "IRQ"),
    ("/* never closed\n", 1, "unterminated /*"),
    ("mem: Memory.MappedMemory @ sysbus 0x0\n    size: 0x400\nusing \"a.repl\"\n", 3, "before the first entry"),
]


@pytest.mark.parametrize("text,line,words", BAD)
def test_syntax_errors_name_file_and_line(text, line, words):
    with pytest.raises(PlatformError) as err:
        parse_text(text, "bad.repl")
    assert err.value.path == "bad.repl" and err.value.line == line
    assert words in str(err.value)
    assert str(err.value).startswith(f"bad.repl:{line}: ")


def _board(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "b.repl"
    path.write_text(text)
    return path


CPU = 'cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m4"\n    frequency: 1000000\n'
MEMS = ("flash: Memory.MappedMemory @ sysbus 0x0\n    size: 0x1000\n"
        "sram: Memory.MappedMemory @ sysbus 0x20000000\n    size: 0x1000\n")

SEMANTIC = [
    (CPU + MEMS + "u: UART.STM32_UART @ sysbus <0x800, +0x400>\n", 8, "overlaps 'flash'"),
    (CPU + MEMS + "odd: Memory.MappedMemory @ sysbus 0x30000100\n    size: 0x400\n", 8, "not aligned"),
    (CPU.replace("cortex-m4", "cortex-m99") + MEMS, 2, "unsupported cpuType"),
    # a modelled type with no default window (an unmodelled one gets Renode's size or a guess)
    (CPU + MEMS + "acc: Tandem.RtlPeripheral @ sysbus 0x40000000\n", 8, "needs a size"),
    (CPU + MEMS + "ghost:\n    size: 4\n", 8, "amends nothing"),
    (CPU + MEMS + "flash: Memory.MappedMemory @ sysbus 0x0\n    size: 0x400\n"
     "flash: UART.STM32_UART @ sysbus 0x40000000\n", 10, "already defined"),
    (CPU + MEMS + 'using "nope.repl"\n', 8, "before the first entry"),
    ('using "missing.repl"\n' + CPU + MEMS, 1, "cannot find"),
    # the code memory named explicitly must exist (without Tandem.Board it is found by its use)
    (CPU + "ram: Memory.MappedMemory @ sysbus 0x0\n    size: 0x400\n"
     "board: Tandem.Board\n    codeMemory: flash\n", 7, "no memory named 'flash'"),
]


@pytest.mark.parametrize("text,line,words", SEMANTIC)
def test_semantic_errors_name_file_and_line(tmp_path, text, line, words):
    path = _board(tmp_path, text)
    with pytest.raises(PlatformError) as err:
        load_platform(str(path), tmp_path)
    assert words in str(err.value)
    assert err.value.path == str(path.resolve()) or err.value.path == str(path)
    assert err.value.line == line


def test_circular_using(tmp_path):
    (tmp_path / "a.repl").write_text('using "b.repl"\n')
    (tmp_path / "b.repl").write_text('using "a.repl"\n')
    with pytest.raises(PlatformError, match="circular using: a.repl -> b.repl -> a.repl"):
        load_platform(str(tmp_path / "a.repl"), tmp_path)


def test_unknown_board(cfg):
    with pytest.raises(UnknownBoardError, match="known boards: .*stm32f4_discovery"):
        load_platform("nucleo_h743", cfg.platforms_dir)
