"""Parser for Renode's platform description format (.repl).

Reads the whole grammar of Renode's own platform files: ``using "file" [prefixed "p"]``
includes, creating and updating entries (``[local] name: [Type] [@ registration] [as "alias"]
[{ attributes }]``), registrations on any parent (``sysbus <a, +size>``, ``{ sysbus a; sysbus
b }``, ``new Bus.BusPointRegistration { ... }``, ``xrdc [0, 0]``, ``@ none``), values (numbers,
floats, strings, ``'''`` strings, ranges, nested lists, enum values, references, ``new`` inline
objects, ``none``/``empty``), IRQ attributes (``[0-3] -> nvic@[19-22] | dma#0@[1-4]``) and
``init``/``init add``/``reset``/``preinit`` blocks of monitor commands, which are recorded on
the entry, not run. The lexical part (comments, bracket spans) is :mod:`tandem.platform.lexer`.
The result is a flat list of :class:`EntrySpec` in definition order, each carrying the file and
line it came from so that later validation can point at it.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from tandem.errors import PlatformError
from tandem.files import read_user_text
from tandem.platform.lexer import LogicalLine, balanced, find_top, logical_lines, split_top
from tandem.platform.search import resolve_using, search_dirs

Value = Union[int, float, str, bool, "Reference", "Range", "EnumValue", "InlineObject", list]


@dataclass(frozen=True)
class Reference:
    """A bare identifier used as a value (``nvic: nvic``); also the keywords none/empty."""

    name: str


@dataclass(frozen=True)
class EnumValue:
    """A dotted enum value (``STM32Series.F4``)."""

    name: str


@dataclass(frozen=True)
class InlineObject:
    """``new Type { attr: value; ... }``."""

    type: str
    properties: dict[str, Value]


@dataclass(frozen=True)
class Range:
    """``<start, +size>`` or ``<start, end>``."""

    start: int
    size: int


@dataclass(frozen=True)
class Registration:
    """Where an entry is registered: a bus (or other parent) and an optional address/range.

    ``point`` is the registration point when it is not a plain address (``xrdc [0, 0]``, a
    ``new Bus...Registration`` object); ``cpu`` restricts a bus registration to one core.
    """

    parent: str
    address: int | None
    size: int | None
    point: Value | None = None
    cpu: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class IrqConnection:
    source: str  # the entry's own IRQ name ("IRQ"), its number ("3") or "" for the default one
    target: str
    number: int
    local_index: int | None = None  # target#index@number


@dataclass(frozen=True)
class Command:
    """One monitor statement of an init/reset/preinit block, as written."""

    text: str
    path: str
    line: int


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
    commands: dict[str, list[Command]] = field(default_factory=dict)  # "init", "reset", "preinit"
    command_add: set[str] = field(default_factory=set)  # kinds given as "init add:" etc.
    alias: str | None = None
    registered: bool = False  # an "@" part was given (``@ none`` cancels the registration)

    def where(self, prop: str | None = None) -> tuple[str, int]:
        if prop is not None and prop in self.property_lines:
            return self.property_lines[prop]
        return self.path, self.line


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_HEADER = re.compile(rf"^(?:local\s+)?({_NAME})\s*:(.*)$", re.S)
_TYPE = re.compile(rf"{_NAME}(?:\.{_NAME})*")
_INT = re.compile(r"^-?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"^-?[0-9]+\.[0-9]+(?:[eE][-+]?[0-9]+)?$")
_BLOCKS = re.compile(r"^(init|reset|preinit)(\s+add)?\s*:(.*)$", re.S)
_ATTR = re.compile(rf"^({_NAME})\s*:(.*)$", re.S)


def parse_int(token: str) -> int:
    token = token.strip()
    if not _INT.match(token):
        raise ValueError(token)
    digits = token.replace("_", "")
    if re.fullmatch(r"-?0[0-9]+", digits):
        return int(digits, 10)  # Renode writes pin numbers as 08, 01: decimal, not octal
    return int(digits, 0)


class _Parser:
    def __init__(self, path: str, lines: list[LogicalLine]) -> None:
        self.path = path
        self.lines = lines

    def fail(self, message: str, line: int) -> PlatformError:
        return PlatformError(message, self.path, line)

    # values ---------------------------------------------------------------------------------
    def value(self, text: str, line: int) -> Value:
        text = text.strip().rstrip(";").strip()
        if not text:
            raise self.fail("property has no value", line)
        if text.startswith("'''"):
            if len(text) < 6 or not text.endswith("'''"):
                raise self.fail("unterminated ''' string", line)
            return text[3:-3].replace("\\'''", "'''")
        if text.startswith('"'):
            if len(text) < 2 or not text.endswith('"') or re.search(r'(?<!\\)(\\\\)*\\"$', text[1:]):
                raise self.fail(f"unterminated string {text!r}", line)
            return text[1:-1].replace('\\"', '"')
        if text in ("true", "false"):
            return text == "true"
        if text.startswith("<"):
            return self.range(text, line)
        if text.startswith("["):
            if balanced(text, 0) != len(text):
                raise self.fail(f"unterminated list {text!r}", line)
            return [self.value(part, line) for part in split_top(text[1:-1], ",")]
        if text.startswith("new "):
            return self.inline(text[4:].strip(), line)
        try:
            return parse_int(text)
        except ValueError:
            pass
        if _FLOAT.match(text):
            return float(text)
        if re.fullmatch(_NAME, text):
            return Reference(text)
        if _TYPE.fullmatch(text):
            return EnumValue(text)
        raise self.fail(f"cannot read value {text!r}", line)

    def inline(self, text: str, line: int) -> InlineObject:
        m = _TYPE.match(text)
        if not m:
            raise self.fail(f"malformed inline object 'new {text}'", line)
        rest = text[m.end():].strip()
        props: dict[str, Value] = {}
        if rest:
            if not rest.startswith("{") or balanced(rest, 0) != len(rest):
                raise self.fail(f"malformed inline object 'new {text}'", line)
            for part in split_top(rest[1:-1], ";"):
                am = _ATTR.match(part)
                if not am:
                    raise self.fail(f"expected 'name: value' in inline object, got {part!r}", line)
                props[am.group(1)] = self.value(am.group(2), line)
        return InlineObject(m.group(0), props)

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

    # registrations --------------------------------------------------------------------------
    def registration(self, text: str, line: int) -> list[Registration]:
        text = text.strip()
        if text.startswith("{"):
            if not text.endswith("}"):
                raise self.fail("unterminated { registration list }", line)
            parts = split_top(text[1:-1], ";")
            if not parts:
                raise self.fail("empty registration list", line)
            return [r for p in parts for r in self.registration(p, line)]
        m = re.fullmatch(rf"({_NAME})\s*(.*)", text, re.S)
        if not m:
            raise self.fail(f"malformed registration {text!r}", line)
        parent, rest = m.group(1), m.group(2).strip()
        if parent == "none" and not rest:
            return []
        if not rest:
            return [Registration(parent, None, None)]
        if rest.startswith("<"):
            rng = self.range(rest, line)
            return [Registration(parent, rng.start, rng.size)]
        try:
            return [Registration(parent, parse_int(rest), None)]
        except ValueError:
            pass
        if rest.startswith("new ") or rest.startswith("["):
            point = self.value(rest, line)
            if isinstance(point, InlineObject):
                addr, size, cpu, region = (point.properties.get(k) for k in ("address", "size", "cpu", "region"))
                if isinstance(addr, int) and not isinstance(addr, bool):
                    return [Registration(parent, addr, size if isinstance(size, int) else None, point,
                                         cpu.name if isinstance(cpu, Reference) else None,
                                         region if isinstance(region, str) else None)]
            return [Registration(parent, None, None, point)]
        raise self.fail(f"malformed address {rest!r} in registration", line)

    def split_header(self, rest: str, line: int) -> tuple[str, str | None, str | None, str | None]:
        """``Type @ reg as "alias" { attrs }`` -> (type, registration, alias, attribute block)."""
        block: str | None = None
        alias: str | None = None
        if rest.endswith("}"):
            # a trailing { attributes } block: the last top-level brace group not after "@ "
            depth = 0
            for i in range(len(rest) - 1, -1, -1):
                depth += {"}": 1, "{": -1}.get(rest[i], 0)
                if depth == 0:
                    before = rest[:i].rstrip()
                    if not before.endswith("@") and not re.search(r"\bnew\s+[\w.]+$", before):
                        block, rest = rest[i:], before
                    break
        m = re.search(r'\s+as\s+"([^"]*)"\s*$', rest)
        if m:
            alias, rest = m.group(1), rest[: m.start()]
        at = find_top(rest, "@")
        if at < 0:
            return rest.strip(), None, alias, block
        return rest[:at].strip(), rest[at + 1:].strip(), alias, block

    # IRQs -----------------------------------------------------------------------------------
    def numbers(self, text: str, line: int, names: bool) -> list[str]:
        """``3``, ``[0-3, 7]``, ``[A, B]`` -> the items, ranges expanded."""
        text = text.strip()
        items = split_top(text[1:-1], ",") if text.startswith("[") and text.endswith("]") else [text]
        out: list[str] = []
        for item in items:
            m = re.fullmatch(r"(\S+?)\s*-\s*(\S+)", item)
            try:
                if m:
                    lo, hi = parse_int(m.group(1)), parse_int(m.group(2))
                    if hi < lo:
                        raise self.fail(f"IRQ range {item!r} runs backwards", line)
                    if hi - lo >= MAX_IRQ_RANGE or lo < 0:
                        raise self.fail(f"IRQ range {item!r} spans more than {MAX_IRQ_RANGE} lines", line)
                    out.extend(str(n) for n in range(lo, hi + 1))
                else:
                    out.append(str(parse_int(item)))
            except ValueError:
                if not names or not re.fullmatch(_NAME, item):
                    raise self.fail(f"malformed IRQ number {item!r}", line) from None
                out.append(item)
        return out

    def irq(self, text: str, line: int) -> list[IrqConnection]:
        left, _, right = text.strip().partition("->")
        left, right = left.strip(), right.strip()
        sources = self.numbers(left, line, names=True) if left else [""]
        if right == "none":
            return []
        out: list[IrqConnection] = []
        for dest in split_top(right, "|") or [""]:
            m = re.fullmatch(rf"({_NAME})\s*(?:#\s*(\S+?)\s*)?@\s*(.+)", dest, re.S)
            if not m:
                raise self.fail(f"malformed IRQ connection {text.strip()!r}", line)
            try:
                index = parse_int(m.group(2)) if m.group(2) else None
            except ValueError:
                raise self.fail(f"malformed local index {m.group(2)!r}", line) from None
            numbers = [int(n) for n in self.numbers(m.group(3), line, names=False)]
            if len(numbers) != len(sources):
                raise self.fail(f"IRQ connection {text.strip()!r}: {len(sources)} sources but "
                                f"{len(numbers)} destinations", line)
            out.extend(IrqConnection(s, m.group(1), n, index) for s, n in zip(sources, numbers, strict=True))
        return out

    # entries --------------------------------------------------------------------------------
    def attribute(self, entry: EntrySpec, text: str, line: int) -> None:
        if text.startswith("{") and text.endswith("}"):
            for part in split_top(text[1:-1], ";"):
                self.attribute(entry, part, line)
            return
        b = _BLOCKS.match(text)
        if b:
            body = b.group(3).strip()
            if body.startswith("{") and body.endswith("}"):
                self.commands(entry, b.group(1), bool(b.group(2)), [(c, line) for c in split_top(body[1:-1], ";")])
            elif body:
                raise self.fail(f"{b.group(1)}: expected the commands on the following indented lines", line)
            else:
                self.commands(entry, b.group(1), bool(b.group(2)), [])
            return
        m = _ATTR.match(text)
        if m and find_top(text, "->") < 0:
            key = m.group(1)
            entry.properties[key] = self.value(m.group(2), line)
            entry.property_lines[key] = (self.path, line)
            return
        if find_top(text, "->") >= 0:
            entry.irqs.extend(self.irq(text, line))
            return
        raise self.fail(f"expected 'property: value', got {text!r}", line)

    def commands(self, entry: EntrySpec, kind: str, add: bool, lines: list[tuple[str, int]]) -> None:
        cmds = [Command(t, self.path, n) for t, n in lines]
        if add and kind in entry.commands:
            entry.commands[kind].extend(cmds)
        else:
            entry.commands[kind] = cmds
            entry.command_add.discard(kind)
            if add:
                entry.command_add.add(kind)

    def parse(self) -> tuple[list[tuple[str, int, str]], list[EntrySpec]]:
        usings: list[tuple[str, int, str]] = []
        entries: list[EntrySpec] = []
        current: EntrySpec | None = None
        block: tuple[str, int] | None = None  # (kind, indent) of an open init/reset block
        for ll in self.lines:
            lineno, stripped = ll.line, ll.text
            if block is not None and current is not None and ll.indent > block[1]:
                current.commands[block[0]].append(Command(stripped, self.path, lineno))
                continue
            block = None
            if ll.indent == 0:
                current = None
                if stripped.startswith("using ") or stripped.startswith("using\""):
                    m = re.fullmatch(r'using\s*"([^"]+)"(?:\s+prefixed\s+"([^"]*)")?\s*;?', stripped)
                    if not m:
                        raise self.fail('malformed using (expected using "file.repl")', lineno)
                    if entries:
                        raise self.fail("using must come before the first entry", lineno)
                    usings.append((m.group(1), lineno, m.group(2) or ""))
                    continue
                m = _HEADER.match(stripped)
                if not m:
                    raise self.fail(f"expected 'name: Type @ sysbus address', got {stripped!r}", lineno)
                current = self.header(m.group(1), m.group(2), lineno)
                entries.append(current)
                continue
            if current is None:
                raise self.fail("indented line outside an entry", lineno)
            self.attribute(current, stripped, lineno)
            b = _BLOCKS.match(stripped)
            if b and not b.group(3).strip():
                block = (b.group(1), ll.indent)
        return usings, entries

    def header(self, name: str, rest: str, line: int) -> EntrySpec:
        rest = rest.strip().rstrip(";").strip()
        type_part, reg_part, alias, attrs = self.split_header(rest, line)
        regs: list[Registration] = []
        irqs: list[IrqConnection] = []
        if "->" in type_part and reg_part is None:
            type_part, _, irq_text = type_part.partition("->")
            irqs.extend(self.irq("->" + irq_text, line))
            type_part = type_part.strip()
        elif reg_part is not None and find_top(reg_part, "->") >= 0:
            at = find_top(reg_part, "->")
            irqs.extend(self.irq(reg_part[at:], line))
            reg_part = reg_part[:at].strip()
        if reg_part is not None:
            regs = self.registration(reg_part, line)
        type_name: str | None = None
        if type_part:
            if not _TYPE.fullmatch(type_part):
                raise self.fail(f"malformed type {type_part!r} for {name!r} (expected Namespace.Type)", line)
            type_name = type_part
        entry = EntrySpec(name, type_name, regs, {}, irqs, self.path, line, alias=alias,
                          registered=reg_part is not None)
        if attrs is not None:
            self.attribute(entry, attrs, line)
        return entry


def parse_text(text: str, path: str = "<string>") -> tuple[list[tuple[str, int]], list[EntrySpec]]:
    """Parse one file's text; returns its ``using`` lines (file, line) and its entries."""
    usings, entries = _Parser(path, logical_lines(text, path)).parse()
    return [(u, n) for u, n, _ in usings], entries


