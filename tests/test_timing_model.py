"""Per-instruction costs of the Cortex-M cost model (CoreTiming.block_cost) on short blocks."""
from __future__ import annotations

from pathlib import Path

import pytest
from timing_asm import FLASH, assemble

from tandem.errors import PlatformError
from tandem.timing import MemoryTiming, core_timing

ZERO = [MemoryTiming("flash", FLASH, 0x10000)]


def _cost(src: str, tmp: Path, core: str = "cortex-m4", memories=ZERO):
    """Cost of the block from _start to the `end` label (or the whole snippet)."""
    prog = assemble("_start:\n" + src + "\n", tmp, fpu=core == "cortex-m4f")
    timing = core_timing(core, memories)
    code = prog.code
    size = prog.symbols.get("end", FLASH + len(code)) - FLASH

    def reader(addr: int, n: int) -> bytes:
        return code[addr - FLASH: addr - FLASH + n]

    return timing.block_cost(reader, FLASH, size)


CASES = [
    # (core, source, per-instruction costs, taken_extra)
    ("cortex-m4", "adds r0, r1\nmuls r0, r1, r0\nlsls r2, r0, #3", (1, 1, 1), 0),
    # N independent loads take N + 1; writeback bases do not block pipelining.
    ("cortex-m4", "ldr r1, [r0]\nldr r2, [r0, #4]\nldrb r3, [r0, #8]", (2, 1, 1), 0),
    ("cortex-m4", "ldr r1, [r0], #4\nldr r2, [r0], #4", (2, 1), 0),
    # A load using the previous load's result as its address is not pipelined.
    ("cortex-m4", "ldr r1, [r0]\nldr r2, [r1]", (2, 2), 0),
    # Address from the preceding data-processing result: +1 (M3 and M4 TRMs).
    ("cortex-m4", "adds r0, #4\nldr r1, [r0]", (1, 3), 0),
    ("cortex-m3", "adds r0, #4\nldr r1, [r0]", (1, 3), 0),
    ("cortex-m4", "adds r2, #4\nldr r1, [r0]", (1, 2), 0),
    ("cortex-m4", "adds r0, #4\nstr r1, [r0]", (1, 2), 0),
    # Immediate-offset stores are 1; nothing pipelines after a store; a register-offset
    # store is 2 unless it follows a load (TRM: "LDR R0,[R1,R2]; STR R1,[R3,R2]" = 3).
    ("cortex-m4", "ldr r1, [r0]\nstr r1, [r2]\nldr r3, [r0]", (2, 1, 2), 0),
    ("cortex-m4", "ldr r0, [r1, r2]\nstr r1, [r3, r2]\nstr r1, [r3, r2]", (2, 1, 2), 0),
    ("cortex-m4", "movs r0, #1\nstrb r0, [r3, r2]", (1, 2), 0),
    ("cortex-m4", "ldrd r0, r1, [r2]\nldr r3, [r2]\nstrd r0, r1, [r2]", (3, 2, 3), 0),
    ("cortex-m4", "push {r4, r5, r6, r7, lr}\nldm r0!, {r1, r2, r3}\nstmdb r0!, {r1, r2}",
     (6, 4, 3), 0),
    # Writes to PC: branches whose target is fetched in decode (B, BL, BX LR, MOV PC, LR)
    # 1 + P with P = 1; execute-time ones (BX Rm, CBZ) P = 2; loads to PC + 3 refill, TBB 6.
    ("cortex-m4", "pop {r4, pc}", (6,), 0),
    ("cortex-m4", "ldr pc, [sp], #4", (5,), 0),
    ("cortex-m4", "bx lr", (2,), 0),
    ("cortex-m3", "bx lr", (2,), 0),
    ("cortex-m4", "mov pc, lr", (2,), 0),
    ("cortex-m4", "bx r3", (3,), 0),
    ("cortex-m4", "blx r3", (3,), 0),
    # LR written by the instruction before the return: its target is issued in execute.
    ("cortex-m4", "mov lr, r2\nbx lr", (1, 3), 0),
    ("cortex-m4", "bl .", (2,), 0),
    ("cortex-m4", "b .", (2,), 0),
    ("cortex-m4", "tbb [pc, r1]", (6,), 0),
    ("cortex-m4", "adds r1, #1\ntbh [pc, r1, lsl #1]", (1, 7), 0),
    # Conditional final branches are charged not taken; taken adds the rest.
    ("cortex-m4", "cmp r0, #1\nbeq .", (1, 1), 1),
    ("cortex-m4", "nop\ncbz r0, .+6", (1, 1), 2),
    # A target that is a 32-bit instruction at an address = 2 mod 4 needs a second fetch.
    ("cortex-m4", "nop\nb .+4\nend:\nnop\nadds.w r0, r0, #1", (1, 3), 0),
    ("cortex-m4", "nop\nb .+4\nend:\nnop\nadds r0, #1", (1, 2), 0),
    ("cortex-m4", "cmp r0, #1\nbeq .+4\nend:\nnop\nadds.w r0, r0, #1", (1, 1), 2),
    ("cortex-m4", "cmp r0, #0\nit ne\npopne {r4, pc}", (1, 0, 1), 5),
    # IT folds onto a preceding 16-bit instruction only.
    ("cortex-m4", "cmp r0, #1\nit eq\nmoveq r0, #2", (1, 0, 1), 0),
    ("cortex-m4", "cmp.w r0, #1000\nit eq\nmoveq r0, #2", (1, 1, 1), 0),
    # Multiplies and divides.
    ("cortex-m4", "mla r0, r1, r2, r3\numull r0, r1, r2, r3\numlal r0, r1, r2, r3\n"
     "smlabb r0, r1, r2, r3\nsmlad r0, r1, r2, r3\nsdiv r0, r1, r2\nudiv r0, r1, r2",
     (1, 1, 1, 1, 1, 7, 7), 0),
    ("cortex-m3", "mla r0, r1, r2, r3\numull r0, r1, r2, r3\numlal r0, r1, r2, r3\n"
     "sdiv r0, r1, r2", (2, 4, 6, 7), 0),
    ("cortex-m4", "dmb\ndsb\nisb", (1, 1, 3), 0),
    # FPv4-SP.
    ("cortex-m4f", "vadd.f32 s0, s1, s2\nvmul.f32 s0, s1, s2\nvmla.f32 s0, s1, s2\n"
     "vfma.f32 s0, s1, s2\nvdiv.f32 s0, s1, s2\nvsqrt.f32 s0, s1\nvcvt.s32.f32 s0, s1",
     (1, 1, 3, 3, 14, 14, 1), 0),
    ("cortex-m4f", "vldr s0, [r0]\nvldr d1, [r0]\nvstr s0, [r0]\nvstr d1, [r0]",
     (2, 3, 2, 3), 0),
    ("cortex-m4f", "vmov r0, s0\nvmov s0, r0\nvmov.f32 s0, s1\nvmov r0, r1, d0\nvmrs APSR_nzcv, fpscr",
     (2, 2, 1, 2, 1), 0),
    ("cortex-m4f", "vpush {s16-s19}\nvpop {d8-d9}\nvldmia r0!, {s0-s2}", (5, 5, 4), 0),
]


