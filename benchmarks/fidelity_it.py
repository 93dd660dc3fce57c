"""How much tandem can overcharge instructions whose IT condition fails (docs/fidelity.md).

    python benchmarks/fidelity_it.py [--board nucleo_l4r5zi] [--op-set model optimized]
        [--model M.tflite ...]

tandem charges an instruction inside an IT block as if it executed (the block's static cost),
except an SDIV/UDIV (1, and the board's divide hook adds the rest only when it executes) and a
conditional branch at the end of a block (1, and the rest when taken). This script runs
inferences with a Python block hook beside the board's own counter and, for each conditional
instruction in each executed block, evaluates its condition against the flags: for a failed
one it adds (its cost in the block - 1) to ``over``. If the core spends 1 cycle on a failed
instruction, ``over`` is exactly what tandem overcharges; if it spends the full cost, tandem
is exact: the error is between 0 and ``over``.

The flags are read at the start of the next block, so an instruction is evaluated exactly
only when no instruction after it in its block sets the flags; the others (``unsure``) are
counted as failed, which keeps ``over`` an upper bound. The hook costs about 5x in
simulation speed.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import capstone
import unicorn
from capstone import arm as A
from unicorn import arm_const as U

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tandem.config import TandemConfig  # noqa: E402
from tandem.errors import TandemError  # noqa: E402
from tandem.machine.board import Board  # noqa: E402
from tandem.tinyml.infer import load_job  # noqa: E402
from tandem.tinyml.job import InferenceJob  # noqa: E402
from tandem.tinyml.kernel_bench import default_models  # noqa: E402

_DIVIDES = (A.ARM_INS_SDIV, A.ARM_INS_UDIV)
_NO_IT = (A.ARM_INS_IT, A.ARM_INS_CBZ, A.ARM_INS_CBNZ)


def condition_passes(cc: int, apsr: int) -> bool:
    """ARMv7-M ARM A7.3 (ConditionPassed): the condition codes against N, Z, C, V."""
    n, z, c, v = (apsr >> 31) & 1, (apsr >> 30) & 1, (apsr >> 29) & 1, (apsr >> 28) & 1
    table = {
        A.ARM_CC_EQ: z == 1, A.ARM_CC_NE: z == 0, A.ARM_CC_HS: c == 1, A.ARM_CC_LO: c == 0,
        A.ARM_CC_MI: n == 1, A.ARM_CC_PL: n == 0, A.ARM_CC_VS: v == 1, A.ARM_CC_VC: v == 0,
        A.ARM_CC_HI: c == 1 and z == 0, A.ARM_CC_LS: c == 0 or z == 1,
        A.ARM_CC_GE: n == v, A.ARM_CC_LT: n != v,
        A.ARM_CC_GT: z == 0 and n == v, A.ARM_CC_LE: z == 1 or n != v,
    }
    return table.get(cc, True)


@dataclass
class Tally:
    executed: int = 0  # conditional instructions in IT blocks reached (not branches, divides)
    failed: int = 0
    unsure: int = 0  # flags set later in the block: counted as failed
    over: int = 0  # cycles: sum of (cost - 1) over the failed and unsure ones
    by_kind: dict[str, int] = field(default_factory=dict)


class ITCounter:
    """A block hook: the conditional instructions of the previous block against the flags now."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self.cs.detail = True
        # (address, size) -> [(cc, cycles over 1, kind, sure)]
        self.blocks: dict[tuple[int, int], list[tuple[int, int, str, bool]]] = {}
        self.pending: list[tuple[int, int, str, bool]] = []
        self.tally = Tally()

    def _analyse(self, uc: unicorn.Uc, addr: int, size: int) -> list[tuple[int, int, str, bool]]:
        code = bytes(uc.mem_read(addr, size))
        timing = self.board.timing
        insns = timing._decode(code, addr)  # the cost model's own view of the block
        costs = timing._costs(insns)
        cs = list(self.cs.disasm(code, addr))
        if len(cs) != len(insns):
            return []
        out = []
        for k, (ins, cost) in enumerate(zip(cs, costs, strict=True)):
            if ins.id in _NO_IT or ins.cc in (A.ARM_CC_AL, A.ARM_CC_INVALID):
                continue
            if ins.id in _DIVIDES or (k == len(cs) - 1 and insns[k].writes_pc):
                continue  # already charged 1 when they fail
            later = cs[k + 1:]
            sure = not any(A.ARM_REG_CPSR in x.regs_access()[1] or x.update_flags for x in later)
            out.append((ins.cc, cost - 1, insns[k].kind, sure))
        return out

    def hook(self, uc: unicorn.Uc, addr: int, size: int, _user: object) -> None:
        if self.pending:
            apsr = uc.reg_read(U.UC_ARM_REG_APSR)
            t = self.tally
            for cc, extra, kind, sure in self.pending:
                t.executed += 1
                if sure and condition_passes(cc, apsr):
                    continue
                if sure:
                    t.failed += 1
                else:
                    t.unsure += 1
                t.over += extra
                if extra:
                    t.by_kind[kind] = t.by_kind.get(kind, 0) + extra
        key = (addr, size)
        found = self.blocks.get(key)
        if found is None:
            found = self.blocks[key] = self._analyse(uc, addr, size)
        self.pending = found


def attach(board: Board) -> ITCounter:
    """Count on ``board`` from now on (its runs add to the counter's tally)."""
    counter = ITCounter(board)
    board.cpu.uc.hook_add(unicorn.UC_HOOK_BLOCK, counter.hook)
    return counter


def measure(board_name: str, model: Path, op_set: str, cfg: TandemConfig) -> tuple[int, Tally]:
    job = InferenceJob.create(board_name, model, cfg, op_set=op_set)
    board, _ = load_job(job, cfg)
    counter = attach(board)
    run = board.run(max_cycles=2_000_000_000)
    return run.cycles, counter.tally


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="nucleo_l4r5zi")
    ap.add_argument("--op-set", nargs="+", default=["model", "optimized"])
    ap.add_argument("--model", nargs="+", type=Path, default=None)
    args = ap.parse_args(argv)
    cfg = TandemConfig.from_env()
    print("| model | op set | cycles | IT-conditional executed | failed | unsure | over (cycles) "
          "| over / cycles | over by kind |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        for model in args.model or default_models():
            for op_set in args.op_set:
                cycles, t = measure(args.board, model, op_set, cfg)
                kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(t.by_kind.items())) or "-"
                print(f"| {model.name} | {op_set} | {cycles:,} | {t.executed:,} | {t.failed:,} "
                      f"| {t.unsure:,} | {t.over:,} | {100 * t.over / cycles:.3f}% | {kinds} |",
                      flush=True)
    except TandemError as exc:
        print(f"fidelity_it: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
