"""``tandem compile``: C generated for one .tflite model (the ahead-of-time runtime), built for a
board; prints what was generated and the image's flash and RAM."""
from __future__ import annotations

import argparse
from pathlib import Path

from tandem.aot.image import build_aot, export
from tandem.config import TandemConfig
from tandem.firmware.elf import ElfImage
from tandem.platform import load_platform
from tandem.tinyml.infer import image_sizes
from tandem.tinyml.job import read_model_file


def cmd_compile(args: argparse.Namespace, cfg: TandemConfig) -> int:
    model = read_model_file(Path(args.model))
    platform = load_platform(args.board, cfg.platforms_search)
    image = build_aot(platform, cfg, model, str(Path(args.model)))
    prog = image.program
    flash, ram = image_sizes(ElfImage.load(image.elf))
    consts = sum(t.nbytes for t in prog.tensors if t.is_const)
    print(f"{args.model} for {args.board}: {len(prog.nodes)} ops, kernels {', '.join(prog.kernels)}")
    print(f"arena {prog.plan_bytes:,} B (static plan); constants {consts:,} B in flash")
    print(f"image: {flash:,} B flash, {ram:,} B RAM (arena included)")
    print(f"generated C: {image.source}")
    print(f"ELF: {image.elf}")
    if args.out:
        for path in export(image, Path(args.out)):
            print(f"written: {path}")
    return 0
