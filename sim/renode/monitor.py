"""A Renode monitor-script interpreter: ``.resc`` files and single monitor commands.

The grammar is Renode's monitor's: one command a line, ``#`` comments and ``:name:`` /
``:description:`` header lines, strings in ``"..."`` or ``'...'``, triple-quoted strings that
span lines (also opening on the line after the command, as ``macro reset`` and
``LoadPlatformDescriptionFromString`` are written), ``@path`` file arguments, numbers (decimal,
``0x`` hex), ranges ``<start, end>`` / ``<start, +size>`` / ``<start size>``, ``name=value``
arguments, variables (``$name = value``, ``$name ?= value`` only if unset, ``$name`` expanded
when the command runs, ``$ORIGIN`` the script's folder, ``$CWD`` the working directory) and
macros (``macro name`` and a triple-quoted body, ``runMacro $name``; ``machine Reset`` runs ``$reset``).

A path after ``@`` is looked up relative to the script, then on the monitor path (``path add``)
and tandem's platform search path (``--platforms``, TANDEM_PLATFORMS, tandem's own
``platforms/``), as Renode looks under its root: ``@platforms/boards/x.repl`` names a board
file wherever the search path has one.

Commands are looked up in :attr:`Monitor.commands` (object, method) and :attr:`Monitor.top`
(top-level words); a new command is one handler added there. An unknown command or a bad
argument is a :class:`~tandem.errors.ScriptError` naming the script, line and command.

Time: ``start`` marks the machine running; it runs when the script ends (to the firmware's exit
or the run's cycle limit), for ``emulation RunFor "<seconds>"`` (simulated seconds, after which
it pauses) and ``sleep <seconds>`` (while started: that much simulated time, since a cycle model
has no wall-clock rate to sleep against).
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tandem.config import TandemConfig
from tandem.errors import ScriptError, TandemError
from tandem.files import read_user_text
from tandem.platform.search import search_dirs
from tandem.renode.machine import Machine, Tag

MAX_INCLUDE_DEPTH = 32
MAX_MACRO_DEPTH = 32


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, path, number, range, var, assign, named
    text: str  # the source text (a string's contents, a path without @, a variable's name)
    value: object = None  # number: int; range: (base, size); named: (name, Token)

    def show(self) -> str:
        if self.kind == "string":
            return f'"{self.text}"'
        if self.kind == "path":
            return "@" + self.text
        return self.text


@dataclass(frozen=True)
class Statement:
    path: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


_NUMBER = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|\d+)")
_RANGE = re.compile(r"<\s*([^,\s>]+)\s*(,?)\s*(\+?)\s*([^,\s>]+)\s*>")
_WORD = re.compile(r"(?:[^\s=\"'<;?]|\?(?!=))+")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_.-]*)\}?")


def parse_int(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text, 0)


def statements(text: str, path: str) -> list[Statement]:
    """Split a script into commands: comments dropped, triple-quoted strings kept whole (a line
    that opens with one continues the command before it)."""
    out: list[Statement] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = i
        raw = lines[i]
        i += 1
        if raw.lstrip().startswith(":"):  # :name: and :description: headers
            continue
        body = _strip_comment(raw)
        while body.count('"""') % 2 == 1:  # an open triple-quoted string: take lines to its end
            if i >= len(lines):
                raise ScriptError('unterminated """ string', path, start + 1)
            body += "\n" + lines[i]
            i += 1
            if body.count('"""') % 2 == 0:
                body = body[: body.rfind('"""') + 3] + _strip_comment(body[body.rfind('"""') + 3:])
        if not body.strip():
            continue
        if body.lstrip().startswith('"""') and out:
            prev = out.pop()
            out.append(Statement(prev.path, prev.line, prev.text + " " + body.strip()))
            continue
        out.append(Statement(path, start + 1, body.strip()))
    return out


def _strip_comment(line: str) -> str:
    quote = ""
    for n, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:n]
    return line


