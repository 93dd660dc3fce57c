"""Running a .tflite model on a simulated board with tandem's micro runtime (``tandem infer``).

One runtime image per board and op set serves every model. The host side here builds (or
reuses) the image, places the model in the board's free flash and the inputs at the top of its
free RAM, fills the mailbox (sim/runtime_protocol.py), runs the board, and turns the result
block and the trace register's exact cycle stamps into per-op figures. Errors the firmware
reports (unsupported op, arena too small, wrong input) come back as typed errors naming the op,
the tensor or the size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.errors import ModelError, SimulationError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.firmware.elf import ElfImage
from tandem.machine.board import Board
from tandem.machine.results import RunResult
from tandem.platform.model import Platform
from tandem.tinyml import protocol as P
from tandem.tinyml.model import ModelInfo, read_model

RUNTIME = "runtime"
OP_SETS = ("reference", "dscnn", "accel")
_STATUS = {1: "malformed model", 2: "unsupported model version or subgraphs", 3: "unsupported op",
           4: "unsupported tensor type or quantization", 5: "arena too small", 6: "input of the wrong shape",
           7: "inconsistent tensor shapes", 8: "invalid op parameters", 9: "misaligned model data",
           10: "runtime API misuse"}


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


@dataclass
class OpProfile:
    index: int
    op: str
    output_shape: tuple[int, ...]
    macs: int
    cycles: int
    start: int = 0  # board cycle of the op's start marker (last inference)
    end: int = 0
    where: str = "cpu"  # "cpu" or "accel" (set from the accelerator's job log)
    accel_cycles: int = 0  # accelerator clock cycles of its jobs in this op
    stall_cycles: int = 0  # CPU cycles stalled waiting for them
    bytes_moved: int = 0
    mac_utilisation: float | None = None
    accel_spans: list[tuple[int, int]] = field(default_factory=list)  # (board cycle, stall) per job

    @property
    def cycles_per_mac(self) -> float | None:
        return self.cycles / self.macs if self.macs else None


@dataclass
class Inference:
    board: str
    model: ModelInfo
    outputs: list[np.ndarray]
    ops: list[OpProfile]
    cycles: int  # one inference (the last one), marker to marker
    total_cycles: int  # the whole run: start-up, interpreter init, every inference
    invocations: int
    arena_bytes: int  # what the planner needed
    arena_capacity: int
    run: RunResult
    image_flash: int
    image_ram: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def macs(self) -> int:
        return sum(o.macs for o in self.ops)

    def to_json(self) -> dict[str, object]:
        return {
            "board": self.board,
            "model": self.model.path,
            "cycles": self.cycles,
            "total_cycles": self.total_cycles,
            "cpu_hz": self.run.cpu_hz,
            "seconds_per_inference": self.cycles / self.run.cpu_hz,
            "invocations": self.invocations,
            "macs": self.macs,
            "ops": [{"index": o.index, "op": o.op, "output_shape": list(o.output_shape), "macs": o.macs,
                     "cycles": o.cycles} for o in self.ops],
            "arena_bytes": self.arena_bytes,
            "arena_capacity": self.arena_capacity,
            "model_bytes": self.model.size,
            "image_flash_bytes": self.image_flash,
            "image_ram_bytes": self.image_ram,
            "wall_seconds": self.run.wall_seconds,
            **self.extra,
        }


def image_sizes(image: ElfImage) -> tuple[int, int]:
    """(flash, RAM) bytes of the image: code, constants and the .data load image; .data+.bss."""
    flash = sum(s.size for s in image.sections if s.kind in ("text", "rodata") or s.kind == "data")
    ram = sum(s.size for s in image.sections if s.kind in ("data", "bss"))
    return flash, ram


def _dtype(name: str) -> np.dtype:
    return np.dtype({"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
                     "int32": np.int32}.get(name, np.int8))


def random_inputs(info: ModelInfo, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for idx in info.inputs:
        t = info.tensors[idx]
        dt = _dtype(t.dtype)
        if dt.kind == "f":
            out.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(dt))
        else:
            lim = np.iinfo(dt)
            out.append(rng.integers(lim.min, lim.max + 1, size=t.shape, dtype=np.int64).astype(dt))
    return out


def check_inputs(info: ModelInfo, inputs: list[np.ndarray], where: str = "input") -> list[np.ndarray]:
    if len(inputs) != len(info.inputs):
        raise ModelError(f"{info.path}: the model has {len(info.inputs)} inputs, {len(inputs)} given")
    fixed = []
    for k, (idx, x) in enumerate(zip(info.inputs, inputs)):
        t = info.tensors[idx]
        x = np.asarray(x)
        if tuple(x.shape) != tuple(t.shape):
            raise ModelError(f"{where} {k} ({t.name!r}): shape {tuple(x.shape)} does not match the model's {tuple(t.shape)}")
        if x.dtype != _dtype(t.dtype):
            if np.can_cast(x.dtype, _dtype(t.dtype), casting="same_kind") or x.dtype.kind == _dtype(t.dtype).kind:
                x = x.astype(_dtype(t.dtype))
            else:
                raise ModelError(f"{where} {k} ({t.name!r}): dtype {x.dtype} does not match the model's {t.dtype}")
        fixed.append(x)
    return fixed


def prepare(board: Board, image: ElfImage, model: bytes, inputs: list[np.ndarray] | None = None,
            invocations: int = 1, model_path: str = "<model>", seed: int = 0) -> Prepared:
    """Place the model, the inputs and the request in a board that has the runtime loaded."""
    info = read_model(model, model_path)
    inputs = check_inputs(info, inputs if inputs is not None else random_inputs(info, seed))
    syms = image.all_symbols
    for name in (P.SYM_MAILBOX, "__tandem_free_flash_start", "__tandem_free_flash_end",
                 "__tandem_free_ram_start", "__tandem_free_ram_end"):
        if name not in syms:
            raise SimulationError(f"{image.path}: not a tandem runtime image (no symbol {name})")
    flash0, flash1 = syms["__tandem_free_flash_start"], syms["__tandem_free_flash_end"]
    if len(model) > flash1 - flash0:
        raise ModelError(f"{model_path}: the model ({len(model):,} bytes) does not fit in the free flash of "
                         f"{board.platform.name} ({flash1 - flash0:,} bytes after the runtime image)")
    in_blob = P.pack_inputs(inputs)
    out_cap = 0
    for idx in info.outputs:
        out_cap = P.align16(out_cap) + info.tensors[idx].nbytes
    ram0, ram1 = syms["__tandem_free_ram_start"], syms["__tandem_free_ram_end"]
    io_size = P.align16(len(in_blob)) + P.align16(out_cap)
    io_start = (ram1 - io_size) & ~15
    if io_start < ram0:
        raise ModelError(f"{model_path}: inputs and outputs ({io_size:,} bytes) do not fit in the free RAM of "
                         f"{board.platform.name} ({ram1 - ram0:,} bytes)")
    in_addr, out_addr = io_start, io_start + P.align16(len(in_blob))
    board.write_memory(flash0, model)
    board.write_memory(in_addr, in_blob)
    request = P.Request(flash0, len(model), in_addr, len(in_blob), out_addr, out_cap, invocations)
    board.write_memory(syms[P.SYM_MAILBOX], request.pack())
    return Prepared(info, image, out_addr, model_path, invocations)


@dataclass
class Prepared:
    """What :func:`prepare` placed in the board, for :func:`collect` after the run."""

    info: ModelInfo
    image: ElfImage
    out_addr: int
    model_path: str
    invocations: int


def infer(board: Board, image: ElfImage, model: bytes, inputs: list[np.ndarray] | None = None,
          invocations: int = 1, model_path: str = "<model>", max_cycles: int = DEFAULT_MAX_CYCLES,
          seed: int = 0, profile: bool = False) -> Inference:
    """Run ``model`` on a board that has the runtime image loaded (fresh board per call)."""
    prep = prepare(board, image, model, inputs, invocations, model_path, seed)
    run = board.run(max_cycles=max_cycles, profile=profile)
    return collect(board, prep, run)


def collect(board: Board, prep: Prepared, run: RunResult) -> Inference:
    """Read the result block, outputs and per-op cycles after the run."""
    info, image, out_addr, model_path = prep.info, prep.image, prep.out_addr, prep.model_path
    syms = image.all_symbols
    result = P.Result.unpack(board.read_memory(syms[P.SYM_MAILBOX], P.MAILBOX_SIZE))
    if result.status != 0:
        raise _status_error(result, info, model_path, board.platform.name)
    outputs = P.unpack_outputs(board.read_memory(out_addr, max(result.output_len, 1)),
                               [(info.tensors[i].shape, _dtype(info.tensors[i].dtype)) for i in info.outputs])
    ops, cycles = _per_op(board, info)
    flash, ram = image_sizes(image)
    return Inference(board.platform.name, info, outputs, ops, cycles, run.cycles, prep.invocations,
                     result.bytes_needed, result.arena_size, run, flash, ram)


def _status_error(result: P.Result, info: ModelInfo, path: str, board: str) -> ModelError:
    status = result.status
    if status == P.STATUS_NO_REQUEST:
        return ModelError(f"{board}: the runtime image found no request in its mailbox")
    what = _STATUS.get(status, f"status {status}")
    op = ""
    if 0 <= result.op_index < len(info.ops):
        o = info.ops[result.op_index]
        op = f" at op {result.op_index} ({o.name})"
    if status == 3:
        name = info.ops[result.op_index].name if 0 <= result.op_index < len(info.ops) else f"builtin {result.builtin_code}"
        return ModelError(f"{path}: unsupported op {name} (op {result.op_index}, builtin code {result.builtin_code}): "
                          "the runtime image's op set does not include it")
    if status == 5:
        return ModelError(f"{path}: arena too small on {board}: the model needs {result.bytes_needed:,} bytes, "
                          f"the image has {result.arena_size:,}")
    if status == 6:
        return ModelError(f"{path}: input of the wrong shape or size{op} (tensor {result.tensor_index})")
    detail = f" (detail {result.detail})" if result.detail else ""
    tensor = f", tensor {result.tensor_index}" if result.tensor_index >= 0 else ""
    return ModelError(f"{path}: {what}{op}{tensor}{detail}")


def _per_op(board: Board, info: ModelInfo) -> tuple[list[OpProfile], int]:
    """Cycles per op of the last inference, from the trace register's cycle stamps."""
    events = [(cycle, P.decode_trace(value)) for cycle, _off, value in board.peripherals["trace"].events]
    starts = [i for i, (_, e) in enumerate(events) if e.kind == P.TRACE_INFER_START]
    ends = [i for i, (_, e) in enumerate(events) if e.kind == P.TRACE_INFER_END]
    if not starts or not ends:
        return [], 0
    first, last = starts[-1], ends[-1]
    cycles = events[last][0] - events[first][0]
    windows: dict[int, tuple[int, int]] = {}
    open_at: dict[int, int] = {}
    for cycle, e in events[first:last + 1]:
        if e.kind == P.TRACE_OP_START:
            open_at[e.index] = cycle
        elif e.kind == P.TRACE_OP_END and e.index in open_at:
            windows[e.index] = (open_at.pop(e.index), cycle)
    ops = []
    for o in info.ops:
        shape = info.tensors[o.outputs[0]].shape if o.outputs else ()
        start, end = windows.get(o.index, (0, 0))
        ops.append(OpProfile(o.index, o.name, shape, o.macs, end - start, start, end))
    return ops, cycles


