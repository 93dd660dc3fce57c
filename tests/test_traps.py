"""Firmware faults as on silicon (issue 17): flash read-only outside the flash controller's
programming sequence, CCR.DIV_0_TRP / UNALIGN_TRP and the always-aligned accesses
(core/traps.py), and the memory checker (machine/memcheck.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tandem.errors import FirmwareFault
from tandem.machine.board import Board
from tandem.machine.memcheck import Guard, check_memory

CFSR_UNALIGNED = 1 << 24  # UFSR bit 8 (ARMv7-M ARM B3.2.15)
CFSR_DIVBYZERO = 1 << 25  # UFSR bit 9
HFSR_FORCED = 1 << 30


def _board(build, cfg, board, source, symbol, mode, **build_options):
    b = Board.from_platform(board, cfg)
    image = b.load_elf(build(board, source, **build_options))
    b.write_memory(image.all_symbols[symbol], mode.to_bytes(4, "little"))
    return b


def _trap(build, cfg, mode, board="stm32f4_discovery", **run):
    return _board(build, cfg, board, "tests/traps.c", "trap_mode", mode)


# --- divide by zero ------------------------------------------------------------------------
@pytest.mark.parametrize("board", ["stm32f4_discovery", "generic_m3"])
def test_divide_by_zero_returns_zero_without_div_0_trp(build, cfg, board):
    """A7.7.204 (UDIV): with DIV_0_TRP clear the quotient of a division by zero is 0."""
    result = _trap(build, cfg, 1, board).run()
    assert result.exit_code == 0 and result.output == "udiv 0\n"


@pytest.mark.parametrize("board", ["stm32f4_discovery", "generic_m3"])
def test_divide_by_zero_with_div_0_trp_is_a_usage_fault(build, cfg, board):
    b = _trap(build, cfg, 2, board)
    with pytest.raises(FirmwareFault) as err:
        b.run()
    s = err.value.summary
    assert s.startswith("UsageFault: DIVBYZERO: 'udiv ") and "divides by zero with CCR.DIV_0_TRP set" in s
    assert s.endswith("<udiv_by>") or "<udiv_by+0x" in s
    assert b.console.out == b""  # stopped before the printf


def test_div_0_trp_vectored_sets_divbyzero_and_stacks_the_divide(build, cfg):
    b = _trap(build, cfg, 2)
    result = b.run(vector_faults=True)
    lines = result.output.splitlines()
    assert lines[0] == f"cfsr {CFSR_DIVBYZERO:08x} hfsr {HFSR_FORCED:08x}"  # escalated: UsageFault not enabled
    stacked = int(lines[1].removeprefix("stacked pc "), 16)
    assert b.symbols.lookup(stacked)[0] == "udiv_by"
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    assert next(md.disasm(b.read_memory(stacked, 4), stacked)).mnemonic == "udiv"
    assert result.exit_code == 7


def test_div_0_trp_with_a_divisor_runs(build, cfg):
    assert _trap(build, cfg, 3).run().output == "sdiv -14\n"  # -100 / 7 rounds towards zero


# --- alignment -----------------------------------------------------------------------------
def test_unaligned_ldr_without_unalign_trp_runs(build, cfg):
    # words[0] = 0x11223344, words[1] = 0x55667788: the word at byte 1, little-endian
    assert _trap(build, cfg, 4).run().output == "ldr 88112233\n"


@pytest.mark.parametrize("mode, text, width", [(5, "ldr r0, [r0]", 4), (6, "ldrh r0, [r0]", 2)])
def test_unaligned_access_with_unalign_trp_is_a_usage_fault(build, cfg, mode, text, width):
    b = _trap(build, cfg, mode)
    with pytest.raises(FirmwareFault) as err:
        b.run()
    words = b.elf.all_symbols["words"]
    assert err.value.summary.startswith(
        f"UsageFault: UNALIGNED: '{text}' accesses 0x{words + 1:08x}, not {width}-byte aligned "
        "with CCR.UNALIGN_TRP set")
    r = _trap(build, cfg, mode).run(vector_faults=True)
    assert r.output.splitlines()[0] == f"cfsr {CFSR_UNALIGNED:08x} hfsr {HFSR_FORCED:08x}" and r.exit_code == 7


def test_aligned_accesses_with_unalign_trp_run(build, cfg):
    """UNALIGN_TRP set and cleared again: aligned loads run, and the unaligned one afterwards too."""
    assert _trap(build, cfg, 10).run().output == "aligned 556688aa then 88112233\n"  # 0x55667788 + 0x2233... no carry


@pytest.mark.parametrize("mode, text", [(7, "ldrd r2, r3, [r0]"), (8, "ldm.w r0, {r2, r3}"), (9, "ldrex r0, [r0]")])
def test_ldrd_ldm_ldrex_off_word_alignment_always_fault(build, cfg, mode, text):
    """ARMv7-M ARM A3.2.1: these fault unless word-aligned, whatever CCR.UNALIGN_TRP says."""
    b = _trap(build, cfg, mode)
    with pytest.raises(FirmwareFault) as err:
        b.run()
    words = b.elf.all_symbols["words"]
    assert err.value.summary.startswith(
        f"UsageFault: UNALIGNED: '{text}' accesses 0x{words + 2:08x}, not 4-byte aligned (always faults")
    r = _trap(build, cfg, mode).run(vector_faults=True)
    lines = r.output.splitlines()
    if mode == 7:  # the aligned LDRD before it ran: 0x11223344 + 0x55667788
        assert lines.pop(0) == "ldrd 6688aacc"
    assert lines[0] == f"cfsr {CFSR_UNALIGNED:08x} hfsr {HFSR_FORCED:08x}" and r.exit_code == 7


# words[1] + words[2] (traps.c): the doubleword 4 bytes into `words`
_SUM_AT_4 = (0x55667788 + 0x99AABBCC) & 0xFFFFFFFF


@pytest.mark.parametrize("mode, name, func, text, offset", [
    (11, "plus2", "ldrd_plus2", "ldrd r2, r3, [r0]", 2),  # adds r0, #2 before it
    (12, "moved", "ldrd_moved", "ldrd r2, r3, [r1]", 4),  # mov r1, r0; adds r1, #2
    (13, "postinc", "ldrd_postinc", "ldrd r2, r3, [r0]", 4),  # ldr r1, [r0], #2 (32-bit T4)
    (14, "indirect", "ldrd_indirect", "ldrd r2, r3, [r0]", 2),  # the base loaded from memory
])
def test_ldrd_after_its_base_changed_in_the_block(build, cfg, mode, name, func, text, offset):
    """The base register is written earlier in the LDRD's block: the address it uses is the
    entry value plus what the block added (or, loaded from memory, not known at the entry).
    Called with words, which the block makes words + 2 (an aligned entry value: checked at the
    entry, this needs the block's addition): the fault is at the LDRD, after the instructions
    before it ran (the stacked PC is the LDRD's, A3.2.1 / B1.5.6). ldrd_indirect runs once
    aligned (words) first. Mode 16 runs the others with words + 2, made words + 4."""
    b = _trap(build, cfg, mode)
    words = b.elf.all_symbols["words"]
    with pytest.raises(FirmwareFault) as err:
        b.run()
    assert err.value.summary.startswith(
        f"UsageFault: UNALIGNED: '{text}' accesses 0x{words + 2:08x}, not 4-byte aligned (always faults")
    at = (b.elf.all_symbols[func] & ~1) + offset
    assert b.cpu.reg("pc") == at
    assert b.cpu.reg("r1" if mode == 12 else "r0") == words + 2
    r = _trap(build, cfg, mode).run(vector_faults=True)
    first = [f"{name} 6688aacc"] if mode == 14 else []  # indirect: words[0] + words[1] first
    assert r.output.splitlines() == [*first, f"cfsr {CFSR_UNALIGNED:08x} hfsr {HFSR_FORCED:08x}",
                                     f"stacked pc {at:08x}"] and r.exit_code == 7


def test_ldrd_in_a_loop_faults_on_the_iteration_that_is_off(build, cfg):
    """ldrd_walk2 (traps.c) loads doublewords 2 bytes apart in a one-block loop (adds r0, #2 then
    ldrd [r0, #-4]), called with words + 2: the first iteration's address (words) is aligned,
    the second's (words + 2) is not; the fault comes on the loop block's second entry with the
    first iteration's sum in r4, one iteration left and r0 at words + 6."""
    b = _trap(build, cfg, 15)
    words = b.elf.all_symbols["words"]
    with pytest.raises(FirmwareFault) as err:
        b.run()
    assert err.value.summary.startswith(f"UsageFault: UNALIGNED: 'ldrd r2, r3, [r0, #-0x4]' accesses 0x{words + 2:08x}")
    assert b.cpu.reg("pc") == (b.elf.all_symbols["ldrd_walk2"] & ~1) + 6  # push, movs, adds: 16-bit each
    assert (b.cpu.reg("r0"), b.cpu.reg("r1"), b.cpu.reg("r4")) == (words + 6, 1, 0x6688AACC)


def test_entry_checks_replace_the_code_hooks(build, cfg):
    """An access whose base the block's entry gives is checked there, not by a code hook: mode 16
    makes only aligned calls of the functions above and leaves none of their LDRDs hooked; mode
    14's ldrd_indirect (its base loaded in the block) is."""
    b = _trap(build, cfg, 16)
    # plus2, moved, postinc: words[1] + words[2] each (x ^ x ^ x = x); walk2(words + 2, 1): words[0] + words[1]
    assert b.run().output == f"aligned {_SUM_AT_4 ^ 0x6688AACC:08x}\n"
    sym = b.elf.all_symbols
    for func, offset in (("ldrd_plus2", 2), ("ldrd_moved", 4), ("ldrd_postinc", 4), ("ldrd_walk2", 6)):
        assert (sym[func] & ~1) + offset not in b.traps._hooked, func
    b = _trap(build, cfg, 14)
    with pytest.raises(FirmwareFault):
        b.run()
    assert (b.elf.all_symbols["ldrd_indirect"] & ~1) + 2 in b.traps._hooked


def test_cycles_do_not_change_for_hooked_blocks(build, cfg, monkeypatch):
    """A block translated again with its hooks is charged once: mode 10 (LDR/LDRH hooked while
    UNALIGN_TRP is set, printf's LDRD/LDM always) counts exactly the cycles and instructions of
    the same run with the guard looking at nothing."""
    b = _trap(build, cfg, 10)
    guarded = b.run()
    assert b.traps.hooks >= 3
    from tandem.core.traps import TrapGuard
    monkeypatch.setattr(TrapGuard, "block_cost", lambda self, uc, addr, size: self._timing.block_cost(uc, addr, size))
    plain = _trap(build, cfg, 10).run()
    assert (guarded.cycles, guarded.instructions, guarded.output) == (plain.cycles, plain.instructions, plain.output)


def _planned_run(build, cfg, mode, cache):
    b = Board.from_platform("stm32f4_discovery", cfg)
    b.timing.cost_cache = cache
    image = b.load_elf(build("stm32f4_discovery", "tests/traps.c"))
    b.write_memory(image.all_symbols["trap_mode"], mode.to_bytes(4, "little"))
    try:
        r = b.run()
        outcome = (r.cycles, r.instructions, r.output)
    except FirmwareFault as err:
        outcome = (err.summary, b.cpu.reg("pc"))
    return (*outcome, sorted(b.traps._hooked), b.counter.cycles)


@pytest.mark.parametrize("mode", [10, 12, 15, 16])
def test_plans_from_a_warm_cost_cache_run_as_planned_ones(build, cfg, tmp_path, monkeypatch, mode):
    """The guard's plans kept in the cost cache (a second run of the firmware plans nothing):
    the hooks, the entry checks' faults and the counts of a run without the cache, cold and warm;
    modes 10 (hooked LDR/LDRH and LDRD/LDM), 12 and 15 (faults found by entry checks, the block
    replanned with hooks), 16 (entry checks only)."""
    from tandem.core.traps import TrapGuard
    from tandem.timing.costcache import CostCache

    reference = _planned_run(build, cfg, mode, None)
    cold = CostCache(tmp_path)
    assert _planned_run(build, cfg, mode, cold) == reference
    assert cold.misses > 0
    cold.save()
    plan = TrapGuard._plan

    def unplanned(self, code, addr, mode, precise):
        assert precise, f"block 0x{addr:08x} planned again from a warm cache"  # precise(): always made
        return plan(self, code, addr, mode, precise)

    monkeypatch.setattr(TrapGuard, "_plan", unplanned)
    warm = CostCache(tmp_path)
    assert _planned_run(build, cfg, mode, warm) == reference
    assert warm.hits > 0 and warm.misses == 0


# --- flash ---------------------------------------------------------------------------------
@pytest.mark.parametrize("board, define, cr", [("stm32f4_discovery", "FLASH_F4", "80000000"),
                                               ("nucleo_l4r5zi", "FLASH_L4", "c0000000")])
def test_stm32_flash_store_ignored_without_pg_and_programmed_with_it(build, cfg, board, define, cr):
    """RM0090 / RM0432: a store without the programming sequence is ignored and sets PGSERR
    (bit 7); CR is not writable while locked; after KEY1/KEY2 and PG a store programs."""
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/flash_write.c", defines={define: "1"}))
    r = b.run()
    assert r.output.splitlines() == [
        "before 12345678", "after 12345678", "sr 00000080",
        f"locked cr {cr} sr 00000080 value 12345678",
        "programmed 00345600 sr 00000000 cr 80000000"]
    assert any("without FLASH_CR.PG is ignored and sets FLASH_SR.PGSERR" in n for n in r.notes)
    assert r.exit_code == 0


def test_stm32f1_flash_store_is_ignored_without_a_flag(build, cfg):
    """RM0008 names no error flag for a store outside the programming sequence: ignored, noted."""
    b = Board.from_platform("bluepill", cfg)
    b.load_elf(build("bluepill", "tests/flash_write.c"))
    r = b.run()
    assert r.output == "before 12345678\nafter 12345678\n" and r.exit_code == 0
    assert any("without FLASH_CR.PG is ignored and sets no flag (RM0008" in n for n in r.notes)


def test_model_run_guards_the_mailbox_request_and_the_inputs(cfg):
    """plan() hands the checker the mailbox's request half and the input block (writes only)."""
    from tandem.firmware.elf import ElfImage
    from tandem.tinyml import infer as I
    from tandem.tinyml import protocol as P
    from tandem.tinyml.job import InferenceJob

    job = InferenceJob.create("stm32f4_discovery", cfg.examples_dir / "models" / "kws_ds_cnn.tflite", cfg)
    image = ElfImage.load(job.elf)
    prep = I.plan(image, "stm32f4_discovery", job.info, job.model, job.inputs)
    mailbox = image.all_symbols[P.SYM_MAILBOX]
    in_addr, in_blob = prep.writes[1]
    spans = {(g.start, g.end, g.reads) for g in prep.guards}
    assert (mailbox, mailbox + P.RESULT_OFFSET, False) in spans
    assert (in_addr, in_addr + len(in_blob), False) in spans
    # nothing the runtime owns is guarded: the arena (free RAM below the I/O block) and the outputs
    ram0 = image.all_symbols["__tandem_free_ram_start"]
    assert all(g.end <= ram0 or g.start >= in_addr for g in prep.guards)
    assert all(not (g.start < prep.out_addr + prep.out_cap and prep.out_addr < g.end) for g in prep.guards)


@pytest.mark.parametrize("board", ["generic_m3", "nrf52840dk"])
def test_flash_store_without_a_controller_is_a_bus_fault(build, cfg, board):
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/flash_write.c"))
    with pytest.raises(FirmwareFault) as err:
        b.run()
    const = b.elf.all_symbols["constant"]
    assert err.value.summary.startswith(f"BusFault: write to read-only memory at 0x{const:08x} (4 bytes) at 0x")
    assert "<main+0x" in err.value.summary
    r = Board.from_platform(board, cfg)
    r.load_elf(b.elf.path)
    out = r.run(vector_faults=True).output.splitlines()
    assert out[1].startswith(f"cfsr 00008200 bfar {const:08x} pc ")  # PRECISERR | BFARVALID


# --- memory checker ------------------------------------------------------------------------
def _checked(build, cfg, board, mode, in_c=True):
    b = _board(build, cfg, board, "tests/memcheck.c", "check_mode", mode)
    hb = b.elf.all_symbols["host_block"]
    if not in_c:  # as where the guards cannot be checked in C: one memory hook each
        b.counter.guard = lambda guards, on_hit: False
    check_memory(b, [Guard("the host's block", hb, hb + 32)])
    assert b.memcheck is not None and b.memcheck.native == in_c
    return b


@pytest.mark.parametrize("board", ["stm32f4_discovery", "mps2_an386"])
def test_memory_checker_passes_a_correct_program(build, cfg, board):
    b = _checked(build, cfg, board, 0)
    r = b.run()
    assert r.output == "owned ok 37\ndone\n" and r.exit_code == 0  # recurse(8) = 36, + heap byte 1
    b.memcheck.remove()  # the check mirrors go, and the same board runs unchecked
    assert not b.memcheck.native and not b.counter.mirror_offsets(0, 0xFFFFFFFF, write=True)


@pytest.mark.parametrize("in_c", [True, False])
@pytest.mark.parametrize("board", ["stm32f4_discovery", "mps2_an386"])
@pytest.mark.parametrize("mode, region, where", [
    (1, "RAM between the heap limit (_heap_limit) and the stack limit (_stack_limit)", "<recurse"),
    (2, "section .text", "<main+0x"),
    (3, "RAM between the heap limit (_heap_limit) and the stack limit (_stack_limit)", "<main+0x"),
    (4, "the host's block", "<main+0x")])
def test_memory_checker_stops_outside_owned_memory(build, cfg, board, mode, region, where, in_c):
    b = _checked(build, cfg, board, mode, in_c)
    with pytest.raises(FirmwareFault) as err:
        b.run(max_cycles=50_000_000)
    s = err.value.summary
    syms = b.elf.all_symbols
    # &recurse has the Thumb bit
    target = {1: None, 2: syms["recurse"] | 1, 3: syms["_heap_limit"] + 16, 4: syms["host_block"] + 12}[mode]
    assert s.startswith("Memory check: write of 4 bytes at 0x"), s
    if target is not None:
        assert s.startswith(f"Memory check: write of 4 bytes at 0x{target:08x}, in {region}"), s
    else:
        addr = int(s.split(" at 0x")[1].split(",")[0], 16)
        assert syms["_stack_limit"] - 64 * 4 <= addr < syms["_stack_limit"]  # the first frame past the limit
        assert "the stack overflowed" in s
    assert where in s.rsplit(" at 0x", 1)[1]
    assert b.console.out == b"owned ok 37\n"


def test_check_memory_cli_exit_code_3(build):
    elf = build("stm32f4_discovery", "tests/memcheck.c", defines={"MEMCHECK_MODE": "3"})
    ok = subprocess.run([sys.executable, "-m", "tandem.cli", "run", "--board", "stm32f4_discovery", str(elf)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout == "owned ok 37\ndone\n"  # unchecked: the stray store goes unseen
    bad = subprocess.run([sys.executable, "-m", "tandem.cli", "run", "--check-memory", "--board",
                          "stm32f4_discovery", str(elf)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 3, bad.stderr
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error:") or "Memory check" in line]
    assert errors and "Memory check: write of 4 bytes at 0x" in errors[0] and "Traceback" not in bad.stderr


def test_checked_inference_matches_the_unchecked_one(cfg):
    """The checker guards nothing a correct runtime touches: same outputs, same cycles."""
    import numpy as np

    from tandem.tinyml import infer as I
    from tandem.tinyml.job import InferenceJob

    job = InferenceJob.create("stm32f4_discovery", cfg.examples_dir / "models" / "kws_ds_cnn.tflite", cfg)
    plain = I.run_job(job, cfg)
    checked = I.run_job(job, cfg, check_memory=True)
    assert checked.run.cycles == plain.run.cycles and checked.cycles == plain.cycles
    assert all(np.array_equal(a, b) for a, b in zip(checked.outputs, plain.outputs, strict=True))


def test_infer_cli_has_the_checker_on_with_a_way_off():
    out = subprocess.run([sys.executable, "-m", "tandem.cli", "infer", "--help"], capture_output=True, text=True,
                         timeout=60).stdout
    assert "--no-check-memory" in out
    out = subprocess.run([sys.executable, "-m", "tandem.cli", "run", "--help"], capture_output=True, text=True,
                         timeout=60).stdout
    assert "--check-memory" in out


@pytest.mark.parametrize("board", ["stm32f4_discovery", "mps2_an386"])
def test_exclusive_accesses_beside_a_guard_go_through(build, cfg, board):
    """An atomic add (LDREX/STREX) on a word in a guarded page but outside the guard runs through
    the page's check mirror as on plain RAM (firmware/tests/memcheck_exclusive.c)."""
    import capstone

    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/memcheck_exclusive.c"))
    pair = b.elf.all_symbols["pair"]
    code = b.read_memory(b.elf.all_symbols["main"] & ~1, 128)
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)
    assert {"ldrex", "strex"} <= {i.mnemonic for i in md.disasm(code, 0)}
    checker = check_memory(b, [Guard("the neighbour words", pair, pair + 16)])
    assert checker.native
    r = b.run()
    assert (r.output, r.exit_code, checker.violation) == ("counter 31 neighbour read\n", 0, None)
