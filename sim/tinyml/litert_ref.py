"""Run a .tflite model through LiteRT's reference kernels (the bit-exactness oracle).

The interpreter is created with ``OpResolverType.BUILTIN_REF`` so every op runs TFLite's
reference implementation, the one tandem's C runtime must match bit for bit.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tandem.errors import ModelError, ToolchainError


def run_reference(model: bytes, inputs: Sequence[np.ndarray], invocations: int = 1) -> list[np.ndarray]:
    """Invoke ``model`` on ``inputs`` (in subgraph input order) ``invocations`` times (state in
    variable tensors carries over); return the outputs of the last invocation."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ToolchainError(f"ai-edge-litert is not installed: {exc}") from exc
    try:
        interp = Interpreter(
            model_content=bytes(model),
            experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        )
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"LiteRT rejected the model: {exc}") from exc
    details = interp.get_input_details()
    if len(details) != len(inputs):
        raise ModelError(f"model has {len(details)} inputs, {len(inputs)} given")
    for d, x in zip(details, inputs, strict=False):
        x = np.asarray(x, dtype=d["dtype"])
        if tuple(x.shape) != tuple(d["shape"]):
            raise ModelError(f"input {d['name']!r}: shape {x.shape} != {tuple(d['shape'])}")
        interp.set_tensor(d["index"], x)
    try:
        for _ in range(invocations):
            interp.invoke()
    except RuntimeError as exc:
        raise ModelError(f"LiteRT failed to run the model: {exc}") from exc
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]
