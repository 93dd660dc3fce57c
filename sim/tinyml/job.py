"""One ``tandem infer`` job, set up once: the board, the model, its inputs and the runtime image.

:class:`InferenceJob` parses the platform (with any overlays, the accelerator's first), reads the
model, fixes the inputs (given or random from a seed) and builds (or reuses) the runtime image
for the op set, once; :func:`tandem.tinyml.infer.run_job` and
:func:`~tandem.tinyml.infer.run_job_accel` run it without parsing anything again. This module also
owns the runtime image's sources and the input helpers both paths share.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tandem.config import TandemConfig
from tandem.errors import ModelError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.platform.model import Platform, load_platform
from tandem.tinyml.model import ModelInfo, read_model

RUNTIME = "runtime"
OP_SETS = ("reference", "dscnn", "accel")


def runtime_sources(cfg: TandemConfig, op_set: str) -> tuple[str, ...]:
    root = cfg.firmware_dir
    srcs = sorted((root / RUNTIME / "src").glob("*.c")) + sorted((root / RUNTIME / "kernels" / "reference").glob("*.c"))
    srcs += [root / RUNTIME / "app" / "main.c", root / RUNTIME / "app" / f"op_set_{op_set}.c"]
    if op_set == "accel":
        srcs += [root / RUNTIME / "kernels" / "accel" / "conv_accel_kernel.c", root / "drivers" / "conv_accel.c"]
    return tuple(str(p.relative_to(root)) for p in srcs)


def build_runtime(platform: Platform, cfg: TandemConfig, op_set: str = "reference", opt: str = "-O2") -> Path:
    if op_set not in OP_SETS:
        raise ModelError(f"unknown op set {op_set!r} (known: {', '.join(OP_SETS)})")
    spec = FirmwareSpec(
        sources=runtime_sources(cfg, op_set),
        name=f"runtime-{op_set}",
        opt=opt,
        extra_cflags=(f"-I{RUNTIME}/include", f"-I{RUNTIME}/kernels/reference", f"-I{RUNTIME}/app", "-Idrivers"),
        heap_size=0,
    )
    if op_set == "accel" and not any(p.type == "Tandem.ConvAccelerator" for p in platform.peripherals):
        raise ModelError(f"op set 'accel' needs a board with an accelerator (e.g. --accel conv8x8); "
                         f"{platform.name} has none")
    return build_firmware(platform, spec, cfg)


def dtype_of(name: str) -> np.dtype:
    return np.dtype({"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
                     "int32": np.int32}.get(name, np.int8))


def _shape_inputs(info: ModelInfo) -> dict[int, tuple[int, ...]]:
    """Graph inputs that are TRANSPOSE_CONV's output_shape operand (TFLM's seanet models feed it
    as an input), with the shape they must hold: the op's output shape."""
    return {o.inputs[0]: info.tensors[o.outputs[0]].shape for o in info.ops
            if o.name == "TRANSPOSE_CONV" and o.inputs and o.inputs[0] in info.inputs and o.outputs}


def random_inputs(info: ModelInfo, seed: int = 0) -> list[np.ndarray]:
    """Random values for each graph input (an output_shape input gets the shape it describes)."""
    rng = np.random.default_rng(seed)
    shapes = _shape_inputs(info)
    out = []
    for idx in info.inputs:
        t = info.tensors[idx]
        dt = dtype_of(t.dtype)
        if idx in shapes and dt == np.int32 and t.shape == (len(shapes[idx]),):
            out.append(np.array(shapes[idx], dtype=np.int32))
        elif dt.kind == "f":
            out.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(dt))
        else:
            lim = np.iinfo(dt)
            out.append(rng.integers(lim.min, lim.max + 1, size=t.shape, dtype=np.int64).astype(dt))
    return out


def check_inputs(info: ModelInfo, inputs: list[np.ndarray], where: str = "input") -> list[np.ndarray]:
    if len(inputs) != len(info.inputs):
        raise ModelError(f"{info.path}: the model has {len(info.inputs)} inputs, {len(inputs)} given")
    fixed = []
    for k, (idx, x) in enumerate(zip(info.inputs, inputs, strict=True)):
        t = info.tensors[idx]
        x = np.asarray(x)
        if tuple(x.shape) != tuple(t.shape):
            raise ModelError(f"{where} {k} ({t.name!r}): shape {tuple(x.shape)} does not match the model's "
                             f"{tuple(t.shape)}")
        if x.dtype != dtype_of(t.dtype):
            if np.can_cast(x.dtype, dtype_of(t.dtype), casting="same_kind") or x.dtype.kind == dtype_of(t.dtype).kind:
                x = x.astype(dtype_of(t.dtype))
            else:
                raise ModelError(f"{where} {k} ({t.name!r}): dtype {x.dtype} does not match the model's {t.dtype}")
        fixed.append(x)
    return fixed


def read_model_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model: {exc.strerror}") from None


@dataclass(frozen=True)
class InferenceJob:
    """Everything a run of one model on one board needs, parsed and built once."""

    board: str  # as given: a board name or a .repl path
    platform: Platform  # with the overlays applied
    overlays: tuple[Path, ...]  # the accelerator's overlay first, when there is one
    model_path: str
    model: bytes
    info: ModelInfo
    inputs: list[np.ndarray]  # checked against the model (given, or random from the seed)
    invocations: int
    op_set: str
    accel: str | None  # the accelerator overlay's name for a co-simulated run
    elf: Path  # the runtime image for the platform and op set

    @classmethod
    def create(cls, board: str, model_path: str | Path, cfg: TandemConfig,
               inputs: list[np.ndarray] | None = None, invocations: int = 1, op_set: str = "reference",
               seed: int = 0, overlays: list[Path] | None = None, accel: str | None = None,
               model: bytes | None = None, info: ModelInfo | None = None) -> InferenceJob:
        """Set up a job; ``model``/``info`` skip reading the file again when the caller has them.

        With ``accel`` the op set is "accel" and the accelerator overlay goes under ``overlays``;
        the model and inputs are checked before the board (the co-simulation's order).
        """
        path = Path(model_path)
        data = model if model is not None else read_model_file(path)
        extra = [Path(p) for p in overlays or []]
        if accel is not None:
            from tandem.cosim.run import resolve_accel

            info = info or read_model(data, str(path))
            used = check_inputs(info, inputs) if inputs is not None else None
            extra = [resolve_accel(accel, cfg), *[p.resolve() for p in extra]]
            op_set = "accel"
            platform = load_platform(board, cfg.platforms_search, extra)
            elf = build_runtime(platform, cfg, op_set)
        else:
            platform = load_platform(board, cfg.platforms_search, extra or None)
            elf = build_runtime(platform, cfg, op_set)
            info = info or read_model(data, str(path))
            used = check_inputs(info, inputs) if inputs is not None else None
        if used is None:
            used = check_inputs(info, random_inputs(info, seed))
        return cls(board, platform, tuple(extra), str(path), data, info, used, invocations, op_set, accel, elf)


__all__ = ["OP_SETS", "InferenceJob", "build_runtime", "check_inputs", "dtype_of", "random_inputs",
           "read_model_file", "runtime_sources"]
