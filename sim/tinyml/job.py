"""One ``tandem infer`` job, set up once: the board, the model, its inputs and the runtime image.

:class:`InferenceJob` parses the platform (with any overlays, the accelerator's first), reads the
model, fixes the inputs (given or random from a seed) and builds (or reuses) the runtime image
for the op set, once; :func:`tandem.tinyml.infer.run_job` runs it without parsing anything again. This module also
owns the runtime image's sources and the input helpers both paths share.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from tandem.accel import ENGINE_TOP
from tandem.config import TandemConfig
from tandem.errors import ModelError
from tandem.files import MAX_MODEL_BYTES, read_user_file
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.platform.model import Platform, load_platform
from tandem.platform.search import resolve_accel
from tandem.timing.tables import TABLES
from tandem.tinyml.model import ModelInfo, read_model

RUNTIME = "runtime"
# "model": the kernels the model uses, as a TFLM application registers them with a
# MicroMutableOpResolver (flash follows the model); "accel" and "optimized" with the model's ops
# are the same with the accelerated (kernels/accel/) or optimized (kernels/optimized/: DSP
# extension or portable fast C) kernels in place of the reference ones where they exist; the
# others are tables in app/. "auto" is what users get by default (the CLI, the pytest plugin, the
# sweep): "optimized" where the core has the DSP extension (ARMv7E-M, ARMv8-M Mainline with DSP:
# M4, M7, M33), as an application built with CMSIS-NN would ship, "model" elsewhere.
OP_SETS = ("auto", "model", "reference", "dscnn", "accel", "optimized")
# op sets whose table is generated from the model's ops, and the kernel family each puts first
_GENERATED = {"model": "reference", "accel": "accel", "optimized": "optimized"}
_KERNEL_DEF = re.compile(r"const\s+tfl_kernel_t\s+(tfl_ref_\w+)\s*=\s*\{\s*TFL_OP_(\w+)")
_ACCEL_DEF = re.compile(r"const\s+tfl_kernel_t\s+(tfl_accel_\w+)\s*=\s*\{\s*TFL_OP_(\w+)")
_OPT_DEF = re.compile(r"const\s+tfl_kernel_t\s+(tfl_opt_\w+)\s*=\s*\{\s*TFL_OP_(\w+)")


# Kernels that drive a user-style RTL block (a Tandem.RtlPeripheral), keyed by the block's `top`:
# (sources under firmware/, builtin op -> kernel symbol). A board with the block (its overlay,
# e.g. --accel vmac_axi) gets them in the "model" op set in place of the reference kernels.
# The conv engine's kernels (the "accel" op set; and the "model" op set on a board with the
# engine as a Tandem.RtlPeripheral, top ENGINE_TOP) and its driver.
ENGINE_SOURCES = (f"{RUNTIME}/kernels/accel/conv_accel_kernel.c",
                  f"{RUNTIME}/kernels/accel/depthwise_conv_accel_kernel.c",
                  f"{RUNTIME}/kernels/accel/fully_connected_accel_kernel.c", "drivers/conv_accel.c")
ENGINE_OPS = MappingProxyType({"CONV_2D": "tfl_accel_conv_2d", "DEPTHWISE_CONV_2D": "tfl_accel_depthwise_conv_2d",
                               "FULLY_CONNECTED": "tfl_accel_fully_connected"})
RTL_KERNELS: MappingProxyType[str, tuple[tuple[str, ...], MappingProxyType[str, str]]] = MappingProxyType({
    "vmac_axi": ((f"{RUNTIME}/kernels/accel/vmac_fc_kernel.c",),
                 MappingProxyType({"FULLY_CONNECTED": "tfl_vmac_fully_connected"})),
    ENGINE_TOP: (ENGINE_SOURCES, ENGINE_OPS),
})


def has_dsp(platform: Platform) -> bool:
    """Whether the board's core has the DSP extension (the "v7em" and "v8m" cycle tables)."""
    table = TABLES.get(platform.cpu.core)
    return table is not None and table.arch in ("v7em", "v8m")


def resolve_op_set(platform: Platform, op_set: str) -> str:
    """``op_set`` with "auto" made concrete for ``platform``; unknown names are refused."""
    if op_set not in OP_SETS:
        raise ModelError(f"unknown op set {op_set!r} (known: {', '.join(OP_SETS)})")
    if op_set != "auto":
        return op_set
    return "optimized" if has_dsp(platform) else "model"


