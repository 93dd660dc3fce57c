"""The platform search path: where board names and ``using`` files are looked up.

The folders come from ``--platforms DIR`` (repeatable) and ``TANDEM_PLATFORMS`` (colon-separated),
searched in that order, then tandem's own ``platforms/`` (TandemConfig.platforms_search).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tandem.errors import UnknownBoardError


def search_dirs(root: Path | Sequence[Path]) -> tuple[Path, ...]:
    """A platform search path: one folder or several, searched in order."""
    return (root,) if isinstance(root, Path) else tuple(root)


def resolve_using(target: str, including: Path, root: Path | Sequence[Path]) -> Path | None:
    """The file a ``using`` names, as Renode's UsingResolver finds it: an absolute path as is,
    ``./`` and ``../`` from the including file's folder, anything else under each folder of the
    search path in order (Renode's monitor path prefixes, its root first, hence the
    ``platforms/`` of ``using "platforms/cpus/x.repl"``; a search folder may be such a root or
    a ``platforms`` folder itself). tandem's own files name includes from their own folder
    (``using "armv7m.repl"``), tried first."""
    given = Path(target)
    if given.is_absolute():
        return given if given.is_file() else None
    if target.replace("\\", "/").split("/")[0] in (".", ".."):  # pathlib drops a leading "./"
        found = including.parent / given
        return found if found.is_file() else None
    rest = Path(*given.parts[1:]) if len(given.parts) > 1 and given.parts[0] == "platforms" else None
    candidates = [including.parent / given]
    for d in search_dirs(root):
        candidates += [d / given] + ([d / rest] if rest is not None else [])
    return next((c for c in candidates if c.is_file()), None)


def resolve_accel(name_or_path: str, platforms_dir: Path) -> Path:
    """An accelerator overlay: a name under ``platforms_dir/accel/`` (conv8x8, mac_axil) or a
    user's own .repl file (any name with a ``.repl`` suffix or a ``/``)."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".repl" or "/" in name_or_path:
        if not candidate.is_file():
            raise UnknownBoardError(f"{name_or_path}: no such accelerator overlay")
        return candidate.resolve()
    path = platforms_dir / "accel" / f"{name_or_path}.repl"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (platforms_dir / "accel").glob("*.repl")))
        raise UnknownBoardError(f"unknown accelerator {name_or_path!r} (known: {known or 'none'})")
    return path
