"""``tandem bench``: the named workloads (integer loop, conv kernel, a model, a co-simulated model)
against bare Unicorn and QEMU, and the start-up time; ``tandem bench startup``: start-up alone;
``tandem bench sim``: host MIPS of a CPU-bound firmware on the boards vs bare Unicorn;
``tandem bench cosim``: the register access overhead and RTL speed of a Tandem.RtlPeripheral."""
from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from tandem.config import TandemConfig
from tandem.machine.bench import bench_sim

if TYPE_CHECKING:
    from tandem.cli.startup_bench import StartupRow
    from tandem.machine.board import Board
    from tandem.tinyml.results import Inference


def cmd_bench(args: argparse.Namespace, cfg: TandemConfig) -> int:
    print(f"tandem bench sim: firmware/tests/cpubound.c ({args.rounds} rounds), best of {args.runs} runs")
    for board in args.board:
        runs = [bench_sim(board, cfg, args.rounds, profile=args.profile) for _ in range(args.runs)]
        best_board = min(runs, key=lambda r: r.board_seconds)
        best_bare = min(runs, key=lambda r: r.bare_seconds)
        r = runs[0]
        line = (f"{board:<18} {r.instructions / 1e6:7.1f} M instructions {r.cycles / 1e6:7.1f} M cycles  "
                f"board {best_board.board_mips:6.1f} MIPS  bare Unicorn {best_bare.bare_mips:6.1f} MIPS  "
                f"ratio {best_board.board_mips / best_bare.bare_mips:.2f}")
        if args.profile:
            best_prof = max(x.profiled_mips or 0.0 for x in runs)
            line += f"  --profile {best_prof:6.1f} MIPS"
        print(line)
    return 0