def rtl_tops(platform: Platform) -> tuple[str, ...]:
    """The `top` of every Tandem.RtlPeripheral on the board that has kernels (RTL_KERNELS)."""
    tops = (p.properties.get("top") for p in platform.peripherals if p.type == "Tandem.RtlPeripheral")
    return tuple(sorted({t for t in tops if isinstance(t, str) and t in RTL_KERNELS}))


def accel_kernels(cfg: TandemConfig) -> dict[str, str]:
    """Builtin op name -> the accelerated kernel's symbol (kernels/accel/*.c)."""
    return {op: symbol for src in sorted((cfg.firmware_dir / RUNTIME / "kernels" / "accel").glob("*.c"))
            for symbol, op in _ACCEL_DEF.findall(src.read_text())}


def optimized_kernels(cfg: TandemConfig) -> dict[str, str]:
    """Builtin op name -> the optimized kernel's symbol (kernels/optimized/*.c)."""
    return {op: symbol for src in sorted((cfg.firmware_dir / RUNTIME / "kernels" / "optimized").glob("*.c"))
            for symbol, op in _OPT_DEF.findall(src.read_text())}


def reference_kernels(cfg: TandemConfig) -> dict[str, str]:
    """Builtin op name -> the reference kernel's symbol, read from the kernels' definitions
    (``const tfl_kernel_t tfl_ref_x = {TFL_OP_NAME, ...}``): the sources are the one list."""
    table: dict[str, str] = {}
    for src in sorted((cfg.firmware_dir / RUNTIME / "kernels" / "reference").glob("*.c")):
        for symbol, op in _KERNEL_DEF.findall(src.read_text()):
            # an op with variants (e.g. tfl_ref_softmax_int8, int8 only) gets its full kernel
            if op not in table or symbol == f"tfl_ref_{op.lower()}":
                table[op] = symbol
    return table


def model_op_set(cfg: TandemConfig, ops: Iterable[str], accel: bool = False, flavour: str = "reference",
                 tops: Iterable[str] = ()) -> Path:
    """Write (once, atomically) the resolver table of the kernels for ``ops``: reference kernels,
    or the accelerated (``accel``, or flavour "accel") or optimized (flavour "optimized") kernel
    where there is one, and the kernels of the RTL blocks ``tops``; an op without a kernel is left
    out, so the runtime reports it as unsupported, by name and op index."""
    kernels = reference_kernels(cfg)
    if accel or flavour == "accel":
        kernels.update(accel_kernels(cfg))
    elif flavour == "optimized":
        kernels.update(optimized_kernels(cfg))
    for top in tops:
        kernels.update(RTL_KERNELS[top][1])
    symbols = sorted({kernels[op] for op in ops if op in kernels})
    lines = ["/* Generated by tandem: the kernels one model uses. */", '#include "tfl/tfl.h"', ""]
    lines += [f"extern const tfl_kernel_t {s};" for s in symbols]
    table = ", ".join(f"&{s}" for s in symbols) or "0"
    lines += ["", f"static const tfl_kernel_t *const kernels[] = {{{table}}};",
              f"const tfl_resolver_t tandem_op_set = {{kernels, {len(symbols)}u}};", ""]
    text = "\n".join(lines)
    path = cfg.cache_dir / "opsets" / f"op_set_{hashlib.sha256(text.encode()).hexdigest()[:16]}.c"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path


def runtime_sources(cfg: TandemConfig, op_set: str, ops: Iterable[str] | None = None,
                    tops: Iterable[str] = ()) -> tuple[str, ...]:
    """The runtime's sources for ``op_set``; ``tops``: RTL blocks on the board whose kernels the
    "model" and "optimized" op sets use (RTL_KERNELS) in place of the CPU's."""
    root = cfg.firmware_dir
    tops = tuple(tops) if op_set in ("model", "optimized") else ()
    srcs = sorted((root / RUNTIME / "src").glob("*.c")) + sorted((root / RUNTIME / "kernels" / "reference").glob("*.c"))
    srcs += [root / RUNTIME / "app" / "main.c"]
    if op_set == "accel":
        srcs += [root / src for src in ENGINE_SOURCES]
    if op_set == "optimized":
        srcs += sorted((root / RUNTIME / "kernels" / "optimized").glob("*.c"))
    out = [str(p.relative_to(root)) for p in srcs]
    out += [src for top in tops for src in RTL_KERNELS[top][0]]
    if op_set in ("model", "optimized") and ops is None:
        raise ModelError(f"op set {op_set!r} needs the model's ops")
    if op_set in _GENERATED and ops is not None:
        # absolute: it lives in the cache
        out.append(str(model_op_set(cfg, ops, flavour=_GENERATED[op_set], tops=tops)))
    else:
        out.append(f"{RUNTIME}/app/op_set_{op_set}.c")
    return tuple(out)