def parse_text_full(text: str, path: str) -> tuple[list[tuple[str, int, str]], list[EntrySpec]]:
    """Like :func:`parse_text`, with each using's ``prefixed`` string."""
    return _Parser(path, logical_lines(text, path)).parse()


# Names Renode defines before any file is read: the system bus and the machine (whose ``init:``
# block holds monitor commands run on the machine)
BUILTINS = frozenset({"sysbus", "machine"})
MAX_IRQ_RANGE = 1024  # more lines than any interrupt controller has (the NVIC has at most 496)
MAX_USING_DEPTH = 64  # Renode's own deepest chain is 3 files (board -> chip -> common parts)


def load_entries(path: Path, root: Path | Sequence[Path], _stack: tuple[Path, ...] = (),
                 base: list[EntrySpec] | None = None, text: str | None = None) -> list[EntrySpec]:
    """Load a .repl file with its ``using`` includes resolved, and merge amendments.

    An entry without a type amends the entry of that name defined earlier (properties override,
    registrations replace, IRQs add, ``init:`` replaces and ``init add:`` extends commands); a
    typed entry with an existing name is an error. ``sysbus`` and ``machine`` (BUILTINS) exist
    without being defined; a ``using`` without a prefix sees the entries loaded before it.
    ``base`` holds entries loaded before this file (an overlay amends the board under it).
    ``text`` is the file's text when it comes from elsewhere (LoadPlatformDescriptionFromString).
    """
    path = path.resolve()
    if path in _stack:
        chain = " -> ".join(p.name for p in (*_stack, path))
        raise PlatformError(f"circular using: {chain}", str(path))
    if len(_stack) >= MAX_USING_DEPTH:
        raise PlatformError(f"using: more than {MAX_USING_DEPTH} files deep (from {_stack[0].name})", str(path))
    text = read_user_text(path, "platform file", PlatformError) if text is None else text
    usings, own = parse_text_full(text, str(path))
    merged: dict[str, EntrySpec] = {e.name: e for e in base or []}
    for target, line, prefix in usings:
        found = resolve_using(target, path, root)
        if found is None:
            dirs = ", ".join(str(d) for d in search_dirs(root))
            raise PlatformError(f"using: cannot find {target!r} (platform search path: {dirs})", str(path), line)
        if not prefix:  # an included file may amend what the files included before it define
            merged = {e.name: e for e in load_entries(found, root, (*_stack, path), list(merged.values()))}
            continue
        included = load_entries(found, root, (*_stack, path))
        _prefix(included, prefix)
        for entry in included:
            merge_entry(merged, entry)
    for entry in own:
        merge_entry(merged, entry)
    return list(merged.values())


