"""``tandem size``: flash and RAM use of a firmware ELF on a board."""
from __future__ import annotations

import argparse

from tandem.cli.common import write_json
from tandem.config import TandemConfig
from tandem.firmware.elf import ElfImage
from tandem.platform import load_platform
from tandem.reports.memory import memory_report


def cmd_size(args: argparse.Namespace, cfg: TandemConfig) -> int:
    platform = load_platform(args.board, cfg.platforms_search)
    report = memory_report(ElfImage.load(args.firmware), platform)
    print(report.text(top=args.top))
    if args.json:
        write_json(args.json, report.to_json())
    return 0
