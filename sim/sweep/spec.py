"""What a sweep covers: the board, the models, the accelerator overlay and the parameters whose
cross product gives the design points, from ``--param name=v1,v2`` options and/or a TOML file.

A spec file (every key optional; the command line adds models and params and overrides the rest)::

    board = "nucleo_l4r5zi"
    models = ["tests/models/mobilenet_v1_025.tflite"]   # relative to the spec file
    accel = "conv4x4"                                    # a name under platforms/accel/ or a .repl
    [params]
    rows = [4, 8]
    busWaitStates = [0, 1, 2, 3]

Errors are one line naming the spec file and line or the ``--param`` option.
"""
from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tandem.errors import SweepError

Value = int | str
MAX_POINTS = 10_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Point:
    """One design point: parameter name -> value, in the sweep's parameter order."""

    params: tuple[tuple[str, Value], ...]

    @property
    def as_dict(self) -> dict[str, Value]:
        return dict(self.params)

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params)


@dataclass
class SweepSpec:
    board: str | None = None
    models: list[Path] = field(default_factory=list)
    accel: str | None = None
    params: dict[str, list[Value]] = field(default_factory=dict)  # insertion order = column order
    where: dict[str, str] = field(default_factory=dict)  # param -> "spec.toml:7" or "--param"

    def points(self) -> list[Point]:
        names = list(self.params)
        return [Point(tuple(zip(names, combo, strict=True)))
                for combo in itertools.product(*(self.params[n] for n in names))]


def parse_value(text: str) -> Value:
    text = text.strip()
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return text


def parse_param(option: str) -> tuple[str, list[Value]]:
    """``name=v1,v2,...`` (also ``name=lo..hi`` for an integer range)."""
    name, eq, values = option.partition("=")
    name = name.strip()
    if not eq or not _NAME.match(name):
        raise SweepError(f"--param {option!r}: expected NAME=V1,V2,... (NAME a property or Verilog parameter)")
    if ".." in values and "," not in values:
        lo, _, hi = values.partition("..")
        a, b = parse_value(lo), parse_value(hi)
        if not isinstance(a, int) or not isinstance(b, int) or b < a:
            raise SweepError(f"--param {option!r}: a range is LO..HI with integers LO <= HI")
        return name, list(range(a, b + 1))
    items = [v for v in (s.strip() for s in values.split(",")) if v]
    if not items:
        raise SweepError(f"--param {option!r}: no values after '='")
    parsed = [parse_value(v) for v in items]
    if len(set(parsed)) != len(parsed):
        raise SweepError(f"--param {option!r}: a value is given twice")
    return name, parsed


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.M)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def load_spec(path: Path) -> SweepSpec:
    """Read a TOML spec file (see the module docstring)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(f"cannot read the spec file: {getattr(exc, 'strerror', None) or exc}", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise SweepError(f"not TOML: {str(exc).split(' (at')[0]}", str(path),
                         int(m.group(1)) if m else None) from None
    spec = SweepSpec()
    known = {"board", "models", "accel", "params"}
    for key in data:
        if key not in known:
            raise SweepError(f"unknown key {key!r} (known: {', '.join(sorted(known))})", str(path),
                             _line_of(text, key))
    for key in ("board", "accel"):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                raise SweepError(f"{key} must be a non-empty string", str(path), _line_of(text, key))
            setattr(spec, key, data[key])
    models = data.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise SweepError("models must be a list of .tflite paths", str(path), _line_of(text, "models"))
    spec.models = [(path.parent / m) for m in models]
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise SweepError("params must be a table: [params] NAME = [V1, V2, ...]", str(path), _line_of(text, "params"))
    for name, values in params.items():
        line = _line_of(text, name)
        if not _NAME.match(name):
            raise SweepError(f"param {name!r}: not a property or Verilog parameter name", str(path), line)
        if isinstance(values, bool) or not isinstance(values, list | int | str):
            raise SweepError(f"param {name!r}: give a list of integers or strings", str(path), line)
        values = values if isinstance(values, list) else [values]
        if not values or not all(isinstance(v, int | str) and not isinstance(v, bool) for v in values):
            raise SweepError(f"param {name!r}: give a non-empty list of integers or strings", str(path), line)
        if len(set(values)) != len(values):
            raise SweepError(f"param {name!r}: a value is given twice", str(path), line)
        spec.params[name] = list(values)
        spec.where[name] = f"{path}:{line}" if line else str(path)
    return spec


def build_spec(spec_file: Path | None, board: str | None, models: Sequence[str], accel: str | None,
               params: Sequence[str]) -> SweepSpec:
    """The sweep from the spec file (if any) and the command line; checks what must be there."""
    spec = load_spec(spec_file) if spec_file is not None else SweepSpec()
    spec.board = board or spec.board
    spec.accel = accel or spec.accel
    spec.models += [Path(m) for m in models]
    for option in params:
        name, values = parse_param(option)
        if name in spec.params and spec.where.get(name) == "--param":
            raise SweepError(f"--param {name}: given twice (list every value in one --param)")
        spec.params[name] = values
        spec.where[name] = "--param"
    if not spec.board:
        raise SweepError("no board: give --board or `board = ...` in the spec file")
    if not spec.accel:
        raise SweepError("no accelerator: give --accel or `accel = ...` in the spec file")
    if not spec.models:
        raise SweepError("no model: give --model or `models = [...]` in the spec file")
    for m in spec.models:
        if not m.is_file():
            raise SweepError(f"{m}: no such model file")
    if len(set(m.resolve() for m in spec.models)) != len(spec.models):
        raise SweepError("a model is given twice")
    if not spec.params:
        raise SweepError("no parameters to sweep: give --param NAME=V1,V2 or a [params] table")
    count = 1
    for values in spec.params.values():
        count *= len(values)
    if count > MAX_POINTS:
        raise SweepError(f"{count:,} design points: more than {MAX_POINTS:,}; split the sweep")
    return spec
