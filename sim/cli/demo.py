"""``tandem demo``: keyword spotting on the NUCLEO-L4R5ZI, CPU-only and with the RTL accelerator."""
from __future__ import annotations

import argparse
from pathlib import Path

from tandem.cli import build_parser
from tandem.cli.infer import cmd_infer
from tandem.config import TandemConfig


def cmd_demo(args: argparse.Namespace, cfg: TandemConfig) -> int:
    """Keyword spotting on the NUCLEO-L4R5ZI, CPU-only and with the RTL accelerator."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = cfg.root / "examples" / "models" / "kws_ds_cnn.tflite"
    print("tandem demo: a DS-CNN keyword-spotting model (int8, 49x10 MFCC input, 2.66 M MACs) on a simulated\n"
          "NUCLEO-L4R5ZI (Cortex-M4F, 120 MHz, flash at 5 wait states behind the ART), run by tandem's micro\n"
          "runtime: first on the CPU with the optimized kernels (the DSP extension, as a CMSIS-NN build ships),\n"
          "then with CONV_2D and DEPTHWISE_CONV_2D on the conv8x8 RTL engine (Verilated, on the board's bus and\n"
          "memory). Outputs are checked against LiteRT.\n",
          flush=True)
    demo_args = build_parser().parse_args([
        "infer", "--board", "nucleo_l4r5zi", "--model", str(model), "--accel", "conv8x8", "--compare", "--check",
        "--plot", str(out / "kws_ops.png"), "--timeline", str(out / "kws_timeline.json"),
        "--profile", str(out / "kws_cpu_profile.json"), "--top", "8", "--json", str(out / "kws.json"),
    ])
    rc = cmd_infer(demo_args, cfg)
    print(f"\nwritten to {out}/: kws_ops.png (cycles per op, CPU-only vs accelerated), kws_timeline.json\n"
          f"(per-op timeline: open in https://ui.perfetto.dev), kws_cpu_profile.json (cycles per function of\n"
          f"the CPU-only run: open in https://www.speedscope.app), kws.json (all figures)")
    return rc
