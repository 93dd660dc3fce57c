"""The native cycle counter against the Python reference counter on raw Unicorn programs."""
from __future__ import annotations

import ctypes
from pathlib import Path

import pytest
from timing_asm import FLASH, MMIO, Program, assemble, make_uc
from timing_oracle import PyCycleCounter
from unicorn import arm_const

from tandem.errors import ToolchainError
from tandem.timing import CycleCounter, MemoryTiming, core_timing, native

# A program with loops, calls, loads/stores, a table branch, an IT block and a divide.
MIXED = """
_start:
  movs r0, #0
  movs r1, #50
  ldr r2, =0x20000000
  movs r5, #7
  str r5, [r2]
loop:
  ldr r3, [r2]
  adds r0, r0, r3
  str r0, [r2, #4]
  and r6, r1, #3
  tbb [pc, r6]
tbl:
  .byte (c0 - tbl) / 2, (c1 - tbl) / 2, (c2 - tbl) / 2, (c3 - tbl) / 2
c0: adds r0, #1
    b next
c1: lsls r0, r0, #1
    b next
c2: udiv r0, r0, r5
    b next
c3: cmp r0, #100
    ite gt
    subgt r0, #50
    addle r0, #3
next:
  bl func
  subs r1, #1
  bne loop
done: b done
func:
  push {r4, r5, lr}
  ldm r2, {r4, r5}
  add r0, r4
  pop {r4, r5, pc}
"""

MMIO_PROG = """
_start:
  movs r0, #0
  movs r1, #20
  ldr r2, =0x40000000
loop:
  adds r0, #1
  ldr r3, [r2]
  add r0, r3
  ldr r3, [r2, #4]
  eor r0, r0, r3
  subs r1, #1
  bne loop
done: b done
"""


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("native")


@pytest.fixture
def timing():
    return core_timing("cortex-m4", [MemoryTiming("flash", FLASH, 0x10000, wait_states=0)])


def _prog(tmp_path: Path, src: str) -> Program:
    return assemble(src, tmp_path)


def _run(cls, prog: Program, timing, cache_dir: Path, **kw):
    uc = make_uc(prog)
    counter = cls(uc, timing, cache_dir)
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
    return uc, counter


def test_native_matches_python_counter(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, MIXED)
    uc_n, native_c = _run(CycleCounter, prog, timing, cache_dir)
    uc_p, py_c = _run(PyCycleCounter, prog, timing, cache_dir)
    assert native_c.instructions > 500
    assert native_c.cycles == py_c.cycles
    assert native_c.instructions == py_c.instructions
    assert native_c.recent_blocks() == py_c.recent_blocks()
    assert len(native_c.recent_blocks()) == 16
    assert uc_n.reg_read(arm_const.UC_ARM_REG_R0) == uc_p.reg_read(arm_const.UC_ARM_REG_R0)
    # Each block is decoded once however often it runs.
    assert native_c.misses == native_c.table_size
    native_c.close()
    py_c.close()


def test_block_costs_are_consistent(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, MIXED)
    _, c = _run(CycleCounter, prog, timing, cache_dir)
    func = c.block(prog.sym("func"))
    assert func is not None
    assert func.addr == prog.sym("func")
    assert func.insn_addrs[0] == func.addr
    assert sum(func.insn_costs) == func.cost
    assert len(func.insn_addrs) == 4  # push, ldm, add, pop {pc}
    assert func.fallthrough == func.insn_addrs[-1] + 2
    assert c.block(prog.sym("done") + 0x1000) is None
    c.close()


def test_recent_blocks_oldest_first(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, MIXED)
    _, c = _run(CycleCounter, prog, timing, cache_dir)
    recent = c.recent_blocks()
    # The last block entered before `done` is the loop tail after `bl func` returned.
    tail = c.block(recent[-1])
    assert tail is not None and prog.sym("done") == tail.fallthrough
    assert prog.sym("func") in recent
    c.close()


def _art_timing():
    return core_timing("cortex-m4", [MemoryTiming("flash", FLASH, 0x10000, wait_states=5,
                                                  accelerator="stm32-art")])


