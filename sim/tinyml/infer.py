"""Running a .tflite model on a simulated board with tandem's micro runtime (``tandem infer``).

One runtime image per board and op set serves every model with those ops (by default the op set
is the model's own ops, as a TFLM application registers them). The host side here places the model
in the board's free flash and the inputs at the top of its free RAM, fills the mailbox
(sim/tinyml/protocol.py) as a list of memory writes, runs the board, and turns the result block and the trace
register's exact cycle stamps into per-op figures. Errors the firmware reports (unsupported op,
arena too small, wrong input) come back as typed errors naming the op, the tensor or the size.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tandem.accel.joblog import AccessLog, jobs_of
from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.errors import ModelError, SimulationError
from tandem.firmware.elf import ElfImage
from tandem.machine import memcheck
from tandem.machine.board import Board
from tandem.machine.limits import RunLimits
from tandem.machine.memcheck import Guard, model_guards
from tandem.machine.results import RunResult
from tandem.peripherals.rtl_peripheral import RtlPeripheral
from tandem.peripherals.trace import Trace
from tandem.tinyml import protocol as P
from tandem.tinyml.job import (
    OP_SETS,
    RUNTIME,
    InferenceJob,
    build_runtime,
    check_inputs,
    dtype_of,
    random_inputs,
    runtime_sources,
)
from tandem.tinyml.model import ModelInfo, read_model, unsupported_op_message
from tandem.tinyml.results import Inference, OpProfile

_STATUS = {1: "malformed model", 2: "unsupported model version or subgraphs", 3: "unsupported op",
           4: "unsupported tensor type or quantization", 5: "arena too small", 6: "input of the wrong shape",
           7: "inconsistent tensor shapes", 8: "invalid op parameters", 9: "misaligned model data",
           10: "runtime API misuse"}


def image_sizes(image: ElfImage) -> tuple[int, int]:
    """(flash, RAM) bytes of the image: code, constants and the .data load image; .data+.bss."""
    flash = sum(s.size for s in image.sections if s.kind in ("text", "rodata") or s.kind == "data")
    ram = sum(s.size for s in image.sections if s.kind in ("data", "bss"))
    return flash, ram


@dataclass
class Prepared:
    """Where the model, inputs and request go (:func:`plan`), and what :func:`finish` reads back."""

    info: ModelInfo
    image: ElfImage
    out_addr: int
    model_path: str
    invocations: int
    writes: list[tuple[int, bytes]] = field(default_factory=list)  # (address, bytes), in order
    mailbox: int = 0
    out_cap: int = 0
    guards: list[Guard] = field(default_factory=list)  # what the memory checker adds for a model

    @property
    def reads(self) -> list[tuple[int, int]]:
        """(address, size) to read after the run: the mailbox, then the output buffers."""
        return [(self.mailbox, P.MAILBOX_SIZE), (self.out_addr, max(self.out_cap, 1))]


def plan(image: ElfImage, board_name: str, info: ModelInfo, model: bytes, inputs: list[np.ndarray],
         invocations: int = 1, model_path: str = "<model>", trace_ops: bool = True) -> Prepared:
    """The memory writes that place the model, the (checked) inputs and the request (with
    ``trace_ops``, asking for the op markers on the board's Tandem.Trace register)."""
    syms = image.all_symbols
    for name in (P.SYM_MAILBOX, "__tandem_free_flash_start", "__tandem_free_flash_end",
                 "__tandem_free_ram_start", "__tandem_free_ram_end"):
        if name not in syms:
            raise SimulationError(f"{image.path}: not a tandem runtime image (no symbol {name})")
    flash0, flash1 = syms["__tandem_free_flash_start"], syms["__tandem_free_flash_end"]
    if len(model) > flash1 - flash0:
        raise ModelError(f"{model_path}: the model ({len(model):,} bytes) does not fit in the free flash of "
                         f"{board_name} ({flash1 - flash0:,} bytes after the runtime image)")
    in_blob = P.pack_inputs(inputs)
    out_cap = 0
    for idx in info.outputs:
        out_cap = P.align16(out_cap) + info.tensors[idx].nbytes
    ram0, ram1 = syms["__tandem_free_ram_start"], syms["__tandem_free_ram_end"]
    io_size = P.align16(len(in_blob)) + P.align16(out_cap)
    io_start = (ram1 - io_size) & ~15
    if io_start < ram0:
        raise ModelError(f"{model_path}: inputs and outputs ({io_size:,} bytes) do not fit in the free RAM of "
                         f"{board_name} ({ram1 - ram0:,} bytes)")
    in_addr, out_addr = io_start, io_start + P.align16(len(in_blob))
    request = P.Request(flash0, len(model), in_addr, len(in_blob), out_addr, out_cap, invocations,
                        P.FLAG_TRACE_OPS if trace_ops else 0)
    writes = [(flash0, model), (in_addr, in_blob), (syms[P.SYM_MAILBOX], request.pack())]
    # the arena is the free RAM below the I/O block (firmware/runtime/app/main.c, arena_end)
    guards = model_guards(image, (ram0, io_start), (in_addr, in_addr + len(in_blob)),
                          (syms[P.SYM_MAILBOX], syms[P.SYM_MAILBOX] + P.RESULT_OFFSET))
    return Prepared(info, image, out_addr, model_path, invocations, writes, syms[P.SYM_MAILBOX], out_cap, guards)


def prepare(board: Board, image: ElfImage, model: bytes, inputs: list[np.ndarray] | None = None,
            invocations: int = 1, model_path: str = "<model>", seed: int = 0) -> Prepared:
    """Place the model, the inputs and the request in a board that has the runtime loaded."""
    info = read_model(model, model_path)
    inputs = check_inputs(info, inputs if inputs is not None else random_inputs(info, seed))
    prep = plan(image, board.platform.name, info, model, inputs, invocations, model_path)
    apply_writes(board, prep.writes)
    return prep


def apply_writes(board: Board, writes: Sequence[tuple[int, bytes]]) -> None:
    for addr, data in writes:
        board.write_memory(addr, data)


def infer(board: Board, image: ElfImage, model: bytes, inputs: list[np.ndarray] | None = None,
          invocations: int = 1, model_path: str = "<model>", max_cycles: int = DEFAULT_MAX_CYCLES,
          seed: int = 0, profile: bool = False, check_memory: bool = False) -> Inference:
    """Run ``model`` on a board that has the runtime image loaded (fresh board per call); with
    ``check_memory`` under the memory checker (machine/memcheck.py; ``tandem infer`` turns it on)."""
    prep = prepare(board, image, model, inputs, invocations, model_path, seed)
    if check_memory:
        memcheck.check_memory(board, prep.guards, model=True)
    run = board.run(max_cycles=max_cycles, profile=profile)
    return collect(board, prep, run)


def collect(board: Board, prep: Prepared, run: RunResult) -> Inference:
    """Read the result block, outputs and per-op cycles from the board after the run."""
    memory = [board.read_memory(addr, size) for addr, size in prep.reads]
    trace = board.peripherals["trace"]
    assert isinstance(trace, Trace), trace
    return finish(prep, run, memory, trace.events, board.platform.name)


def finish(prep: Prepared, run: RunResult, memory: Sequence[bytes], events: Sequence[tuple[int, int, int]],
           board_name: str) -> Inference:
    """The Inference from what was read back: ``memory`` as :attr:`Prepared.reads` asked, the
    trace register's (cycle, offset, value) events."""
    info, image, model_path = prep.info, prep.image, prep.model_path
    mailbox, out_block = memory
    result = P.Result.unpack(mailbox)
    if result.status != 0:
        raise _status_error(result, info, model_path, board_name)
    outputs = P.unpack_outputs(out_block[:max(result.output_len, 1)],
                               [(info.tensors[i].shape, dtype_of(info.tensors[i].dtype)) for i in info.outputs])
    ops, cycles = _per_op(events, info)
    flash, ram = image_sizes(image)
    return Inference(board_name, info, outputs, ops, cycles, run.cycles, prep.invocations,
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
        return ModelError(f"{path}: {unsupported_op_message(info, result.op_index, result.builtin_code)}: "
                          "the runtime image's op set does not include it")
    if status == 5:
        return ModelError(f"{path}: arena too small on {board}: the model needs {result.bytes_needed:,} bytes, "
                          f"the image has {result.arena_size:,}")
    if status == 6:
        return ModelError(f"{path}: input of the wrong shape or size{op} (tensor {result.tensor_index})")
    detail = f" (detail {result.detail})" if result.detail else ""
    tensor = f", tensor {result.tensor_index}" if result.tensor_index >= 0 else ""
    return ModelError(f"{path}: {what}{op}{tensor}{detail}")


def _per_op(events: Sequence[tuple[int, int, int]], info: ModelInfo) -> tuple[list[OpProfile], int]:
    """Cycles per op of the last inference, from the trace register's cycle stamps."""
    marks = [(cycle, P.decode_trace(value)) for cycle, _off, value in events]
    starts = [i for i, (_, e) in enumerate(marks) if e.kind == P.TRACE_INFER_START]
    ends = [i for i, (_, e) in enumerate(marks) if e.kind == P.TRACE_INFER_END]
    if not starts or not ends:
        return [], 0
    first, last = starts[-1], ends[-1]
    cycles = marks[last][0] - marks[first][0]
    windows: dict[int, tuple[int, int]] = {}
    open_at: dict[int, int] = {}
    for cycle, e in marks[first:last + 1]:
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


def attribute_jobs(ops: list[OpProfile], jobs: Sequence[Mapping[str, Any]]) -> None:
    """Mark the ops during which the accelerator ran (jobs from :mod:`tandem.accel.joblog`)."""
    for op in ops:
        mine = [j for j in jobs if op.start <= int(j["start_cycle"]) < op.end]
        done = [j for j in mine if int(j["error_code"]) == 0]
        if not done:
            continue
        op.where = "accel"
        op.accel_spans = [(int(j["start_cycle"]), int(j["stall_cycles"])) for j in done]
        op.accel_cycles = sum(int(j["accel_cycles"]) for j in done)
        op.stall_cycles = sum(int(j["stall_cycles"]) for j in done)
        op.bytes_moved = sum(int(j["bytes_moved"]) for j in done)
        macs = sum(int(j["useful_macs"]) for j in done)
        peak = sum(float(j["useful_macs"]) / float(j["mac_utilisation"]) for j in done
                   if j["mac_utilisation"])
        op.mac_utilisation = macs / peak if peak else None


def load_job(job: InferenceJob, cfg: TandemConfig, exact_flash_data: bool = False) -> tuple[Board, Prepared]:
    """A fresh board with the job's image loaded and its model, inputs and request in place,
    ready to run."""
    board = Board(job.platform, cfg, exact_flash_data)
    prep = _job_plan(job, board.load_elf(job.elf))
    apply_writes(board, prep.writes)
    return board, prep


def _job_plan(job: InferenceJob, image: ElfImage, trace_ops: bool = True) -> Prepared:
    # the AOT image holds its model: nothing to place in flash
    model = job.model if job.runtime == "interpreter" else b""
    return plan(image, job.platform.name, job.info, model, job.inputs, job.invocations, job.model_path, trace_ops)


def job_memory(job: InferenceJob, trace_ops: bool = True) -> tuple[ElfImage, list[tuple[int, bytes]]]:
    """The job's image and the memory writes :func:`load_job` makes before the run (the model,
    the inputs and the request): what another emulator needs to run the same inference.
    ``trace_ops=False`` asks for no op markers (an emulator without tandem's Tandem.Trace
    register: the markers are a few stores per op)."""
    image = ElfImage.load(job.elf)
    return image, list(_job_plan(job, image, trace_ops).writes)


def bare_job_seconds(job: InferenceJob) -> float:
    """Wall seconds of the job's image on a bare Unicorn (no cycle model, no peripherals:
    :func:`tandem.machine.bench.bare_seconds`) with the memory :func:`job_memory` gives: what
    ``tandem bench`` compares a board's run with."""
    from tandem.machine.bench import bare_seconds

    image, writes = job_memory(job)
    return bare_seconds(job.platform, image, writes)


def run_job(job: InferenceJob, cfg: TandemConfig, max_cycles: int = DEFAULT_MAX_CYCLES, profile: bool = False,
            exact_flash_data: bool = False, limits: RunLimits | None = None,
            check_memory: bool = False) -> Inference:
    """Run the job on a fresh board (``limits``: wall-clock and handler limits); the jobs of its RTL
    blocks (Tandem.RtlPeripheral) are attributed to the ops during which they ran;
    with ``check_memory`` under the memory checker (``tandem infer`` turns it on; checked in C it
    costs next to nothing, machine/memcheck.py)."""
    board, prep = load_job(job, cfg, exact_flash_data)
    if check_memory:
        memcheck.check_memory(board, prep.guards, model=True)
    blocks = [p for p in board.peripherals.values() if isinstance(p, RtlPeripheral)]
    for block in blocks:
        block.log = AccessLog()
    run = board.run(max_cycles=max_cycles, profile=profile, limits=limits)
    inference = collect(board, prep, run)
    if blocks:  # the RTL blocks' jobs, told apart from their register accesses (tandem.accel.joblog)
        jobs = sorted((j for b in blocks for j in jobs_of(b.log or [])), key=lambda j: int(j["start_cycle"]))
        attribute_jobs(inference.ops, jobs)
        inference.extra.update({"accelerator_jobs": len(jobs),
                                "accel_cycles": sum(int(j["accel_cycles"]) for j in jobs)})
    if job.accel is not None:
        inference.extra.update({"accel": job.accel, "simulator": "verilator"})
    return inference


def run_model(board_name: str, model_path: str | Path, cfg: TandemConfig, inputs: list[np.ndarray] | None = None,
              invocations: int = 1, op_set: str = "model", max_cycles: int = DEFAULT_MAX_CYCLES,
              seed: int = 0, overlays: list[Path] | None = None, profile: bool = False,
              exact_flash_data: bool = False) -> Inference:
    """Build/reuse the runtime for ``board_name`` and run the model file once per call."""
    job = InferenceJob.create(board_name, model_path, cfg, inputs, invocations, op_set, seed, overlays)
    return run_job(job, cfg, max_cycles, profile, exact_flash_data)


def run_model_accel(board_name: str, model_path: str | Path, cfg: TandemConfig, accel: str = "conv8x8",
                    inputs: list[np.ndarray] | None = None, invocations: int = 1,
                    max_cycles: int = DEFAULT_MAX_CYCLES, seed: int = 0) -> Inference:
    """The same as :func:`run_model` with the accelerator overlay ``accel`` (a Tandem.RtlPeripheral)
    on the board: the image links the kernels that drive it, and the ops are marked with where
    they ran and what the accelerator did (its jobs)."""
    path = Path(model_path)
    if not path.is_file():
        raise ModelError(f"{path}: cannot read model: no such file")
    job = InferenceJob.create(board_name, path, cfg, inputs, invocations, seed=seed, accel=accel)
    return run_job(job, cfg, max_cycles)


__all__ = ["OP_SETS", "RUNTIME", "Inference", "InferenceJob", "OpProfile", "Prepared", "apply_writes",
           "attribute_jobs", "build_runtime", "check_inputs", "collect", "finish", "image_sizes", "infer",
           "load_job", "plan", "prepare", "random_inputs", "run_job", "run_model", "run_model_accel",
           "runtime_sources"]