def build_runtime(platform: Platform, cfg: TandemConfig, op_set: str = "reference", opt: str = "-O2",
                  ops: Iterable[str] | None = None) -> Path:
    """The runtime image for ``platform`` with ``op_set`` ("auto" resolved for the board by
    :func:`resolve_op_set`; ``ops``: the model's op names, for the generated sets)."""
    op_set = resolve_op_set(platform, op_set)
    spec = FirmwareSpec(
        sources=runtime_sources(cfg, op_set, ops, rtl_tops(platform)),
        name=f"runtime-{op_set}",
        opt=opt,
        extra_cflags=(f"-I{RUNTIME}/include", f"-I{RUNTIME}/kernels/reference", f"-I{RUNTIME}/app", "-Idrivers"),
        heap_size=0,
    )
    if op_set == "accel" and ENGINE_TOP not in rtl_tops(platform):
        raise ModelError(f"op set 'accel' needs a board with an accelerator (e.g. --accel conv8x8); "
                         f"{platform.name} has none")
    return build_firmware(platform, spec, cfg)


def dtype_of(name: str) -> np.dtype:
    return np.dtype({"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
                     "int32": np.int32, "int64": np.int64, "bool": np.bool_}.get(name, np.int8))


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
        elif dt.kind == "b":
            out.append(rng.integers(0, 2, size=t.shape).astype(dt))
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
    return read_user_file(path, "model", ModelError, MAX_MODEL_BYTES)


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
    op_set: str  # as built: "auto" resolved for the board
    accel: str | None  # the accelerator overlay's name, when the job was made with one
    elf: Path  # the runtime image for the platform and op set
    runtime: str = "interpreter"  # or "aot": the image was generated for this model (tandem.aot)

    @classmethod
    def create(cls, board: str, model_path: str | Path, cfg: TandemConfig,
               inputs: list[np.ndarray] | None = None, invocations: int = 1, op_set: str = "model",
               seed: int = 0, overlays: list[Path] | None = None, accel: str | None = None,
               model: bytes | None = None, info: ModelInfo | None = None,
               image: Callable[[Platform], Path] | None = None, runtime: str = "interpreter") -> InferenceJob:
        """Set up a job; ``model``/``info`` skip reading the file again when the caller has them.

        ``image`` builds the runtime image for the platform instead of the interpreter's for the
        op set (the AOT runtime's, named ``runtime``).

        With ``accel`` (an overlay's name or path) its overlay goes first under ``overlays``; the
        image links the kernels of the RTL blocks it adds (RTL_KERNELS).
        """
        path = Path(model_path)
        data = model if model is not None else read_model_file(path)
        extra = [Path(p) for p in overlays or []]
        if accel is not None:
            extra = [resolve_accel(accel, cfg.platforms_dir), *[p.resolve() for p in extra]]
        platform = load_platform(board, cfg.platforms_search, extra or None)
        info = info or read_model(data, str(path))
        op_set = resolve_op_set(platform, op_set)
        elf = image(platform) if image is not None else build_runtime(platform, cfg, op_set, ops=info.op_names())
        used = check_inputs(info, inputs) if inputs is not None else None
        if used is None:
            used = check_inputs(info, random_inputs(info, seed))
        return cls(board, platform, tuple(extra), str(path), data, info, used, invocations, op_set, accel, elf,
                   runtime if image is not None else "interpreter")


__all__ = ["OP_SETS", "InferenceJob", "build_runtime", "check_inputs", "dtype_of", "has_dsp", "model_op_set",
           "optimized_kernels", "random_inputs", "read_model_file", "reference_kernels", "resolve_op_set",
           "runtime_sources"]