@pytest.mark.parametrize("core,src,costs,taken", CASES, ids=[c[1].split("\n")[-1] + "-" + c[0]
                                                             for c in CASES])
def test_instruction_costs(core, src, costs, taken, tmp_path: Path) -> None:
    bc = _cost(src, tmp_path, core)
    assert bc.insn_costs == costs
    assert bc.cost == sum(costs)
    assert bc.taken_extra == taken
    assert len(bc.insn_addrs) == len(costs)
    assert bc.line_events == ()


def test_literal_load_pays_flash_wait_states(tmp_path: Path) -> None:
    src = "ldr r0, lit\nadds r0, #1\nnop\nbx lr\nend:\n.balign 4\nlit: .word 0x12345678"
    ws2 = [MemoryTiming("flash", FLASH, 0x10000, wait_states=2)]
    zero = _cost(src, tmp_path)
    slow = _cost(src, tmp_path, memories=ws2)
    # The literal load's +2 is charged at run time, as every data load from flash (the counter's
    # shadow window; test_timing_bench.py::test_data_load_timing), but the fetch model sees it:
    # 4-byte fetch lines: line 2 (nop, bx) follows line 1 (ldr 2+2, adds 1 = 5 cycles >= 3): no
    # stall; the final bx refetches its target: +2.
    assert zero.insn_costs == (2, 1, 1, 2)
    assert slow.insn_costs == (2, 1, 1, 4)


