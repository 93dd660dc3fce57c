"""Golden model of the conv engine's memory-to-memory job: what one START computes.

The engine reads its operands from the board's memory at the addresses in its registers
(IN_ADDR, FILTER_ADDR, BIAS_ADDR, MULT_ADDR, SHIFT_ADDR) and writes the int8 output at OUT_ADDR
with OUT_PSTRIDE bytes between output pixels. This model takes the same register values (names
as in :mod:`tandem.accel.regmap`, field values already decoded) and a little-endian memory image,
and returns the output bytes the engine must write, so a cocotb bench (AxiRam holding the image)
and the firmware tests share one scoreboard.

Modes: ``conv`` (CONV_2D, OHWI filter) and ``depthwise`` (DEPTHWISE_CONV_2D, 1HWO filter with
OUT_C = IN_C * depth_multiplier). FULLY_CONNECTED runs as ``conv`` with a 1x1 kernel on an
H x 1 "image" of H batches (:func:`fc_as_conv_job`): TFLM's FullyConnected is that convolution
with every per-channel multiplier and shift equal to the per-tensor pair, requantized with one
rounding (``single_round``, the engine's CONFIG.ROUND = SINGLE) where the conv rounds twice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tandem.reference.conv2d import ConvGeometry, ConvQuant, conv2d_int8
from tandem.reference.depthwise import depthwise_conv2d_int8

MODES = ("conv", "depthwise")


class EngineJobError(ValueError):
    """A job the engine would refuse (the RTL reports it as STATUS.ERROR with ERR_CODE)."""


@dataclass(frozen=True)
class EngineJob:
    """One job, as the registers describe it (addresses are byte addresses in the image)."""

    mode: str
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    kh: int
    kw: int
    sh: int = 1
    sw: int = 1
    dh: int = 1
    dw: int = 1
    pad_top: int = 0
    pad_left: int = 0
    in_offset: int = 0
    out_offset: int = 0
    act_min: int = -128
    act_max: int = 127
    in_addr: int = 0
    filter_addr: int = 0
    bias_addr: int = 0
    mult_addr: int = 0
    shift_addr: int = 0
    out_addr: int = 0
    out_pstride: int = 0  # 0 means dense (OUT_C)
    # CONFIG.ROUND: False = DOUBLE (conv's MultiplyByQuantizedMultiplier), True = SINGLE
    # (FULLY_CONNECTED's one rounding of the 64-bit product)
    single_round: bool = False


def _read(mem: bytes, base: int, addr: int, count: int, dtype: str) -> npt.NDArray[np.generic]:
    start = addr - base
    size = count * np.dtype(dtype).itemsize
    if start < 0 or start + size > len(mem):
        raise EngineJobError(f"engine read of {size} bytes at 0x{addr:08X} is outside the memory image")
    return np.frombuffer(mem, dtype=dtype, count=count, offset=start)


def filter_elements(job: EngineJob) -> int:
    if job.mode == "conv":
        return job.out_c * job.kh * job.kw * job.in_c
    return job.kh * job.kw * job.out_c


def run_job(job: EngineJob, mem: bytes, base: int = 0) -> npt.NDArray[np.int8]:
    """The output tensor (1, OUT_H, OUT_W, OUT_C) one START produces from ``mem`` at ``base``."""
    if job.mode not in MODES:
        raise EngineJobError(f"engine mode {job.mode!r} is not one of {', '.join(MODES)}")
    if job.mode == "depthwise" and job.out_c % job.in_c:
        raise EngineJobError(f"depthwise OUT_C {job.out_c} is not a multiple of IN_C {job.in_c}")
    inp = _read(mem, base, job.in_addr, job.in_h * job.in_w * job.in_c, "<i1")
    inp = inp.astype(np.int8).reshape(1, job.in_h, job.in_w, job.in_c)
    flat = _read(mem, base, job.filter_addr, filter_elements(job), "<i1").astype(np.int8)
    bias = _read(mem, base, job.bias_addr, job.out_c, "<i4").astype(np.int32)
    mults = _read(mem, base, job.mult_addr, job.out_c, "<i4").astype(np.int32)
    shifts = _read(mem, base, job.shift_addr, job.out_c, "<i4").astype(np.int32)
    if np.any((shifts < -31) | (shifts > 30)):
        raise EngineJobError("a per-channel shift is outside -31..30 (ERR_BAD_SHIFT)")
    geom = ConvGeometry(job.sh, job.sw, job.dh, job.dw, job.pad_top, job.pad_left, job.out_h, job.out_w)
    quant = ConvQuant(job.in_offset, job.out_offset, job.act_min, job.act_max)
    if job.mode == "conv":
        filt = flat.reshape(job.out_c, job.kh, job.kw, job.in_c)
        return conv2d_int8(inp, filt, bias, mults, shifts, geom, quant, job.single_round)
    filt = flat.reshape(1, job.kh, job.kw, job.out_c)
    return depthwise_conv2d_int8(inp, filt, bias, mults, shifts, geom, quant, job.single_round)


def apply_job(job: EngineJob, mem: bytearray, base: int = 0) -> None:
    """Run ``job`` and write its output into ``mem`` as the engine does (OUT_PSTRIDE apart)."""
    out = run_job(job, bytes(mem), base)
    stride = job.out_pstride or job.out_c
    if stride < job.out_c:
        raise EngineJobError(f"OUT_PSTRIDE {stride} < OUT_C {job.out_c} (ERR_BAD_OUT_SHAPE)")
    pixels = out.reshape(-1, job.out_c).view(np.uint8)
    for i, row in enumerate(pixels):
        start = job.out_addr - base + i * stride
        if start < 0 or start + job.out_c > len(mem):
            raise EngineJobError(f"engine write at 0x{job.out_addr + i * stride:08X} is outside the memory image")
        mem[start:start + job.out_c] = row.tobytes()


def fc_as_conv_job(batches: int, depth: int, units: int, single_round: bool = True,
                   **addresses_and_quant: int) -> EngineJob:
    """FULLY_CONNECTED as the engine runs it: a 1x1 conv over a batches x 1 image, with
    FULLY_CONNECTED's single rounding unless ``single_round`` is False."""
    return EngineJob(mode="conv", in_h=batches, in_w=1, in_c=depth, out_h=batches, out_w=1,
                     out_c=units, kh=1, kw=1, single_round=single_round, **addresses_and_quant)


__all__ = ["MODES", "EngineJob", "EngineJobError", "apply_job", "fc_as_conv_job", "run_job"]
