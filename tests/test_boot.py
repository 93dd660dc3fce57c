"""Booting as Renode does: the vector table from VectorTableOffset, the ELF or address 0; boards
whose flash is mapped only at 0x08000000; the platform search path (--platforms,
TANDEM_PLATFORMS) for board names and `using` files.

The Renode-style chip and board files are this project's own (tests/data/repl/renode_root/).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tandem.cli import main
from tandem.config import TandemConfig
from tandem.errors import FirmwareFault, PlatformError, SimulationError, UnknownBoardError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.peripherals.nvic import VTOR
from tandem.platform import list_boards, load_platform
from tandem.platform.search import resolve_using

DATA = Path(__file__).parent / "data" / "repl"
ROOT = DATA / "renode_root"
EXTRA = DATA / "extra"
HELLO = "Hello from tandem!\nline 0\nline 1\nline 2\n"
SEMIHOST_HELLO = "write via SYS_WRITE\nwrite via SYS_WRITE0\n!\n"


def _board(cfg: TandemConfig, name: str, source: str) -> tuple[Board, Path]:
    search = (ROOT, *cfg.platforms_search)
    platform = load_platform(name, search)
    elf = build_firmware(platform, FirmwareSpec((source,)), cfg)
    board = Board(platform, cfg)
    board.load_elf(elf)
    return board, elf


def test_semihosting_hello_boots_with_flash_only_at_0x08000000(cfg):
    """No memory at 0: the vector table is the ELF's .isr_vector at the start of flash (the
    build's linker script puts it in the code memory), and VTOR reads it."""
    board, _ = _board(cfg, "dual_board", "tests/semihost_hello.c")
    assert not board.cpu.is_mapped(0)
    result = board.run()
    assert result.exit_code == 0, result
    assert result.output == SEMIHOST_HELLO
    assert board.nvic is not None and board.nvic.regs[VTOR] == 0x08000000
    # at the start of the code memory, where tandem's linker script puts it: no note
    assert not any(n.startswith("boot:") for n in result.notes)
    assert result.cpu_hz == 72_000_000  # the NVIC's systickFrequency: the chip file gives no frequency


def test_a_table_found_elsewhere_is_a_note(cfg):
    """The same ELF on the chip with the data memory declared as code: the table the ELF names
    (0x08000000) is no longer where the build would put it, and the run says where it came from."""
    platform = load_platform("dual_board", (ROOT,))
    elf = build_firmware(platform, FirmwareSpec(("tests/semihost_hello.c",)), cfg)
    board = Board(dataclasses.replace(platform, code_memory="sram"), cfg)
    board.load_elf(elf)
    result = board.run()
    assert result.exit_code == 0 and result.output == SEMIHOST_HELLO
    assert "boot: vector table at 0x08000000, the ELF's section .isr_vector" in result.notes


def test_usart_hello_boots_from_the_vector_table_offset(cfg):
    """vtorchip sets VectorTableOffset in the CPU's init block; memories named code0/ram0."""
    board, _ = _board(cfg, "vtor_board", "tests/hello.c")
    result = board.run()
    assert result.exit_code == 0, result
    assert result.output == HELLO
    assert board.nvic is not None and board.nvic.regs[VTOR] == 0x08000000
    assert "boot: vector table at 0x08000000, the VectorTableOffset of cpu" in result.notes


def test_a_flash_alias_at_0_keeps_vtor_0_and_says_nothing(cfg, tmp_path):
    """With the part's boot alias put back (flash also at 0, booting from flash, RM0090 2.4), VTOR
    keeps its reset value 0 as on the part, and the run reports nothing about the boot."""
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "f4_alias.repl").write_text(
        'using "cpus/stm32f407.repl"\n\nflash: @ { sysbus 0x08000000; sysbus 0x00000000 }\n')
    platform = load_platform("f4_alias", (tmp_path, *cfg.platforms_search))
    assert platform.memory("flash").aliases == (0,)
    elf = build_firmware(platform, FirmwareSpec(("tests/semihost_hello.c",)), cfg)
    board = Board(platform, cfg)
    board.load_elf(elf)
    result = board.run()
    assert result.exit_code == 0 and result.output == SEMIHOST_HELLO
    assert board.nvic is not None and board.nvic.regs[VTOR] == 0
    assert board.read_memory(0, 64) == board.read_memory(0x08000000, 64)
    assert not any(n.startswith("boot:") for n in result.notes)


def test_no_valid_vector_table_is_one_line_naming_board_and_elf(cfg):
    board, elf = _board(cfg, "dual_board", "tests/semihost_hello.c")
    reset = board.read_memory(0x08000004, 4)
    board.write_memory(0x08000004, (int.from_bytes(reset, "little") & ~1).to_bytes(4, "little"))
    with pytest.raises(SimulationError) as err:
        board.run()
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"board dual_board, ELF {elf.name}: no valid vector table (0x08000000 (section "
                          ".isr_vector): its reset vector 0x")
    assert "has bit 0 clear" in msg and "0x00000000 (VTOR's reset value) is not in a memory" in msg
    assert msg.endswith("set VectorTableOffset on the cpu")


