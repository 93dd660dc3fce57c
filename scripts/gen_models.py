#!/usr/bin/env python3
"""Regenerate the committed .tflite models in tests/models/ (or check they are current)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tandem.tinyml.models.catalog import committed_models  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "models")
    parser.add_argument("--check", action="store_true", help="fail if any committed model differs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, build in committed_models().items():
        data = build()
        path = args.out / f"{name}.tflite"
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(str(path))
            continue
        path.write_bytes(data)
        print(f"{path}: {len(data)} bytes")
    if stale:
        print("stale models (run scripts/gen_models.py):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
