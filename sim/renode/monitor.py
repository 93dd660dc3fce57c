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

import re
from pathlib import Path
from typing import TextIO

from tandem.config import TandemConfig
from tandem.errors import ScriptError, TandemError
from tandem.files import read_user_text
from tandem.renode import commands
from tandem.renode.session import Context, Session
from tandem.renode.syntax import VAR, Statement, Token, statements, tokenize

MAX_INCLUDE_DEPTH = 32


class Monitor(Session):
    """A Renode monitor session: variables, macros, the machine; see the module docstring."""

    def __init__(self, config: TandemConfig | None = None, out: TextIO | None = None,
                 variables: dict[str, str] | None = None) -> None:
        super().__init__(config, out, variables)
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
        except TandemError as err:  # a fault, a limit, a bad ELF or .repl: its type (exit code) stays
            method = rest[0].text if handler is None and rest and rest[0].kind == "word" else ""
            if not err.message.startswith(st.where):
                err.message = f"{st.where}: {word} {method}".rstrip() + f": {err.message}"
                err.args = (err.message,)
            raise
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
        known = ", ".join(sorted(self.commands["cpu" if obj == self.cpu_name() else obj]))
        return f"unknown method (tandem has {known})"


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
            return Token(t.kind, VAR.sub(sub, t.text), t.value)
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

    # the machine -----------------------------------------------------------------------------


__all__ = ["Context", "Monitor", "Statement", "Token", "statements", "tokenize"]
