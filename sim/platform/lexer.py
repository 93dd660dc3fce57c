"""The lexical layer of the .repl parser: comments, logical lines and a small text scanner.

Renode's format is indentation-structured, but anything inside brackets (``{ }``, ``[ ]``,
``( )``) or a ``'''`` string may span several physical lines. :func:`logical_lines` strips
comments (keeping line numbers) and joins such spans into one logical line that remembers
the line it started on and its indentation. :class:`Scanner` reads values and registrations
out of one logical line; :func:`split_top` splits text on a separator outside brackets and
strings.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tandem.errors import PlatformError

_OPEN = {"{": "}", "[": "]", "(": ")"}
_CLOSE = {v: k for k, v in _OPEN.items()}


@dataclass(frozen=True)
class LogicalLine:
    line: int  # 1-based number of the physical line it starts on
    indent: int  # leading spaces of that line
    text: str  # stripped; the physical lines of a span are joined with "\n"


def _strip_comments(text: str, path: str) -> list[str]:
    """Remove ``//`` and ``/* */`` comments outside strings, one output line per input line.

    A ``//`` right after ``:`` is part of a URL (``ApplySVD @https://...``), not a comment.
    """
    out: list[str] = []
    in_block = False
    in_triple = False
    block_start = triple_start = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line: list[str] = []
        i = 0
        in_str = False
        while i < len(raw):
            if in_block:
                end = raw.find("*/", i)
                if end < 0:
                    break
                in_block = False
                i = end + 2
                continue
            if in_triple:
                end = raw.find("'''", i)
                while end > 0 and raw[end - 1] == "\\":
                    end = raw.find("'''", end + 3)
                if end < 0:
                    line.append(raw[i:])
                    break
                line.append(raw[i:end + 3])
                in_triple = False
                i = end + 3
                continue
            ch = raw[i]
            if in_str:
                if ch == "\\" and i + 1 < len(raw):
                    line.append(raw[i:i + 2])
                    i += 2
                    continue
                if ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif raw.startswith("'''", i):
                in_triple = True
                triple_start = lineno
                line.append("'''")
                i += 3
                continue
            elif raw.startswith("//", i) and not (i > 0 and raw[i - 1] == ":"):
                break
            elif raw.startswith("/*", i):
                in_block = True
                block_start = lineno
                i += 2
                continue
            line.append(ch)
            i += 1
        out.append("".join(line).rstrip() if not in_triple else "".join(line))
    if in_block:
        raise PlatformError("unterminated /* comment", path, block_start)
    if in_triple:
        raise PlatformError("unterminated ''' string", path, triple_start)
    return out


def _depth_change(text: str, depth: int, in_triple: bool) -> tuple[int, bool]:
    """Bracket depth and ``'''`` state after ``text`` (strings skipped)."""
    i = 0
    in_str = False
    while i < len(text):
        if in_triple:
            end = text.find("'''", i)
            while end > 0 and text[end - 1] == "\\":
                end = text.find("'''", end + 3)
            if end < 0:
                return depth, True
            in_triple = False
            i = end + 3
            continue
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif text.startswith("'''", i):
            in_triple = True
            i += 3
            continue
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        i += 1
    return depth, in_triple


def logical_lines(text: str, path: str) -> list[LogicalLine]:
    """Comment-free logical lines; a bracket or ``'''`` span continues onto the next lines."""
    out: list[LogicalLine] = []
    lines = _strip_comments(text, path)
    i = 0
    while i < len(lines):
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise PlatformError("tabs are not allowed in indentation", path, i + 1)
        start = i
        depth, triple = _depth_change(raw, 0, False)
        parts = [raw.strip()]
        while (depth > 0 or triple) and i + 1 < len(lines):
            i += 1
            nxt = lines[i]
            parts.append(nxt if triple else nxt.strip())
            depth, triple = _depth_change(nxt, depth, triple)
        if depth > 0:
            raise PlatformError("unclosed bracket", path, start + 1)
        out.append(LogicalLine(start + 1, len(raw) - len(raw.lstrip()), "\n".join(p for p in parts if p or triple)))
        i += 1
    return out


def _code(text: str) -> Iterator[tuple[int, int]]:
    """(index, bracket depth before it) of each character outside strings, in order."""
    depth = 0
    i = 0
    while i < len(text):
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            while end > 0 and text[end - 1] == "\\":
                end = text.find("'''", end + 3)
            i = len(text) if end < 0 else end + 3
            continue
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in _CLOSE:
            depth -= 1
        yield i, depth
        if ch in _OPEN:
            depth += 1
        i += 1


def split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets and strings (parts are stripped, empty ones dropped)."""
    parts: list[str] = []
    start = skip = 0
    for i, depth in _code(text):
        if i < skip:
            continue
        if depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i].strip())
            start = skip = i + len(sep)
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def find_top(text: str, sep: str) -> int:
    """Index of the first ``sep`` outside brackets and strings, or -1."""
    return next((i for i, depth in _code(text) if depth == 0 and text.startswith(sep, i)), -1)


def balanced(text: str, start: int) -> int:
    """Index just past the bracket group opening at ``text[start]``; -1 if it never closes."""
    for i, depth in _code(text[start:]):
        if i > 0 and depth == 0:
            return start + i + 1
    return -1


__all__ = ["LogicalLine", "balanced", "find_top", "logical_lines", "split_top"]