def tokenize(st: Statement) -> list[Token]:
    text, n, out = st.text, 0, []
    while n < len(text):
        ch = text[n]
        if ch.isspace():
            n += 1
            continue
        if text.startswith('"""', n):
            end = text.find('"""', n + 3)
            if end < 0:
                raise ScriptError('unterminated """ string', st.path, st.line)
            out.append(Token("string", text[n + 3:end]))
            n = end + 3
            continue
        if ch in "\"'":
            end = text.find(ch, n + 1)
            if end < 0:
                raise ScriptError(f"unterminated string: {text[n:]}", st.path, st.line)
            out.append(Token("string", text[n + 1:end]))
            n = end + 1
            continue
        if ch == "<":
            m = _RANGE.match(text, n)
            if m is None:
                raise ScriptError(f"malformed range: {text[n:]}", st.path, st.line)
            out.append(_range_token(m, st))
            n = m.end()
            continue
        if text.startswith("?=", n) or ch == "=":
            op = "?=" if ch == "?" else "="
            out.append(Token("assign", op))
            n += len(op)
            continue
        m = _WORD.match(text, n)
        if m is None:  # a lone ';' separates nothing tandem needs: treat as a word
            out.append(Token("word", ch))
            n += 1
            continue
        word = m.group(0)
        n = m.end()
        if n < len(text) and text[n] == "=" and not text.startswith("==", n) and not word.startswith(("$", "@")) \
                and out:
            # name=value: a named argument (LoadELF @x cpu=cpu0)
            n += 1
            rest = tokenize(Statement(st.path, st.line, text[n:]))
            if not rest:
                raise ScriptError(f"{word}=: no value", st.path, st.line)
            out.append(Token("named", word, (word, rest[0])))
            out.extend(rest[1:])
            break
        out.append(_word_token(word))
    return out


def _word_token(word: str) -> Token:
    if word.startswith("@"):
        p = word[1:]
        if len(p) >= 2 and p[0] == p[-1] and p[0] in "\"'":
            p = p[1:-1]
        return Token("path", p)
    if _VAR.fullmatch(word):
        return Token("var", word[1:].strip("{}"))
    if _NUMBER.fullmatch(word):
        return Token("number", word, int(word, 0))
    return Token("word", word)


def _range_token(m: re.Match[str], st: Statement) -> Token:
    try:
        start, second = parse_int(m.group(1)), parse_int(m.group(4))
    except ValueError:
        raise ScriptError(f"malformed number in range {m.group(0)}", st.path, st.line) from None
    size = second - start + 1 if m.group(2) and not m.group(3) else second
    if size <= 0:
        raise ScriptError(f"empty range {m.group(0)}", st.path, st.line)
    return Token("range", m.group(0), (start, size))


Handler = Callable[["Context"], str]


@dataclass
class Context:
    """One command being run: its statement, its words after the object and method, the monitor."""

    monitor: Monitor
    st: Statement
    name: str  # the command as the user wrote it, for errors
    args: list[Token]
    named: dict[str, Token] = field(default_factory=dict)

    def fail(self, message: str) -> ScriptError:
        return ScriptError(f"{self.name}: {message}", self.st.path, self.st.line)

    def count(self, lo: int, hi: int, usage: str) -> None:
        if not lo <= len(self.args) <= hi:
            raise self.fail(f"expected {usage}, got {' '.join(t.show() for t in self.args) or 'nothing'}")

    def int_arg(self, i: int, what: str) -> int:
        t = self.args[i]
        if t.kind == "number" and isinstance(t.value, int):
            return t.value
        if t.kind == "string":
            try:
                return parse_int(t.text)
            except ValueError:
                pass
        raise self.fail(f"{what}: not a number: {t.show()}")

    def path_arg(self, i: int, what: str) -> Path:
        t = self.args[i]
        if t.kind not in ("path", "string", "word"):
            raise self.fail(f"{what}: expected @file, got {t.show()}")
        return self.monitor.resolve(t.text, self)

    def text_arg(self, i: int) -> str:
        t = self.args[i]
        return t.text

    @property
    def where(self) -> str:
        return self.st.where