def cmd_bench_cosim(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.cosim.rtl_bench import ENGINES, bench, bench_engine, default_board  # builds the RTL: only when asked

    board = args.board or default_board(args.accel)
    if args.accel in ENGINES:
        lines = bench_engine(board, args.accel, lambda: _inference_board(board, args.accel, cfg), cfg)
    else:
        lines = bench(board, args.accel, args.loops, args.latency, cfg, args.memory_kib)
    for line in lines:
        print(line)
    return 0


def _inference_board(board: str, accel: str, cfg: TandemConfig) -> Board:
    """A board with the DS-CNN inference loaded and the accelerator overlay ``accel`` on it, as
    run_job sets it up (tandem bench cosim times the run alone)."""
    from tandem.config import share_root
    from tandem.cosim.rtl_bench import ENGINE_MODEL
    from tandem.tinyml.infer import load_job
    from tandem.tinyml.job import InferenceJob

    return load_job(InferenceJob.create(board, share_root() / ENGINE_MODEL, cfg, accel=accel), cfg)[0]


def cmd_bench_kernels(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from pathlib import Path

    from tandem.aot.image import run_aot
    from tandem.tinyml.kernel_bench import COLUMNS, DEFAULT_BOARDS, bench_model, default_models, format_rows

    columns = args.column or ["reference", "optimized", "aot"]
    models = [Path(m) for m in args.model] if args.model else default_models()
    runners = {**COLUMNS, "aot": run_aot}  # the AOT runtime: generated C calling the reference kernels
    rows = [bench_model(board, model, cfg, columns, runners) for board in (args.board or DEFAULT_BOARDS)
            for model in models]
    for line in format_rows(rows, columns):
        print(line)
    return 0


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:5.2f}" if a and b else "  n/a"


def _mips(x: float | None) -> str:
    return f"{x:7.1f}" if x else "    n/a"


def cmd_bench_suite(args: argparse.Namespace, cfg: TandemConfig) -> int:
    """``tandem bench``: the named workloads, each built here, with what this machine measures."""
    import platform as host

    from tandem.config import share_root
    from tandem.machine.bench import QEMU_MACHINES, qemu_seconds

    print(f"tandem bench on {host.node()} ({host.machine()}, {os.cpu_count()} cores, Python "
          f"{host.python_version()}); host MIPS = simulated instructions per wall second, best of {args.runs}")
    print(f"{'workload':<58} {'instr M':>8} {'tandem':>7} {'Unicorn':>7} {'QEMU':>7} {'t/U':>5} {'t/Q':>5}")
    board = "mps2_an386"
    runs = [bench_sim(board, cfg, args.rounds, profile=True) for _ in range(args.runs)]
    tandem_mips = max(r.board_mips for r in runs)
    bare_mips = max(r.bare_mips for r in runs)
    qemu = [qemu_seconds(runs[0].elf, QEMU_MACHINES[board]) for _ in range(args.runs)]
    qemu_mips = runs[0].instructions / min(q for q in qemu if q) / 1e6 if all(qemu) else None
    print(f"{f'cpubound.c integer loop ({args.rounds} rounds), {board}':<58} {runs[0].instructions / 1e6:8.1f} "
          f"{_mips(tandem_mips)} {_mips(bare_mips)} {_mips(qemu_mips)} {_ratio(tandem_mips, bare_mips)} "
          f"{_ratio(tandem_mips, qemu_mips)}")
    profiled = max(r.profiled_mips or 0.0 for r in runs)
    print(f"  the same loop profiled (tandem run --profile, the same cycles): {profiled:.1f} MIPS, "
          f"{profiled / tandem_mips:.2f}x of unprofiled")
    root = share_root()
    kws = ("KWS DS-CNN inference (kws_ds_cnn.tflite)", root / "examples/models/kws_ds_cnn.tflite")
    # nucleo_l4r5zi times every flash data load (ART D-cache); mps2_an386's memories have no wait
    # states: the same inference without that cost
    for (name, model), board_name in ((("conv kernel (op_conv2d.tflite)", root / "tests/models/op_conv2d.tflite"),
                                       "nucleo_l4r5zi"), (kws, "nucleo_l4r5zi"), (kws, "mps2_an386")):
        rows = [_infer_mips(model, board_name, cfg) for _ in range(args.runs)]
        insns, best, bare = rows[0][0], max(r[1] for r in rows), max(r[2] for r in rows)
        row_qemu = max((r[3] for r in rows if r[3]), default=None)
        print(f"{f'{name}, {board_name}':<58} {insns / 1e6:8.1f} {_mips(best)} {_mips(bare)} {_mips(row_qemu)} "
              f"{_ratio(best, bare)} {_ratio(best, row_qemu)}")
    print("  (QEMU on the model rows: only mps2_an386, which QEMU models; the model, inputs and request go in "
          "through its loader device, and QEMU MIPS count tandem's instructions, which include a few op "
          "markers per op that QEMU's run leaves out)")
    if args.cosim:
        inf, secs = _cosim_infer(root / "examples/models/kws_ds_cnn.tflite", cfg)
        acc = int(_num(inf.extra["accel_cycles"]))
        print(f"{'KWS DS-CNN with the conv8x8 engine (verilator)':<58} {inf.run.instructions / 1e6:8.1f} "
              f"whole run {secs:.2f} s wall, {acc:,} accelerator cycles, "
              f"{acc / secs / 1e6:.3f} M accelerator cycles per wall second")
        from tandem.cosim.rtl_bench import bench

        for line in bench("generic_m4", "mac_axil", 20_000, 10_000_000, cfg, 0):
            print(f"  RTL (bench cosim, mac_axil): {line}")
    print("start-up (tandem bench startup):")
    for row in _startup_rows(cfg, args.runs):
        print(f"  {row.line()}")
    return 0


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _infer_mips(model: object, board: str, cfg: TandemConfig) -> tuple[int, float, float, float | None]:
    """Instructions, tandem MIPS (``run_job``: the board with its cycle model), bare-Unicorn
    MIPS (``bare_job_seconds``) and, on a board QEMU models, QEMU MIPS (the whole process, the
    same memory written through its loader device, no op markers) of one inference of ``model``
    (the model op set's kernels)."""
    from pathlib import Path

    from tandem.machine.bench import QEMU_MACHINES, qemu_seconds
    from tandem.tinyml.infer import bare_job_seconds, job_memory, run_job
    from tandem.tinyml.job import InferenceJob

    job = InferenceJob.create(board, Path(str(model)), cfg)
    run = run_job(job, cfg).run
    bare = run.instructions / bare_job_seconds(job) / 1e6
    qemu = None
    if board in QEMU_MACHINES:
        secs = qemu_seconds(str(job.elf), QEMU_MACHINES[board], writes=job_memory(job, trace_ops=False)[1])
        qemu = run.instructions / secs / 1e6 if secs else None
    return run.instructions, run.mips, bare, qemu


def _cosim_infer(model: object, cfg: TandemConfig) -> tuple[Inference, float]:
    """The model with the conv8x8 engine on the bus, and the wall seconds of the run alone."""
    import time
    from pathlib import Path

    from tandem.tinyml.infer import run_job
    from tandem.tinyml.job import InferenceJob

    job = InferenceJob.create("nucleo_l4r5zi", Path(str(model)), cfg, accel="conv8x8")
    t0 = time.perf_counter()
    inf = run_job(job, cfg)
    return inf, time.perf_counter() - t0


def _startup_rows(cfg: TandemConfig, runs: int) -> list[StartupRow]:
    from tandem.cli.startup_bench import bench_startup
    from tandem.config import share_root
    from tandem.firmware.build import FirmwareSpec, build_firmware
    from tandem.platform import load_platform

    platform = load_platform("stm32f4_discovery", cfg.platforms_search)
    spec = FirmwareSpec(("tests/cpubound.c",), name="cpubound4000", port="semihost")
    elf = build_firmware(platform, spec, cfg)
    kws = str(share_root() / "examples/models/kws_ds_cnn.tflite")
    run = ["run", "--board", "stm32f4_discovery", "--quiet", str(elf)]
    infer = ["infer", "--board", "nucleo_l4r5zi", "--model", kws]
    return bench_startup([("tandem run cpubound.c", "run", run), ("tandem infer kws_ds_cnn", "infer", infer)], runs)


def cmd_bench_startup(args: argparse.Namespace, cfg: TandemConfig) -> int:
    print(f"tandem bench startup: a fresh process to the core's first instruction, cached builds, {args.runs} runs")
    for row in _startup_rows(cfg, args.runs):
        print(row.line())
    return 0
