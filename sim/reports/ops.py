"""Cycles per op for a user's own firmware built with TFLM (or with tandem's runtime): the
function profile grouped by kernel.

Each profiled function is mapped to the source file of its code (DWARF line information of its
first address, :func:`tandem.firmware.elf.source_files`), and kernel source files to op names:
TFLM's ``tensorflow/lite/micro/kernels/conv.cc`` and ``conv_common.cc``, TFLite's
``kernels/internal/reference/integer_ops/conv.h``, CMSIS-NN's ``arm_convolve_*.c`` and tandem's
``kernels/reference/conv.c`` are all CONV_2D. A file counts as a kernel only inside a ``kernels``
folder (TFLM, TFLite, tandem) or under CMSIS-NN's ``arm_`` names, so a user's own ``add.c`` is
not taken for ADD.

Cycles follow the call tree: a function that maps to no op (a helper such as TFLM's
``kernel_util.cc``, CMSIS-NN's ``arm_nn_*`` support functions, libgcc's soft-float, memcpy)
counts for the op whose code called it, and the outermost op wins (an LSTM's calls into the
fully-connected reference code are LSTM cycles). What runs outside every kernel (the
interpreter, start-up, the application) is one row of its own. An op's cycles include its
prepare (run once, at init) as well as every eval; calls count entries into the op's code from
outside it (prepare and eval). A file with several ops (TFLM's ``pooling.cc``, ``reduce.cc``,
``activations.cc``) is split by the function name (``AverageEval``, ``MaxEval``) or by the
calling op; where neither decides, the row names the family ("AVERAGE_POOL_2D/MAX_POOL_2D").
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from tandem.firmware.elf import ElfImage, source_files
from tandem.reports.profile import Profile

OUTSIDE = "(outside the kernels)"

# kernel source file stem (TFLM, TFLite reference headers, tandem) -> op name
KERNEL_FILES: dict[str, str] = {
    "add": "ADD", "add_n": "ADD_N", "arg_min_max": "ARG_MAX/ARG_MIN", "assign_variable": "ASSIGN_VARIABLE",
    "batch_matmul": "BATCH_MATMUL", "batch_to_space_nd": "BATCH_TO_SPACE_ND", "broadcast_args": "BROADCAST_ARGS",
    "broadcast_to": "BROADCAST_TO", "call_once": "CALL_ONCE", "cast": "CAST", "ceil": "CEIL",
    "circular_buffer": "CIRCULAR_BUFFER", "concatenation": "CONCATENATION", "conv": "CONV_2D", "cumsum": "CUMSUM",
    "depth_to_space": "DEPTH_TO_SPACE", "depthwise_conv": "DEPTHWISE_CONV_2D",
    "depthwiseconv": "DEPTHWISE_CONV_2D", "dequantize": "DEQUANTIZE",
    "detection_postprocess": "TFLite_Detection_PostProcess", "div": "DIV", "elu": "ELU",
    "embedding_lookup": "EMBEDDING_LOOKUP", "exp": "EXP", "expand_dims": "EXPAND_DIMS", "fill": "FILL",
    "floor": "FLOOR", "floor_div": "FLOOR_DIV", "floor_mod": "FLOOR_MOD", "fully_connected": "FULLY_CONNECTED",
    "gather": "GATHER", "gather_nd": "GATHER_ND", "hard_swish": "HARD_SWISH", "if": "IF",
    "l2norm": "L2_NORMALIZATION", "l2normalization": "L2_NORMALIZATION", "l2_pool_2d": "L2_POOL_2D",
    "leaky_relu": "LEAKY_RELU", "log_softmax": "LOG_SOFTMAX", "logistic": "LOGISTIC",
    "lstm": "UNIDIRECTIONAL_SEQUENCE_LSTM", "lstm_eval": "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "lstm_cell": "UNIDIRECTIONAL_SEQUENCE_LSTM", "lstm_shared": "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "unidirectional_sequence_lstm": "UNIDIRECTIONAL_SEQUENCE_LSTM", "mean": "MEAN", "mirror_pad": "MIRROR_PAD",
    "mul": "MUL", "neg": "NEG", "pack": "PACK", "pad": "PAD", "prelu": "PRELU", "quantize": "QUANTIZE",
    "read_variable": "READ_VARIABLE", "requantize": "QUANTIZE", "reshape": "RESHAPE",
    "resize_bilinear": "RESIZE_BILINEAR", "resize_nearest_neighbor": "RESIZE_NEAREST_NEIGHBOR",
    "reverse": "REVERSE_V2", "round": "ROUND", "select": "SELECT_V2", "shape": "SHAPE", "slice": "SLICE",
    "softmax": "SOFTMAX", "space_to_batch_nd": "SPACE_TO_BATCH_ND", "space_to_depth": "SPACE_TO_DEPTH",
    "split": "SPLIT", "split_v": "SPLIT_V", "squared_difference": "SQUARED_DIFFERENCE", "squeeze": "SQUEEZE",
    "strided_slice": "STRIDED_SLICE", "sub": "SUB", "svdf": "SVDF", "tanh": "TANH", "transpose": "TRANSPOSE",
    "transpose_conv": "TRANSPOSE_CONV", "unpack": "UNPACK", "var_handle": "VAR_HANDLE", "where": "WHERE",
    "while": "WHILE", "zeros_like": "ZEROS_LIKE",
}

# files with several ops: (family label, ((function-name keyword, op), ...)), keywords tried in order
KERNEL_FAMILIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "pooling": ("AVERAGE_POOL_2D/MAX_POOL_2D", (("average", "AVERAGE_POOL_2D"), ("avg", "AVERAGE_POOL_2D"),
                                                ("max", "MAX_POOL_2D"))),
    "activations": ("RELU/RELU6", (("relu6", "RELU6"), ("relu", "RELU"))),
    "maximum_minimum": ("MAXIMUM/MINIMUM", (("maximum", "MAXIMUM"), ("minimum", "MINIMUM"))),
    "reduce": ("MEAN/SUM/REDUCE_MAX", (("mean", "MEAN"), ("sum", "SUM"), ("max", "REDUCE_MAX"),
                                       ("min", "REDUCE_MIN"), ("prod", "REDUCE_PROD"))),
    "elementwise": ("elementwise (ABS, SQRT, ...)", (("abs", "ABS"), ("rsqrt", "RSQRT"), ("sqrt", "SQRT"),
                                                     ("square", "SQUARE"), ("sin", "SIN"), ("cos", "COS"),
                                                     ("log", "LOG"), ("not", "LOGICAL_NOT"))),
    "comparisons": ("comparisons (EQUAL, LESS, ...)", (("notequal", "NOT_EQUAL"), ("greaterequal", "GREATER_EQUAL"),
                                                       ("lessequal", "LESS_EQUAL"), ("equal", "EQUAL"),
                                                       ("greater", "GREATER"), ("less", "LESS"))),
    "logical": ("LOGICAL_AND/LOGICAL_OR", (("and", "LOGICAL_AND"), ("or", "LOGICAL_OR"))),
}

# CMSIS-NN function files (arm_<name>_s8.c, ...): name prefix -> op; arm_nn_* are support functions
CMSIS_NN_PREFIXES: tuple[tuple[str, str], ...] = (
    ("arm_convolve", "CONV_2D"), ("arm_depthwise_conv", "DEPTHWISE_CONV_2D"),
    ("arm_transpose_conv", "TRANSPOSE_CONV"), ("arm_fully_connected", "FULLY_CONNECTED"),
    ("arm_batch_matmul", "BATCH_MATMUL"), ("arm_softmax", "SOFTMAX"), ("arm_avgpool", "AVERAGE_POOL_2D"),
    ("arm_avg_pool", "AVERAGE_POOL_2D"), ("arm_max_pool", "MAX_POOL_2D"), ("arm_elementwise_add", "ADD"),
    ("arm_elementwise_mul", "MUL"), ("arm_svdf", "SVDF"), ("arm_lstm", "UNIDIRECTIONAL_SEQUENCE_LSTM"),
    ("arm_relu6", "RELU6"), ("arm_relu", "RELU"), ("arm_maximum", "MAXIMUM"), ("arm_minimum", "MINIMUM"),
    ("arm_pad", "PAD"), ("arm_transpose", "TRANSPOSE"), ("arm_reshape", "RESHAPE"),
    ("arm_concatenation", "CONCATENATION"),
)

# variant suffixes of a kernel file's stem: conv_common.cc, depthwiseconv_uint8.h, conv_accel_kernel.c
_SUFFIXES = re.compile(r"(_(common|eval|kernel|accel|opt|fast|float|uint8|int8|s8|s16|test_common))+$")


@dataclass(frozen=True)
class KernelFile:
    """What a source file says about the ops of its functions."""

    op: str | None = None  # the one op of the file
    family: str | None = None  # label of a file with several ops
    keywords: tuple[tuple[str, str], ...] = ()

    def resolve(self, function: str) -> str | None:
        """The op of ``function`` from this file (its name decides in a family's file)."""
        if self.op is not None:
            return self.op
        low = re.sub(r"[^a-z0-9]", "", function.split(" [")[0].lower())
        return next((op for key, op in self.keywords if key in low), self.family)


def kernel_file(path: str) -> KernelFile | None:
    """The op (or op family) of a kernel source file, or None for any other file."""
    p = PurePosixPath(path.replace("\\", "/"))
    stem = p.name.split(".")[0].lower()
    if stem.startswith("arm_") and not stem.startswith("arm_nn_"):
        op = next((op for prefix, op in CMSIS_NN_PREFIXES if stem.startswith(prefix)), None)
        return KernelFile(op) if op is not None else None
    if "kernels" not in (part.lower() for part in p.parts[:-1]):
        return None
    for name in (stem, _SUFFIXES.sub("", stem)):
        if name in KERNEL_FILES:
            return KernelFile(KERNEL_FILES[name])
        if name in KERNEL_FAMILIES:
            label, keys = KERNEL_FAMILIES[name]
            return KernelFile(None, label, keys)
    return None


@dataclass(frozen=True)
class OpCycles:
    op: str
    cycles: int
    calls: int
    files: tuple[str, ...] = ()  # the kernel files its functions came from


@dataclass(frozen=True)
class OpBreakdown:
    """The profile's cycles per op (largest first) and what ran outside every kernel."""

    total_cycles: int
    ops: tuple[OpCycles, ...]
    outside_cycles: int
    unmapped: tuple[str, ...] = field(default=())  # profiled functions without line information

    def cycles(self, op: str) -> int:
        return next((o.cycles for o in self.ops if o.op == op), 0)

    def table(self) -> str:
        width = max([len("op"), len(OUTSIDE)] + [len(o.op) for o in self.ops])
        total = self.total_cycles or 1
        out = [f"{'op':<{width}}  {'cycles':>14}  {'share':>6}  {'calls':>8}"]
        for o in self.ops:
            out.append(f"{o.op:<{width}}  {o.cycles:>14,}  {100 * o.cycles / total:>5.1f}%  {o.calls:>8,}")
        out.append(f"{OUTSIDE:<{width}}  {self.outside_cycles:>14,}  {100 * self.outside_cycles / total:>5.1f}%")
        out.append(f"{'total':<{width}}  {self.total_cycles:>14,}  100.0%")
        return "\n".join(out)

    def to_json(self) -> dict[str, object]:
        return {"total_cycles": self.total_cycles, "outside_cycles": self.outside_cycles,
                "ops": [{"op": o.op, "cycles": o.cycles, "calls": o.calls, "files": list(o.files)}
                        for o in self.ops]}


def op_breakdown(profile: Profile, image: ElfImage) -> OpBreakdown | None:
    """Group the profile's cycles by kernel; None when no profiled function is in a kernel file
    (firmware without a TFLM-style interpreter, or built without ``-g``)."""
    starts = {name: addr for addr, _size, name in image.symbols.symbols}
    names = profile.names
    ran = {names[f] for f in set(profile.tree.func) if 0 < f < len(names)}
    files = source_files(image.path, [starts[n] for n in ran if n in starts])
    kinds: dict[str, tuple[KernelFile, str]] = {}
    for n in ran:
        path = files.get(starts.get(n, -1))
        kind = kernel_file(path) if path is not None else None
        if kind is not None and path is not None:
            kinds[n] = (kind, path)
    if not kinds:
        return None
    tree = profile.tree
    op_at: list[str | None] = [None] * len(tree.parent)
    cycles: dict[str, int] = {}
    calls: dict[str, int] = {}
    used_files: dict[str, set[str]] = {}
    outside = tree.self_cycles[0] if tree.self_cycles else 0
    for i in range(1, len(tree.parent)):  # a child's index is always above its parent's
        above = op_at[tree.parent[i]]
        f = tree.func[i]
        name = names[f] if 0 < f < len(names) else ""
        op = above
        if op is None and name in kinds:
            kind, path = kinds[name]
            op = kind.resolve(name)
            if op is not None:
                calls[op] = calls.get(op, 0) + tree.calls[i]
                used_files.setdefault(op, set()).add(PurePosixPath(path).name)
        elif op is not None and name in kinds and op == kinds[name][0].family:
            op = kinds[name][0].resolve(name)  # the family's prepare calling its op's code
        op_at[i] = op
        if op is None:
            outside += tree.self_cycles[i]
        else:
            cycles[op] = cycles.get(op, 0) + tree.self_cycles[i]
    _merge_families(kinds.values(), cycles, calls, used_files)
    rows = sorted((OpCycles(op, c, calls.get(op, 0), tuple(sorted(used_files.get(op, ()))))
                   for op, c in cycles.items()), key=lambda o: (-o.cycles, o.op))
    unmapped = tuple(sorted(n for n in ran if starts.get(n, -1) not in files))
    return OpBreakdown(profile.total_cycles, tuple(rows), outside, unmapped)


def _merge_families(kinds: Iterable[tuple[KernelFile, str]], cycles: dict[str, int], calls: dict[str, int],
                    files: dict[str, set[str]]) -> None:
    """A family's cycles no function name decided (its shared prepare, a helper its eval tail-calls)
    belong to its one op that ran, when only one did (a model with average pools and no max)."""
    families = {k.family: k.keywords for k, _path in kinds if k.family is not None}
    for label, keys in families.items():
        if label not in cycles:
            continue
        ran = {op for _key, op in keys if op in cycles}
        if len(ran) != 1:
            continue
        (op,) = ran
        cycles[op] += cycles.pop(label)
        calls[op] = calls.get(op, 0) + calls.pop(label, 0)
        files.setdefault(op, set()).update(files.pop(label, set()))


__all__ = ["CMSIS_NN_PREFIXES", "KERNEL_FAMILIES", "KERNEL_FILES", "OUTSIDE", "KernelFile", "OpBreakdown",
           "OpCycles", "kernel_file", "op_breakdown"]
