"""A sweep's outputs: ``results.csv`` (one row per design point and model, appended as points
finish), ``results.parquet`` when pyarrow is importable, ``pareto.png`` (cycles against area,
the Pareto front of each model marked) and ``sweep.html`` (self-contained: the plot inlined as a
base64 PNG, the table; opens offline)."""
from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tandem.errors import SweepError
from tandem.sweep.overlay import DesignPoint
from tandem.sweep.spec import SweepSpec

HEAD = ["model", "board", "accel"]
FIGURES = ["cycles", "accel_cycles", "speedup", "mac_utilisation", "bit_exact", "area_cells", "lut4", "bram",
           "wall_seconds"]
_INTS = {"cycles", "accel_cycles", "area_cells", "lut4", "bram"}
_FLOATS = {"speedup", "mac_utilisation", "wall_seconds"}


def columns(params: list[str]) -> list[str]:
    return [*HEAD, *params, *FIGURES]


def row_key(row: dict[str, Any], params: list[str]) -> tuple[str, ...]:
    return tuple(str(row[c]) for c in [*HEAD, *params])


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v == "":
            out[k] = None
        elif k in _INTS:
            out[k] = int(v)
        elif k in _FLOATS:
            out[k] = float(v)
        elif k == "bit_exact":
            out[k] = v == "True"
        else:
            out[k] = int(v) if v.lstrip("-").isdigit() else v
    return out


def read_rows(path: Path, cols: list[str]) -> list[dict[str, Any]]:
    """The rows of an earlier run of the same sweep (none if there is no table yet)."""
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != cols:
            raise SweepError(f"{path}: its columns ({', '.join(reader.fieldnames or [])}) are not this sweep's "
                             f"({', '.join(cols)}); give another --out", str(path), 1)
        return [_typed(r) for r in reader]


def append_rows(path: Path, cols: list[str], rows: Sequence[dict[str, Any]]) -> None:
    new = not path.is_file()
    with path.open("a", newline="") as f:
        w = csv.DictWriter(f, cols)
        if new:
            w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in cols})
        f.flush()


def make_row(model: str, spec: SweepSpec, p: DesignPoint, run: dict[str, Any], baseline: dict[str, Any],
             area: dict[str, Any]) -> dict[str, Any]:
    from tandem.tinyml.check import check_outputs

    exact = check_outputs(run["outputs"], baseline["references"]).exact
    speedup = baseline["cycles"] / run["cycles"] if run["cycles"] else None
    util = run["mac_utilisation"]
    return {"model": model, "board": spec.board, "accel": spec.accel, **p.point.as_dict,
            "cycles": run["cycles"], "accel_cycles": run["accel_cycles"],
            "speedup": round(speedup, 4) if speedup is not None else None,
            "mac_utilisation": round(util, 4) if util is not None else None, "bit_exact": bool(exact),
            "area_cells": area["area_cells"], "lut4": area["lut4"], "bram": area["bram"],
            "wall_seconds": round(run["wall_seconds"], 2)}


def pareto(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows no other row beats on both cycles and area (fewer or equal in both, fewer in one)."""
    front = []
    for r in rows:
        if not any(o["cycles"] <= r["cycles"] and o["area_cells"] <= r["area_cells"]
                   and (o["cycles"] < r["cycles"] or o["area_cells"] < r["area_cells"]) for o in rows):
            front.append(r)
    return sorted(front, key=lambda r: (r["area_cells"], r["cycles"]))


def plot(rows: Sequence[dict[str, Any]], params: list[str], title: str) -> bytes:
    """pareto.png: cycles against area_cells, one series per model, its front as a step line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    for i, model in enumerate(sorted({r["model"] for r in rows})):
        mine = [r for r in rows if r["model"] == model]
        color = f"C{i}"
        ax.scatter([r["area_cells"] for r in mine], [r["cycles"] for r in mine], color=color, alpha=0.55,
                   label=f"{model} (design points)")
        front = pareto(mine)
        ax.step([r["area_cells"] for r in front], [r["cycles"] for r in front], where="post", color=color,
                linewidth=2, marker="*", markersize=12, label=f"{model} Pareto front")
        for r in front:
            ax.annotate(" ".join(f"{p}={r[p]}" for p in params), (r["area_cells"], r["cycles"]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("area (yosys generic cells)")
    ax.set_ylabel("cycles per inference")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def html_page(rows: Sequence[dict[str, Any]], cols: list[str], png: bytes, title: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape('' if r.get(c) is None else str(r[c]))}</td>"
                                      for c in cols) + "</tr>" for r in rows)
    img = base64.b64encode(png).decode()
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>\n"
            "<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
            "td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}</style></head>\n"
            f"<body><h1>{html.escape(title)}</h1>\n"
            f"<img id=\"pareto\" alt=\"cycles against area\" src=\"data:image/png;base64,{img}\">\n"
            f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></body></html>\n")


def write_outputs(out: Path, rows: list[dict[str, Any]], params: list[str], spec: SweepSpec) -> None:
    if not rows:
        return
    cols = columns(params)
    ordered = sorted(rows, key=lambda r: (r["model"], *(str(r[p]) for p in params)))
    title = f"tandem sweep: {spec.accel} on {spec.board}"
    png = plot(ordered, params, title)
    (out / "pareto.png").write_bytes(png)
    (out / "sweep.html").write_text(html_page(ordered, cols, png, title))
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return
    pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in ordered]), out / "results.parquet")


def markdown_table(rows: Sequence[dict[str, Any]], params: list[str]) -> str:
    cols = ["model", *params, "cycles", "speedup", "mac_utilisation", "bit_exact", "area_cells", "lut4", "bram"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in sorted(rows, key=lambda r: (r["model"], *(str(r[p]) for p in params))):
        cells = [f"{r[c]:,}" if isinstance(r[c], int) and not isinstance(r[c], bool) and c not in params
                 else str(r[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
