"""The C micro runtime compiled for the build machine and called through ctypes.

Used to test the runtime's kernels against LiteRT before (and besides) running them on a
simulated board.  The shared library is rebuilt when any runtime source changes; builds are
cached under ``the cache (TandemConfig.cache_dir / "host")<hash>/``.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tandem.config import TandemConfig, share_root
from tandem.errors import ModelError, ToolchainError
from tandem.tinyml.model import read_model, unsupported_op_message

RUNTIME_DIR = share_root() / "firmware" / "runtime"

MAX_IO = 8
MAX_DIMS = 6

STATUS_NAMES = {
    0: "ok", 1: "malformed model", 2: "unsupported model version", 3: "unsupported op",
    4: "unsupported tensor type", 5: "arena too small", 6: "wrong input shape",
    7: "inconsistent shapes", 8: "invalid op parameters", 9: "misaligned data", 10: "bad state",
}
_NP_TYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_, 7: np.int16, 9: np.int8}


class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("op_index", ctypes.c_int32), ("builtin_code", ctypes.c_int32),
                ("tensor_index", ctypes.c_int32), ("bytes_needed", ctypes.c_uint32),
                ("detail", ctypes.c_uint32)]


class _Info(ctypes.Structure):
    _fields_ = [("ninputs", ctypes.c_uint32), ("noutputs", ctypes.c_uint32),
                ("input_bytes", ctypes.c_uint32 * MAX_IO), ("input_type", ctypes.c_int32 * MAX_IO),
                ("output_bytes", ctypes.c_uint32 * MAX_IO), ("output_type", ctypes.c_int32 * MAX_IO),
                ("output_ndim", ctypes.c_uint32 * MAX_IO),
                ("output_dims", (ctypes.c_int32 * MAX_DIMS) * MAX_IO),
                ("arena_used", ctypes.c_uint32), ("error", _Error)]


@dataclass(frozen=True)
class HostBuildConfig:
    """How to compile the host runtime."""

    cc: str = "gcc"
    cflags: tuple[str, ...] = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC")
    defines: tuple[str, ...] = ()
    build_root: Path = field(default_factory=lambda: TandemConfig.from_env().cache_dir / "host")

    @classmethod
    def optimized(cls, dsp: bool) -> HostBuildConfig:
        """The optimized kernels ahead of the reference ones: their portable C paths, or
        (``dsp``) their DSP-extension paths with the intrinsics emulated in C."""
        return cls(defines=("TFL_HOST_OPTIMIZED", *(("TFL_OPT_DSP_EMULATE",) if dsp else ())))


@dataclass
class RuntimeStatus:
    """What the runtime reported: status code and where it happened."""

    code: int
    op_index: int
    builtin_code: int
    tensor_index: int
    bytes_needed: int
    detail: int
    op_text: str = ""  # "unsupported op NAME (index N)" for an op the resolver lacks

    @property
    def name(self) -> str:
        return STATUS_NAMES.get(self.code, f"status {self.code}")

    @property
    def text(self) -> str:
        """The status as a user reads it (an unsupported op named by name and index)."""
        return self.op_text or self.name

    @property
    def ok(self) -> bool:
        return self.code == 0


class _Plan(ctypes.Structure):
    _fields_ = [("planned", ctypes.c_int32), ("offset", ctypes.c_uint32), ("bytes", ctypes.c_uint32),
                ("first_op", ctypes.c_int32), ("last_op", ctypes.c_int32)]


@dataclass(frozen=True)
class TensorPlacement:
    """Where the arena planner put one tensor, and the ops between which it must live."""

    index: int
    planned: bool
    offset: int
    nbytes: int
    first_op: int
    last_op: int


@dataclass
class RunOutput:
    status: RuntimeStatus
    outputs: list[np.ndarray]
    arena_used: int


def runtime_sources() -> list[Path]:
    srcs = sorted((RUNTIME_DIR / "src").glob("*.c")) + sorted((RUNTIME_DIR / "kernels" / "reference").glob("*.c"))
    srcs += sorted((RUNTIME_DIR / "kernels" / "optimized").glob("*.c"))  # linked, used only when registered
    return srcs + [RUNTIME_DIR / "host" / "host_api.c"]


def _headers() -> list[Path]:
    return sorted(RUNTIME_DIR.rglob("*.h"))


def build_host_library(config: HostBuildConfig | None = None) -> Path:
    """Compile the runtime into a shared library (cached by source hash); return its path."""
    config = config or HostBuildConfig()
    if shutil.which(config.cc) is None:
        raise ToolchainError(f"host C compiler {config.cc!r} not found on PATH")
    h = hashlib.sha256()
    for p in runtime_sources() + _headers():
        h.update(str(p.relative_to(RUNTIME_DIR)).encode())
        h.update(p.read_bytes())
    h.update(repr((config.cc, config.cflags, config.defines)).encode())
    out_dir = config.build_root / h.hexdigest()[:16]
    lib = out_dir / "libtfl_host.so"
    if lib.exists():
        return lib
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f"libtfl_host.so.tmp{os.getpid()}"
    cmd = [config.cc, *config.cflags, *(f"-D{d}" for d in config.defines), "-shared",
           f"-I{RUNTIME_DIR / 'include'}", f"-I{RUNTIME_DIR / 'kernels' / 'reference'}",
           f"-I{RUNTIME_DIR / 'host'}", *map(str, runtime_sources()), "-lm", "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolchainError(f"host runtime build failed:\n{' '.join(cmd)}\n{proc.stderr}")
    tmp.replace(lib)
    return lib


class HostRuntime:
    """ctypes wrapper around ``tfl_host_run``."""

    def __init__(self, config: HostBuildConfig | None = None) -> None:
        self.lib_path = build_host_library(config)
        self._lib = ctypes.CDLL(str(self.lib_path))
        fn = self._lib.tfl_host_run_ops
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_uint32,
                       ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_uint32), ctypes.c_uint32,
                       ctypes.POINTER(ctypes.c_void_p), ctypes.c_uint32, ctypes.POINTER(_Info),
                       ctypes.POINTER(ctypes.c_int32), ctypes.c_uint32]
        self._raw = fn

    def run(self, model: bytes, inputs: Sequence[np.ndarray], arena_size: int = 1 << 20,
            invocations: int = 1, only_ops: Sequence[int] | None = None) -> RunOutput:
        """Init the model on a fresh arena and invoke it; a failing status is returned, not raised.

        ``only_ops`` registers just those builtin codes in the op resolver (default: all).
        """
        ops_arr = None if only_ops is None else (ctypes.c_int32 * max(len(only_ops), 1))(*only_ops)
        n_ops = 0 if only_ops is None else len(only_ops)

        def call(*args: object) -> int:
            return self._raw(*args, ops_arr, n_ops)

        # The runtime wants the model 4-byte aligned (16 keeps constant vectors aligned).
        model_buf = np.zeros(len(model) + 16, dtype=np.uint8)
        off = (-model_buf.ctypes.data) % 16
        model_view = model_buf[off:off + len(model)]
        model_view[:] = np.frombuffer(model, dtype=np.uint8)
        arena_buf = np.zeros(max(arena_size, 1) + 16, dtype=np.uint8)
        arena = arena_buf[(-arena_buf.ctypes.data) % 16:]
        info = _Info()
        null_outs = (ctypes.c_void_p * MAX_IO)()
        rc = call(model_view.ctypes.data, len(model), arena.ctypes.data, arena_size, None, None, 0,
                      null_outs, 0, ctypes.byref(info))
        if rc != 0:
            return RunOutput(self._status(info, model), [], info.arena_used)
        arrays = [np.ascontiguousarray(x) for x in inputs]
        n_in = len(arrays)
        in_ptrs = (ctypes.c_void_p * max(n_in, 1))(*[a.ctypes.data for a in arrays])
        in_sizes = (ctypes.c_uint32 * max(n_in, 1))(*[a.nbytes for a in arrays])
        outs = []
        for i in range(info.noutputs):
            dt = _NP_TYPES.get(info.output_type[i])
            if dt is None:
                raise ModelError(f"output {i}: unsupported tensor type {info.output_type[i]}")
            shape = tuple(info.output_dims[i][k] for k in range(info.output_ndim[i]))
            outs.append(np.zeros(shape, dtype=dt))
        out_ptrs = (ctypes.c_void_p * MAX_IO)(*[o.ctypes.data for o in outs])
        info2 = _Info()
        rc = call(model_view.ctypes.data, len(model), arena.ctypes.data, arena_size, in_ptrs, in_sizes,
                      n_in, out_ptrs, invocations, ctypes.byref(info2))
        status = self._status(info2, model)
        return RunOutput(status, outs if rc == 0 else [], info2.arena_used)

    def plan(self, model: bytes, arena_size: int = 1 << 22) -> tuple[int, list[TensorPlacement]]:
        """Init the model and return (activation bytes, placement of every tensor)."""
        model_buf = np.zeros(len(model) + 16, dtype=np.uint8)
        off = (-model_buf.ctypes.data) % 16
        model_buf[off:off + len(model)] = np.frombuffer(model, dtype=np.uint8)
        arena_buf = np.zeros(arena_size + 16, dtype=np.uint8)
        arena = arena_buf[(-arena_buf.ctypes.data) % 16:]
        fn = self._lib.tfl_host_plan
        fn.restype = ctypes.c_int
        max_tensors = 4096
        out = (_Plan * max_tensors)()
        count, plan_bytes = ctypes.c_uint32(), ctypes.c_uint32()
        rc = fn(ctypes.c_void_p(model_buf[off:].ctypes.data), ctypes.c_uint32(len(model)),
                ctypes.c_void_p(arena.ctypes.data), ctypes.c_uint32(arena_size), out, ctypes.c_uint32(max_tensors),
                ctypes.byref(count), ctypes.byref(plan_bytes))
        if rc != 0:
            raise ModelError(f"runtime init failed: {STATUS_NAMES.get(rc, rc)}")
        return plan_bytes.value, [TensorPlacement(i, bool(p.planned), p.offset, p.bytes, p.first_op, p.last_op)
                                  for i, p in enumerate(out[:count.value])]

    @staticmethod
    def _status(info: _Info, model: bytes) -> RuntimeStatus:
        e = info.error
        text = ""
        if e.code == 3:
            try:
                parsed = read_model(bytes(model))
            except ModelError:
                parsed = None
            text = unsupported_op_message(parsed, e.op_index, e.builtin_code)
        return RuntimeStatus(e.code, e.op_index, e.builtin_code, e.tensor_index, e.bytes_needed, e.detail, text)
