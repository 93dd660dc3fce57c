"""The native block decoder (sim/timing/blockhook.c tm_decode_block) against the Python model.

For every block of real firmware (the DS-CNN runtime image, firmware/tests programs, the
firmware/bench microbenchmarks) on every core the tables have, with flash wait states, the
STM32F1 prefetch buffer and the ART accelerator on and off, the C decoder's BlockCost must
equal :meth:`CoreTiming._block_cost`'s field by field (per-instruction costs included), or the
C side must decline the block (it then goes to Python). A hypothesis fuzz over random Thumb-2
halfword streams checks the same on encodings compilers rarely emit.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import capstone
import pytest
import unicorn
from capstone import arm_const as A
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timing_asm import assemble
from unicorn import arm_const

from tandem.config import TandemConfig, share_root
from tandem.timing import CycleCounter, MemoryTiming, core_timing
from tandem.timing import native as N
from tandem.timing.cortex_m import CoreTiming
from tandem.timing.costs import BlockCost
from tandem.timing.counter import native_cost

CORES = ("cortex-m0", "cortex-m0+", "cortex-m3", "cortex-m4", "cortex-m4f", "cortex-m7", "cortex-m33",
         "cortex-m33f")
SRAM = 0x2000_0000
# (name, wait states, accelerator) of the memory holding the code
FLASH_KINDS = (("zero", 0, None), ("ws5", 5, None), ("art5", 5, "stm32-art"), ("f1pre2", 2, "stm32f1-prefetch"),
               ("art0", 0, "stm32-art"))
FIRMWARE_TESTS = ("tests/cpubound.c", "tests/float.c", "tests/bigrom.c", "tests/echo.c",
                  "tests/cores_isa.S", "tests/exc_nesting.c", "tests/fault.c")
BENCH = Path(__file__).resolve().parent.parent / "firmware" / "bench"
_BRANCHY = {A.ARM_INS_B, A.ARM_INS_BL, A.ARM_INS_BX, A.ARM_INS_BLX, A.ARM_INS_CBZ, A.ARM_INS_CBNZ,
            A.ARM_INS_TBB, A.ARM_INS_TBH}


class Image:
    """An ELF's loadable segments in a Unicorn instance, and the blocks of its code."""

    def __init__(self, path: Path) -> None:
        self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
        self.code: list[tuple[int, bytes]] = []
        mapped: set[int] = set()
        with path.open("rb") as f:
            elf = ELFFile(f)
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or not seg["p_memsz"]:
                    continue
                base = seg["p_vaddr"]
                for page in range(base & ~0xFFF, base + seg["p_memsz"], 0x1000):
                    if page not in mapped:
                        self.uc.mem_map(page, 0x1000)
                        mapped.add(page)
                data = seg.data()
                self.uc.mem_write(base, data)
                if seg["p_flags"] & 1:  # PF_X
                    self.code.append((base, data))
        self.flash_base = min(b for b, _ in self.code) & ~0xFFFFF

    def blocks(self) -> list[tuple[int, int]]:
        """Linear sweep of the code: blocks end after a branch or a PC write, as Unicorn's do,
        and every fourth block is also cut after its first instruction (a rewind's tail shape)."""
        cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        cs.detail = True
        out: list[tuple[int, int]] = []
        for base, data in self.code:
            off = 0
            while off < len(data):
                start = base + off
                n = 0
                end = start
                for insn in cs.disasm(data[off:off + 256], start):
                    end = insn.address + insn.size
                    n += 1
                    _, written = insn.regs_access()
                    if insn.id in _BRANCHY or A.ARM_REG_PC in written or n == 24:
                        break
                if end == start:
                    end = start + 2  # undecodable halfword: a block of its own
                out.append((start, end - start))
                if len(out) % 4 == 0 and n > 2:
                    first = next(cs.disasm(data[off:off + 4], start), None)
                    if first is not None:
                        out.append((start + first.size, end - start - first.size))
                off = end - base
        return out


def _memories(img: Image, kind: tuple[str, int, str | None]) -> list[MemoryTiming]:
    _, ws, accel = kind
    return [MemoryTiming("flash", img.flash_base, 0x0010_0000, wait_states=ws, accelerator=accel),
            MemoryTiming("flash", 0, 0x0010_0000, wait_states=ws, accelerator=accel)
            if img.flash_base else MemoryTiming("alias", 0x1000_0000, 0x1000, wait_states=0),
            MemoryTiming("sram", SRAM, 0x0010_0000, wait_states=1 if accel == "stm32-art" else 0)]


