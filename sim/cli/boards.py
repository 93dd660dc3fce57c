"""``tandem boards``: the boards with their core, clock and memories."""
from __future__ import annotations

import argparse

from tandem.config import TandemConfig
from tandem.platform import list_boards, load_platform


def cmd_boards(args: argparse.Namespace, cfg: TandemConfig) -> int:
    for name in list_boards(cfg.platforms_search):
        p = load_platform(name, cfg.platforms_search)
        print(f"{name:<20} {p.describe()}")
    return 0
