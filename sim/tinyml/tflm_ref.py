"""Run a .tflite model through TFLite Micro's own interpreter (the second bit-exactness oracle).

The ``tflite-micro`` package on PyPI carries TFLM's interpreter and reference kernels built for
the host. TFLM is more lenient than LiteRT in places (it ignores a bias tensor's
``quantized_dimension``, for example) and stricter in others, so ``--check`` asks both. TFLM
prints its errors and its allocation report from C to the process's stderr; both are captured
here through the file descriptor, so a refusal becomes one :class:`ModelError` line that quotes
TFLM's own message, and the arena TFLM used is read off its recording allocator.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem.errors import ModelError, ToolchainError

# Larger than any model of the tests needs; TFLM's own default (10x the model) is too small for
# the 16x8 integration-test models.
DEFAULT_ARENA = 8 << 20

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_HEAD = re.compile(r"Arena allocation head (\d+) bytes")
_TAIL = re.compile(r"Arena allocation tail (\d+) bytes")


@dataclass(frozen=True)
class TflmRun:
    """The outputs of the last invocation and the arena TFLM's allocator recorded."""

    outputs: list[np.ndarray]
    arena_used_bytes: int
    arena_head_bytes: int
    arena_tail_bytes: int


def _flush_c_stdio() -> None:
    """TFLM's C++ side prints through C stdio, buffered when stdout is not a terminal."""
    import ctypes

    ctypes.CDLL(None).fflush(None)


@contextmanager
def _captured_output() -> Iterator[Callable[[], str]]:
    """Redirect file descriptors 1 and 2 (where TFLM's C code prints) into a temporary file."""
    sys.stdout.flush()
    sys.stderr.flush()
    _flush_c_stdio()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        text: list[str] = []

        def read() -> str:
            return "".join(text)

        try:
            yield read
        finally:
            _flush_c_stdio()
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
            tmp.seek(0)
            text.append(tmp.read().decode("utf-8", "replace"))


def _last_message(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and "RecordingMicroAllocator" not in ln]
    return "; ".join(lines[-3:]) if lines else "no message"


def _interpreter(model: bytes, arena_size: int) -> Any:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ToolchainError(f"tflite-micro is not installed: {exc}") from exc
    return runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)


def run_tflm(model: bytes, inputs: Sequence[np.ndarray], invocations: int = 1,
             arena_size: int = DEFAULT_ARENA) -> TflmRun:
    """Invoke ``model`` on ``inputs`` (in subgraph input order) ``invocations`` times with TFLM's
    interpreter; return the last invocation's outputs and the arena figures."""
    from tandem.tinyml.model import read_model

    info = read_model(bytes(model))
    if len(info.inputs) != len(inputs):
        raise ModelError(f"model has {len(info.inputs)} inputs, {len(inputs)} given")
    with _captured_output() as out:
        try:
            interp = _interpreter(model, arena_size)
        except (ValueError, RuntimeError) as exc:
            failed: Exception | None = exc
        else:
            failed = None
    if failed is not None:
        raise ModelError(f"TFLM rejected the model: {_last_message(out())} ({failed})")
    outputs: list[np.ndarray] = []
    with _captured_output() as out:
        try:
            arrays = []
            for i, x in enumerate(inputs):
                d = interp.get_input_details(i)
                x = np.asarray(x, dtype=d["dtype"])
                if tuple(x.shape) != tuple(int(v) for v in d["shape"]):
                    raise ModelError(f"input {i}: shape {x.shape} != {tuple(d['shape'])}")
                arrays.append(x)
            for _ in range(invocations):
                # TFLM's planner reuses an input's memory once its last reader ran: the inputs
                # are set before every invocation (as tandem's firmware and LiteRT do)
                for i, x in enumerate(arrays):
                    interp.set_input(x, i)
                interp.invoke()
            outputs = [np.array(interp.get_output(i), copy=True) for i in range(len(info.outputs))]
            interp.print_allocations()
        except (ValueError, RuntimeError) as exc:
            failed = exc
    text = out()
    if failed is not None:
        raise ModelError(f"TFLM failed to run the model: {_last_message(text)} ({failed})")

    def figure(pattern: re.Pattern[str]) -> int:
        m = pattern.search(text)
        return int(m.group(1)) if m else -1

    return TflmRun(outputs, figure(_TOTAL), figure(_HEAD), figure(_TAIL))


def run_tflm_reference(model: bytes, inputs: Sequence[np.ndarray], invocations: int = 1) -> list[np.ndarray]:
    """The outputs only, with the signature of :func:`tandem.tinyml.litert_ref.run_reference`."""
    return run_tflm(model, inputs, invocations).outputs
