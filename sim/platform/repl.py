"""Parser for the subset of Renode's platform description format (.repl) that boards need.

Supported: ``using "file"`` includes (relative to the including file or to the platforms
root), ``name: Type @ sysbus <address>`` and ``@ sysbus <addr, +size>`` registrations (also a
``{ sysbus a; sysbus b }`` list of registrations, which tandem maps as aliases), entries with no
registration, entries without a type that amend an entry defined earlier (as board files do to a
chip's parts), indented property blocks, ``-> target@n`` IRQ connections, and ``//`` and
``/* */`` comments. The result is a flat list of :class:`EntrySpec` in definition order, each
carrying the file and line it came from so that later validation can point at it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from tandem.errors import PlatformError

Value = Union[int, str, bool, "Reference", "Range", list]


@dataclass(frozen=True)
class Reference:
    """A bare identifier used as a value (``nvic: nvic``)."""

    name: str


@dataclass(frozen=True)
class Range:
    """``<start, +size>`` or ``<start, end>``."""

    start: int
    size: int


@dataclass(frozen=True)
class Registration:
    """Where an entry is registered: a bus (or other parent) and an optional address/range."""

    parent: str
    address: int | None
    size: int | None


@dataclass(frozen=True)
class IrqConnection:
    source: str  # the entry's own IRQ name ("IRQ") or "" for the default one
    target: str
    number: int


@dataclass
class EntrySpec:
    """One entry of a platform description, possibly amended by later files."""

    name: str
    type: str | None
    registrations: list[Registration]
    properties: dict[str, Value]
    irqs: list[IrqConnection]
    path: str
    line: int
    property_lines: dict[str, tuple[str, int]] = field(default_factory=dict)

    def where(self, prop: str | None = None) -> tuple[str, int]:
        if prop is not None and prop in self.property_lines:
            return self.property_lines[prop]
        return self.path, self.line


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_HEADER = re.compile(rf"^({_NAME})\s*:\s*(.*)$")
_TYPE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(.*)$")
_INT = re.compile(r"^-?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9_]+)$")


def _strip_comments(text: str, path: str) -> list[str]:
    """Remove comments, keeping line numbers (block comments become blank lines)."""
    out: list[str] = []
    in_block = False
    block_start = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = ""
        i = 0
        in_str = False
        while i < len(raw):
            if in_block:
                end = raw.find("*/", i)
                if end < 0:
                    i = len(raw)
                    continue
                in_block = False
                i = end + 2
                continue
            ch = raw[i]
            if ch == '"':
                in_str = not in_str
            elif not in_str and raw.startswith("//", i):
                break
            elif not in_str and raw.startswith("/*", i):
                in_block = True
                block_start = lineno
                i += 2
                continue
            line += ch
            i += 1
        out.append(line.rstrip())
    if in_block:
        raise PlatformError("unterminated /* comment", path, block_start)
    return out


def parse_int(token: str) -> int:
    token = token.strip()
    if not _INT.match(token):
        raise ValueError(token)
    return int(token.replace("_", ""), 0)


class _Parser:
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, message: str, line: int) -> PlatformError:
        return PlatformError(message, self.path, line)

    def value(self, text: str, line: int) -> Value:
        text = text.strip().rstrip(";").strip()
        if not text:
            raise self.fail("property has no value", line)
        if text.startswith('"'):
            if len(text) < 2 or not text.endswith('"'):
                raise self.fail(f"unterminated string {text!r}", line)
            return text[1:-1]
        if text in ("true", "false"):
            return text == "true"
        if text.startswith("<"):
            return self.range(text, line)
        if text.startswith("["):
            if not text.endswith("]"):
                raise self.fail(f"unterminated list {text!r}", line)
            inner = text[1:-1].strip()
            return [self.value(part, line) for part in inner.split(",")] if inner else []
        try:
            return parse_int(text)
        except ValueError:
            pass
        if re.fullmatch(_NAME, text):
            return Reference(text)
        raise self.fail(f"cannot read value {text!r}", line)

    def range(self, text: str, line: int) -> Range:
        m = re.fullmatch(r"<\s*([^,>]+?)\s*,\s*(\+?)\s*([^>]+?)\s*>", text)
        if not m:
            raise self.fail(f"malformed range {text!r} (expected <start, +size>)", line)
        try:
            start = parse_int(m.group(1))
            second = parse_int(m.group(3))
        except ValueError:
            raise self.fail(f"malformed number in range {text!r}", line) from None
        size = second if m.group(2) else second - start + 1
        if size <= 0:
            raise self.fail(f"range {text!r} is empty", line)
        return Range(start, size)

    def registration(self, text: str, line: int) -> list[Registration]:
        text = text.strip()
        if text.startswith("{"):
            if not text.endswith("}"):
                raise self.fail("unterminated { registration list }", line)
            parts = [p for p in text[1:-1].split(";") if p.strip()]
            if not parts:
                raise self.fail("empty registration list", line)
            return [r for p in parts for r in self.registration(p, line)]
        m = re.fullmatch(rf"({_NAME})\s*(.*)", text)
        if not m:
            raise self.fail(f"malformed registration {text!r}", line)
        parent, rest = m.group(1), m.group(2).strip()
        if not rest:
            return [Registration(parent, None, None)]
        if rest.startswith("<"):
            rng = self.range(rest, line)
            return [Registration(parent, rng.start, rng.size)]
        try:
            return [Registration(parent, parse_int(rest), None)]
        except ValueError:
            raise self.fail(f"malformed address {rest!r} in registration", line) from None

    def irq(self, text: str, line: int) -> IrqConnection:
        m = re.fullmatch(rf"(?:({_NAME})\s*)?->\s*({_NAME})\s*@\s*(\S+)", text.strip())
        if not m:
            raise self.fail(f"malformed IRQ connection {text.strip()!r}", line)
        try:
            number = parse_int(m.group(3))
        except ValueError:
            raise self.fail(f"malformed IRQ number {m.group(3)!r}", line) from None
        return IrqConnection(m.group(1) or "", m.group(2), number)

    def parse(self) -> tuple[list[tuple[str, int]], list[EntrySpec]]:
        usings: list[tuple[str, int]] = []
        entries: list[EntrySpec] = []
        current: EntrySpec | None = None
        indent_unit: int | None = None
        for lineno, line in enumerate(self.lines, start=1):
            if not line.strip():
                continue
            indented = line[0] in " \t"
            stripped = line.strip()
            if not indented:
                current = None
                if stripped.startswith("using "):
                    m = re.fullmatch(r'using\s+"([^"]+)"(?:\s+prefixed\s+"[^"]*")?\s*;?', stripped)
                    if not m:
                        raise self.fail('malformed using (expected using "file.repl")', lineno)
                    if entries:
                        raise self.fail("using must come before the first entry", lineno)
                    usings.append((m.group(1), lineno))
                    continue
                m = _HEADER.match(stripped)
                if not m:
                    raise self.fail(f"expected 'name: Type @ sysbus address', got {stripped!r}", lineno)
                current = self.header(m.group(1), m.group(2), lineno)
                entries.append(current)
                continue
            if current is None:
                raise self.fail("indented line outside an entry", lineno)
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise self.fail("tabs are not allowed in indentation", lineno)
            width = len(line) - len(line.lstrip())
            if indent_unit is None:
                indent_unit = width
            if stripped.startswith("->") or re.match(rf"{_NAME}\s*->", stripped):
                current.irqs.append(self.irq(stripped, lineno))
                continue
            if stripped.startswith("init:") or stripped.startswith("init add:"):
                continue  # Renode monitor scripts: nothing for tandem to do
            m = re.fullmatch(rf"({_NAME})\s*:\s*(.*)", stripped)
            if not m:
                raise self.fail(f"expected 'property: value', got {stripped!r}", lineno)
            key = m.group(1)
            current.properties[key] = self.value(m.group(2), lineno)
            current.property_lines[key] = (self.path, lineno)
        return usings, entries

    def header(self, name: str, rest: str, line: int) -> EntrySpec:
        rest = rest.strip().rstrip(";").strip()
        type_name: str | None = None
        regs: list[Registration] = []
        irqs: list[IrqConnection] = []
        if rest:
            if "->" in rest:
                rest, _, irq_text = rest.partition("->")
                irqs.append(self.irq("->" + irq_text, line))
                rest = rest.strip()
            if "@" in rest:
                type_part, _, reg_part = rest.partition("@")
                regs = self.registration(reg_part, line)
                type_part = type_part.strip()
            else:
                type_part = rest
            if type_part:
                m = _TYPE.fullmatch(type_part)
                if not m or m.group(2):
                    raise self.fail(
                        f"malformed type {type_part!r} for {name!r} (expected Namespace.Type)", line
                    )
                type_name = m.group(1)
        return EntrySpec(name, type_name, regs, {}, irqs, self.path, line)


def parse_text(text: str, path: str = "<string>") -> tuple[list[tuple[str, int]], list[EntrySpec]]:
    """Parse one file's text; returns its ``using`` lines and its entries."""
    return _Parser(path, _strip_comments(text, path)).parse()