class Decoder:
    """A CycleCounter's C decoder, called directly on blocks."""

    def __init__(self, uc: unicorn.Uc, timing: CoreTiming, cache_dir: Path) -> None:
        self.counter = CycleCounter(uc, timing, cache_dir)
        assert self.counter._decoder, "the native decoder did not start"
        self.uc = uc

    def cost(self, addr: int, size: int) -> BlockCost | None:
        info = N.BlockInfo()
        c = self.counter
        rc = c._lib.tm_dec_block(c._state, ctypes.c_void_p(self.uc._uch.value), addr, size, ctypes.byref(info))
        if rc < 0:
            return None
        assert rc == 0, "a plain CoreTiming has no guards: the block needs no Python"
        return native_cost(addr, size, info)


def _listing(uc: unicorn.Uc, addr: int, size: int) -> str:
    cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    return "; ".join(f"{i.mnemonic} {i.op_str}" for i in cs.disasm(bytes(uc.mem_read(addr, size)), addr))


def _python_cost(timing: CoreTiming, uc: unicorn.Uc, addr: int, size: int) -> BlockCost | None:
    try:
        return timing._block_cost(uc, addr, size)
    except Exception:
        return None


def _compare(img: Image, core: str, kind: tuple[str, int, str | None], blocks: list[tuple[int, int]],
             cache_dir: Path) -> tuple[int, int]:
    timing = core_timing(core, _memories(img, kind))
    dec = Decoder(img.uc, timing, cache_dir)
    handled = declined = 0
    for addr, size in blocks:
        want = _python_cost(timing, img.uc, addr, size)
        got = dec.cost(addr, size)
        if got is None:
            declined += 1
            continue
        assert want is not None, f"{core}/{kind[0]}: C costed block 0x{addr:08x}+{size} that Python fails on"
        assert got == want, (f"{core}/{kind[0]}: block 0x{addr:08x}+{size} ({_listing(img.uc, addr, size)}): "
                             f"C {got} != Python {want}")
        handled += 1
    dec.counter.close()
    return handled, declined


@pytest.fixture(scope="module")
def images(cfg: TandemConfig, build: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Image]:
    from tandem.tinyml.job import InferenceJob

    out: dict[str, Image] = {}
    job = InferenceJob.create("nucleo_l4r5zi", share_root() / "examples/models/kws_ds_cnn.tflite", cfg)
    out["ds_cnn_runtime"] = Image(Path(job.elf))
    for src in FIRMWARE_TESTS:
        out[src] = Image(build("stm32f4_discovery", src))
    tmp = tmp_path_factory.mktemp("bench")
    for s in sorted(BENCH.glob("*.S")):
        if s.name == "start.S":
            continue
        (tmp / s.stem).mkdir()
        assemble(s.read_text(), tmp / s.stem, cpu="cortex-m4", fpu=True)
        out[f"bench/{s.name}"] = Image(tmp / s.stem / "prog.elf")
    return out