def test_art_block_has_line_events(tmp_path: Path) -> None:
    src = "ldr r0, lit\n" + "adds r0, #1\n" * 12 + "bx lr\nend:\n.balign 4\nlit: .word 1"
    art = [MemoryTiming("flash", FLASH, 0x10000, wait_states=5, accelerator="stm32-art")]
    bc = _cost(src, tmp_path, memories=art)
    kinds = {(ev.cache, ev.line): ev.miss_cost for ev in bc.line_events}
    # I-cache (index 0): line 0 costs the full 5 WS on a miss; line 1 is reached after 2 +
    # 7 = 9 cycles in line 0 (>= 6): prefetched in time, miss cost 0.
    assert kinds[(0, FLASH)] == 5
    assert kinds[(0, FLASH + 16)] == 0
    # The literal's D-cache line is checked at run time (the counter's shadow window), not here.
    assert all(cache == 0 for cache, _ in kinds)
    # ART's taken-branch refetch is a line event, not a static cost: bx lr is 1 + P = 2.
    assert bc.insn_costs[-1] == 2


def test_unknown_core_and_bad_memory() -> None:
    with pytest.raises(PlatformError, match="cortex-m99"):
        core_timing("cortex-m99", [])
    with pytest.raises(PlatformError, match="overlap"):
        core_timing("cortex-m4", [MemoryTiming("a", 0, 0x100), MemoryTiming("b", 0x80, 0x100)])
    with pytest.raises(PlatformError, match="accelerator"):
        MemoryTiming("a", 0, 0x100, accelerator="magic")
    with pytest.raises(PlatformError, match="wait_states"):
        MemoryTiming("a", 0, 0x100, wait_states=-1)


def test_undecodable_bytes_cost_one_per_halfword(tmp_path: Path) -> None:
    timing = core_timing("cortex-m4", ZERO)
    bc = timing.block_cost(lambda a, n: b"\xff\xff" * (n // 2), FLASH, 4)
    assert bc.insn_costs == (1, 1)
    assert bc.fallthrough == FLASH + 4


def test_aliases_of_an_art_memory_share_its_caches() -> None:
    """Boards list flash twice (0x08000000 and its boot alias at 0): one ART, two caches."""
    timing = core_timing("cortex-m4f", [
        MemoryTiming("flash", 0x0800_0000, 0x20_0000, wait_states=5, accelerator="stm32-art"),
        MemoryTiming("flash", 0x0000_0000, 0x20_0000, wait_states=5, accelerator="stm32-art"),
        MemoryTiming("sram", 0x2000_0000, 0x3_0000),
    ])
    assert timing.caches == [(64, 16), (8, 16)]
    code = bytes.fromhex("0248") + b"\x00\xbf" * 3 + bytes.fromhex("7047")  # ldr r0,[pc,#8]..bx lr
    for base in (0x0800_0000, 0x0000_0000):
        bc = timing.block_cost(lambda a, n, b=base: code[a - b: a - b + n], base, len(code))
        assert {ev.cache for ev in bc.line_events} == {0}
    # and both aliases' data loads are timed against the one D-cache (index 1)
    assert [(m.base, cache) for m, cache in timing.data_regions()] == [(0, 1), (0x0800_0000, 1)]
