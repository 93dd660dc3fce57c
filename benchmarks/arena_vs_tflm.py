"""tandem's arena beside TFLM's (``arena_used_bytes``) for TFLM's example models and the zoo.

Both figures come from host builds (64-bit pointers): tandem's runtime compiled for the host
(``HostRuntime``, ``ip.error.bytes_needed``) and TFLM's interpreter from the ``tflite-micro``
package (its recording allocator's total, head = planned activations, tail = persistent data).
With ``--board`` the figure ``tandem infer`` reports on that board is added (32-bit pointers:
smaller tensor and node records). The split and the explanation of the differences are in
firmware/runtime/README.md ("Arena against TFLM").

    python benchmarks/arena_vs_tflm.py [--board nucleo_l4r5zi]
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tandem.errors import TandemError  # noqa: E402
from tandem.tinyml.host_runtime import HostRuntime  # noqa: E402
from tandem.tinyml.job import random_inputs  # noqa: E402
from tandem.tinyml.model import read_model  # noqa: E402
from tandem.tinyml.models import zoo  # noqa: E402
from tandem.tinyml.tflm_ref import run_tflm  # noqa: E402

TFLM_MODELS = ROOT.parent / "shared" / "models" / "tflm"
TFLM_EXAMPLES = ("hello_world_int8", "micro_speech_quantized", "trained_lstm_int8")


@dataclass(frozen=True)
class ArenaRow:
    name: str
    tflm_total: int
    tflm_head: int
    tflm_tail: int
    tandem_total: int | None  # host build; None when tandem refuses the model
    tandem_head: int | None
    tandem_refusal: str = ""
    tandem_board: int | None = None  # what `tandem infer` reports on the board, when asked

    @property
    def relative(self) -> float | None:
        if self.tandem_total is None:
            return None
        return (self.tandem_total - self.tflm_total) / self.tflm_total


def models() -> dict[str, Callable[[], bytes]]:
    """TFLM's example models (from ../shared/models/tflm/) and the zoo's architectures."""
    out: dict[str, Callable[[], bytes]] = {}
    for name in TFLM_EXAMPLES:
        out[name] = (lambda p=TFLM_MODELS / f"{name}.tflite": p.read_bytes())
    out.update(zoo.ARCHITECTURES)
    return out


def measure(name: str, model: bytes, runtime: HostRuntime, board: str | None = None) -> ArenaRow:
    inputs = random_inputs(read_model(model, name), 0)
    tflm = run_tflm(model, inputs)
    run = runtime.run(model, inputs)
    head: int | None = None
    total: int | None = None
    refusal = ""
    if run.status.ok:
        total = run.arena_used
        head = runtime.plan(model)[0]
    else:
        refusal = f"{run.status.name} (op {run.status.op_index}, tensor {run.status.tensor_index})"
    on_board = _board_figure(board, name, model, inputs) if board and total is not None else None
    return ArenaRow(name, tflm.arena_used_bytes, tflm.arena_head_bytes, tflm.arena_tail_bytes, total, head,
                    refusal, on_board)


def _board_figure(board: str, name: str, model: bytes, inputs: list) -> int:
    import tempfile

    from tandem.config import TandemConfig
    from tandem.tinyml.infer import run_job
    from tandem.tinyml.job import InferenceJob

    cfg = TandemConfig.from_env()
    with tempfile.NamedTemporaryFile(suffix=".tflite") as fh:
        fh.write(model)
        fh.flush()
        job = InferenceJob.create(board, fh.name, cfg, inputs, model=model)
        return run_job(job, cfg).arena_bytes


def table(rows: list[ArenaRow], board: str | None = None) -> str:
    head = f"{'model':<24} {'TFLM':>8} {'head':>7} {'tail':>7}   {'tandem':>8} {'head':>7} {'tail':>7} {'diff':>7}"
    if board:
        head += f"  {'on ' + board:>20}"
    out = [head]
    for r in rows:
        line = f"{r.name:<24} {r.tflm_total:>8,} {r.tflm_head:>7,} {r.tflm_tail:>7,}   "
        if r.tandem_total is None or r.tandem_head is None or r.relative is None:
            line += f"tandem refuses: {r.tandem_refusal}"
        else:
            line += (f"{r.tandem_total:>8,} {r.tandem_head:>7,} {r.tandem_total - r.tandem_head:>7,} "
                     f"{100 * r.relative:>+6.1f}%")
            if board and r.tandem_board is not None:
                line += f"  {r.tandem_board:>20,}"
        out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", help="also run each model with `tandem infer` on this board")
    args = ap.parse_args(argv)
    runtime = HostRuntime()
    rows = []
    for name, build in models().items():
        try:
            rows.append(measure(name, build(), runtime, args.board))
        except TandemError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
    print(table(rows, args.board))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
