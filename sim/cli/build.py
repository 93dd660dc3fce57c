"""``tandem build``: C sources into firmware for a board."""
from __future__ import annotations

import argparse
from pathlib import Path

from tandem.config import TandemConfig
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.platform import load_platform


def cmd_build(args: argparse.Namespace, cfg: TandemConfig) -> int:
    platform = load_platform(args.board, cfg.platforms_search)
    sources = tuple(str(Path(s).resolve()) for s in args.sources)
    elf = build_firmware(platform, FirmwareSpec(sources, opt=args.opt), cfg)
    print(elf)
    return 0
