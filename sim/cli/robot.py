"""``tandem robot``: Robot Framework tests written with Renode's keywords, as ``renode-test`` runs
them; writes robot_output.xml, log.html and report.html in the working directory."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from tandem.config import TandemConfig
from tandem.errors import TandemError

RESOURCE = Path(__file__).resolve().parent.parent / "renode" / "renode-keywords.robot"


def cmd_robot(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from robot.run import run

    del cfg  # the library makes its own from the environment and the folders passed to it
    for f in args.files:
        if not Path(f).is_file():
            raise TandemError(f"{f}: no such test file")
    for item in args.variable:
        name, found, _ = item.partition(":")
        if not found or not name:
            raise TandemError(f"--variable {item!r}: expected NAME:VALUE")
    dirs = "|".join(str(Path(d).resolve()) for d in args.platforms)
    variables = [f"RENODEKEYWORDS:{RESOURCE}", f"TANDEM_PLATFORM_DIRS:{dirs}", *args.variable]
    rc: int = run(*args.files, variable=variables, outputdir=os.getcwd(), output="robot_output.xml",
                        log="log.html", report="report.html", include=args.include, exclude=args.exclude,
                        test=args.test, consolecolors="off")
    return rc
