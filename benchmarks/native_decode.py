"""Host speed of a model inference with the native block decoder on and off, against bare Unicorn.

The same runtime image and model run (1) on a Board as ``tandem infer``'s library path does
(``run_job`` without the memory checker), with ``TANDEM_NATIVE_DECODE`` on or off in this
process, and (2) on a bare Unicorn with the board's memory map, the same memory contents and
no hooks but the semihosting exit (sim/machine/bench.py's ``_bare_run``). Figures are host MIPS
(instructions per wall second of the emulation) and the ratio; every configuration must give
the same cycle count.

    python benchmarks/native_decode.py [--board mps2_an386] [--runs 3] [--modes off,on] MODEL.tflite ...

The default board is mps2_an386: the bare run cannot run the STM32 boards' start-up code (it polls
clock-ready flags that plain RAM never sets).
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
from tandem.tinyml.infer import load_job, plan  # noqa: E402
from tandem.tinyml.job import InferenceJob  # noqa: E402


def _board_run(job: InferenceJob, cfg: TandemConfig) -> tuple[Board, float, int, int, int]:
    board, _ = load_job(job, cfg)
    t0 = time.perf_counter()
    run = board.run()
    wall = time.perf_counter() - t0
    c = board.counter
    return board, wall, run.instructions, run.cycles, c.misses - getattr(c, "native_blocks", 0)


def _bare_with_writes(board: Board, image: object, writes: list[tuple[int, bytes]]) -> float:
    """sim/machine/bench.py's bare run (_bare_run), with the peripheral space as plain RAM (the runtime's
    start-up code writes clock and flash registers) and a two-minute cap."""
    import unicorn
    from unicorn import arm_const as A

    from tandem.core.cpu import CortexM
    from tandem.firmware.elf import ElfImage

    assert isinstance(image, ElfImage)
    cpu = CortexM(board.platform.cpu.core)
    for mem in board.platform.memories:
        cpu.map_memory((mem.base, *mem.aliases), mem.size)
    cpu.map_memory((0xE0000000,), 0x100000)
    for seg in image.segments:
        cpu.write(seg.address, seg.data)
    for addr, data in writes:
        cpu.write(addr, data)
    done: list[bool] = []

    def on_intr(uc: unicorn.Uc, intno: int, _d: object) -> None:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if uc.reg_read(A.UC_ARM_REG_R0) in (0x18, 0x20):
            done.append(True)
            uc.emu_stop()
        uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)

    def on_unmapped(uc: unicorn.Uc, _access: int, addr: int, _size: int, _value: int, _d: object) -> bool:
        uc.mem_map(addr & ~0xFFF, 0x1000)  # a peripheral the start-up code touches: plain RAM
        return True

    cpu.uc.hook_add(unicorn.UC_HOOK_INTR, on_intr)
    cpu.uc.hook_add(unicorn.UC_HOOK_MEM_UNMAPPED, on_unmapped)
    cpu.set_reg("sp", cpu.read_u32(0))
    pc = cpu.read_u32(4)
    t0 = time.perf_counter()
    cpu.uc.emu_start(pc | 1, 0xFFFFFFFE, timeout=120_000_000)  # us; not count=, a per-instruction hook
    elapsed = time.perf_counter() - t0
    if not done:
        raise RuntimeError("bare run did not reach the exit call")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--board", default="mps2_an386")
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
        bare = min(_bare_with_writes(*_bare_setup(job, cfg)) for _ in range(args.runs))
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


def _bare_setup(job: InferenceJob, cfg: TandemConfig) -> tuple[Board, object, list[tuple[int, bytes]]]:
    board = Board(job.platform, cfg)
    image = board.load_elf(job.elf)
    model = job.model if job.runtime == "interpreter" else b""
    prep = plan(image, job.platform.name, job.info, model, job.inputs, job.invocations, job.model_path)
    return board, image, list(prep.writes)


if __name__ == "__main__":
    raise SystemExit(main())
