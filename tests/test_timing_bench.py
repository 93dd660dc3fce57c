"""Microbenchmarks (firmware/bench/*.S) whose exact cycle counts follow from the Arm TRMs.

Each program runs from `_start` to `done` on raw Unicorn with the native counter; the
expected totals are derived in each file's header comment and listed in docs/timing.md.
The Python reference counter must agree on every one.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from timing_asm import FLASH, RAM, Program, assemble, make_uc
from timing_oracle import PyCycleCounter

from tandem.timing import CycleCounter, MemoryTiming, core_timing

BENCH = Path(__file__).resolve().parent.parent / "firmware" / "bench"

ZERO_WS = [MemoryTiming("flash", FLASH, 0x10000), MemoryTiming("sram", RAM, 0x20000)]


def _flash(ws: int, accel: str | None) -> list[MemoryTiming]:
    return [MemoryTiming("flash", FLASH, 0x10000, wait_states=ws, accelerator=accel),
            MemoryTiming("sram", RAM, 0x20000)]


def _build(name: str, tmp: Path, core: str) -> Program:
    src = (BENCH / name).read_text()
    # The .S files carry their own directives; assemble() adds a harmless prologue.
    return assemble(src, tmp, cpu="cortex-m4" if core != "cortex-m3" else "cortex-m3",
                    fpu=core == "cortex-m4f")


def _run(cls, prog: Program, core: str, memories, cache_dir: Path):
    uc = make_uc(prog, fpu=core == "cortex-m4f")
    counter = cls(uc, core_timing(core, memories), cache_dir)
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
    return uc, counter


# (file, core, memories, expected cycles, expected instructions or None)
TRM_CASES = [
    ("alu_loop.S", "cortex-m4", ZERO_WS, 700, 1 + 100 * 6),
    ("alu_loop.S", "cortex-m3", ZERO_WS, 700, 1 + 100 * 6),
    ("load_pipeline.S", "cortex-m4", ZERO_WS, 552, 2 + 50 * 8),
    ("load_dependency.S", "cortex-m4", ZERO_WS, 483, 3 + 40 * 7),
    ("load_dependency.S", "cortex-m3", ZERO_WS, 483, 3 + 40 * 7),
    ("calls.S", "cortex-m4", ZERO_WS, 762, 2 + 20 * 13),
    ("branches.S", "cortex-m4", ZERO_WS, 161, None),
    ("divide.S", "cortex-m4", ZERO_WS, 426, 2 + 25 * 4),
    ("multiply.S", "cortex-m4", ZERO_WS, 141, 3 + 20 * 5),
    ("multiply.S", "cortex-m3", ZERO_WS, 321, 3 + 20 * 5),
    ("fpu.S", "cortex-m4f", ZERO_WS, 442, 2 + 10 * 11),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("native")


@pytest.mark.parametrize("name,core,memories,cycles,insns", TRM_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in TRM_CASES])
def test_trm_microbenchmark(name, core, memories, cycles, insns, tmp_path: Path,
                            cache_dir: Path) -> None:
    prog = _build(name, tmp_path, core)
    _, native = _run(CycleCounter, prog, core, memories, cache_dir)
    _, py = _run(PyCycleCounter, prog, core, memories, cache_dir)
    assert native.cycles == cycles
    if insns is not None:
        assert native.instructions == insns
    assert (py.cycles, py.instructions) == (native.cycles, native.instructions)
    native.close()
    py.close()


def test_branches_instruction_count(tmp_path: Path, cache_dir: Path) -> None:
    # 2 setup + per iteration 3 (and, adds, tbb) + even 2 / odd 4 + 4 (cbz, adds, subs, bne)
    prog = _build("branches.S", tmp_path, "cortex-m4")
    _, c = _run(CycleCounter, prog, "cortex-m4", ZERO_WS, cache_dir)
    assert c.instructions == 2 + 5 * (3 + 2 + 4) + 5 * (3 + 4 + 4)
    c.close()


# Flash wait states: the expected totals follow from the documented approximations
# (docs/timing.md, "Memory timing"), worked out by hand for each program's layout.
FLASH_CASES = [
    # 4-byte fetch lines, 5 WS: first block 7 + 3 sequential stalls of 6 - 2 = 4 -> 19;
    # loop block 6 + stalls 5 + 4 + 4 = 19; taken bne adds P = 1 + 5 (refetch) -> 19 + 99 * 25.
    ("alu_loop.S", _flash(5, None), 19 + 99 * 25),
    # ART: the code fits one 16-byte line: one miss (5) on the first entry, then hits.
    ("alu_loop.S", _flash(5, "stm32-art"), 700 + 5),
    # ART: I-line 0 misses once (5), the literal's line misses the D-cache once (5); the
    # second I-line is reached after 11 (first pass) / 8 cycles in line 0 >= 6: no stall.
    ("load_pipeline.S", _flash(5, "stm32-art"), 552 + 5 + 5),
    # No accelerator, 2 WS (a 4-byte fetch takes 3 cycles): the first block stalls once
    # (3 - 2 cycles of the two movs before the udiv's word) -> 16 + 2 + 1 = 19; the 7-cycle
    # divides hide every other fetch; each taken bne refetches: P = 1 + 2 -> 19 + 24 * (16 + 3).
    ("divide.S", _flash(2, None), 19 + 24 * 19),
]


@pytest.mark.parametrize("name,memories,cycles", FLASH_CASES,
                         ids=[f"{c[0]}-{c[1][0].wait_states}ws-{c[1][0].accelerator}"
                              for c in FLASH_CASES])
def test_flash_wait_states(name, memories, cycles, tmp_path: Path, cache_dir: Path) -> None:
    prog = _build(name, tmp_path, "cortex-m4")
    _, native = _run(CycleCounter, prog, "cortex-m4", memories, cache_dir)
    _, py = _run(PyCycleCounter, prog, "cortex-m4", memories, cache_dir)
    _, zero = _run(CycleCounter, prog, "cortex-m4", ZERO_WS, cache_dir)
    if cycles is not None:
        assert native.cycles == cycles
    assert native.cycles > zero.cycles
    assert py.cycles == native.cycles
    assert py.line_misses == native.line_misses


CONFLICT = """
_start:
  movs r0, #30