def test_a_vector_table_offset_outside_memory_is_an_error(cfg):
    platform = load_platform("dual_board", (ROOT,))
    elf = build_firmware(platform, FirmwareSpec(("tests/semihost_hello.c",)), cfg)
    bad = dataclasses.replace(platform, cpu=dataclasses.replace(platform.cpu, vector_table=0x30000000))
    board = Board(bad, cfg)
    board.load_elf(elf)
    with pytest.raises(SimulationError, match=r"VectorTableOffset 0x30000000 of cpu is not in a memory"):
        board.run()
    # at an address holding no Thumb reset vector (sram is zero): a firmware fault, also one line
    zero = dataclasses.replace(platform, cpu=dataclasses.replace(platform.cpu, vector_table=0x20000000))
    board = Board(zero, cfg)
    board.load_elf(elf)
    with pytest.raises(FirmwareFault, match=r"VectorTableOffset 0x20000000: its reset vector 0x00000000 has bit 0"):
        board.run()


def test_search_path_two_dirs_in_order(tmp_path):
    """extra/ holds a board whose `using "platforms/cpus/dualchip.repl"` is only in renode_root/:
    each folder of the search path is tried in order, as Renode's monitor path prefixes are."""
    p = load_platform("extra_board", (EXTRA, ROOT))
    assert p.path == EXTRA / "boards" / "extra_board.repl" and p.cpu.name == "cpu"
    with pytest.raises(PlatformError, match=rf"using: cannot find 'platforms/cpus/dualchip.repl' "
                                            rf"\(platform search path: {EXTRA}\)"):
        load_platform("extra_board", (EXTRA,))
    with pytest.raises(UnknownBoardError, match="unknown board 'extra_board'"):
        load_platform("extra_board", (ROOT,))
    # two boards of one name: the first folder's wins
    for d in ("a", "b"):
        (tmp_path / d / "boards").mkdir(parents=True)
        (tmp_path / d / "boards" / "same.repl").write_text('using "platforms/cpus/dualchip.repl"\n')
    first = (tmp_path / "a", tmp_path / "b", ROOT)
    assert load_platform("same", first).path == tmp_path / "a" / "boards" / "same.repl"
    assert load_platform("same", first[::-1][1:] + (ROOT,)).path == tmp_path / "b" / "boards" / "same.repl"
    assert "same" in list_boards(first) and "dual_board" in list_boards(first)


def test_using_resolves_as_renodes_resolver(tmp_path):
    (tmp_path / "boards").mkdir()
    (tmp_path / "cpus").mkdir()
    board = tmp_path / "boards" / "b.repl"
    for f in (board, tmp_path / "cpus" / "c.repl", tmp_path / "boards" / "local.repl"):
        f.write_text("")
    assert resolve_using("./local.repl", board, ()) == tmp_path / "boards" / "local.repl"
    assert resolve_using("../cpus/c.repl", board, ()) == tmp_path / "boards" / ".." / "cpus" / "c.repl"
    assert resolve_using("./c.repl", board, (tmp_path / "cpus",)) is None  # ./ is the including folder only
    assert resolve_using(str(tmp_path / "cpus" / "c.repl"), board, ()) == tmp_path / "cpus" / "c.repl"
    # Renode's names from its root, with a search folder that is a root or a platforms folder
    assert resolve_using("platforms/cpus/c.repl", board, (tmp_path,)) == tmp_path / "cpus" / "c.repl"
    assert resolve_using("platforms/cpus/dualchip.repl", board, (tmp_path, ROOT)) == \
        ROOT / "platforms" / "cpus" / "dualchip.repl"


def test_cli_boards_lists_boards_of_platforms_dirs(capsys, monkeypatch):
    monkeypatch.delenv("TANDEM_PLATFORMS", raising=False)
    assert main(["boards", "--platforms", str(ROOT), "--platforms", str(EXTRA)]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert {"dual_board", "vtor_board", "extra_board", "stm32f4_discovery"} <= set(names)
    assert main(["boards"]) == 0
    assert "dual_board" not in capsys.readouterr().out
    # TANDEM_PLATFORMS, colon-separated, does the same
    monkeypatch.setenv("TANDEM_PLATFORMS", f"{EXTRA}:{ROOT}")
    assert main(["boards"]) == 0
    assert "extra_board" in capsys.readouterr().out


def test_cli_run_with_platforms(cfg, capsys, tmp_path):
    platform = load_platform("dual_board", (ROOT,))
    elf = build_firmware(platform, FirmwareSpec(("tests/semihost_hello.c",)), cfg)
    code = main(["run", "--platforms", str(ROOT), "--board", "dual_board", "--quiet", str(elf)])
    out = capsys.readouterr()
    assert code == 0, out
    assert "[tandem] dual_board: exit 0" in out.out + out.err


def test_cli_boards_lists_a_board_that_does_not_load_with_its_reason(capsys, tmp_path):
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "m85_board.repl").write_text('cpu: CPU.CortexM @ sysbus\n    cpuType: "cortex-m85"\n')
    assert main(["boards", "--platforms", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    bad = [line for line in lines if line.startswith("m85_board")]
    assert len(bad) == 1 and "(does not load: " in bad[0] and "unsupported cpuType 'cortex-m85'" in bad[0]
    assert any(line.startswith("stm32f4_discovery ") and "cortex-m4f" in line for line in lines)
