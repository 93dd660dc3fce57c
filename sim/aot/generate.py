"""C for one model, ahead of time: the generator behind ``tandem compile``.

The interpreter's own parse, prepare and arena planner run on the build machine
(``firmware/aot/aot_emit.c`` compiled with the runtime's sources), so every number the
generated code holds (quantized multipliers and shifts, padding, clamp ranges, arena offsets)
is the one the firmware's interpreter computes. From what the emitter prints, this module writes
one C file: the activation arena as a static buffer of the plan's size, the constant tensors as
``const`` arrays (``.rodata``, in flash), each op's prepared parameter struct as an initialised
``const`` struct, the tensor and node tables as ``const`` data, and one function that calls the
kernels' eval in graph order with the same per-op trace marks as the interpreter. Nothing reads
the flatbuffer at run time.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tandem.config import TandemConfig
from tandem.errors import ModelError, ToolchainError
from tandem.tinyml.model import ModelInfo, op_name, read_model, unsupported_op_message

# Builtin op -> the kernel the generated code calls (the reference op set; the emitter's table
# in firmware/aot/aot_emit.c says how each kernel's prepared data is laid out).
REFERENCE_KERNELS: Mapping[str, str] = {
    "CONV_2D": "tfl_ref_conv_2d", "DEPTHWISE_CONV_2D": "tfl_ref_depthwise_conv_2d",
    "FULLY_CONNECTED": "tfl_ref_fully_connected", "AVERAGE_POOL_2D": "tfl_ref_average_pool_2d",
    "MAX_POOL_2D": "tfl_ref_max_pool_2d", "ADD": "tfl_ref_add", "MUL": "tfl_ref_mul",
    "SOFTMAX": "tfl_ref_softmax", "QUANTIZE": "tfl_ref_quantize", "DEQUANTIZE": "tfl_ref_dequantize",
    "RESHAPE": "tfl_ref_reshape", "CONCATENATION": "tfl_ref_concatenation", "PAD": "tfl_ref_pad",
    "MEAN": "tfl_ref_mean", "RELU": "tfl_ref_relu", "RELU6": "tfl_ref_relu6",
}
_STATUS = {1: "malformed model", 2: "unsupported model version", 3: "unsupported op", 4: "unsupported tensor type",
           5: "arena too small", 7: "inconsistent shapes", 8: "invalid op parameters", 9: "misaligned data"}
_EMIT_TIMEOUT_S = 120


@dataclass(frozen=True)
class AotTensor:
    index: int
    planned: bool
    offset: int
    is_const: bool
    model_offset: int
    nbytes: int
    type: int
    dims: tuple[int, ...]
    scale_bits: int
    zero_point: int
    variable: bool


@dataclass(frozen=True)
class AotNode:
    index: int
    kernel: str
    builtin_code: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    words: tuple[int, ...]
    mult: tuple[int, ...]
    shift: tuple[int, ...]
    has_data: bool


@dataclass
class AotProgram:
    """What the emitter reported for one model, and the C generated from it."""

    model_path: str
    plan_bytes: int
    tensors: list[AotTensor] = field(default_factory=list)
    nodes: list[AotNode] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    source: str = ""

    @property
    def kernels(self) -> list[str]:
        return sorted({n.kernel for n in self.nodes})


def _emitter_sources(cfg: TandemConfig) -> list[Path]:
    rt = cfg.firmware_dir / "runtime"
    return ([cfg.firmware_dir / "aot" / "aot_emit.c"] + sorted((rt / "src").glob("*.c"))
            + sorted((rt / "kernels" / "reference").glob("*.c")))


def build_emitter(cfg: TandemConfig, cc: str = "gcc") -> Path:
    """Compile the emitter for the build machine (cached by the sources' content)."""
    if shutil.which(cc) is None:
        raise ToolchainError(f"host C compiler {cc!r} not found on PATH (needed by tandem compile)")
    rt = cfg.firmware_dir / "runtime"
    srcs = _emitter_sources(cfg)
    h = hashlib.sha256()
    for p in srcs + sorted(rt.rglob("*.h")):
        h.update(str(p.relative_to(cfg.firmware_dir)).encode())
        h.update(p.read_bytes())
    out = cfg.cache_dir / "aot" / f"emit-{h.hexdigest()[:16]}"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{rt / 'include'}",
           f"-I{rt / 'kernels' / 'reference'}", *map(str, srcs), "-lm", "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolchainError(f"AOT emitter build failed: {proc.stderr.strip().splitlines()[-1:]}")
    tmp.replace(out)
    return out


def check_supported(info: ModelInfo, kernels: Mapping[str, str] = REFERENCE_KERNELS) -> None:
    """A one-line error naming the first op the generator has no kernel for."""
    for o in info.ops:
        if o.name not in kernels:
            raise ModelError(f"{info.path}: {unsupported_op_message(info, o.index, o.builtin_code)}: the AOT "
                             f"generator supports {', '.join(sorted(kernels))}; use --runtime interpreter")


def _ints(fields: list[str], what: str) -> list[int]:
    try:
        return [int(f) for f in fields]
    except ValueError:
        raise ToolchainError(f"AOT emitter: bad {what} record") from None


def _parse(text: str, info: ModelInfo) -> AotProgram:
    prog = AotProgram(info.path, 0)
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "error":
            prog_error(f, info)
        elif f[0] == "plan":
            prog.plan_bytes = _ints(f[1:2], "plan")[0]
        elif f[0] == "io":
            (prog.inputs if f[1] == "in" else prog.outputs).append(_ints(f[2:3], "io")[0])
        elif f[0] == "tensor":
            v = _ints(f[1:], "tensor")
            prog.tensors.append(AotTensor(v[0], bool(v[1]), v[2], bool(v[3]), v[4], v[5], v[6],
                                          tuple(v[8:8 + v[7]]), v[14], v[15], bool(v[16])))
        elif f[0] == "node":
            head, words, mult, shift = " ".join(f[1:]).split(" / ")
            h = head.split()
            ni, no = int(h[3]), int(h[4])
            io = _ints(h[5:5 + ni + no], "node")
            w, m, s = (_ints(x.split()[1:], "node") for x in (words, mult, shift))
            prog.nodes.append(AotNode(int(h[0]), h[1], int(h[2]), tuple(io[:ni]), tuple(io[ni:]), tuple(w),
                                      tuple(m), tuple(s), int(words.split()[0]) > 0))
    if len(prog.nodes) != len(info.ops):
        raise ToolchainError(f"{info.path}: the AOT emitter reported {len(prog.nodes)} of {len(info.ops)} ops")
    return prog


def prog_error(f: list[str], info: ModelInfo) -> None:
    """Raise the typed error for an emitter ``error`` record."""
    if f[1] == "variant":
        op, code = int(f[2]), int(f[3])
        raise ModelError(f"{info.path}: op {op} ({op_name(code)}): its int16 (16x8) kernel is not in the AOT "
                         f"runtime yet; use --runtime interpreter")
    if f[1] == "layout":
        raise ToolchainError(f"{info.path}: op {f[2]} ({op_name(int(f[3]))}): the kernel's prepared data does "
                             f"not have the layout firmware/aot/aot_emit.c expects (edit its table)")
    status, op, code, tensor = (int(x) for x in f[1:5])
    if status == 3:
        raise ModelError(f"{info.path}: {unsupported_op_message(info, op, code)}: not supported by the AOT generator")
    where = f" at op {op} ({info.ops[op].name})" if 0 <= op < len(info.ops) else ""
    tens = f", tensor {tensor}" if tensor >= 0 else ""
    raise ModelError(f"{info.path}: {_STATUS.get(status, f'status {status}')}{where}{tens}")


def emit(model: bytes, info: ModelInfo, cfg: TandemConfig) -> AotProgram:
    """Run the interpreter's prepare and planner on the build machine for ``model``."""
    check_supported(info)
    exe = build_emitter(cfg)
    try:
        proc = subprocess.run([str(exe)], input=model, capture_output=True, timeout=_EMIT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{info.path}: the AOT emitter took over {_EMIT_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        raise ToolchainError(f"{info.path}: the AOT emitter failed (exit {proc.returncode})")
    prog = _parse(proc.stdout.decode(), info)
    for t in prog.tensors:
        if t.variable:
            raise ModelError(f"{info.path}: tensor {t.index} is a variable (state) tensor: not supported by the "
                             "AOT generator; use --runtime interpreter")
    prog.source = render(prog, model)
    return prog


def _c_float(bits: int) -> str:
    value = struct.unpack("<f", struct.pack("<I", bits))[0]
    return f"{value.hex()}f" if value == value and abs(value) != float("inf") else "0.0f"


def _array(ctype: str, name: str, values: list[str], align: int = 4, ram: bool = False) -> list[str]:
    body = [", ".join(values[i:i + 16]) for i in range(0, len(values), 16)] or ["0"]
    qual = "" if ram else "const "
    return [f"static {qual}{ctype} {name}[{max(len(values), 1)}] __attribute__((aligned({align}))) = {{",
            *(f"    {row}," for row in body), "};"]


def render(prog: AotProgram, model: bytes) -> str:
    """The C source of the AOT runtime's model part (see firmware/aot/aot.h for its interface)."""
    digest = hashlib.sha256(model).hexdigest()[:16]
    out = [f"/* Generated by tandem compile from {Path(prog.model_path).name} (sha256 {digest}...): do not edit. */",
           '#include "aot.h"', ""]
    out += ["", f"#define AOT_ARENA_BYTES {max(prog.plan_bytes, 16)}u",
            "static uint8_t aot_arena[AOT_ARENA_BYTES] __attribute__((aligned(16)));", ""]
    for t in prog.tensors:
        if t.is_const:
            raw = model[t.model_offset:t.model_offset + t.nbytes]
            out += _array("uint8_t", f"aot_c{t.index}", [f"0x{b:02x}" for b in raw], 16)
    for n in prog.nodes:
        io = [*n.inputs, *n.outputs]
        out += _array("int32_t", f"aot_io{n.index}", [str(v) for v in io])
        if not n.has_data:
            continue
        words = ", ".join(f"0x{w:08x}u" for w in n.words)
        if n.mult:
            out += _array("int32_t", f"aot_m{n.index}", [str(v) for v in n.mult], ram=True)
            out += _array("int8_t", f"aot_s{n.index}", [str(v) for v in n.shift], ram=True)
            # the kernel's struct on Cortex-M: the int32 fields, then the two array pointers
            out += [f"static struct {{ uint32_t w[{len(n.words)}]; int32_t *mult; int8_t *shift; }}",
                    f"    aot_d{n.index} __attribute__((aligned(8))) =",
                    f"    {{{{{words}}}, aot_m{n.index}, aot_s{n.index}}};"]
        else:
            out += [f"static uint32_t aot_d{n.index}[{len(n.words)}] __attribute__((aligned(8))) = {{{words}}};"]
    # Tensors, nodes and the prepared data live in RAM (.data), as the interpreter's do (its
    # arena): kernels read them in their loops, and from flash every read would pay wait states.
    # Constant tensors' data and the nodes' index lists stay in flash, as in the .tflite.
    out += ["", f"static tfl_tensor_t aot_tensors[{max(len(prog.tensors), 1)}] = {{"]
    for t in prog.tensors:
        data = (f"(void *)aot_c{t.index}" if t.is_const else f"aot_arena + {t.offset}u" if t.planned else "0")
        dims = ", ".join(str(d) for d in (*t.dims, *([0] * (6 - len(t.dims)))))
        out.append(f"    {{{data}, {t.nbytes}u, {{{dims}}}, {len(t.dims)}, {t.type}, {int(t.is_const)}, 0, "
                   f"{_c_float(t.scale_bits)}, {t.zero_point}, 0, 0, 0, 0, -1, 0, 0, {t.offset}u}},")
    out += ["};", "", f"static tfl_node_t aot_nodes[{max(len(prog.nodes), 1)}] = {{"]
    for n in prog.nodes:
        data = f"(void *)&aot_d{n.index}" if n.has_data else "0"
        out.append(f"    {{0, {n.builtin_code}, {{0, 0, 0}}, 0, {len(n.inputs)}, {len(n.outputs)}, "
                   f"aot_io{n.index}, aot_io{n.index} + {len(n.inputs)}, {data}}},")
    out += ["};", "",
            f"static tfl_interp_t aot_ip = {{.tensors = aot_tensors, .ntensors = {len(prog.tensors)}u, "
            f".nodes = aot_nodes, .nnodes = {len(prog.nodes)}u, .ready = 1}};",
            f"static const int32_t aot_inputs[{max(len(prog.inputs), 1)}] = "
            f"{{{', '.join(map(str, prog.inputs)) or '0'}}};",
            f"static const int32_t aot_outputs[{max(len(prog.outputs), 1)}] = "
            f"{{{', '.join(map(str, prog.outputs)) or '0'}}};",
            "",
            f"const aot_model_t aot_model = {{{len(prog.inputs)}u, {len(prog.outputs)}u, aot_inputs, aot_outputs, "
            f"aot_tensors, AOT_ARENA_BYTES}};",
            "",
            "tfl_status_t aot_invoke(int trace, int32_t *failed_op)",
            "{",
            "    tfl_status_t s;"]
    for n in prog.nodes:
        out.append(f"    AOT_OP({n.index}, {n.kernel}_eval, {n.builtin_code});")
    out += ["    (void)trace;", "    (void)failed_op;", "    (void)s;", "    return TFL_OK;", "}", ""]
    return "\n".join(out)


def generate(model: bytes, model_path: str, cfg: TandemConfig) -> AotProgram:
    """Read ``model`` and generate its AOT C source."""
    info = read_model(model, model_path)
    return emit(model, info, cfg)


__all__ = ["REFERENCE_KERNELS", "AotNode", "AotProgram", "AotTensor", "build_emitter", "check_supported", "emit",
           "generate", "render"]
