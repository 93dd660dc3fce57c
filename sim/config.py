"""Explicit configuration for a tandem session: where platforms, firmware and caches live.

This is the one place that reads environment variables. Everything else receives a
:class:`TandemConfig` (or values taken from one) as an argument.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MAX_CYCLES = 5_000_000_000


@dataclass(frozen=True)
class TandemConfig:
    """Paths and tool locations; build one with :meth:`from_env` or directly in tests."""

    root: Path = _PROJECT_ROOT
    platforms_dir: Path = _PROJECT_ROOT / "platforms"
    firmware_dir: Path = _PROJECT_ROOT / "firmware"
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "tandem")
    arm_gcc: str = "arm-none-eabi-gcc"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "TandemConfig":
        env = os.environ if environ is None else environ
        cfg = cls()
        if env.get("TANDEM_CACHE"):
            cfg = replace(cfg, cache_dir=Path(env["TANDEM_CACHE"]))
        if env.get("TANDEM_PLATFORMS"):
            cfg = replace(cfg, platforms_dir=Path(env["TANDEM_PLATFORMS"]))
        if env.get("TANDEM_ARM_GCC"):
            cfg = replace(cfg, arm_gcc=env["TANDEM_ARM_GCC"])
        return cfg