class Monitor:
    """A Renode monitor session: variables, macros, the machine; see the module docstring."""

    def __init__(self, config: TandemConfig | None = None, out: TextIO | None = None,
                 variables: dict[str, str] | None = None) -> None:
        self.config = config or TandemConfig.from_env()
        self.out = out  # showAnalyzer output and command results (None: kept only)
        self.variables: dict[str, Token] = {}
        for name, value in (variables or {}).items():
            self.variables[name] = _value_token(value)
        self.variables.setdefault("CWD", Token("path", os.getcwd()))
        self.macros: dict[str, str] = {}
        self.machine: Machine | None = None
        self.paths: list[Path] = []  # `path add`
        self.analyzers: list[str] = []
        self.log: list[str] = []  # monitor messages (logLevel, notes), seen by a log tester
        self.log_level = 0
        self.quit = False
        self._origin: list[Path] = [Path.cwd()]
        self._depth = 0
        self.commands: dict[str, dict[str, Handler]] = {"machine": {}, "sysbus": {}, "cpu": {}, "emulation": {}}
        self.top: dict[str, Handler] = {}
        from tandem.renode import commands  # the handler tables (a module of their own)

        commands.register(self)

    # scripts ---------------------------------------------------------------------------------
    def run_file(self, path: str | Path) -> str:
        """Run a .resc script; returns the output of its commands."""
        p = Path(path)
        if self._depth >= MAX_INCLUDE_DEPTH:
            raise ScriptError(f"include: more than {MAX_INCLUDE_DEPTH} scripts deep", str(p))
        text = read_user_text(p, "monitor script", ScriptError)
        self._origin.append(p.resolve().parent)
        self._depth += 1
        try:
            return self.run_text(text, str(p))
        finally:
            self._depth -= 1
            self._origin.pop()

    def run_text(self, text: str, path: str = "<monitor>") -> str:
        outputs = []
        for st in statements(text, path):
            if self.quit:
                break
            result = self.execute_statement(st)
            if result:
                outputs.append(result)
        return "\n".join(outputs)

    def execute(self, command: str, path: str = "<command>", line: int = 1) -> str:
        """One monitor command (a Robot test's ``Execute Command``); returns its output."""
        return self.run_text(command, path) if "\n" in command else self.execute_statement(
            Statement(path, line, command.strip()))

    @property
    def origin(self) -> Path:
        return self._origin[-1]

    # one command -----------------------------------------------------------------------------
    def execute_statement(self, st: Statement) -> str:
        tokens = tokenize(st)
        if not tokens:
            return ""
        first = tokens[0]
        if first.kind == "var" and len(tokens) >= 2 and tokens[1].kind == "assign":
            return self._assign(st, tokens)
        tokens = [self._expand(t, st) for t in tokens]
        head = tokens[0]
        if head.kind != "word":
            raise ScriptError(f"not a command: {head.show()}", st.path, st.line)
        word = head.text
        named = {t.text: t.value[1] for t in tokens[1:] if t.kind == "named" and isinstance(t.value, tuple)}
        rest = [t for t in tokens[1:] if t.kind != "named"]
        handler = self.top.get(word)
        try:
            if handler is not None:
                result = handler(Context(self, st, word, rest, named))
            else:
                result = self._object_command(st, word, rest, named)
        except ScriptError as err:
            if err.path is not None:
                raise
            method = rest[0].text if handler is None and rest and rest[0].kind == "word" else ""
            raise ScriptError(f"{word} {method}".strip() + f": {err.reason}", st.path, st.line) from None
        if result and self.out is not None:
            print(result, file=self.out, flush=True)
        return result

    def _object_command(self, st: Statement, word: str, rest: list[Token], named: dict[str, Token]) -> str:
        obj = word[len("sysbus."):] if word.startswith("sysbus.") else word
        if obj in self.commands["sysbus"]:  # `using sysbus`: LoadELF @x is sysbus LoadELF @x
            return self.commands["sysbus"][obj](Context(self, st, f"sysbus {obj}", rest, named))
        if obj in self.commands or obj == self.cpu_name():
            table = self.commands["cpu" if obj == self.cpu_name() else obj]
            if not rest or rest[0].kind != "word":
                methods = ", ".join(sorted(table))
                raise ScriptError(f"{word}: which method? (tandem has {methods})", st.path, st.line)
            method = rest[0].text
            handler = table.get(method)
            if handler is None:
                hint = self._not_available(obj, method)
                raise ScriptError(f"{word} {method}: {hint}", st.path, st.line)
            return handler(Context(self, st, f"{word} {method}", rest[1:], named))
        if self.machine is not None and obj in self.machine.peripheral_names():
            method = rest[0].text if rest else ""
            raise ScriptError(f"{word} {method}: tandem has no monitor commands on peripherals yet".replace("  ", " "),
                              st.path, st.line)
        raise ScriptError(f"unknown command {word!r}", st.path, st.line)

    def _not_available(self, obj: str, method: str) -> str:
        if obj == "machine" and method == "StartGdbServer":
            return "not available in this tandem (no GDB server yet)"
        known = ", ".join(sorted(self.commands["cpu" if obj == self.cpu_name() else obj]))
        return f"unknown method (tandem has {known})"

    def cpu_name(self) -> str:
        if self.machine is not None and self.machine.entries is not None:
            try:
                return self.machine.platform().cpu.name
            except TandemError:
                return "cpu"
        return "cpu"

    # variables -------------------------------------------------------------------------------
    def _assign(self, st: Statement, tokens: list[Token]) -> str:
        name, op = tokens[0].text, tokens[1].text
        if len(tokens) != 3:
            raise ScriptError(f"${name} {op}: expected one value", st.path, st.line)
        if op == "?=" and name in self.variables:
            return ""
        self.variables[name] = self._expand(tokens[2], st)
        return ""

    def _expand(self, t: Token, st: Statement) -> Token:
        if t.kind == "var":
            return self.variable(t.text, st)
        if t.kind in ("path", "string", "word") and "$" in t.text:
            def sub(m: re.Match[str]) -> str:
                return self.variable(m.group(1), st).text
            return Token(t.kind, _VAR.sub(sub, t.text), t.value)
        if t.kind == "named" and isinstance(t.value, tuple):
            inner = self._expand(t.value[1], st)
            return Token("named", t.text, (t.text, inner))
        return t

    def variable(self, name: str, st: Statement) -> Token:
        if name == "ORIGIN":
            return Token("path", str(self.origin))
        value = self.variables.get(name)
        if value is None and name in self.macros:
            return Token("macro", name)
        if value is None:
            raise ScriptError(f"${name}: no such variable", st.path, st.line)
        return value

    # files -----------------------------------------------------------------------------------
    def resolve(self, text: str, ctx: Context) -> Path:
        if text.startswith(("http://", "https://")):
            raise ctx.fail(f"@{text}: tandem does not download files; fetch it and name the local file")
        given = Path(text.replace("\\", "/"))
        if given.is_absolute():
            if given.is_file():
                return given
        else:
            rest = Path(*given.parts[1:]) if len(given.parts) > 1 and given.parts[0] == "platforms" else None
            roots: list[Path] = [self.origin, *self.paths, Path.cwd(), *search_dirs(self.config.platforms_search)]
            cands: list[Path] = []
            for root in roots:
                cands += [root / given] + ([root / rest] if rest is not None else [])
            found = next((c for c in cands if c.is_file()), None)
            if found is not None:
                return found
        raise ctx.fail(f"@{text}: no such file (looked in {self.origin}, the monitor path and the platform "
                       "search path)")

    # the machine -----------------------------------------------------------------------------
    def need_machine(self, ctx: Context) -> Machine:
        if self.machine is None:
            raise ctx.fail("no machine: `mach create` first")
        return self.machine

    def emit(self, message: str) -> None:
        """A monitor log line (notes, warnings): kept for log testers, printed at log level <= 2."""
        self.log.append(message)
        if self.out is not None and self.log_level <= 2:
            print(f"[tandem] {message}", file=sys.stderr, flush=True)

    def machine_notes(self) -> Iterator[str]:
        if self.machine is not None and self.machine.board is not None:
            yield from self.machine.board.notes


def _value_token(text: str) -> Token:
    """A --variable NAME=VALUE: ``@path`` a file, a number, otherwise a string."""
    if text.startswith("@"):
        return Token("path", text[1:])
    if _NUMBER.fullmatch(text):
        return Token("number", text, int(text, 0))
    return Token("string", text)


__all__ = ["Context", "Monitor", "Statement", "Tag", "Token", "statements", "tokenize"]
