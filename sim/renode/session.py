"""A monitor session's state (variables, macros, the machine, the monitor path, the log) and the
helpers command handlers use; :class:`Context` is one command being run.

The interpreter (tandem.renode.monitor) is a Session that also reads and runs commands; the
handlers (tandem.renode.commands) see only this, so they and the interpreter do not import each
other.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tandem.config import TandemConfig
from tandem.errors import ScriptError, TandemError
from tandem.platform.search import search_dirs
from tandem.renode.machine import Machine
from tandem.renode.syntax import Statement, Token, parse_int, value_token

Handler = Callable[["Context"], str]


@dataclass
class Context:
    """One command being run: its statement, its words after the object and method, the monitor."""

    monitor: Session
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


class Session:
    """What a monitor keeps between commands; see the module docstring."""

    def __init__(self, config: TandemConfig | None = None, out: TextIO | None = None,
                 variables: dict[str, str] | None = None) -> None:
        self.config = config or TandemConfig.from_env()
        self.out = out  # showAnalyzer output and command results (None: kept only)
        self.variables: dict[str, Token] = {}
        for name, value in (variables or {}).items():
            self.variables[name] = value_token(value)
        self.variables.setdefault("CWD", Token("path", os.getcwd()))
        self.macros: dict[str, str] = {}
        self.machine: Machine | None = None
        self.paths: list[Path] = []  # `path add`
        self.analyzers: list[str] = []
        self.log: list[str] = []  # monitor messages (logLevel, notes), seen by a log tester
        self.log_level = 0
        self.quit = False
        self.max_cycles: int | None = None  # a new machine's cycle limit (--max-cycles)
        self.max_seconds = 0.0  # host seconds one command may run a machine (--max-seconds; 0: none)
        self._origin: list[Path] = [Path.cwd()]
        self._depth = 0
        self.commands: dict[str, dict[str, Handler]] = {"machine": {}, "sysbus": {}, "cpu": {}, "emulation": {}}
        self.top: dict[str, Handler] = {}

    def run_file(self, path: str | Path) -> str:
        """Run a .resc script; returns the output of its commands."""
        raise NotImplementedError

    def run_text(self, text: str, path: str = "<monitor>") -> str:
        """Run the commands of ``text``; returns their output."""
        raise NotImplementedError

    @property
    def origin(self) -> Path:
        """The folder of the script running now (``$ORIGIN``): where its ``@paths`` start."""
        return self._origin[-1]

    def cpu_name(self) -> str:
        if self.machine is not None and self.machine.entries is not None:
            try:
                return self.machine.platform().cpu.name
            except TandemError:
                return "cpu"
        return "cpu"

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
