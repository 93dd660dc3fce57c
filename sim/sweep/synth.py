"""Area of a design point's RTL from yosys (Debian's): generic cells and iCE40 LUT4s.

One yosys process per parameter set reads the sources once, then runs

- ``synth -flatten -top T`` up to its ``fine`` stage without ``memory_map`` (the buffers stay one
  ``$mem`` cell each instead of becoming thousands of flip-flops: the memory_map and ABC runs over
  them were what made the lost attempt's synthesis take minutes per point), then ``techmap`` and
  ``abc -fast``: ``area_cells`` is that netlist's cell count (gates, flip-flops, one per memory);
- ``synth_ice40 -top T -run begin:check`` (everything up to the final checks, which change no
  count): ``lut4`` is its SB_LUT4 count, ``bram`` its SB_RAM40_4K count (the buffers).

Results are cached under ``<cache>/synth/`` by the sources' contents, the top, the parameters and
the yosys version, so a parameter set is synthesised once whatever the other parameters of the
points that share it (bus wait states do not change the RTL).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tandem.config import TandemConfig
from tandem.errors import SweepError, ToolchainError
from tandem.sweep.overlay import RtlBuild

YOSYS_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Area:
    area_cells: int
    lut4: int
    bram: int
    seconds: float  # yosys wall time (0.0 when the cache answered)
    cached: bool

    def to_json(self) -> dict[str, int | float]:
        return {"area_cells": self.area_cells, "lut4": self.lut4, "bram": self.bram, "seconds": self.seconds}


def yosys_path() -> str:
    path = shutil.which("yosys")
    if path is None:
        raise ToolchainError("yosys is not installed (Debian: apt-get install yosys; scripts/setup.sh does)")
    return path


def yosys_version() -> str:
    try:
        out = subprocess.run([yosys_path(), "-V"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"yosys -V failed: {exc}") from None
    return out.stdout.strip()


def synth_key(build: RtlBuild, version: str) -> str:
    h = hashlib.sha256()
    for src in build.sources:
        try:
            h.update(Path(src).name.encode() + Path(src).read_bytes())
        except OSError as exc:
            raise SweepError(f"{src}: cannot read the RTL source: {exc.strerror}") from None
    for inc in build.includes:
        for header in sorted(Path(inc).glob("*.vh")):
            h.update(header.name.encode() + header.read_bytes())
    h.update(json.dumps([build.top, list(build.parameters), version]).encode())
    return h.hexdigest()[:20]


def _script(build: RtlBuild, out: Path) -> str:
    incs = " ".join(f"-I{i}" for i in build.includes)
    chparam = " ".join(f"-set {k} {json.dumps(v) if isinstance(v, str) else v}" for k, v in build.parameters)
    top = build.top
    lines = [f"read_verilog {incs} {' '.join(build.sources)}"]
    if chparam:
        lines.append(f"chparam {chparam} {top}")
    lines += ["design -save orig",
              f"synth -flatten -top {top} -run begin:fine", "opt -fast -full", "techmap", "opt -fast",
              "abc -fast", "opt -fast", f"tee -q -o {out / 'generic.json'} stat -json",
              "design -load orig",
              f"synth_ice40 -top {top} -run begin:check", f"tee -q -o {out / 'ice40.json'} stat -json"]
    return "\n".join(lines) + "\n"


def _cells(path: Path) -> dict[str, int]:
    data = json.loads(path.read_text())
    modules = data["modules"]
    top = next(iter(modules.values())) if len(modules) == 1 else data.get("design", next(iter(modules.values())))
    return {"__total__": int(top["num_cells"]), **{k: int(v) for k, v in top.get("num_cells_by_type", {}).items()}}


def run_yosys(build: RtlBuild) -> Area:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="synth-") as tmp:
        out = Path(tmp)
        (out / "run.ys").write_text(_script(build, out))
        try:
            proc = subprocess.run([yosys_path(), "-q", "-l", str(out / "yosys.log"), "-s", str(out / "run.ys")],
                                  capture_output=True, text=True, timeout=YOSYS_TIMEOUT, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise ToolchainError(f"yosys: {build.top} did not finish in {YOSYS_TIMEOUT:.0f} s") from None
        if proc.returncode != 0 or not (out / "ice40.json").is_file():
            err = [ln for ln in (proc.stderr + proc.stdout).splitlines() if "ERROR" in ln]
            raise ToolchainError(f"yosys failed on {build.top} ({' '.join(f'{k}={v}' for k, v in build.parameters)})"
                                 f": {err[0].strip() if err else 'exit code ' + str(proc.returncode)}")
        generic, ice = _cells(out / "generic.json"), _cells(out / "ice40.json")
    return Area(generic["__total__"], ice.get("SB_LUT4", 0), ice.get("SB_RAM40_4K", 0),
                time.perf_counter() - t0, False)


def synthesise(build: RtlBuild, cfg: TandemConfig, version: str | None = None) -> Area:
    """The point's area, from the cache or yosys (one process at a time per parameter set: a
    second sweep or worker asking for the same one waits for the first's result)."""
    key = synth_key(build, version or yosys_version())
    root = cfg.cache_dir / "synth"
    root.mkdir(parents=True, exist_ok=True)
    result = root / f"{build.top}-{key}.json"
    if not result.is_file():
        with open(root / f"{build.top}-{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not result.is_file():
                area = run_yosys(build)
                tmp = result.with_suffix(".tmp")
                tmp.write_text(json.dumps(area.to_json()))
                tmp.replace(result)
                return area
    data = json.loads(result.read_text())
    return Area(int(data["area_cells"]), int(data["lut4"]), int(data["bram"]), 0.0, True)
