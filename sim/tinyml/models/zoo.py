"""Realistic int8 architectures with deterministic random weights (MLPerf Tiny shapes).

The weights are random but the quantization parameters are chosen so activations use the
int8 range without saturating: each layer's output scale comes from a running estimate of
the activation's RMS (weights are zero-mean, so RMS(out) ~ sqrt(K) * RMS(in) * RMS(w)).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tandem.tinyml.models.builder import ModelBuilder

# RMS of the int8 weight values drawn uniformly from [-127, 127].
_W_RMS_Q = 127 / math.sqrt(3)
# Target spread of an activation, in quantization steps.
_LINEAR_STEPS = 40.0
_RELU_STEPS = 40.0


@dataclass
class Act:
    """An activation tensor in the graph being built, with its estimated RMS (real units)."""

    index: int
    shape: tuple[int, ...]
    scale: float
    zero_point: int
    rms: float


class Net:
    """Builds a sequential/residual int8 network layer by layer."""

    def __init__(self, name: str, seed: int) -> None:
        self.m = ModelBuilder(name)
        self.rng = np.random.default_rng(seed)
        self._n = 0

    def _name(self, kind: str) -> str:
        self._n += 1
        return f"{kind}_{self._n}"

    def _out_quant(self, rms: float, relu: bool) -> tuple[float, int, float]:
        """Scale and zero point for a pre-activation RMS; returns the post-activation RMS too."""
        if relu:
            return rms / _RELU_STEPS, -128, rms / math.sqrt(2)
        return rms / _LINEAR_STEPS, 0, rms

    def input(self, shape: tuple[int, ...], scale: float = 1 / 64, zero_point: int = 0) -> Act:
        idx = self.m.tensor("input", shape, scale=scale, zero_point=zero_point)
        self.m.inputs.append(idx)
        return Act(idx, shape, scale, zero_point, 74.0 * scale)

    def float_input(self, shape: tuple[int, ...], scale: float = 1 / 64, zero_point: int = 0) -> Act:
        """A float32 model input followed by QUANTIZE."""
        fidx = self.m.tensor("input", shape, "float32")
        self.m.inputs.append(fidx)
        idx = self.m.tensor(self._name("quantized_input"), shape, scale=scale, zero_point=zero_point)
        self.m.op("QUANTIZE", [fidx], [idx])
        return Act(idx, shape, scale, zero_point, 74.0 * scale)

    def _weights(self, shape: tuple[int, ...], channels: int, fan_in: int) -> tuple[np.ndarray, list[float]]:
        """Random int8 weights whose real RMS is about sqrt(2 / fan_in) (He init)."""
        w = self.rng.integers(-127, 128, size=shape).astype(np.int8)
        base = math.sqrt(2.0 / fan_in) / _W_RMS_Q
        s = [float(v) for v in self.rng.uniform(0.7, 1.3, channels) * base]
        return w, s

    def _bias(self, x: Act, wscale: list[float], acc_rms_q: float) -> int:
        cout = len(wscale)
        data = np.round(self.rng.normal(0.0, 0.3, cout) * acc_rms_q).astype(np.int32)
        return self.m.tensor(self._name("bias"), (cout,), "int32", scale=[x.scale * s for s in wscale],
                             zero_point=0, data=data)

    def conv(self, x: Act, cout: int, k: tuple[int, int], stride: int = 1, padding: str = "SAME",
             relu: bool = True) -> Act:
        n, h, w, cin = x.shape
        wq, ws = self._weights((cout, k[0], k[1], cin), cout, k[0] * k[1] * cin)
        f = self.m.tensor(self._name("conv_filter"), wq.shape, scale=ws, zero_point=0, data=wq)
        fan_in = k[0] * k[1] * cin
        acc_rms_q = math.sqrt(fan_in) * (x.rms / x.scale) * _W_RMS_Q
        b = self._bias(x, ws, acc_rms_q)
        rms = math.sqrt(fan_in) * x.rms * _W_RMS_Q * float(np.mean(ws))
        scale, zp, post = self._out_quant(rms, relu)
        oh = (h + stride - 1) // stride if padding == "SAME" else (h - k[0] + stride) // stride
        ow = (w + stride - 1) // stride if padding == "SAME" else (w - k[1] + stride) // stride
        y = self.m.tensor(self._name("conv"), (n, oh, ow, cout), scale=scale, zero_point=zp)
        self.m.op("CONV_2D", [x.index, f, b], [y], padding=padding, stride_h=stride, stride_w=stride,
                  activation="RELU" if relu else "NONE")
        return Act(y, (n, oh, ow, cout), scale, zp, post)

    def dwconv(self, x: Act, k: int = 3, stride: int = 1, relu: bool = True) -> Act:
        n, h, w, c = x.shape
        wq, ws = self._weights((1, k, k, c), c, k * k)
        f = self.m.tensor(self._name("dw_filter"), wq.shape, scale=ws, zero_point=0, data=wq,
                          quantized_dimension=3)
        acc_rms_q = math.sqrt(k * k) * (x.rms / x.scale) * _W_RMS_Q
        b = self._bias(x, ws, acc_rms_q)
        rms = math.sqrt(k * k) * x.rms * _W_RMS_Q * float(np.mean(ws))
        scale, zp, post = self._out_quant(rms, relu)
        oh, ow = (h + stride - 1) // stride, (w + stride - 1) // stride
        y = self.m.tensor(self._name("dwconv"), (n, oh, ow, c), scale=scale, zero_point=zp)
        self.m.op("DEPTHWISE_CONV_2D", [x.index, f, b], [y], padding="SAME", stride_h=stride, stride_w=stride,
                  depth_multiplier=1, activation="RELU" if relu else "NONE")
        return Act(y, (n, oh, ow, c), scale, zp, post)

    def avgpool(self, x: Act, k: tuple[int, int]) -> Act:
        n, h, w, c = x.shape
        oh, ow = (h - k[0]) // k[0] + 1, (w - k[1]) // k[1] + 1
        y = self.m.tensor(self._name("avgpool"), (n, oh, ow, c), scale=x.scale, zero_point=x.zero_point)
        self.m.op("AVERAGE_POOL_2D", [x.index], [y], padding="VALID", stride_h=k[0], stride_w=k[1],
                  filter_h=k[0], filter_w=k[1])
        return Act(y, (n, oh, ow, c), x.scale, x.zero_point, x.rms)

    def reshape(self, x: Act, shape: tuple[int, ...]) -> Act:
        s = self.m.tensor(self._name("shape"), (len(shape),), "int32", data=np.array(shape))
        y = self.m.tensor(self._name("reshape"), shape, scale=x.scale, zero_point=x.zero_point)
        self.m.op("RESHAPE", [x.index, s], [y], new_shape=list(shape))
        return Act(y, shape, x.scale, x.zero_point, x.rms)

    def fc(self, x: Act, units: int, relu: bool = True) -> Act:
        batch, depth = x.shape
        wq = self.rng.integers(-127, 128, size=(units, depth)).astype(np.int8)
        ws = float(self.rng.uniform(0.7, 1.3) * math.sqrt(2.0 / depth) / _W_RMS_Q)
        f = self.m.tensor(self._name("fc_weights"), wq.shape, scale=ws, zero_point=0, data=wq)
        acc_rms_q = math.sqrt(depth) * (x.rms / x.scale) * _W_RMS_Q
        bias_scale = float(np.float32(x.scale) * np.float32(ws))
        bdata = np.round(self.rng.normal(0.0, 0.3, units) * acc_rms_q).astype(np.int32)
        b = self.m.tensor(self._name("fc_bias"), (units,), "int32", scale=bias_scale, zero_point=0, data=bdata)
        rms = math.sqrt(depth) * x.rms * _W_RMS_Q * ws
        scale, zp, post = self._out_quant(rms, relu)
        y = self.m.tensor(self._name("fc"), (batch, units), scale=scale, zero_point=zp)
        self.m.op("FULLY_CONNECTED", [x.index, f, b], [y], activation="RELU" if relu else "NONE")
        return Act(y, (batch, units), scale, zp, post)

    def add(self, a: Act, b: Act, relu: bool = True) -> Act:
        rms = math.sqrt(a.rms ** 2 + b.rms ** 2)
        scale, zp, post = self._out_quant(rms, relu)
        y = self.m.tensor(self._name("add"), a.shape, scale=scale, zero_point=zp)
        self.m.op("ADD", [a.index, b.index], [y], activation="RELU" if relu else "NONE")
        return Act(y, a.shape, scale, zp, post)

    def softmax(self, x: Act) -> Act:
        y = self.m.tensor(self._name("softmax"), x.shape, scale=1.0 / 256, zero_point=-128)
        self.m.op("SOFTMAX", [x.index], [y], beta=1.0)
        return Act(y, x.shape, 1.0 / 256, -128, 0.1)

    def dequantize(self, x: Act) -> int:
        y = self.m.tensor(self._name("output"), x.shape, "float32")
        self.m.op("DEQUANTIZE", [x.index], [y])
        return y

    def finish(self, *outputs: int) -> bytes:
        self.m.outputs = list(outputs)
        return self.m.build()


def ds_cnn(seed: int = 1) -> bytes:
    """DS-CNN keyword spotting (MLPerf Tiny KWS shapes): 49x10x1 MFCC input, 12 classes."""
    net = Net("ds_cnn", seed)
    x = net.input((1, 49, 10, 1))
    x = net.conv(x, 64, (10, 4), stride=2)
    for _ in range(4):
        x = net.dwconv(x, 3)
        x = net.conv(x, 64, (1, 1))
    x = net.avgpool(x, (x.shape[1], x.shape[2]))
    x = net.reshape(x, (1, 64))
    x = net.fc(x, 12, relu=False)
    return net.finish(net.softmax(x).index)


def mobilenet_v1_025(seed: int = 2, channels: int = 3) -> bytes:
    """MobileNetV1 with width 0.25 on 96x96 input (MLPerf Tiny VWW shapes), 2 classes."""
    net = Net("mobilenet_v1_0.25", seed)
    x = net.input((1, 96, 96, channels))
    x = net.conv(x, 8, (3, 3), stride=2)
    plan = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]
    for cout, stride in plan:
        x = net.dwconv(x, 3, stride)
        x = net.conv(x, cout, (1, 1))
    x = net.avgpool(x, (x.shape[1], x.shape[2]))
    x = net.reshape(x, (1, x.shape[3]))
    x = net.fc(x, 2, relu=False)
    return net.finish(net.softmax(x).index)


def resnet8(seed: int = 3) -> bytes:
    """ResNet-8 for 32x32x3 images (MLPerf Tiny IC shapes), 10 classes."""
    net = Net("resnet8", seed)
    x = net.input((1, 32, 32, 3))
    x = net.conv(x, 16, (3, 3))
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        y = net.conv(x, cout, (3, 3), stride=stride)
        y = net.conv(y, cout, (3, 3), relu=False)
        shortcut = x if stride == 1 and cout == x.shape[3] else net.conv(x, cout, (1, 1), stride=stride, relu=False)
        x = net.add(y, shortcut, relu=True)
    x = net.avgpool(x, (x.shape[1], x.shape[2]))
    x = net.reshape(x, (1, x.shape[3]))
    x = net.fc(x, 10, relu=False)
    return net.finish(net.softmax(x).index)


def fc_autoencoder(seed: int = 4) -> bytes:
    """Fully connected autoencoder (MLPerf Tiny AD shapes): float 640 in, float 640 out."""
    net = Net("fc_autoencoder", seed)
    x = net.float_input((1, 640), scale=1 / 32)
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = net.fc(x, units, relu=True)
    x = net.fc(x, 640, relu=False)
    return net.finish(net.dequantize(x))


ARCHITECTURES: dict[str, Callable[[], bytes]] = {
    "ds_cnn": ds_cnn,
    "mobilenet_v1_025": mobilenet_v1_025,
    "resnet8": resnet8,
    "fc_autoencoder": fc_autoencoder,
}
