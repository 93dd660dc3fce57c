"""Fuzzing the boundaries where user input enters (issue 17): model bytes, board text, ELF bytes.

Hypothesis mutates real inputs (tandem's boards and a Renode-style chip file, TFLM's example
models, a built firmware ELF): byte flips, insertions, deletions, truncation, and splices of
numbers that reach size and index fields. Every case must end in a result or a TandemError,
never another exception, and within a time bound (no hang). CI runs a bounded number of cases
(``--fuzz-examples``, default 150 per kind); run longer on demand, e.g.::

    python -m pytest tests/test_fuzz.py --fuzz-examples 10000 -q
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tflm_models import tflm_model

from tandem.errors import TandemError
from tandem.firmware.elf import ElfImage
from tandem.machine.board import Board
from tandem.platform.model import load_platform
from tandem.tinyml.infer import plan
from tandem.tinyml.job import build_runtime, check_inputs, random_inputs
from tandem.tinyml.model import read_model

ROOT = Path(__file__).resolve().parents[1]
CASE_SECONDS = 20.0  # no single case may take longer: a hang shows as a failure, not a stuck CI

BOARD_SEEDS = [ROOT / "platforms" / "boards" / f"{b}.repl" for b in ("stm32f4_discovery", "bluepill", "mps2_an386")]
MODEL_SEEDS = ["hello_world_int8.tflite", "micro_speech_quantized.tflite", "trained_lstm_int8.tflite"]
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF0, 0x10000, 0x20000000]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "byte", "insert", "delete", "word", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "word":  # a size or index field set to a boundary value
            data[at:at + 4] = draw(st.sampled_from(INTERESTING)).to_bytes(4, "little")
        else:
            del data[at:]
    return bytes(data)


@st.composite
def mutated_text(draw: st.DrawFn, seeds: list[str]) -> bytes:
    """Board text: token-level edits (numbers, names, brackets) besides byte edits."""
    text = draw(st.sampled_from(seeds))
    tokens = ["0x0", "-1", "0xFFFFFFFF", "size: 0", "size: -0x400", "using \"nosuch.repl\"", "{", "}", "[", "]",
              "<", ">", "@", "->", "\"", "'''", ":", ";", "\n", "    ", "\t", "\x00", "\xff", "sysbus", "nvic@",
              "Memory.MappedMemory @ sysbus 0x20000000", "init:", "cpuType: \"cortex-m99\"", "9" * 40]
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(tokens)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
    return text.encode("utf-8", "surrogateescape") if draw(st.booleans()) else draw(mutated([text.encode()]))


def fuzz_settings(request: pytest.FixtureRequest) -> settings:
    return settings(max_examples=int(request.config.getoption("--fuzz-examples")), deadline=None, derandomize=True,
                    database=None, suppress_health_check=list(HealthCheck))


def _bounded(fn, *args) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    try:
        fn(*args)
    except TandemError as err:
        assert "\n" not in str(err).split("\n", 1)[0]  # the first line stands alone
    elapsed = time.monotonic() - t0
    assert elapsed < CASE_SECONDS, f"one case took {elapsed:.1f} s"


def test_fuzz_board_text(request, cfg, tmp_path):
    seeds = [p.read_text() for p in BOARD_SEEDS]
    seeds.append((ROOT / "platforms" / "cpus" / "stm32f407.repl").read_text())
    counter = {"cases": 0, "boards": 0}

    def one(text: bytes) -> None:
        path = tmp_path / "fuzzed.repl"
        path.write_bytes(text)
        platform = load_platform(str(path), cfg.platforms_search)
        Board(platform, cfg)
        counter["boards"] += 1

    @fuzz_settings(request)
    @given(mutated_text(seeds))
    def run(text: bytes) -> None:
        counter["cases"] += 1
        _bounded(one, text)

    run()
    print(f"\nfuzz board text: {counter['cases']} cases, {counter['boards']} built a board")
    assert counter["cases"] >= min(int(request.config.getoption("--fuzz-examples")), 50)


def test_fuzz_elf_bytes(request, cfg, build, tmp_path):
    seed = Path(build("stm32f4_discovery", "tests/hello.c")).read_bytes()
    counter = {"cases": 0, "ran": 0}

    def one(data: bytes) -> None:
        path = tmp_path / "fuzzed.elf"
        path.write_bytes(data)
        ElfImage.load(path)
        board = Board.from_platform("stm32f4_discovery", cfg)
        board.load_elf(path)
        board.run(max_cycles=200_000)
        counter["ran"] += 1

    @fuzz_settings(request)
    @given(mutated([seed]))
    def run(data: bytes) -> None:
        counter["cases"] += 1
        _bounded(one, data)

    run()
    print(f"\nfuzz ELF bytes: {counter['cases']} cases, {counter['ran']} loaded and ran")


def test_fuzz_model_bytes(request, cfg):
    """The host side of ``tandem infer`` (read, inputs, the memory plan and request) on mutated models."""
    seeds = [Path(tflm_model(m)).read_bytes() for m in MODEL_SEEDS]
    platform = Board.from_platform("nucleo_l4r5zi", cfg).platform
    image = ElfImage.load(build_runtime(platform, cfg, "reference"))
    counter = {"cases": 0, "read": 0}

    def one(data: bytes) -> None:
        info = read_model(data, "fuzzed.tflite")
        inputs = check_inputs(info, random_inputs(info, 0))
        plan(image, "nucleo_l4r5zi", info, data, inputs)
        counter["read"] += 1

    @fuzz_settings(request)
    @given(mutated(seeds))
    def run(data: bytes) -> None:
        counter["cases"] += 1
        _bounded(one, data)

    run()
    print(f"\nfuzz model bytes: {counter['cases']} cases, {counter['read']} read and packed")

