"""TFLM's own models, read from ``../shared/models/tflm/`` (beside the checkout, never copied in).

``seanet_cases()`` lists TFLM's 16x8 per-layer integration tests: each model with the inputs
TFLM's test feeds it and the output TFLM produces (``<name>_input<K>_<dtype>.csv`` and
``<name>_golden_<dtype>.csv``, comma-separated values in the tensors' flat order).
A missing folder is an error, not a skip: CI has ``../shared`` beside the checkout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tandem.tinyml.model import read_model

ROOT = Path(__file__).resolve().parents[1]
TFLM_MODELS = ROOT.parent / "shared" / "models" / "tflm"
SEANET = TFLM_MODELS / "seanet"


def tflm_model(name: str) -> Path:
    path = TFLM_MODELS / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: TFLM's models are expected in ../shared/models/tflm/")
    return path


@dataclass(frozen=True)
class SeanetCase:
    """One integration test: the model, its inputs and TFLM's golden output."""

    op: str
    name: str
    model: Path
    inputs: list[np.ndarray]
    golden: np.ndarray

    @property
    def id(self) -> str:
        return self.name


def _csv(path: Path, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    values = np.array([int(v) for v in path.read_text().replace("\n", ",").split(",") if v.strip()], dtype=np.int64)
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {values.size} values for shape {shape}")
    return values.astype(dtype).reshape(shape)


def seanet_names(op: str | None = None) -> list[str]:
    """Names (``add0``, ``conv12``, ...) of the integration tests, optionally of one op's folder."""
    if not SEANET.is_dir():
        raise FileNotFoundError(f"{SEANET}: TFLM's integration-test models are expected in ../shared/models/tflm/")
    folders = [SEANET / op] if op else sorted(p for p in SEANET.iterdir() if p.is_dir())
    names = [m.stem for f in folders for m in f.glob("*.tflite")]
    return sorted(names, key=lambda n: (re.sub(r"\d+$", "", n), int(re.sub(r"^\D+", "", n) or 0)))


def seanet_case(name: str) -> SeanetCase:
    op = re.sub(r"\d+$", "", name)
    folder = SEANET / op
    model = folder / f"{name}.tflite"
    info = read_model(model.read_bytes(), str(model))
    dtypes = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "float32": np.float32}
    inputs = []
    for k, ti in enumerate(info.inputs):
        t = info.tensors[ti]
        inputs.append(_csv(folder / f"{name}_input{k}_{t.dtype}.csv", dtypes[t.dtype], t.shape))
    out = info.tensors[info.outputs[0]]
    golden = _csv(folder / f"{name}_golden_{out.dtype}.csv", dtypes[out.dtype], out.shape)
    return SeanetCase(op, name, model, inputs, golden)
