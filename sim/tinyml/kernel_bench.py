"""``tandem bench kernels``: cycles per MAC of each op set's kernels, per model and per op type.

Each column is one way of running a model on a board (today the reference kernels, i.e. the
"model" op set, and the "optimized" op set); a column is a label and a function from (board,
model, config) to an :class:`~tandem.tinyml.results.Inference`, so another runtime (an
ahead-of-time compiled one) adds a column by adding an entry to :data:`COLUMNS`. Every run
uses the same seeded random input; MACs are the model reader's (``OpInfo.macs``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem.config import TandemConfig, share_root
from tandem.errors import ModelError
from tandem.tinyml.infer import run_model
from tandem.tinyml.results import Inference

Runner = Callable[[str, Path, TandemConfig], Inference]


def _op_set(name: str) -> Runner:
    def run(board: str, model: Path, cfg: TandemConfig) -> Inference:
        return run_model(board, model, cfg, op_set=name)

    return run


# label -> how the column's inference runs
COLUMNS: dict[str, Runner] = {"reference": _op_set("model"), "optimized": _op_set("optimized")}
DEFAULT_BOARDS = ("nucleo_l4r5zi", "stm32f4_discovery")
# the four architectures of the MLPerf Tiny suite as tandem ships them (KWS, VWW-like, IC, AD)
DEFAULT_MODELS = ("examples/models/kws_ds_cnn.tflite", "tests/models/mobilenet_v1_025.tflite",
                  "tests/models/resnet8.tflite", "tests/models/fc_autoencoder.tflite")


@dataclass(frozen=True)
class ModelRow:
    """One model on one board: cycles and MACs per column, whole inference and per op type."""

    board: str
    model: str
    macs: int
    cycles: dict[str, int]  # column -> one inference
    op_macs: dict[str, int]  # op type -> MACs summed over the model's ops of that type
    op_cycles: dict[str, dict[str, int]]  # column -> op type -> cycles

    def per_mac(self, column: str) -> float:
        return self.cycles[column] / self.macs if self.macs else 0.0

    def op_per_mac(self, column: str, op: str) -> float:
        return self.op_cycles[column][op] / self.op_macs[op] if self.op_macs[op] else 0.0


def default_models() -> list[Path]:
    return [share_root() / m for m in DEFAULT_MODELS]


def bench_model(board: str, model: Path, cfg: TandemConfig, columns: Sequence[str],
                runners: Mapping[str, Runner] | None = None) -> ModelRow:
    """``runners``: the columns to choose from (default :data:`COLUMNS`; the CLI adds the AOT
    runtime's, which lives a layer above this module)."""
    table = COLUMNS if runners is None else runners
    if not model.is_file():
        raise ModelError(f"{model}: no such model file")
    unknown = [c for c in columns if c not in table]
    if unknown:
        raise ModelError(f"unknown column {unknown[0]!r} (known: {', '.join(table)})")
    cycles: dict[str, int] = {}
    op_cycles: dict[str, dict[str, int]] = {}
    op_macs: dict[str, int] = {}
    macs = 0
    for col in columns:
        inf = table[col](board, model, cfg)
        cycles[col] = inf.cycles
        macs = inf.macs
        per_op: dict[str, int] = {}
        op_macs = {}
        for o in inf.ops:
            per_op[o.op] = per_op.get(o.op, 0) + o.cycles
            op_macs[o.op] = op_macs.get(o.op, 0) + o.macs
        op_cycles[col] = per_op
    return ModelRow(board, model.name, macs, cycles, op_macs, op_cycles)


def format_rows(rows: Sequence[ModelRow], columns: Sequence[str]) -> list[str]:
    """The table: per board, each model's whole inference then its op types with MACs."""
    width = 26
    head = f"  {'model / op type':<{width}}{'MACs':>12}" + "".join(f"{c:>12}" for c in columns)
    lines = ["cycles per MAC (one inference; per op type: its ops' cycles over their MACs)"]
    board = None
    for r in rows:
        if r.board != board:
            board = r.board
            lines += ["", board, head]
        lines.append(f"  {r.model:<{width}}{r.macs:>12,}" + "".join(f"{r.per_mac(c):>12.2f}" for c in columns))
        for op in sorted(r.op_macs, key=lambda k: -r.op_macs[k]):
            if r.op_macs[op]:
                lines.append(f"    {op:<{width - 2}}{r.op_macs[op]:>12,}" +
                             "".join(f"{r.op_per_mac(c, op):>12.2f}" for c in columns))
    return lines


__all__ = ["COLUMNS", "DEFAULT_BOARDS", "DEFAULT_MODELS", "ModelRow", "bench_model", "default_models",
           "format_rows"]