def attribute_jobs(ops: list[OpProfile], jobs: list[dict[str, object]]) -> None:
    """Mark the ops during which the accelerator ran (jobs from the accelerator's log)."""
    for op in ops:
        mine = [j for j in jobs if op.start <= int(j["start_cycle"]) < op.end]  # type: ignore[arg-type]
        done = [j for j in mine if int(j["error_code"]) == 0]  # type: ignore[arg-type]
        if not done:
            continue
        op.where = "accel"
        op.accel_spans = [(int(j["start_cycle"]), int(j["stall_cycles"])) for j in done]  # type: ignore[arg-type]
        op.accel_cycles = sum(int(j["accel_cycles"]) for j in done)  # type: ignore[arg-type]
        op.stall_cycles = sum(int(j["stall_cycles"]) for j in done)  # type: ignore[arg-type]
        op.bytes_moved = sum(int(j["bytes_in"]) + int(j["bytes_out"]) for j in done)  # type: ignore[arg-type]
        macs = sum(int(j["useful_macs"]) for j in done)  # type: ignore[arg-type]
        peak = sum(float(j["useful_macs"]) / float(j["mac_utilisation"]) for j in done  # type: ignore[arg-type]
                   if float(j["mac_utilisation"]))  # type: ignore[arg-type]
        op.mac_utilisation = macs / peak if peak else None


