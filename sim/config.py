"""Explicit configuration for a tandem session: where platforms, firmware, RTL and caches live.

This is the one place that reads environment variables. Everything else receives a
:class:`TandemConfig` (or values taken from one) as an argument.

The data tandem ships (``platforms/``, ``firmware/``, ``rtl/``, the example models) is found
through :mod:`importlib.resources`: an installed package carries it in ``tandem/_share/`` (put
there by the build, see ``setup.py``); a source checkout (editable install, or ``sim/`` on
``sys.path``) uses the folders beside ``sim/``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from tandem.errors import TandemError

DEFAULT_MAX_CYCLES = 5_000_000_000
SHARED_FOLDERS = ("platforms", "firmware", "rtl", "examples")


def share_root() -> Path:
    """The folder holding ``platforms/``, ``firmware/``, ``rtl/`` and ``examples/``."""
    package = Path(str(resources.files("tandem")))
    installed = package / "_share"
    if installed.is_dir():
        return installed
    return package.parent


def _default_cache() -> Path:
    return Path.home() / ".cache" / "tandem"


@dataclass(frozen=True)
class TandemConfig:
    """Paths and tool locations; build one with :meth:`from_env` or directly in tests.

    ``cache_dir`` is the one root for every build tandem makes, so nothing is written beside the
    sources: ``firmware/`` (ELFs), ``native/`` (the block hook), ``rtl/`` (simulator models),
    ``host/`` (host runtimes).
    """

    root: Path = field(default_factory=share_root)
    platforms_dir: Path = field(default_factory=lambda: share_root() / "platforms")  # tandem's own
    # folders searched before platforms_dir for boards and `using` files, in order:
    # --platforms DIR (repeatable), then TANDEM_PLATFORMS (colon-separated)
    platform_path: tuple[Path, ...] = ()
    cache_dir: Path = field(default_factory=_default_cache)
    arm_gcc: str = "arm-none-eabi-gcc"
    cc: str = "cc"
    console_keep: int = 4 << 20  # console bytes kept per channel (all are streamed)
    cxx: str = "g++"  # builds users' Verilated RTL (Tandem.RtlPeripheral)

    @property
    def platforms_search(self) -> tuple[Path, ...]:
        """The platform search path: :attr:`platform_path`, then tandem's own platforms."""
        return (*self.platform_path, self.platforms_dir)

    def with_platforms(self, dirs: Sequence[str | Path]) -> TandemConfig:
        """This configuration with ``dirs`` (``--platforms``) searched first."""
        return replace(self, platform_path=(*(Path(d) for d in dirs), *self.platform_path))

    @property
    def firmware_dir(self) -> Path:
        return self.root / "firmware"

    @property
    def rtl_dir(self) -> Path:
        return self.root / "rtl"

    @property
    def examples_dir(self) -> Path:
        return self.root / "examples"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TandemConfig:
        env = os.environ if environ is None else environ
        cfg = cls()
        if env.get("TANDEM_CACHE"):
            cfg = replace(cfg, cache_dir=Path(env["TANDEM_CACHE"]))
        if env.get("TANDEM_PLATFORMS"):
            dirs = tuple(Path(d) for d in env["TANDEM_PLATFORMS"].split(":") if d)
            cfg = replace(cfg, platform_path=dirs)
        if env.get("TANDEM_ARM_GCC"):
            cfg = replace(cfg, arm_gcc=env["TANDEM_ARM_GCC"])
        if env.get("CC"):
            cfg = replace(cfg, cc=env["CC"])
        if env.get("TANDEM_CONSOLE_KEEP"):
            try:
                keep = int(env["TANDEM_CONSOLE_KEEP"], 0)
            except ValueError:
                keep = -1
            if keep < 0:
                raise TandemError(f"TANDEM_CONSOLE_KEEP={env['TANDEM_CONSOLE_KEEP']!r}: not a byte count")
            cfg = replace(cfg, console_keep=keep)
        if env.get("CXX"):
            cfg = replace(cfg, cxx=env["CXX"])
        return cfg