def _prefix(entries: list[EntrySpec], prefix: str) -> None:
    """``using "f" prefixed "p"``: the file's names, and its references to them, get the prefix."""
    names = {e.name for e in entries} - BUILTINS

    def ren(value: Value) -> Value:
        if isinstance(value, Reference) and value.name in names:
            return Reference(prefix + value.name)
        if isinstance(value, list):
            return [ren(v) for v in value]
        return value

    for e in entries:
        if e.name in names:
            e.name = prefix + e.name
        e.properties = {k: ren(v) for k, v in e.properties.items()}
        e.irqs = [IrqConnection(i.source, prefix + i.target if i.target in names else i.target, i.number,
                                i.local_index) for i in e.irqs]
        e.registrations = [Registration(prefix + r.parent if r.parent in names else r.parent, r.address, r.size,
                                        r.point, r.cpu, r.region) for r in e.registrations]


def merge_entry(merged: dict[str, EntrySpec], entry: EntrySpec) -> None:
    old = merged.get(entry.name)
    if old is None:
        if entry.type is None and entry.name not in BUILTINS:
            raise PlatformError(
                f"entry {entry.name!r} has no type and amends nothing defined before it",
                entry.path,
                entry.line,
            )
        merged[entry.name] = entry
        return
    if entry.type is not None and old.type is not None and entry.type != old.type:
        raise PlatformError(
            f"entry {entry.name!r} is already defined as {old.type} at {old.path}:{old.line}",
            entry.path,
            entry.line,
        )
    if old.type is None:
        old.type = entry.type
    old.properties.update(entry.properties)
    old.property_lines.update(entry.property_lines)
    if entry.registered:
        old.registrations = entry.registrations
        old.registered = True
    if entry.alias is not None:
        old.alias = entry.alias
    old.irqs.extend(entry.irqs)
    for kind, cmds in entry.commands.items():
        if kind in entry.command_add:
            old.commands.setdefault(kind, []).extend(cmds)
        else:
            old.commands[kind] = list(cmds)
