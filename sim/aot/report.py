"""Interpreter vs AOT runtime side by side (``tandem infer --compare-runtimes``): flash, RAM,
arena and cycles per op and in total, from two :class:`~tandem.tinyml.results.Inference` runs of
the same model and inputs.

Memory is counted the same way for both: flash is the image (code, constants, the .data load
image) plus the .tflite the interpreter reads from flash (the AOT image holds its constants);
RAM is the image's .data and .bss plus the arena, which lies outside the interpreter's image
(in the free RAM) and inside the AOT image's .bss.
"""
from __future__ import annotations

from dataclasses import dataclass

from tandem.tinyml.results import Inference


@dataclass(frozen=True)
class RuntimeMemory:
    image_flash: int
    model_flash: int
    image_ram: int
    arena: int

    @property
    def flash(self) -> int:
        return self.image_flash + self.model_flash

    @property
    def ram(self) -> int:
        return self.image_ram + self.arena


def memory_of(r: Inference) -> RuntimeMemory:
    if r.extra.get("runtime") == "aot":  # the arena is in .bss, the model's constants in .rodata
        return RuntimeMemory(r.image_flash, 0, r.image_ram, 0)
    return RuntimeMemory(r.image_flash, r.model.size, r.image_ram, r.arena_bytes)


def _pct(a: int, b: int) -> str:
    return f"{100.0 * (b - a) / a:+6.1f}%" if a else f"{'':>7}"


def compare_runtimes(interp: Inference, aot: Inference) -> str:
    mi, ma = memory_of(interp), memory_of(aot)
    head = f"{'':<28} {'interpreter':>13} {'AOT':>13} {'change':>7}"
    rows = [head,
            f"{'flash: image':<28} {mi.image_flash:>13,} {ma.image_flash:>13,} {_pct(mi.image_flash, ma.image_flash)}",
            f"{'flash: .tflite read by it':<28} {mi.model_flash:>13,} {ma.model_flash:>13,}",
            f"{'flash: total':<28} {mi.flash:>13,} {ma.flash:>13,} {_pct(mi.flash, ma.flash)}",
            f"{'RAM: .data + .bss':<28} {mi.image_ram:>13,} {ma.image_ram:>13,} {_pct(mi.image_ram, ma.image_ram)}",
            f"{'RAM: arena (outside image)':<28} {mi.arena:>13,} {ma.arena:>13,}",
            f"{'RAM: total':<28} {mi.ram:>13,} {ma.ram:>13,} {_pct(mi.ram, ma.ram)}",
            f"{'arena needed':<28} {interp.arena_bytes:>13,} {aot.arena_bytes:>13,} "
            f"{_pct(interp.arena_bytes, aot.arena_bytes)}",
            "",
            f"{'#':>3}  {'op':<20} {'interpreter':>13} {'AOT':>13} {'change':>7}"]
    for a, b in zip(interp.ops, aot.ops, strict=True):
        rows.append(f"{a.index:>3}  {a.op:<20} {a.cycles:>13,} {b.cycles:>13,} {_pct(a.cycles, b.cycles)}")
    rows.append(f"{'':>3}  {'inference':<20} {interp.cycles:>13,} {aot.cycles:>13,} {_pct(interp.cycles, aot.cycles)}")
    rows.append(f"{'':>3}  {'whole run':<20} {interp.total_cycles:>13,} {aot.total_cycles:>13,} "
                f"{_pct(interp.total_cycles, aot.total_cycles)}")
    return "\n".join(rows)


def compare_runtimes_json(interp: Inference, aot: Inference) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, r in (("interpreter", interp), ("aot", aot)):
        m = memory_of(r)
        out[name] = {"flash": m.flash, "image_flash": m.image_flash, "model_flash": m.model_flash, "ram": m.ram,
                     "image_ram": m.image_ram, "arena_bytes": r.arena_bytes, "cycles": r.cycles,
                     "total_cycles": r.total_cycles, "op_cycles": [o.cycles for o in r.ops]}
    return out


__all__ = ["RuntimeMemory", "compare_runtimes", "compare_runtimes_json", "memory_of"]
