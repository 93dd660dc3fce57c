"""The persistent block-cost cache (sim/timing/costcache.py): a warm run decodes nothing and
counts exactly what a run without the cache counts; a damaged file is ignored, never trusted."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tandem.machine.board import Board
from tandem.timing import costcache
from tandem.timing.costcache import MAGIC, CostCache
from tandem.timing.costs import BlockCost
from tandem.tinyml.infer import run_model

MODELS = Path(__file__).parent / "models"

# (board, source): cores M0, M3, M4, M7; flash wait states with the ART (nucleo_l4r5zi,
# stm32f4_discovery) and the F1 prefetch buffer (bluepill); an RTOS-style context switch.
PROGRAMS = [
    ("generic_m0", "tests/cpubound.c"),
    ("bluepill", "tests/cpubound.c"),
    ("generic_m4", "tests/cpubound.c"),
    ("generic_m7", "tests/cpubound.c"),
    ("nucleo_l4r5zi", "tests/flash_loads.c", "tests/flash_probe.S"),
    ("stm32f4_discovery", "tests/rtos_switch.c"),
]


def _run(board_name: str, elf: Path, cfg: Any, cache: CostCache | None, profile: bool) -> tuple[Any, ...]:
    board = Board.from_platform(board_name, cfg)
    board.timing.cost_cache = cache
    board.load_elf(elf)
    result = board.run(profile=profile)
    assert result.exit_code == 0, result.output
    funcs = () if result.profile is None else tuple(
        (f.name, f.self_cycles, f.inclusive_cycles, f.calls) for f in result.profile.functions)
    return (result.cycles, result.instructions, result.stack_bytes, result.output,
            board.counter.decode_errors, funcs)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_cold_and_warm_cache_count_what_decoding_counts(program, build, cfg, tmp_path, monkeypatch):
    board_name = program[0]
    elf = build(*program)
    profile = board_name in ("generic_m4", "stm32f4_discovery")
    reference = _run(board_name, elf, cfg, None, profile)  # blocks costed by the native decoder
    # The cache serves the blocks Python decodes: with the native decoder off, all of them.
    monkeypatch.setenv("TANDEM_NATIVE_DECODE", "off")
    cold = CostCache(tmp_path)
    assert _run(board_name, elf, cfg, cold, profile) == reference
    assert cold.misses > 0 and cold.hits == 0
    cold.save()
    warm = CostCache(tmp_path)  # a new process's view: only the file
    assert _run(board_name, elf, cfg, warm, profile) == reference
    assert warm.misses == 0 and warm.hits == cold.misses  # the second run decoded nothing


def test_model_inference_counts_the_same_from_a_warm_cache(cfg, tmp_path, monkeypatch):
    model = MODELS / "op_conv2d.tflite"
    monkeypatch.setenv("TANDEM_COST_CACHE", "off")
    ref = run_model("nucleo_l4r5zi", model, cfg)
    monkeypatch.delenv("TANDEM_COST_CACHE")
    monkeypatch.setenv("TANDEM_NATIVE_DECODE", "off")  # every block through Python and its cache
    caches: list[CostCache] = []
    monkeypatch.setattr(costcache, "shared", lambda d: caches[-1])
    for _ in range(2):
        caches.append(CostCache(tmp_path))
        inf = run_model("nucleo_l4r5zi", model, cfg)
        caches[-1].save()
        assert (inf.cycles, inf.total_cycles, inf.run.instructions) == (
            ref.cycles, ref.total_cycles, ref.run.instructions)
        assert [(o.op, o.cycles) for o in inf.ops] == [(o.op, o.cycles) for o in ref.ops]
    assert caches[0].misses > 100 and caches[1].misses == 0


def _cost(addr: int) -> BlockCost:
    return BlockCost(addr=addr, fallthrough=addr + 4, cost=3, taken_extra=1, insn_addrs=(addr, addr + 2),
                     insn_costs=(1, 2))


def _filled(tmp_path: Path) -> Path:
    cache = CostCache(tmp_path)
    cache.put("ctx", 0x100, 4, (_cost(0x100), ((0x100, 4, b"\x00\xbf\x00\xbf"),), ()))
    cache.save()
    (path,) = tmp_path.glob("costs-*.bin")
    return path


def _reader(mem: dict[int, bytes]) -> Any:
    return lambda a, n: mem.get(a)


def test_an_entry_is_used_only_while_its_bytes_are_unchanged(tmp_path):
    _filled(tmp_path)
    cache = CostCache(tmp_path)
    assert cache.get("ctx", 0x100, 4, _reader({0x100: b"\x00\xbf\x00\xbf"})) is not None
    assert cache.get("ctx", 0x100, 4, _reader({0x100: b"\x00\xbf\x70\x47"})) is None  # other firmware
    assert cache.get("ctx", 0x100, 4, _reader({})) is None  # unmapped now
    assert cache.get("other", 0x100, 4, _reader({0x100: b"\x00\xbf\x00\xbf"})) is None  # other timing
    assert (cache.hits, cache.misses) == (1, 3)


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic", "empty", "not-a-dict"])
def test_a_damaged_file_is_ignored_and_rewritten(tmp_path, damage):
    path = _filled(tmp_path)
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip":
        raw[-3] ^= 0x40
    elif damage == "magic":
        raw[0] ^= 1
    elif damage == "empty":
        raw = bytearray()
    else:
        import hashlib
        import pickle

        payload = pickle.dumps([1, 2])
        raw = bytearray(MAGIC + hashlib.sha256(payload).digest() + payload)
    path.write_bytes(bytes(raw))
    cache = CostCache(tmp_path)
    assert cache.get("ctx", 0x100, 4, _reader({0x100: b"\x00\xbf\x00\xbf"})) is None
    assert cache.rejected == 1
    cache.put("ctx", 0x200, 4, (_cost(0x200), ((0x200, 4, b"\x00\xbf\x00\xbf"),), ()))
    cache.save()
    again = CostCache(tmp_path)
    assert again.get("ctx", 0x200, 4, _reader({0x200: b"\x00\xbf\x00\xbf"})) == cache.get(
        "ctx", 0x200, 4, _reader({0x200: b"\x00\xbf\x00\xbf"}))
    assert again.rejected == 0


def test_files_are_bounded_and_merge_what_others_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(costcache, "MAX_ENTRIES", 3)
    first, second = CostCache(tmp_path), CostCache(tmp_path)
    for a in (0x100, 0x104):
        first.put("ctx", a, 4, (_cost(a), (), ()))
    first.save()
    for a in (0x200, 0x204):
        second.put("ctx", a, 4, (_cost(a), (), ()))
    second.save()  # merges first's two: four entries, the oldest dropped
    third = CostCache(tmp_path)
    present = [a for a in (0x100, 0x104, 0x200, 0x204)
               if third.get("ctx", a, 4, _reader({})) is not None]
    assert present == [0x104, 0x200, 0x204]
