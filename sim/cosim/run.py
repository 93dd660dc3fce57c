"""Running a board with the RTL accelerator: build the RTL once, launch the simulator, read back.

:func:`run_with_accel` is the entry point (``tandem run --accel``). The board runs *inside* the
RTL simulator's process (the measured cheapest coupling: the emulator is stepped from the cocotb
coroutine, no sockets or threads), so this function:

1. builds ``tb_accel_bridge`` for the accelerator's parameters with cocotb's runner, cached under
   ``<cache>/rtl/`` by a hash of the Verilog sources' contents, the parameters and the simulator;
2. writes a request JSON and runs the cocotb test module :mod:`tandem.cosim.entry` in a fresh
   directory; the child builds the Board, runs the firmware and writes a result JSON;
3. turns the result back into a :class:`~tandem.machine.board.RunResult` plus per-job accelerator figures,
   or re-raises the child's error as the same TandemError type.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tandem import errors
from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.cosim.rtl import (
    RTL_DIR,
    RTL_INCLUDE_DIR,
    SIMULATORS,
    VERILATOR_ARGS,
    RtlDesign,
    build,
    find_verilator,
    make_runner,
)
from tandem.errors import AcceleratorError, TandemError
from tandem.machine.results import RunResult
from tandem.peripherals.conv_accel import TYPE_NAME, AccelParams
from tandem.platform import search
from tandem.platform.model import Platform, load_platform
from tandem.rtlsim.model import verilator_identity

BRIDGE_TOP = "tb_accel_bridge"
BRIDGE_SOURCES = (RTL_DIR / "tandem_conv_accel.v", RTL_DIR / "bridge" / "tb_accel_bridge.v")


@dataclass
class CosimResult:
    """A co-simulated run: the board's result and what the accelerator did."""

    run: RunResult
    jobs: list[dict[str, Any]]
    simulator: str
    build_seconds: float  # 0 when the cached build was used
    total_seconds: float  # wall time of run_with_accel
    child_seconds: float  # wall time inside the simulator process (board set-up and run)
    setup_seconds: float  # board and RTL set-up in the simulator process
    waves: Path | None = None
    notes: list[str] = field(default_factory=list)
    memory: list[bytes] = field(default_factory=list)  # what ``reads`` asked for, read after the run
    # (cycle, register offset, value) of the Tandem.Trace register, with ``trace``
    trace_events: list[tuple[int, int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"run": self.run.to_json(), "accelerator_jobs": self.jobs, "simulator": self.simulator,
                "build_seconds": self.build_seconds, "total_seconds": self.total_seconds,
                "child_seconds": self.child_seconds, "setup_seconds": self.setup_seconds,
                "waves": str(self.waves) if self.waves else None}


def resolve_accel(name_or_path: str, config: TandemConfig) -> Path:
    """An accelerator overlay: a name under platforms/accel/ (conv8x8) or a .repl path."""
    return search.resolve_accel(name_or_path, config.platforms_dir)


def bridge_design(params: AccelParams) -> RtlDesign:
    from tandem.cosim.bridge import mem_words  # numpy only; no cocotb import needed here

    return RtlDesign(toplevel=BRIDGE_TOP, sources=BRIDGE_SOURCES,
                     parameters={**params.rtl_parameters(), "MEM_WORDS": mem_words(params)})


def _content_key(simulator: str, design: RtlDesign, waves: str | None) -> str:
    h = hashlib.sha256()
    for src in (*design.sources, *sorted(RTL_INCLUDE_DIR.glob("*.vh"))):
        h.update(src.name.encode())
        h.update(src.read_bytes())
    h.update(json.dumps([simulator, dict(sorted(design.parameters.items())), waves]).encode())
    if simulator == "verilator":
        # the version, not the path: checkouts sharing $TANDEM_CACHE share the build
        h.update(json.dumps([verilator_identity(find_verilator()), VERILATOR_ARGS]).encode())
    return h.hexdigest()[:16]


def build_bridge(simulator: str, params: AccelParams, config: TandemConfig,
                 waves: str | None = None) -> tuple[Path, float]:
    """Build (or reuse) the bridge for these parameters; returns (build dir, seconds spent)."""
    if simulator not in SIMULATORS:
        raise TandemError(f"unknown simulator {simulator!r}; choose one of {', '.join(SIMULATORS)}")
    design = bridge_design(params)
    root = config.cache_dir / "rtl" / f"{simulator}-{BRIDGE_TOP}-{_content_key(simulator, design, waves)}"
    stamp = root / "built.json"
    if stamp.is_file():
        return Path(json.loads(stamp.read_text())["build_dir"]), 0.0
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same design
        if stamp.is_file():
            return Path(json.loads(stamp.read_text())["build_dir"]), 0.0
        built = build(simulator, design, build_root=root, waves=waves)
        stamp.write_text(json.dumps({"build_dir": str(built.build_dir), "seconds": built.build_seconds}))
    return built.build_dir, built.build_seconds


def _waves_format(path: Path | None, simulator: str) -> str | None:
    """"fst" or "vcd" from the file name; checks the simulator can write it."""
    if path is None:
        return None
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("fst", "vcd"):
        raise TandemError(f"{path}: give the waveform file a .fst or .vcd name")
    if simulator == "icarus" and fmt != "fst":
        raise TandemError(f"{path}: Icarus (through cocotb) writes FST; name the file .fst")
    if simulator == "verilator" and fmt == "fst" and not any(
            Path(d, "lz4.h").is_file() for d in ("/usr/include", "/usr/local/include")):
        raise errors.ToolchainError(
            f"{path}: Verilator's FST writer needs lz4.h (Debian: liblz4-dev), which is not "
            "installed; write a .vcd instead, or use --simulator icarus for FST")
    return fmt


def _raise_child_error(err: dict[str, Any]) -> None:
    cls = getattr(errors, err.get("type", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, TandemError)):
        cls = TandemError
    if cls is errors.FirmwareFault:
        raise errors.FirmwareFault(err["summary"], err.get("report", ""))
    if cls is errors.PlatformError:
        raise errors.PlatformError(err["message"])
    raise cls(err["message"])


def run_with_accel(board: str, elf: str | Path, accel: str | Path = "conv8x8",
                   config: TandemConfig | None = None, simulator: str = "verilator",
                   max_cycles: int = DEFAULT_MAX_CYCLES, stdin: bytes = b"", stream: bool = False,
                   waves: str | Path | None = None, overlays: list[Path] | None = None,
                   vector_faults: bool = False, verbose: bool = False, platform: Platform | None = None,
                   writes: Sequence[tuple[int, bytes]] = (), reads: Sequence[tuple[int, int]] = (),
                   trace: bool = False) -> CosimResult:
    """Run ``elf`` on ``board`` with the accelerator overlay ``accel`` co-simulated in RTL.

    ``overlays`` are further .repl files layered after the accelerator's (e.g. a test's bus
    model); ``stream`` lets the firmware's console output through live; ``waves`` dumps the RTL's
    waveform there (.fst; .vcd with Verilator); ``vector_faults`` is Board.run's. ``platform`` is
    the board with those overlays when the caller has parsed it already. ``writes`` (address,
    bytes) go into the board after the ELF is loaded; ``reads`` (address, size) come back in
    :attr:`CosimResult.memory` after the run, and with ``trace`` the trace register's events.
    """
    t0 = time.perf_counter()
    config = config or TandemConfig.from_env()
    overlay_paths = [resolve_accel(str(accel), config), *[Path(p).resolve() for p in overlays or []]]
    if platform is None:
        platform = load_platform(board, config.platforms_search, overlay_paths)
    specs = [p for p in platform.peripherals if p.type == TYPE_NAME]
    if len(specs) != 1:
        raise TandemError(f"{accel}: expected one {TYPE_NAME} entry on board {board}, found {len(specs)}")
    params = AccelParams.from_spec(specs[0])
    elf_path = Path(elf).resolve()
    if not elf_path.is_file():
        raise errors.ElfError(f"{elf}: no such firmware file")
    waves_path = Path(waves).resolve() if waves is not None else None
    build_dir, build_seconds = build_bridge(simulator, params, config, _waves_format(waves_path, simulator))

    runs = config.cache_dir / "cosim-runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    request = {
        "board": str(Path(board).resolve()) if Path(board).suffix == ".repl" else board,
        "overlays": [str(p) for p in overlay_paths], "elf": str(elf_path),
        "max_cycles": max_cycles, "stdin": stdin.hex(), "stream": stream, "vector_faults": vector_faults,
        "platforms_dir": str(config.platforms_dir), "cache_dir": str(config.cache_dir),
        "platform_path": [str(d) for d in config.platform_path],
        "result_path": str(run_dir / "result.json"),
        "writes": [[addr, data.hex()] for addr, data in writes],
        "reads": [[addr, size] for addr, size in reads], "trace": trace,
    }
    (run_dir / "request.json").write_text(json.dumps(request))
    # cocotb sets up pytest's assertion rewriting in the simulator; keep pytest from importing
    # plugins registered by whatever is installed in the environment (another tandem checkout's)
    env = {"TANDEM_COSIM_REQUEST": str(run_dir / "request.json"), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if not verbose:
        env["COCOTB_LOG_LEVEL"] = "WARNING"
        env["GPI_LOG_LEVEL"] = "ERROR"
    plusargs = [f"+TANDEM_MEM_IN={run_dir / 'mem_in.hex'}", f"+TANDEM_MEM_OUT={run_dir / 'mem_out.hex'}"]
    test_args: list[str] = []
    if waves_path is not None:
        if simulator == "icarus":
            plusargs.append(f"+dumpfile_path={waves_path}")
        else:
            test_args = ["--trace-file", str(waves_path)]
    elif simulator == "verilator":
        plusargs.append("+verilator+quiet")
    runner = make_runner(simulator)
    # cocotb's runner hands the child this process's sys.path as PYTHONPATH, so the simulator
    # imports this same tandem package.
    try:
        runner.test(test_module="tandem.cosim.entry", hdl_toplevel=BRIDGE_TOP, hdl_toplevel_lang="verilog",
                    build_dir=build_dir, test_dir=run_dir, results_xml=str(run_dir / "results.xml"),
                    extra_env=env, plusargs=plusargs, test_args=test_args,
                    waves=waves_path is not None, timescale=("1ns", "1ps"))
    except (SystemExit, RuntimeError):
        pass  # the result file (or its absence) says what happened
    result_file = run_dir / "result.json"
    if not result_file.is_file():
        raise AcceleratorError(f"the {simulator} co-simulation ended without a result; see the log above "
                               f"and {run_dir}")
    data = json.loads(result_file.read_text())
    if data.get("error"):
        shutil.rmtree(run_dir, ignore_errors=True)
        _raise_child_error(data["error"])
    res = data["result"]
    if res is None:
        raise AcceleratorError(f"the co-simulation failed inside tandem; see the log above and {run_dir}")
    run = run_result(res)
    shutil.rmtree(run_dir, ignore_errors=True)
    return CosimResult(run=run, jobs=data["jobs"], simulator=simulator, build_seconds=build_seconds,
                       total_seconds=time.perf_counter() - t0, child_seconds=data.get("child_seconds", 0.0),
                       setup_seconds=data.get("setup_seconds", 0.0), waves=waves_path,
                       memory=[bytes.fromhex(h) for h in data.get("memory", [])],
                       trace_events=[(int(c), int(o), int(v)) for c, o, v in data.get("trace_events", [])])


def run_result(res: dict[str, Any]) -> RunResult:
    """The RunResult back from its JSON form (:meth:`RunResult.to_json`), every field."""
    return RunResult(exit_code=res["exit_code"], instructions=res["instructions"], cycles=res["cycles"],
                     cpu_hz=res["cpu_hz"], output=res["output"], stderr=res["stderr"],
                     wall_seconds=res["wall_seconds"], stop_reason=res["stop_reason"], board=res["board"],
                     notes=res["notes"], stack_bytes=res["stack_bytes"], heap_bytes=res["heap_bytes"],
                     seconds=res.get("sim_seconds"))
