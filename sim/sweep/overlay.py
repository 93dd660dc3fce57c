"""One design point's overlay: the sweep's accelerator overlay with the point's parameters set.

A parameter is either a ``.repl`` property of the accelerator's ``Tandem.RtlPeripheral`` entry
(``frequency``, ``timeoutCycles``) or a Verilog parameter inside its ``parameters: "A=1 B=2"``
(``PO``, ``IBUF_WORDS`` of the conv engine). The derived
overlay is the original file with those lines rewritten; ``sources`` are rewritten as absolute
paths, so they still name the files beside the ORIGINAL overlay. Each point is then loaded and
validated like any board, so a property value the peripheral refuses stops the sweep before it
starts, with the point named (a Verilog parameter the RTL refuses stops its point's build).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tandem.config import TandemConfig
from tandem.cosim.rtl import RTL_INCLUDE_DIR
from tandem.errors import PlatformError, SweepError
from tandem.peripherals import rtl_peripheral
from tandem.platform.model import PeripheralSpec, Platform, load_platform
from tandem.platform.search import resolve_accel
from tandem.sweep.spec import Point, SweepSpec, Value

ACCEL_TYPES = (rtl_peripheral.TYPE_NAME,)


@dataclass(frozen=True)
class RtlBuild:
    """What yosys synthesises for a point: the accelerator's sources, top and Verilog parameters."""

    sources: tuple[str, ...]
    includes: tuple[str, ...]
    top: str
    parameters: tuple[tuple[str, int | str], ...]


@dataclass(frozen=True)
class DesignPoint:
    point: Point
    overlay_text: str  # the derived overlay (written where a worker runs it: :func:`write_overlay`)
    rtl: RtlBuild


def accel_entry(platform: Platform, accel: str) -> PeripheralSpec:
    specs = [p for p in platform.peripherals if p.type in ACCEL_TYPES]
    if len(specs) != 1:
        raise SweepError(f"{accel}: the overlay must add exactly one accelerator "
                         f"({' or '.join(ACCEL_TYPES)}); found {len(specs)}")
    return specs[0]


def _repl_value(value: Value) -> str:
    return str(value) if isinstance(value, int) else json.dumps(value)


def _param_kinds(spec: SweepSpec, entry: PeripheralSpec, overlay: Path) -> dict[str, str]:
    """param -> "property" or "verilog"; an unknown name is an error naming where it was given."""
    verilog = dict(rtl_peripheral.model_spec(entry).parameters)
    props = rtl_peripheral._KNOWN - {"parameters"}
    kinds: dict[str, str] = {}
    for name in spec.params:
        if name in verilog:
            kinds[name] = "verilog"
        elif name in props or name in entry.properties:
            if name in ("sources", "top", "parameters", "registerBus", "memoryBus"):
                raise SweepError(f"param {name!r}: a point cannot change the accelerator's {name}")
            kinds[name] = "property"
        else:
            where = spec.where.get(name, "--param")
            known = sorted(props | set(verilog))
            raise SweepError(f"{where}: param {name!r} is neither a property of {entry.name} ({entry.type}, "
                             f"{overlay}) nor one of its Verilog parameters (known: {', '.join(known)})")
    return kinds


def _entry_lines(text: list[str], header: int) -> int:
    """Index just past the entry starting at line index ``header`` (its indented lines)."""
    i = header + 1
    while i < len(text) and (text[i].startswith((" ", "\t")) or not text[i].strip()):
        i += 1
    return i


def derive(text: str, overlay: Path, entry: PeripheralSpec, kinds: dict[str, str], point: Point) -> str:
    """The overlay's text with the point's values (see the module docstring)."""
    lines = text.splitlines()
    if Path(entry.path).resolve() != overlay.resolve():
        raise SweepError(f"{overlay}: the accelerator entry {entry.name} is defined in {entry.path}; sweep "
                         "that file's overlay")
    header = entry.line - 1
    sets: dict[str, str] = {k: _repl_value(v) for k, v in point.params if kinds[k] == "property"}
    mspec = rtl_peripheral.model_spec(entry)
    params = {**mspec.parameters, **{k: v for k, v in point.params if kinds[k] == "verilog"}}
    sets["parameters"] = json.dumps(" ".join(f"{k}={v}" for k, v in params.items()))
    sets["sources"] = json.dumps([str(s) for s in mspec.sources])
    for key, value in sets.items():
        where = entry.property_lines.get(key)
        if where is not None and Path(where[0]).resolve() == overlay.resolve():
            idx = where[1] - 1
            old = lines[idx]
            m = re.match(rf"(\s*){re.escape(key)}\s*:", old)
            if m is None or old.count("[") != old.count("]"):
                raise SweepError(f"{overlay}:{where[1]}: cannot rewrite {key} (write it on one line)")
            lines[idx] = f"{m.group(1)}{key}: {value}"
        else:
            lines.insert(_entry_lines(lines, header), f"    {key}: {value}")
    return "\n".join(lines) + "\n"


def write_overlay(text: str, cfg: TandemConfig) -> Path:
    """The derived overlay in the cache, named by its content (written once, atomically)."""
    path = cfg.cache_dir / "sweep" / "overlays" / f"point-{hashlib.sha256(text.encode()).hexdigest()[:16]}.repl"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path


def rtl_build(entry: PeripheralSpec) -> RtlBuild:
    mspec = rtl_peripheral.model_spec(entry)
    includes = tuple(sorted({str(s.parent) for s in mspec.sources} | {str(RTL_INCLUDE_DIR)}))
    # a .vh among the sources is an include file (found through `includes`), not a module
    sources = tuple(str(s) for s in mspec.sources if s.suffix != ".vh")
    return RtlBuild(sources, includes, mspec.top, tuple(sorted(mspec.parameters.items())))


def design_points(spec: SweepSpec, cfg: TandemConfig) -> list[DesignPoint]:
    """Every point's overlay, loaded and validated (a refused value is a one-line SweepError)."""
    assert spec.board is not None and spec.accel is not None
    overlay = resolve_accel(spec.accel, cfg.platforms_dir)
    entry = accel_entry(load_platform(spec.board, cfg.platforms_search, [overlay]), spec.accel)
    kinds = _param_kinds(spec, entry, overlay)
    text = overlay.read_text()
    out = []
    for point in spec.points():
        derived = derive(text, overlay, entry, kinds, point)
        path = write_overlay(derived, cfg)
        try:
            mine = accel_entry(load_platform(spec.board, cfg.platforms_search, [path]), spec.accel)
            build = rtl_build(mine)
        except PlatformError as exc:
            raise SweepError(f"design point {point.label}: {exc.reason}") from None
        out.append(DesignPoint(point, derived, build))
    return out
