"""tandem.config: the environment it reads, where data is found, and the one cache root.

Every build tandem makes goes under ``TandemConfig.cache_dir`` (``TANDEM_CACHE``): a run in a
source checkout must leave the checkout as it was (no ``build/`` folder, no objects beside the
sources).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig, share_root

ROOT = Path(__file__).resolve().parent.parent
NOT_PROJECT_FILES = {".git", ".venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "__pycache__"}


def test_defaults_in_a_source_checkout():
    cfg = TandemConfig()
    assert share_root() == ROOT and cfg.root == ROOT
    assert cfg.platforms_dir == ROOT / "platforms"
    assert (cfg.firmware_dir, cfg.rtl_dir, cfg.examples_dir) == (ROOT / "firmware", ROOT / "rtl", ROOT / "examples")
    assert cfg.cache_dir == Path.home() / ".cache" / "tandem"
    assert (cfg.arm_gcc, cfg.cc) == ("arm-none-eabi-gcc", "cc")
    assert DEFAULT_MAX_CYCLES == 5_000_000_000


def test_from_env_reads_only_its_variables(tmp_path: Path):
    env = {"TANDEM_CACHE": str(tmp_path / "c"), "TANDEM_PLATFORMS": f"{tmp_path / 'p'}:{tmp_path / 'q'}",
           "TANDEM_ARM_GCC": "/opt/arm/bin/arm-none-eabi-gcc", "CC": "clang"}
    cfg = TandemConfig.from_env(env)
    # TANDEM_PLATFORMS is a search path in front of tandem's own platforms, which stay last
    assert cfg.cache_dir == tmp_path / "c" and cfg.platform_path == (tmp_path / "p", tmp_path / "q")
    assert cfg.platforms_search == (tmp_path / "p", tmp_path / "q", ROOT / "platforms")
    assert cfg.with_platforms(["x"]).platforms_search[:2] == (Path("x"), tmp_path / "p")
    assert (cfg.arm_gcc, cfg.cc) == ("/opt/arm/bin/arm-none-eabi-gcc", "clang")
    assert cfg.root == ROOT  # data other than the boards still comes with tandem
    assert TandemConfig.from_env({"TANDEM_CACHE": "", "CC": ""}) == TandemConfig()


def test_host_runtime_builds_follow_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from tandem.tinyml.host_runtime import HostBuildConfig

    monkeypatch.setenv("TANDEM_CACHE", str(tmp_path))
    assert HostBuildConfig().build_root == tmp_path / "host"


def _project_files() -> set[Path]:
    found: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in NOT_PROJECT_FILES]
        found.update(Path(dirpath, name).relative_to(ROOT) for name in (*dirnames, *filenames))
    return found


def test_a_run_writes_only_into_the_cache(tmp_path: Path):
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(TANDEM_CACHE=str(cache), PYTHONDONTWRITEBYTECODE="1")
    before = _project_files()

    def tandem(*args: str) -> subprocess.CompletedProcess[str]:
        # from the checkout's root, as a user working in it would
        return subprocess.run([sys.executable, "-m", "tandem", *args], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=300)

    res = tandem("build", "--board", "generic_m4", "firmware/tests/hello.c")
    assert res.returncode == 0, res.stderr
    elf = Path(res.stdout.strip())
    assert elf.is_relative_to(cache / "firmware") and elf.is_file()
    res = tandem("run", "--board", "generic_m4", str(elf))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("Hello from tandem!\n")

    assert {p.name for p in cache.iterdir()} >= {"firmware", "native"}
    assert any((cache / "native").iterdir()), "the block hook was not built into the cache"
    assert not (ROOT / "build").exists() or (ROOT / "build") in {ROOT / p for p in before}
    assert _project_files() == before