def _every(blocks: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    step = max(1, len(blocks) // limit)
    return blocks[::step]


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("kind", FLASH_KINDS, ids=[k[0] for k in FLASH_KINDS])
def test_firmware_blocks_cost_the_same(images: dict[str, Image], core: str, kind: tuple[str, int, str | None],
                                       cfg: TandemConfig) -> None:
    """Every block of every image on the M4F with the ART and at zero wait states (the paths of
    every other configuration are the same C code with other table values); a spread of 1000
    blocks of the runtime image and 400 of each other image elsewhere."""
    full = core == "cortex-m4f" and kind[0] in ("art5", "zero")
    handled = declined = 0
    for name, img in images.items():
        blocks = img.blocks()
        if not full:
            blocks = _every(blocks, 1000 if name == "ds_cnn_runtime" else 400)
        h, d = _compare(img, core, kind, blocks, cfg.cache_dir / "native")
        handled += h
        declined += d
    assert handled > 1000 * (5 if full else 1)
    # It declines only bytes capstone cannot decode and conditional divides: rare.
    assert declined < handled // 50, (handled, declined)


def _fuzz_uc() -> unicorn.Uc:
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.mem_map(0x0800_0000, 0x10000)
    uc.mem_map(SRAM, 0x10000)
    uc.reg_write(arm_const.UC_ARM_REG_SP, SRAM + 0x8000)
    return uc


_FUZZ: dict[str, Any] = {}


def _fuzz_setup(core: str, cache_dir: Path) -> tuple[unicorn.Uc, CoreTiming, Decoder]:
    if core not in _FUZZ:
        uc = _fuzz_uc()
        mems = [MemoryTiming("flash", 0x0800_0000, 0x10000, wait_states=3, accelerator="stm32-art"),
                MemoryTiming("sram", SRAM, 0x10000, wait_states=0)]
        timing = core_timing(core, mems)
        _FUZZ[core] = (uc, timing, Decoder(uc, timing, cache_dir))
    return _FUZZ[core]  # type: ignore[no-any-return]


def _halfwords() -> st.SearchStrategy[list[int]]:
    # Bias towards 32-bit encodings (first halfword 0b11101/11110/11111...) and loads/stores.
    first = st.one_of(st.integers(0, 0xFFFF), st.integers(0xE800, 0xFFFF), st.integers(0x4000, 0x9FFF))
    return st.lists(first, min_size=1, max_size=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hws=_halfwords(), core=st.sampled_from(CORES), at=st.integers(0, 7))
def test_random_streams_match_or_decline(hws: list[int], core: str, at: int, cfg: TandemConfig) -> None:
    uc, timing, dec = _fuzz_setup(core, cfg.cache_dir / "native")
    addr = 0x0800_1000 + 2 * at
    code = b"".join(h.to_bytes(2, "little") for h in hws)
    uc.mem_write(0x0800_1000, bytes(0x40))
    uc.mem_write(addr, code)
    got = dec.cost(addr, len(code))
    if got is None:
        return
    want = _python_cost(timing, uc, addr, len(code))
    assert want == got, f"{core}: {code.hex()} at 0x{addr:08x}: C {got} != Python {want}"


def test_core_fields_cover_the_tables() -> None:
    """Every CoreTable/FpuTable field the cost rules read reaches the C side."""
    from dataclasses import fields

    from tandem.timing.tables import CoreTable, FpuTable

    skip = {"name", "arch", "fpu", "isb_cost", "exception_entry", "exception_return", "tail_chain", "fp_context"}
    wanted = {f.name for f in fields(CoreTable)} - skip | {"isb"} | {"fp_" + f.name for f in fields(FpuTable)}
    assert wanted == set(N.CORE_FIELDS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.one_of(st.integers(0, 0xFFFFFFFF), st.integers(0, 64)), d=st.one_of(st.integers(0, 0xFFFFFFFF),
       st.integers(0, 8)), signed=st.booleans(), core=st.sampled_from(("cortex-m3", "cortex-m4", "cortex-m33")))
def test_divide_cycles_in_c_match_divide_py(n: int, d: int, signed: bool, core: str, cfg: TandemConfig) -> None:
    """The divide hook's C rule (blockhook.c tm_div_cycles) is divide.div_cycles."""
    from tandem.timing.divide import div_cycles
    from tandem.timing.tables import TABLES

    table = TABLES[core]
    assert table.div_range is not None
    lib = N.load(cfg.cache_dir / "native").lib
    assert lib.tm_div_cycles(*table.div_range, n, d, int(signed)) == div_cycles(table, n, d, signed)


@pytest.mark.parametrize("board_name,source,profile", [
    ("stm32f4_discovery", "tests/float.c", True),  # ART, FPU: FP blocks through the ISA guard
    ("generic_m0", "tests/cpubound.c", False),  # ARMv6-M: the ISA guard's v6m check
    ("generic_m3", "tests/cpubound.c", True),  # ARMv7-M: its DSP check
    ("nucleo_l4r5zi", "tests/exc_nesting.c", False),  # exceptions, flash wait states
])
def test_board_runs_count_the_same_with_and_without_the_native_decoder(
        board_name: str, source: str, profile: bool, build: Callable[..., Path], cfg: TandemConfig,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tandem.machine.board import Board

    elf = build(board_name, source)
    results = []
    for mode in ("off", "on"):
        monkeypatch.setenv("TANDEM_NATIVE_DECODE", mode)
        board = Board.from_platform(board_name, cfg)
        board.timing.cost_cache = None
        board.load_elf(elf)
        res = board.run(profile=profile)
        funcs = () if res.profile is None else tuple(
            (f.name, f.self_cycles, f.inclusive_cycles, f.calls) for f in res.profile.functions)
        results.append((res.exit_code, res.cycles, res.instructions, res.stack_bytes, res.output, funcs,
                        board.counter.decode_errors))
        c = board.counter
        if mode == "off":
            assert c.native_blocks == c.guarded_blocks == 0
        else:  # costed in C; while profiling every new block still goes to Python for its function
            assert (c.native_blocks == 0 and c.guarded_blocks > 100) if profile else c.native_blocks > 100
    assert results[0] == results[1]
