"""The committed model set: one small model per supported op plus the four architectures.

``scripts/gen_models.py`` writes these to ``tests/models/``; the same bytes come out on
every run (fixed seeds), which a test checks.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tandem.tinyml.models import ops, zoo
from tandem.tinyml.models.ops import Quant


def _single_op_models() -> dict[str, Callable[[], bytes]]:
    def mk(fn: Callable[..., tuple[bytes, list[np.ndarray]]], seed: int, *args: object,
           **kwargs: object) -> Callable[[], bytes]:
        return lambda: fn(np.random.default_rng(seed), *args, **kwargs)[0]

    return {
        "op_conv2d": mk(ops.conv2d, 10, h=12, w=10, cin=3, cout=8, kh=3, kw=3, stride=(2, 1), padding="SAME",
                        activation="RELU", inp=Quant(0.04, -5), out=Quant(0.08, -128)),
        "op_depthwise_conv2d": mk(ops.depthwise_conv2d, 11, h=10, w=8, cin=4, depth_multiplier=2, kh=3, kw=3,
                                  stride=(1, 2), padding="VALID", activation="RELU6", inp=Quant(0.03, 2),
                                  out=Quant(0.05, -100)),
        "op_fully_connected": mk(ops.fully_connected, 12, batch=2, depth=40, units=10, inp=Quant(0.05, 3),
                                 out=Quant(0.2, -7)),
        "op_average_pool_2d": mk(ops.pool2d, 13, "AVERAGE_POOL_2D", h=9, w=9, c=4, fh=3, fw=3, stride=(2, 2),
                                 padding="SAME", q=Quant(0.02, -3)),
        "op_max_pool_2d": mk(ops.pool2d, 14, "MAX_POOL_2D", h=8, w=8, c=4, fh=2, fw=2, stride=(2, 2),
                             q=Quant(0.02, -3)),
        "op_add": mk(ops.binary, 15, "ADD", shape1=(1, 4, 4, 8), shape2=(1, 1, 1, 8), out_shape=(1, 4, 4, 8),
                     q1=Quant(0.05, 1), q2=Quant(0.03, -4), qo=Quant(0.07, 0), activation="RELU"),
        "op_mul": mk(ops.binary, 16, "MUL", shape1=(1, 4, 4, 8), shape2=(1, 4, 4, 8), out_shape=(1, 4, 4, 8),
                     q1=Quant(0.05, 1), q2=Quant(0.03, -4), qo=Quant(0.01, 5)),
        "op_reshape": mk(ops.reshape, 17, shape=(1, 4, 4, 2), new_shape=(1, 32)),
        "op_softmax": mk(ops.softmax, 18, shape=(2, 12), inp=Quant(0.1, 4)),
        "op_mean": mk(ops.mean, 19, shape=(1, 5, 5, 8), axes=(1, 2), keep_dims=False, inp=Quant(0.04, -10),
                      out=Quant(0.02, 3)),
        "op_pad": mk(ops.pad, 20, shape=(1, 4, 4, 3), paddings=[(0, 0), (1, 1), (2, 0), (0, 0)]),
        "op_concatenation": mk(ops.concatenation, 21, shapes=[(1, 3, 3, 4), (1, 3, 3, 6)], axis=3),
        "op_quantize": mk(ops.quantize, 22, shape=(1, 64), out=Quant(0.05, -3)),
        "op_dequantize": mk(ops.dequantize, 23, shape=(1, 64), inp=Quant(0.05, -3)),
        "op_logistic": mk(ops.logistic, 24, shape=(2, 128), inp=Quant(0.06, 5)),
        "op_svdf": mk(ops.svdf, 25, batch=1, input_size=20, units=4, rank=2, memory=6, inp=Quant(0.05, -2),
                      out=Quant(0.1, 3), state_scale=0.02),
    }


def committed_models() -> dict[str, Callable[[], bytes]]:
    """Name (file stem) -> builder of every model under tests/models/."""
    models = _single_op_models()
    models.update(zoo.ARCHITECTURES)
    return models