@pytest.mark.parametrize("cls", [CycleCounter, PyCycleCounter])
@pytest.mark.parametrize("art", [False, True], ids=["0ws", "art"])
def test_deadline_stops_before_block_and_resume_total_matches(
    cls, art: bool, tmp_path: Path, timing, cache_dir: Path
) -> None:
    if art:
        timing = _art_timing()
    prog = _prog(tmp_path, MIXED)
    _, ref = _run(cls, prog, timing, cache_dir)
    total, insns = ref.cycles, ref.instructions
    ref.close()

    uc = make_uc(prog)
    c = cls(uc, timing, cache_dir)
    pc = prog.sym("_start")
    stops = 0
    step = 37
    c.set_deadline(step)
    while True:
        uc.emu_start(pc | 1, prog.sym("done"))
        pc = uc.reg_read(arm_const.UC_ARM_REG_PC)
        if not c.deadline_hit:
            break
        stops += 1
        assert c.cycles >= step * stops
        # The block at PC was not entered: it is not the last charged block...
        blk = c.recent_blocks()[-1]
        bc = c.block(blk)
        assert bc is not None
        # ...and the last charged block crossed the deadline (plus a taken-branch extra and
        # its cache-line misses).
        misses = sum(ev.miss_cost for ev in bc.line_events)
        assert c.cycles - bc.cost - bc.taken_extra - misses < step * stops
        c.clear_stop()
        assert not c.deadline_hit
        c.set_deadline(step * (stops + 1))
    assert stops >= total // step - 1
    assert pc == prog.sym("done")
    assert c.cycles == total
    assert c.instructions == insns
    c.close()


def test_deadline_zero_stops_before_first_block(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, MIXED)
    uc = make_uc(prog)
    c = CycleCounter(uc, timing, cache_dir)
    c.set_deadline(0)
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
    assert c.deadline_hit
    assert c.cycles == 0 and c.instructions == 0
    assert uc.reg_read(arm_const.UC_ARM_REG_PC) == prog.sym("_start")
    assert uc.reg_read(arm_const.UC_ARM_REG_R1) == 0  # `movs r1, #50` did not run
    c.set_deadline(None)
    c.clear_stop()
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
    assert not c.deadline_hit
    assert c.cycles > 0
    c.close()


def _mmio_run(cls, prog: Program, timing, cache_dir: Path, stop_on_access: bool):
    uc = make_uc(prog)
    c = cls(uc, timing, cache_dir)
    state = {"pending": None, "reads": 0, "stops": 0}

    def value(offset: int) -> int:
        return 3 if offset == 0 else 0x55

    def on_read(uc_, offset: int, size: int, _user) -> int:
        cur = c.current_block
        assert cur is not None and cur.cost <= c.cycles
        state.setdefault("blocks", set()).add(cur.addr)
        if stop_on_access and state["pending"] is None:
            state["pending"] = offset
            uc_.emu_stop()
            return 0
        state["pending"] = None
        state["reads"] += 1
        return value(offset)

    def on_write(uc_, offset: int, size: int, val: int, _user) -> None:
        pass

    uc.mmio_map(MMIO, 0x1000, on_read, None, on_write, None)
    pc = prog.sym("_start")
    while True:
        uc.emu_start(pc | 1, prog.sym("done"))
        pc = uc.reg_read(arm_const.UC_ARM_REG_PC)
        if state["pending"] is None:
            break
        state["stops"] += 1
        c.rewind_to(pc)
        # A device stall between the stop and the replay is charged explicitly.
        c.add(0)
    return uc, c, state


@pytest.mark.parametrize("cls", [CycleCounter, PyCycleCounter])
@pytest.mark.parametrize("art", [False, True], ids=["0ws", "art"])
def test_rewind_after_mmio_stop_matches_uninterrupted(
    cls, art: bool, tmp_path: Path, timing, cache_dir: Path
) -> None:
    if art:
        timing = _art_timing()
    prog = _prog(tmp_path, MMIO_PROG)
    uc_a, plain, st_a = _mmio_run(cls, prog, timing, cache_dir, stop_on_access=False)
    uc_b, stopped, st_b = _mmio_run(cls, prog, timing, cache_dir, stop_on_access=True)
    assert st_a["stops"] == 0
    assert st_b["stops"] == 40
    assert st_a["reads"] == st_b["reads"] == 40
    # During the MMIO callback the current block is the one holding the access.
    assert prog.sym("loop") in st_a["blocks"]
    assert uc_a.reg_read(arm_const.UC_ARM_REG_R0) == uc_b.reg_read(arm_const.UC_ARM_REG_R0)
    assert stopped.instructions == plain.instructions
    assert stopped.cycles == plain.cycles
    plain.close()
    stopped.close()


def test_rewind_outside_current_block_is_an_error(tmp_path: Path, timing, cache_dir: Path) -> None:
    from tandem.errors import SimulationError

    prog = _prog(tmp_path, MIXED)
    _, c = _run(CycleCounter, prog, timing, cache_dir)
    with pytest.raises(SimulationError, match="rewind_to"):
        c.rewind_to(prog.sym("_start") + 0x800)
    c.close()


def test_add_and_invalidate(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, MIXED)
    uc, c = _run(CycleCounter, prog, timing, cache_dir)
    before = c.cycles
    c.add(1000)
    assert c.cycles == before + 1000
    misses = c.misses
    c.invalidate()
    assert c.block(prog.sym("func")) is None
    uc.ctl_remove_cache(FLASH, FLASH + 0x10000)
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
    assert c.misses > misses
    assert c.block(prog.sym("func")) is not None
    c.close()