loop:
  bl far
  subs r0, #1
  bne loop
done:
  b done
  .balign 1024
far:
  adds r1, #1
  bx lr
"""


def test_art_lines_1k_apart_share_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    """The ART I-cache model is fully associative: lines 1 KiB apart (one slot of a 64-line
    direct-mapped cache) both stay cached, so only the first pass misses."""
    prog = assemble(CONFLICT, tmp_path)
    assert prog.sym("far") - prog.sym("_start") == 1024
    mems = _flash(5, "stm32-art")
    _, native = _run(CycleCounter, prog, "cortex-m4", mems, cache_dir)
    _, py = _run(PyCycleCounter, prog, "cortex-m4", mems, cache_dir)
    _, zero = _run(CycleCounter, prog, "cortex-m4", ZERO_WS, cache_dir)
    assert (native.line_misses, native.cycles) == (py.line_misses, py.cycles)
    # The loop's line, far's line and the done line: each misses once, 5 cycles.
    assert native.line_misses <= 3
    assert native.cycles == zero.cycles + 5 * native.line_misses


# A loop over 65-66 sequential 16-byte lines (more than the 64-line I-cache): LRU evicts
# each line just before it is needed again, so every pass misses every line.
THRASH = """
_start:
  movs r0, #10
  b loop
  .balign 16
loop:
  .rept 519
  nop
  .endr
  subs r0, #1
  bne loop
done:
  b done
"""


def test_art_lru_thrashes_on_65_lines(tmp_path: Path, cache_dir: Path) -> None:
    prog = assemble(THRASH, tmp_path)
    assert 64 * 16 < prog.sym("done") - prog.sym("loop") <= 66 * 16
    mems = _flash(5, "stm32-art")
    _, native = _run(CycleCounter, prog, "cortex-m4", mems, cache_dir)
    _, py = _run(PyCycleCounter, prog, "cortex-m4", mems, cache_dir)
    assert (native.line_misses, native.cycles) == (py.line_misses, py.cycles)
    assert native.line_misses >= 10 * 65


FLASH_TABLE = """
_start:
  ldr r7, tbl_ptr
  movs r0, #2
outer:
  movs r1, #16
  mov r2, r7
inner:
  ldr r3, [r2], #4
  subs r1, #1
  bne inner
  subs r0, #1
  bne outer
done:
  b done
  .balign 4
tbl_ptr:
  .word table
  .balign 16
table:
  .space 64
"""


@pytest.mark.parametrize("accel,extra", [("stm32-art", 4 * 5), (None, 32 * 5)])
def test_data_load_timing(accel, extra, tmp_path: Path, cache_dir: Path) -> None:
    """Register-addressed flash reads are charged: 64 bytes read twice from flash, against the
    same program reading a table in zero-wait RAM (same code, same literal load)."""
    results = {}
    for where, text in (("flash", FLASH_TABLE), ("ram", FLASH_TABLE.replace(".word table", f".word {RAM}"))):
        (tmp_path / where).mkdir()
        prog = assemble(text, tmp_path / where)
        for cls in (CycleCounter, PyCycleCounter):
            uc = make_uc(prog)
            c = cls(uc, core_timing("cortex-m4", _flash(5, accel)), cache_dir)
            uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
            results[(where, cls)] = c.cycles
            c.close()
    assert results[("flash", CycleCounter)] == results[("flash", PyCycleCounter)]
    assert results[("ram", CycleCounter)] == results[("ram", PyCycleCounter)]
    # ART: the table's 4 lines miss the D-cache once each, then hit on the second pass.
    # No accelerator: every one of the 32 loads waits 5 cycles.
    assert results[("flash", CycleCounter)] - results[("ram", CycleCounter)] == extra


def test_compiled_dot_product_native_matches_python(tmp_path: Path, cache_dir: Path) -> None:
    """The speed benchmark's C firmware (small repeat count): both counters agree."""
    import shutil
    import sys

    sys.path.insert(0, str(BENCH.parent.parent / "benchmarks"))
    from bench_sim import build, load

    assert shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc is required"
    elf = build(3, tmp_path)
    mems = [MemoryTiming("flash", FLASH, 256 * 1024, wait_states=5, accelerator="stm32-art"),
            MemoryTiming("sram", RAM, 128 * 1024)]
    totals = []
    for cls in (CycleCounter, PyCycleCounter):
        uc, start, done = load(elf)
        c = cls(uc, core_timing("cortex-m4", mems), cache_dir)
        uc.emu_start(start | 1, done)
        totals.append((c.cycles, c.instructions, c.line_misses))
        c.close()
    assert totals[0] == totals[1]
    cycles, insns, _ = totals[0]
    assert insns > 10_000
    # Inner loop: ldrsb 2, ldrsb 1 (pipelined), cmp, smlabb, bne 2 (decode-time branch)
    # -> 7 cycles / 5 insns; the outer code runs closer to 1 cycle per instruction.
    assert 1.25 < cycles / insns < 1.6
