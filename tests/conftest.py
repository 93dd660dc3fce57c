"""Shared fixtures: the configuration, and building + running firmware test programs."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tandem.config import TandemConfig
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.machine.results import RunResult
from tandem.platform import load_platform

BOARDS = ["stm32f4_discovery", "nucleo_l4r5zi", "bluepill", "mps2_an386", "generic_m3", "generic_m4"]


@pytest.fixture(scope="session")
def cfg() -> TandemConfig:
    return TandemConfig.from_env()


@pytest.fixture(scope="session")
def build(cfg: TandemConfig) -> Callable[..., Path]:
    """build(board, "tests/hello.c", ...) -> ELF path (cached by content across runs)."""

    def _build(board: str, *sources: str, **options: Any) -> Path:
        platform = load_platform(board, cfg.platforms_dir)
        return build_firmware(platform, FirmwareSpec(tuple(sources), **options), cfg)

    return _build


@pytest.fixture(scope="session")
def run_program(cfg: TandemConfig, build: Callable[..., Path]) -> Callable[..., tuple[Board, RunResult]]:
    """run_program(board, "tests/x.c", max_cycles=..., stdin=...) -> (board, result)."""

    def _run(board: str, source: str, **run_options: Any) -> tuple[Board, RunResult]:
        elf = build(board, source)
        b = Board.from_platform(board, cfg)
        b.load_elf(elf)
        return b, b.run(**run_options)

    return _run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-examples", type=int, default=150,
                     help="cases per input kind in tests/test_fuzz.py (CI: 150; 10000 for a long run)")