def test_close_removes_hook(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, MIXED)
    uc, c = _run(CycleCounter, prog, timing, cache_dir)
    c.close()
    c.close()  # idempotent
    # Emulation continues without the hook (would crash if the freed state were still used).
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))


def test_counter_collected_without_close(tmp_path: Path, timing, cache_dir: Path) -> None:
    import gc

    prog = _prog(tmp_path, MIXED)
    uc = make_uc(prog)
    c = CycleCounter(uc, timing, cache_dir)
    del c
    gc.collect()
    uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))


def test_build_is_cached_by_source_hash(tmp_path: Path) -> None:
    first = native.build(tmp_path)
    assert first.parent == tmp_path and first.exists()
    mtime = first.stat().st_mtime_ns
    assert native.build(tmp_path) == first
    assert first.stat().st_mtime_ns == mtime
    lib = ctypes.CDLL(str(first))
    assert hasattr(lib, "tm_block_hook")


def test_missing_compiler_is_a_toolchain_error(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match="tandem-no-such-cc"):
        native.build(tmp_path / "fresh", cc="tandem-no-such-cc")


def test_unwritable_cache_is_a_toolchain_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ToolchainError, match="native build cache"):
        native.build(blocker / "cache")


def test_model_failure_falls_back_and_is_recorded(tmp_path: Path, timing, cache_dir: Path) -> None:
    """A bug in the cost model must not stop the firmware: fallback cost, error kept."""

    class Broken:
        table = timing.table
        caches: list = []

        def block_cost(self, uc, addr, size):
            if addr == prog.sym("func"):
                raise RuntimeError("model bug")
            return timing.block_cost(uc, addr, size)

        def data_regions(self):
            return []

    prog = _prog(tmp_path, MIXED)
    uc_ref, ref = _run(CycleCounter, prog, timing, cache_dir)
    for cls in (CycleCounter, PyCycleCounter):
        uc = make_uc(prog)
        c = cls(uc, Broken(), cache_dir)  # type: ignore[arg-type]
        uc.emu_start(prog.sym("_start") | 1, prog.sym("done"))
        assert uc.reg_read(arm_const.UC_ARM_REG_PC) == prog.sym("done")
        assert len(c.decode_errors) == 1 and "model bug" in c.decode_errors[0]
        # push, ldm.w, add, pop: 10 bytes charged as 5 halfwords of one cycle, on each of
        # the 50 calls; everything else is costed by the real model.
        func = c.block(prog.sym("func"))
        assert func.insn_costs == (1,) * 5
        real = ref.block(prog.sym("func"))
        assert c.instructions == ref.instructions + 50 * (5 - len(real.insn_addrs))
        c.close()
    assert ref.decode_errors == []


def test_counts_read_in_place_follow_add_and_survive_close(tmp_path: Path, timing, cache_dir: Path) -> None:
    """cycles, instructions, add and current_block read and write the C state in place (bound
    views, not calls); after close the last counts stay readable and no block is current."""
    prog = _prog(tmp_path, MIXED)
    _, c = _run(CycleCounter, prog, timing, cache_dir)
    cycles, insns = c.cycles, c.instructions
    assert cycles > 0 and insns > 0
    block = c.current_block
    assert block is not None and block.addr == c.recent_blocks()[-1]
    c.add(1000)
    c.add(-1)
    assert c.cycles == cycles + 999 and c.instructions == insns
    c.close()
    assert (c.cycles, c.instructions, c.current_block) == (cycles + 999, insns, None)


# Two hot blocks 2 KiB apart: the halfword index modulo the initial 1,024-slot table puts them
# in one slot, so one of them is found by probing on every entry until the table grows.
SHARED_SLOT = """
_start:
  ldr r1, =20000
  movs r0, #0
loop:
  bl far
  subs r1, #1
  bne loop
done: b done
  .org loop + 4096
far:
  adds r0, #3
  eors r0, r1
  bx lr
"""


def test_blocks_sharing_a_slot_grow_the_table_and_cost_the_same(tmp_path: Path, timing, cache_dir: Path) -> None:
    prog = _prog(tmp_path, SHARED_SLOT)
    assert (prog.sym("far") - prog.sym("loop")) % 2048 == 0  # the same slot in 1,024
    _, native_c = _run(CycleCounter, prog, timing, cache_dir)
    _, py_c = _run(PyCycleCounter, prog, timing, cache_dir)
    assert native_c.instructions == py_c.instructions > 100_000
    assert native_c.cycles == py_c.cycles
    assert native_c.table_slots > 1024
    native_c.close()
