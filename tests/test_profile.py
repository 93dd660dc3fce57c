"""Function profiles (run(profile=True), tandem run --profile): exact attribution of cycles."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.machine.board import Board
from tandem.reports.profile import Profile
from tests.schema_check import errors

SCHEMA = json.loads((Path(__file__).parent / "data" / "speedscope-file-format-schema.json").read_text())


@pytest.fixture(scope="module")
def calls_run(build, cfg):
    elf = build("generic_m4", "tests/profile_calls.S")
    board = Board.from_platform("generic_m4", cfg)
    board.load_elf(elf)
    return board, board.run(profile=True)


def test_hand_derived_calls_and_cycles(calls_run):
    # derivation in firmware/tests/profile_calls.S
    _, result = calls_run
    prof = result.profile
    assert prof is not None
    inner, outer, main = prof.function("inner"), prof.function("outer"), prof.function("main")
    assert (inner.self_cycles, inner.inclusive_cycles, inner.calls) == (60, 60, 20)
    assert (outer.self_cycles, outer.inclusive_cycles, outer.calls) == (130, 190, 10)
    assert (main.self_cycles, main.inclusive_cycles, main.calls) == (60, 250, 1)


def test_exclusive_cycles_sum_to_the_run_and_profiling_changes_nothing(calls_run, build, cfg):
    _, result = calls_run
    prof = result.profile
    assert sum(f.self_cycles for f in prof.functions) == prof.total_cycles == result.cycles
    # Reset_Handler is the root: its inclusive time is the whole run
    assert prof.function("Reset_Handler").inclusive_cycles == result.cycles
    plain = Board.from_platform("generic_m4", cfg)
    plain.load_elf(build("generic_m4", "tests/profile_calls.S"))
    unprofiled = plain.run()
    assert unprofiled.profile is None
    assert (unprofiled.cycles, unprofiled.instructions) == (result.cycles, result.instructions)


def test_a_recursive_function_returns_into_itself(build, cfg):
    """Each return of rec lands in rec (derivation in firmware/tests/profile_recursion.S): the
    profile must pop a frame there though the function does not change."""
    board = Board.from_platform("generic_m4", cfg)
    board.load_elf(build("generic_m4", "tests/profile_recursion.S"))
    result = board.run(profile=True)
    prof = result.profile
    assert prof is not None
    rec, main = prof.function("rec"), prof.function("main")
    assert (rec.self_cycles, rec.inclusive_cycles, rec.calls) == (103, 103, 8)
    assert (main.self_cycles, main.inclusive_cycles, main.calls) == (13, 116, 1)
    # per call depth: each rec's own 13 cycles (12 for the base case), the POP after its BL
    # included, which runs once the deeper call has returned (and popped its frame)
    depths = {len(path) - 2: cycles for path, cycles in prof.stacks() if path[-1] == "rec"}
    assert depths == {**{k: 13 for k in range(1, 8)}, 8: 12}
    assert prof.tree.open_depth <= 2 and prof.total_cycles == result.cycles


def test_exception_handlers_are_calls(run_program, cfg, build):
    board = Board.from_platform("stm32f4_discovery", cfg)
    board.load_elf(build("stm32f4_discovery", "tests/systick.c"))
    result = board.run(profile=True)
    assert "ticks 10\n" in result.output
    tick = result.profile.function("SysTick_Handler")
    assert tick.calls == 10
    # the handler calls nothing: inclusive == exclusive, which includes entry (12) and
    # return (10) per exception
    assert tick.inclusive_cycles == tick.self_cycles and tick.self_cycles > 10 * 22
    assert result.profile.total_cycles == result.cycles
    # main sleeps in WFI while the ticks happen: the handler runs inside main's time
    assert result.profile.function("main").inclusive_cycles >= tick.inclusive_cycles


def test_speedscope_file_validates_against_the_format_schema(calls_run):
    _, result = calls_run
    doc = result.profile.to_speedscope()
    assert errors(doc, SCHEMA) == []
    (profile,) = doc["profiles"]
    assert sum(profile["weights"]) == result.cycles == profile["endValue"]
    frames = [f["name"] for f in doc["shared"]["frames"]]
    stacks = {tuple(frames[i] for i in s): w for s, w in zip(profile["samples"], profile["weights"], strict=True)}
    assert stacks[("Reset_Handler", "main", "outer", "inner")] == 60
    assert stacks[("Reset_Handler", "main", "outer")] == 130


def test_schema_checker_rejects_malformed_files(calls_run):
    good = calls_run[1].profile.to_speedscope()
    bad_unit = json.loads(json.dumps(good))
    bad_unit["profiles"][0]["unit"] = "cycles"
    assert any("unit" in e for e in errors(bad_unit, SCHEMA))
    no_weights = json.loads(json.dumps(good))
    del no_weights["profiles"][0]["weights"]
    assert errors(no_weights, SCHEMA)
    bad_frame = json.loads(json.dumps(good))
    bad_frame["shared"]["frames"][0] = {"file": "x.c"}
    assert any("name" in e for e in errors(bad_frame, SCHEMA))


def test_top_table(calls_run):
    table = calls_run[1].profile.table(top=3)
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["function", "self"]
    assert lines[1].split()[:2] == ["outer", "130"] and lines[3].split()[0] == "inner"
    assert lines[-2].startswith("(") and "more)" in lines[-2]
    assert lines[-1].split()[:2] == ["total", f"{calls_run[1].cycles:,}"]


def test_profile_from_tree_counts_recursion_once():
    from tandem.reports.profile import FunctionTable
    from tandem.timing.counter import CallTree

    table = FunctionTable(None)
    table.names += ["main", "rec"]
    # root -> main(1) -> rec(2) -> rec(3) -> rec(4)
    tree = CallTree(parent=(-1, 0, 1, 2, 3), func=(-1, 1, 2, 2, 2), calls=(0, 1, 1, 1, 1),
                    self_cycles=(0, 5, 7, 7, 9), open_depth=0, lost_frames=0)
    prof = Profile.from_tree(tree, table)
    rec = prof.function("rec")
    assert (rec.self_cycles, rec.inclusive_cycles, rec.calls) == (23, 23, 3)
    assert prof.function("main").inclusive_cycles == 28 == prof.total_cycles


@pytest.mark.parametrize("depth,dyn", [(64, 0), (16, 0), (1, 248)])
@pytest.mark.parametrize("profile", [False, True])
def test_stack_high_water_is_exact(build, cfg, depth, dyn, profile):
    # firmware/tests/stack_depth.S: mark = (reset SP - g_rec_sp) + max(dyn, 32 * depth)
    elf = build("generic_m3", "tests/stack_depth.S", extra_cflags=(f"-DDEPTH={depth}", f"-DDYN={dyn}"))
    board = Board.from_platform("generic_m3", cfg)
    image = board.load_elf(elf)
    result = board.run(profile=profile)
    reset_sp = board.cpu.read_u32(0)
    rec_sp = board.cpu.read_u32(image.all_symbols["g_rec_sp"])
    assert reset_sp - rec_sp == 16  # Reset_Handler's push of 2 + main's push of 2 registers
    assert result.stack_bytes == 16 + max(dyn, 32 * depth)


def test_heap_bytes_from_the_sbrk_break(run_program):
    _, result = run_program("generic_m3", "tests/heap_sbrk.c")
    assert result.exit_code == 0
    assert result.heap_bytes == 128


def test_exception_stacking_counts_toward_the_stack(run_program):
    board, result = run_program("stm32f4_discovery", "tests/systick.c")
    # at least one 32-byte exception frame below main's frame
    assert result.stack_bytes is not None and result.stack_bytes >= 32


def test_tail_chained_exceptions(build, cfg):
    # firmware/tests/svc.c: three SVCs, each pending PendSV, taken by tail-chaining on return
    board = Board.from_platform("stm32f4_discovery", cfg)
    board.load_elf(build("stm32f4_discovery", "tests/svc.c"))
    result = board.run(profile=True)
    assert result.output.startswith("svc 3 pendsv 30")
    prof = result.profile
    assert prof.function("SVC_Handler").calls == 3 and prof.function("PendSV_Handler").calls == 3
    paths = {path for path, _ in prof.stacks()}
    assert ("Reset_Handler", "main", "PendSV_Handler") in paths  # not nested in SVC_Handler
    assert prof.total_cycles == result.cycles


@pytest.mark.parametrize("source", ["tests/primes.c", "tests/hello.c", "tests/float.c"])
def test_profile_invariants(build, cfg, source):
    board = Board.from_platform("stm32f4_discovery", cfg)
    board.load_elf(build("stm32f4_discovery", source))
    result = board.run(profile=True)
    prof = result.profile
    assert prof.total_cycles == result.cycles == sum(f.self_cycles for f in prof.functions)
    assert prof.function("Reset_Handler").inclusive_cycles == result.cycles
    for f in prof.functions:
        assert 0 <= f.self_cycles <= f.inclusive_cycles <= result.cycles, f
    assert prof.tree.lost_frames == 0


@pytest.mark.parametrize("board_name,source", [
    ("stm32f4_discovery", "tests/hello.c"), ("stm32f4_discovery", "tests/svc.c"),
    ("stm32f4_discovery", "tests/systick.c"), ("bluepill", "tests/float.c"),
    ("generic_m3", "tests/stack_depth.S"), ("stm32f4_discovery", "tests/float.c"),
])
def test_stack_mark_matches_a_per_instruction_reference(build, cfg, board_name, source):
    # independent reference: a Python hook reading SP before every instruction (slow, exact)
    import unicorn
    from unicorn import arm_const

    board = Board.from_platform(board_name, cfg)
    board.load_elf(build(board_name, source))
    lowest = [0xFFFFFFFF]

    def on_code(uc, _addr, _size, _data):
        sp = uc.reg_read(arm_const.UC_ARM_REG_SP)
        if sp < lowest[0]:
            lowest[0] = sp

    board.cpu.uc.hook_add(unicorn.UC_HOOK_CODE, on_code)
    result = board.run()
    assert board.nvic is not None  # the initial SP is word 0 of the vector table, at VTOR
    assert result.stack_bytes == board.cpu.read_u32(board.nvic.vtor) - lowest[0]
