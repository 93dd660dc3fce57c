"""A plain (non-editable) install of tandem, used from outside the source tree.

The wheel is built from a copy of the tree (a build writes ``build/`` and ``*.egg-info`` beside
its sources), installed with ``pip install --target`` and run with that folder on PYTHONPATH,
the current working directory outside the repository and the source tree not on ``sys.path``:
the package data (boards, firmware, RTL, examples under ``tandem/_share/``, the block hook's C
source) must come from the install. Nothing here skips: a missing file is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from tandem.config import SHARED_FOLDERS

ROOT = Path(__file__).resolve().parent.parent
BUILT_FROM = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "sim", *SHARED_FOLDERS)
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "sim_build", "*.o", "*.elf",
                              "*.vcd", "*.fst")


def _version(dist: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in metadata.version(dist).split(".")[:2] if p.isdigit())
    except metadata.PackageNotFoundError:
        return ()


def _can_build_without_isolation() -> bool:
    """This environment has what pyproject's build-system asks for (setuptools>=68 with bdist_wheel)."""
    setuptools = _version("setuptools")
    return setuptools >= (68,) and (setuptools >= (70, 1) or _version("wheel") != ())


def _pip(*args: str, cwd: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, cwd=cwd,
                         timeout=600)
    assert res.returncode == 0, f"pip {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    src.mkdir()
    for name in BUILT_FROM:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=SKIP)
        else:
            shutil.copy2(path, src / name)
    # without isolation when this environment can build it (fast, offline); else pip fetches
    # the build-system requirements from the configured index
    isolation = ["--no-build-isolation"] if _can_build_without_isolation() else []
    _pip("wheel", "-q", "--no-deps", *isolation, "-w", str(base / "dist"), str(src), cwd=base)
    (built,) = (base / "dist").glob("tandem-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    site = wheel.parent.parent / "site"
    _pip("install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel), cwd=wheel.parent)
    return site


@pytest.fixture
def user_env(installed: Path, tmp_path: Path) -> dict[str, str]:
    """Environment of a user of the install: it on PYTHONPATH, a fresh cache, cwd ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(PYTHONPATH=str(installed), TANDEM_CACHE=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    return env


def _run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_wheel_carries_the_share_and_the_hook_source(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    boards = {n for n in names if n.startswith("tandem/_share/platforms/boards/") and n.endswith(".repl")}
    assert {f"tandem/_share/platforms/boards/{b}.repl" for b in ("bluepill", "stm32f4_discovery")} <= boards
    assert {p.name for p in (ROOT / "platforms" / "boards").glob("*.repl")} == {Path(n).name for n in boards}
    assert "tandem/timing/blockhook.c" in names and "tandem/py.typed" in names
    for folder in SHARED_FOLDERS:
        assert any(n.startswith(f"tandem/_share/{folder}/") for n in names), folder
    assert "tandem/_share/firmware/tests/hello.c" in names
    assert "tandem/_share/examples/firmware/dot_product.c" in names
    assert not any("__pycache__" in n or n.endswith((".o", ".elf")) for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]" in text and "tandem = tandem.pytest_plugin" in text
    assert "tandem = tandem.cli:main" in text


def test_install_is_used_instead_of_the_source_tree(installed: Path, user_env: dict[str, str], tmp_path: Path):
    code = ("import json, sys, tandem, tandem.config as c, tandem.timing; "
            "print(json.dumps({'file': tandem.__file__, 'share': str(c.share_root()), "
            "'path': sys.path, 'version': tandem.__version__, "
            "'platforms': str(c.TandemConfig.from_env().platforms_dir)}))")
    res = _run(user_env, tmp_path, "-c", code)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert Path(info["file"]).is_relative_to(installed)
    assert Path(info["share"]) == installed / "tandem" / "_share"
    assert Path(info["platforms"]) == installed / "tandem" / "_share" / "platforms"
    assert info["version"] == "0.2.0"
    assert not any(Path(p or ".").resolve() in (ROOT, ROOT / "sim") for p in info["path"][1:])


def test_installed_cli_boards_build_run_infer(installed: Path, user_env: dict[str, str], tmp_path: Path):
    share = installed / "tandem" / "_share"
    res = _run(user_env, tmp_path, "-m", "tandem", "boards")
    assert res.returncode == 0, res.stderr
    assert {"stm32f4_discovery", "bluepill", "nucleo_l4r5zi"} <= {line.split()[0] for line in res.stdout.splitlines()}

    # a user's own source file, built and run by the installed tandem (its firmware, its hook)
    shutil.copy(share / "firmware" / "tests" / "hello.c", tmp_path / "hello.c")
    res = _run(user_env, tmp_path, "-m", "tandem", "build", "--board", "stm32f4_discovery", "hello.c")
    assert res.returncode == 0, res.stderr
    elf = Path(res.stdout.strip())
    assert elf.is_file() and elf.is_relative_to(tmp_path / "cache")
    res = _run(user_env, tmp_path, "-m", "tandem", "run", "--board", "stm32f4_discovery", str(elf))
    assert res.returncode == 0, res.stderr
    assert res.stdout == "Hello from tandem!\nline 0\nline 1\nline 2\n"
    assert "[tandem] stm32f4_discovery: exit 0;" in res.stderr

    res = _run(user_env, tmp_path, "-m", "tandem", "infer", "--board", "nucleo_l4r5zi",
               "--model", str(ROOT / "tests" / "models" / "op_add.tflite"), "--check")
    assert res.returncode == 0, res.stderr
    assert "ADD" in res.stdout and "bit-exact with the TFLite reference kernels" in res.stdout
    assert not (tmp_path / "build").exists()


def test_console_script_is_installed(installed: Path, user_env: dict[str, str], tmp_path: Path):
    script = installed / "bin" / "tandem"
    assert script.is_file()
    res = subprocess.run([sys.executable, str(script), "--version"], capture_output=True, text=True,
                         cwd=tmp_path, env=user_env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "tandem 0.2.0"