def load_entries(path: Path, root: Path, _stack: tuple[Path, ...] = (),
                 base: list[EntrySpec] | None = None) -> list[EntrySpec]:
    """Load a .repl file with its ``using`` includes resolved, and merge amendments.

    An entry without a type amends the entry of that name defined earlier (properties override,
    registrations replace, IRQs add); a typed entry with an existing name is an error. ``base``
    holds entries loaded before this file (an overlay amends the board under it).
    """
    path = path.resolve()
    if path in _stack:
        chain = " -> ".join(p.name for p in (*_stack, path))
        raise PlatformError(f"circular using: {chain}", str(path))
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlatformError(f"cannot read platform file: {exc.strerror}", str(path)) from None
    usings, own = parse_text(text, str(path))
    merged: dict[str, EntrySpec] = {e.name: e for e in base or []}
    for target, line in usings:
        candidates = [path.parent / target, root / target]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise PlatformError(f"using: cannot find {target!r}", str(path), line)
        for entry in load_entries(found, root, (*_stack, path)):
            merge_entry(merged, entry)
    for entry in own:
        merge_entry(merged, entry)
    return list(merged.values())


def merge_entry(merged: dict[str, EntrySpec], entry: EntrySpec) -> None:
    old = merged.get(entry.name)
    if old is None:
        if entry.type is None:
            raise PlatformError(
                f"entry {entry.name!r} has no type and amends nothing defined before it",
                entry.path,
                entry.line,
            )
        merged[entry.name] = entry
        return
    if entry.type is not None and entry.type != old.type:
        raise PlatformError(
            f"entry {entry.name!r} is already defined as {old.type} at {old.path}:{old.line}",
            entry.path,
            entry.line,
        )
    old.properties.update(entry.properties)
    old.property_lines.update(entry.property_lines)
    if entry.registrations:
        old.registrations = entry.registrations
    old.irqs.extend(entry.irqs)
