"""Host speed of a model inference with the native block decoder on and off, against bare Unicorn.

The same runtime image and model run (1) on a Board as ``tandem infer``'s library path does
(``run_job`` without the memory checker), with ``TANDEM_NATIVE_DECODE`` on or off in this
process, and (2) on a bare Unicorn with the board's memory map, the same memory contents and
no hooks but the semihosting exit (``tandem.tinyml.infer.bare_job_seconds``). Figures are host MIPS
(instructions per wall second of the emulation) and the ratio; every configuration must give
the same cycle count.

    python benchmarks/native_decode.py [--board nucleo_l4r5zi] [--runs 3] [--modes off,on] MODEL.tflite ...
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tandem.config import TandemConfig  # noqa: E402
from tandem.machine.board import Board  # noqa: E402
from tandem.tinyml.infer import bare_job_seconds, load_job  # noqa: E402
from tandem.tinyml.job import InferenceJob  # noqa: E402


def _board_run(job: InferenceJob, cfg: TandemConfig) -> tuple[Board, float, int, int, int]:
    board, _ = load_job(job, cfg)
    t0 = time.perf_counter()
    run = board.run()
    wall = time.perf_counter() - t0
    c = board.counter
    return board, wall, run.instructions, run.cycles, c.misses - getattr(c, "native_blocks", 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--board", default="nucleo_l4r5zi")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--modes", default="off,on", help="TANDEM_NATIVE_DECODE values to run, comma-separated")
    ap.add_argument("--label", default="", help="printed before each mode (e.g. the checkout measured)")
    args = ap.parse_args(argv)
    cfg = TandemConfig.from_env()
    cache = os.environ.get("TANDEM_COST_CACHE", "on")
    print(f"board {args.board}, cost cache {cache}, best of {args.runs}; MIPS = instructions / emulation wall s")
    print(f"{'model':<32} {'decoder':<12} {'instr M':>8} {'cycles':>10} {'py blocks':>9} {'tandem':>7} "
          f"{'Unicorn':>7} {'t/U':>5}")
    for m in args.models:
        job = InferenceJob.create(args.board, Path(m), cfg)
        bare = min(bare_job_seconds(job) for _ in range(args.runs))
        for mode in args.modes.split(","):
            os.environ["TANDEM_NATIVE_DECODE"] = mode
            runs = [_board_run(job, cfg) for _ in range(args.runs)]
            cycles = {r[3] for r in runs}
            assert len(cycles) == 1, cycles
            best = min(r[1] for r in runs)
            insns = runs[0][2]
            print(f"{Path(m).name:<32} {args.label + mode:<12} {insns / 1e6:8.2f} {runs[0][3]:>10} {runs[0][4]:>9} "
                  f"{insns / best / 1e6:7.1f} {insns / bare / 1e6:7.1f} {bare / best:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
