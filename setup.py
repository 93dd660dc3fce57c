"""Build step that pyproject.toml cannot say: ship platforms/, firmware/, rtl/ and examples/ inside
the package as ``tandem/_share/`` (found at run time by tandem.config.share_root).

Everything else about the package is in pyproject.toml.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHARED = ("platforms", "firmware", "rtl", "examples")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "sim_build", "build", "*.o", "*.elf", "*.vcd", "*.fst")


class BuildWithShare(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the folders beside sim/ directly
            return
        share = Path(self.build_lib) / "tandem" / "_share"
        if share.exists():
            shutil.rmtree(share)
        for name in SHARED:
            shutil.copytree(HERE / name, share / name, ignore=SKIP)


setup(
    packages=["tandem", *(f"tandem.{p}" for p in find_packages("sim"))],
    cmdclass={"build_py": BuildWithShare},
)