def run_model(board_name: str, model_path: str | Path, cfg: TandemConfig, inputs: list[np.ndarray] | None = None,
              invocations: int = 1, op_set: str = "reference", max_cycles: int = DEFAULT_MAX_CYCLES,
              seed: int = 0, overlays: list[Path] | None = None, profile: bool = False,
              exact_flash_data: bool = False) -> Inference:
    """Build/reuse the runtime for ``board_name`` and run the model file once per call."""
    path = Path(model_path)
    try:
        model = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model: {exc.strerror}") from None
    board = Board.from_platform(board_name, cfg, overlays=overlays, exact_flash_data=exact_flash_data)
    image = board.load_elf(build_runtime(board.platform, cfg, op_set))
    return infer(board, image, model, inputs, invocations, str(path), max_cycles, seed, profile)


def run_model_accel(board_name: str, model_path: str | Path, cfg: TandemConfig, accel: str = "conv8x8",
                    inputs: list[np.ndarray] | None = None, invocations: int = 1,
                    max_cycles: int = DEFAULT_MAX_CYCLES, seed: int = 0, simulator: str = "verilator",
                    waves: str | Path | None = None) -> Inference:
    """The same as :func:`run_model` with the RTL accelerator ``accel`` co-simulated under cocotb.

    The runtime is built with the "accel" op set for the board plus the accelerator overlay;
    the board runs inside the RTL simulator's process (sim/cosim), and the ops are marked with
    where they ran and what the accelerator did.
    """
    import tempfile

    from tandem.cosim.run import resolve_accel, run_with_accel
    from tandem.platform.model import load_platform

    path = Path(model_path)
    if not path.is_file():
        raise ModelError(f"{path}: cannot read model: no such file")
    info = read_model(path.read_bytes(), str(path))
    if inputs is not None:
        inputs = check_inputs(info, inputs)
    overlay = resolve_accel(accel, cfg)
    platform = load_platform(board_name, cfg.platforms_dir, [overlay])
    elf = build_runtime(platform, cfg, "accel")
    with tempfile.TemporaryDirectory(prefix="tandem-infer-") as tmp:
        files = []
        for k, x in enumerate(inputs or []):
            files.append(str(Path(tmp) / f"input{k}.npy"))
            np.save(files[-1], x)
        job = {"model": str(path.resolve()), "model_path": str(path), "inputs": files,
               "invocations": invocations, "seed": seed}
        res = run_with_accel(board_name, elf, accel, cfg, simulator=simulator, max_cycles=max_cycles,
                             waves=waves, inference=job)
    inference: Inference = res.inference
    inference.extra.update({"accel": accel, "simulator": simulator, "accelerator_jobs": len(res.jobs),
                            "cosim_seconds": res.total_seconds, "rtl_build_seconds": res.build_seconds})
    return inference
