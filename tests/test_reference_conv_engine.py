"""The conv engine's golden model: DEPTHWISE_CONV_2D and FULLY_CONNECTED bit-exact with LiteRT's
reference kernels, and a job read from / written to a memory image (as the AXI master will see it)
equal to the direct references, including OUT_PSTRIDE, FC-as-1x1-conv and the refused jobs."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import tflite

from tandem.reference.conv2d import ConvGeometry, ConvQuant, compute_padding, conv2d_int8
from tandem.reference.conv_engine import EngineJob, EngineJobError, apply_job, fc_as_conv_job, run_job
from tandem.reference.depthwise import depthwise_conv2d_int8, fully_connected_int8
from tandem.reference.quant import activation_range, per_channel_multipliers
from tandem.tinyml.litert_ref import run_reference
from tandem.tinyml.models import ops


def _tensor(model: bytes, name: str) -> tuple[npt.NDArray[np.generic] | None, list[float], int]:
    """(constant data or None, scales, zero point) of the tensor called ``name`` in subgraph 0."""
    m = tflite.Model.GetRootAs(model, 0)
    sg = m.Subgraphs(0)
    types = {tflite.TensorType.INT8: np.int8, tflite.TensorType.INT32: np.int32}
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        if t.Name().decode() != name:
            continue
        q = t.Quantization()
        buf = m.Buffers(t.Buffer())
        data = None
        if buf.DataLength():
            shape = tuple(int(d) for d in t.ShapeAsNumpy())
            data = buf.DataAsNumpy().view(types[t.Type()]).reshape(shape)
        return data, [float(s) for s in q.ScaleAsNumpy()], int(q.ZeroPointAsNumpy()[0])
    raise KeyError(name)


@pytest.mark.parametrize("h,w,cin,mult,k,stride,padding,act", [
    (7, 6, 4, 1, 3, 1, "SAME", "NONE"),
    (9, 9, 3, 2, 3, 2, "SAME", "RELU6"),
    (6, 5, 2, 3, 2, 1, "VALID", "RELU"),
])
def test_depthwise_matches_litert(h: int, w: int, cin: int, mult: int, k: int, stride: int,
                                  padding: str, act: str) -> None:
    inq, outq = ops.Quant(0.05, -3), ops.Quant(0.08, 5)
    model, inputs = ops.depthwise_conv2d(np.random.default_rng(h * 31 + cin), h=h, w=w, cin=cin,
                                         depth_multiplier=mult, kh=k, kw=k, stride=(stride, stride),
                                         padding=padding, activation=act, inp=inq, out=outq)
    want = run_reference(model, inputs)[0]
    filt, fscales, _ = _tensor(model, "filter")
    bias, _, _ = _tensor(model, "bias")
    assert filt is not None and bias is not None
    mults, shifts = per_channel_multipliers(inq.scale, fscales, outq.scale)
    oh, pt, _ = compute_padding(padding, h, k, stride)
    ow, pl, _ = compute_padding(padding, w, k, stride)
    lo, hi = activation_range(act, outq.scale, outq.zero_point)
    got = depthwise_conv2d_int8(inputs[0], filt.astype(np.int8), bias.astype(np.int32), mults, shifts,
                                ConvGeometry(stride, stride, 1, 1, pt, pl, oh, ow),
                                ConvQuant(-inq.zero_point, outq.zero_point, lo, hi))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("batch,depth,units", [(1, 32, 10), (3, 17, 5)])
def test_fully_connected_matches_litert_and_runs_as_1x1_conv(batch: int, depth: int, units: int) -> None:
    inq, outq = ops.Quant(0.04, 7), ops.Quant(0.2, -4)
    model, inputs = ops.fully_connected(np.random.default_rng(depth), batch=batch, depth=depth, units=units,
                                        activation="RELU", inp=inq, out=outq)
    want = run_reference(model, inputs)[0]
    wts, wscales, _ = _tensor(model, "weights")
    bias, _, _ = _tensor(model, "bias")
    assert wts is not None and bias is not None
    mults, shifts = per_channel_multipliers(inq.scale, wscales, outq.scale)
    lo, hi = activation_range("RELU", outq.scale, outq.zero_point)
    quant = ConvQuant(-inq.zero_point, outq.zero_point, lo, hi)
    got = fully_connected_int8(inputs[0], wts.astype(np.int8), bias.astype(np.int32), int(mults[0]),
                               int(shifts[0]), quant)
    np.testing.assert_array_equal(got, want)
    # The engine's FC: a 1x1 conv over a batch x 1 image with the per-tensor pair in every channel.
    mem, base = bytearray(4096), 0x2000_0000
    layout = {"in_addr": 0x000, "filter_addr": 0x100, "bias_addr": 0x400, "mult_addr": 0x500,
              "shift_addr": 0x600, "out_addr": 0x700}
    mem[0x000:0x000 + inputs[0].size] = inputs[0].astype(np.int8).tobytes()
    mem[0x100:0x100 + wts.size] = wts.astype(np.int8).tobytes()
    mem[0x400:0x400 + 4 * units] = bias.astype("<i4").tobytes()
    mem[0x500:0x500 + 4 * units] = np.full(units, mults[0], "<i4").tobytes()
    mem[0x600:0x600 + 4 * units] = np.full(units, shifts[0], "<i4").tobytes()
    job = fc_as_conv_job(batch, depth, units, in_offset=-inq.zero_point, out_offset=outq.zero_point,
                         act_min=lo, act_max=hi, **{k: base + v for k, v in layout.items()})
    apply_job(job, mem, base)
    out = np.frombuffer(bytes(mem[0x700:0x700 + batch * units]), dtype=np.int8).reshape(batch, units)
    np.testing.assert_array_equal(out, want)


def _image(rng: np.random.Generator, job: EngineJob, base: int, size: int = 8192) -> bytearray:
    mem = bytearray(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
    for addr, n in ((job.bias_addr, job.out_c),):
        mem[addr - base:addr - base + 4 * n] = rng.integers(-5000, 5000, n).astype("<i4").tobytes()
    mem[job.mult_addr - base:job.mult_addr - base + 4 * job.out_c] = \
        rng.integers(1 << 30, (1 << 31) - 1, job.out_c).astype("<i4").tobytes()
    mem[job.shift_addr - base:job.shift_addr - base + 4 * job.out_c] = \
        rng.integers(-10, 2, job.out_c).astype("<i4").tobytes()
    return mem


@pytest.mark.parametrize("mode", ["conv", "depthwise"])
def test_job_from_memory_matches_references_with_pixel_stride(mode: str) -> None:
    base = 0x0800_0000
    cin, cout = 3, (5 if mode == "conv" else 6)
    job = EngineJob(mode=mode, in_h=5, in_w=4, in_c=cin, out_h=3, out_w=2, out_c=cout, kh=3, kw=3,
                    sh=2, sw=2, pad_top=1, pad_left=1, in_offset=9, out_offset=-2, act_min=-100, act_max=90,
                    in_addr=base + 0x11, filter_addr=base + 0x203, bias_addr=base + 0x400,
                    mult_addr=base + 0x440, shift_addr=base + 0x480, out_addr=base + 0x1001, out_pstride=8)
    mem = _image(np.random.default_rng(5), job, base)
    before = bytes(mem)
    apply_job(job, mem, base)
    inp = np.frombuffer(before, np.int8, 5 * 4 * cin, 0x11).reshape(1, 5, 4, cin)
    nf = cout * 9 * cin if mode == "conv" else 9 * cout
    flat = np.frombuffer(before, np.int8, nf, 0x203)
    bias = np.frombuffer(before, "<i4", cout, 0x400).astype(np.int32)
    mults = np.frombuffer(before, "<i4", cout, 0x440).astype(np.int32)
    shifts = np.frombuffer(before, "<i4", cout, 0x480).astype(np.int32)
    geom, quant = ConvGeometry(2, 2, 1, 1, 1, 1, 3, 2), ConvQuant(9, -2, -100, 90)
    if mode == "conv":
        want = conv2d_int8(inp, flat.reshape(cout, 3, 3, cin), bias, mults, shifts, geom, quant)
    else:
        want = depthwise_conv2d_int8(inp, flat.reshape(1, 3, 3, cout), bias, mults, shifts, geom, quant)
    for p, pixel in enumerate(want.reshape(-1, cout)):
        start = 0x1001 + 8 * p
        assert bytes(mem[start:start + cout]) == pixel.tobytes()
        assert mem[start + cout:start + 8] == before[start + cout:start + 8]  # the gap is untouched
    assert mem[:0x1001] == before[:0x1001]


def test_refused_jobs_name_the_cause() -> None:
    base = 0
    job = EngineJob(mode="depthwise", in_h=2, in_w=2, in_c=2, out_h=2, out_w=2, out_c=2, kh=1, kw=1,
                    in_addr=0, filter_addr=0x10, bias_addr=0x20, mult_addr=0x40, shift_addr=0x60, out_addr=0x80)
    mem = _image(np.random.default_rng(1), job, base, 256)
    mem[0x60:0x64] = np.array([31], "<i4").tobytes()
    with pytest.raises(EngineJobError, match="shift is outside -31..30"):
        run_job(job, bytes(mem), base)
    with pytest.raises(EngineJobError, match="outside the memory image"):
        run_job(EngineJob(**{**job.__dict__, "in_addr": 250}), bytes(mem), base)
    with pytest.raises(EngineJobError, match="not a multiple of IN_C"):
        run_job(EngineJob(**{**job.__dict__, "out_c": 3}), bytes(mem), base)
    with pytest.raises(EngineJobError, match="mode 'pool'"):
        run_job(EngineJob(**{**job.__dict__, "mode": "pool"}), bytes(mem), base)
