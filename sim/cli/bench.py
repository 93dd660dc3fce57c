"""``tandem bench sim``: host MIPS of a CPU-bound firmware on the boards vs bare Unicorn;
``tandem bench cosim``: the register access overhead and RTL speed of a Tandem.RtlPeripheral."""
from __future__ import annotations

import argparse

from tandem.config import TandemConfig
from tandem.machine.bench import bench_sim


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
    from tandem.cosim.rtl_bench import bench  # builds the RTL: only when asked

    for line in bench(args.board, args.accel, args.loops, args.latency, cfg, args.memory_kib):
        print(line)
    return 0


def cmd_bench_kernels(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from pathlib import Path

    from tandem.tinyml.kernel_bench import DEFAULT_BOARDS, bench_model, default_models, format_rows

    columns = args.column or ["reference", "optimized"]
    models = [Path(m) for m in args.model] if args.model else default_models()
    rows = [bench_model(board, model, cfg, columns) for board in (args.board or DEFAULT_BOARDS)
            for model in models]
    for line in format_rows(rows, columns):
        print(line)
    return 0
