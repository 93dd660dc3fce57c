"""``tandem boards``: the boards of the platform search path with their core, clock and memories."""
from __future__ import annotations

import argparse

from tandem.config import TandemConfig
from tandem.errors import TandemError
from tandem.platform import list_boards, load_platform


def cmd_boards(args: argparse.Namespace, cfg: TandemConfig) -> int:
    """One line per board; a board that does not load (a Renode file for a core tandem does not
    model, say) says why on its line instead of stopping the list."""
    for name in list_boards(cfg.platforms_search):
        try:
            p = load_platform(name, cfg.platforms_search)
        except TandemError as err:
            print(f"{name:<20} (does not load: {err})")
            continue
        print(f"{name:<20} {p.describe()}")
    return 0
