"""Golden model of the example vector MAC unit (rtl/examples/vmac_axi.v): the int32 dot product
with offsets that TFLite's FULLY_CONNECTED accumulates, wrapping as the unit's accumulator does.
Serves the unit's cocotb bench (rtl/examples/tests/vmac_bench.py)."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tandem.reference.quant import wrap_int32


def vmac_dot(x: npt.NDArray[np.int8], w: npt.NDArray[np.int8], in_offset: int, w_offset: int, bias: int) -> int:
    """``bias + sum((x + in_offset) * (w + w_offset))`` as a wrapped int32."""
    if x.shape != w.shape:
        raise ValueError(f"vectors of {x.shape} and {w.shape} elements")
    terms = (x.astype(np.int64) + in_offset) * (w.astype(np.int64) + w_offset)
    return wrap_int32(int(bias) + int(terms.sum()))


__all__ = ["vmac_dot"]
