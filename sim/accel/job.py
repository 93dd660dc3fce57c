"""One convolution for the accelerator: tensors, parameters, memory layout and register values.

A :class:`ConvJob` is what a driver (cocotb bench, firmware model, co-simulation bridge) hands
the engine: it packs the configuration into register values from :mod:`tandem.accel.regmap`, lays
the tensors out in a memory image, and gives the expected output from the golden model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tandem.accel.regmap import REG_BY_NAME, Register
from tandem.reference.conv2d import ConvGeometry, ConvQuant, conv2d_int8


@dataclass(frozen=True)
class MemoryLayout:
    """Byte addresses of the operands in the board's memory."""

    in_addr: int
    filter_addr: int
    bias_addr: int
    mult_addr: int
    shift_addr: int
    out_addr: int
    out_pstride: int
    end: int  # first byte past the last operand


@dataclass(frozen=True)
class ConvJob:
    """An int8 per-channel CONV_2D: NHWC input (N=1), OHWI filter, per-channel arrays;
    ``single_round`` asks for FULLY_CONNECTED's one-rounding requantization (CONFIG.ROUND)."""

    inp: npt.NDArray[np.int8]
    filt: npt.NDArray[np.int8]
    bias: npt.NDArray[np.int32]
    mult: npt.NDArray[np.int32]
    shift: npt.NDArray[np.int32]
    geom: ConvGeometry
    quant: ConvQuant
    pad_bottom: int
    pad_right: int
    single_round: bool = False

    @property
    def in_h(self) -> int:
        return int(self.inp.shape[1])

    @property
    def in_w(self) -> int:
        return int(self.inp.shape[2])

    @property
    def in_c(self) -> int:
        return int(self.inp.shape[3])

    @property
    def out_c(self) -> int:
        return int(self.filt.shape[0])

    def expected(self) -> npt.NDArray[np.int8]:
        return conv2d_int8(self.inp, self.filt, self.bias, self.mult, self.shift, self.geom, self.quant,
                           self.single_round)

    def useful_macs(self) -> int:
        """Multiply-accumulates the reference performs (taps inside the input only)."""
        g = self.geom
        _, kh, kw, _ = self.filt.shape
        oy = np.arange(g.out_h) * g.stride_h - g.pad_top
        ox = np.arange(g.out_w) * g.stride_w - g.pad_left
        inside_y = sum(int(((oy + ky * g.dilation_h >= 0) & (oy + ky * g.dilation_h < self.in_h)).sum())
                       for ky in range(kh))
        inside_x = sum(int(((ox + kx * g.dilation_w >= 0) & (ox + kx * g.dilation_w < self.in_w)).sum())
                       for kx in range(kw))
        return inside_y * inside_x * self.in_c * self.out_c

    def layout(self, base: int = 0x100, in_skew: int = 0, filter_skew: int = 0,
               out_skew: int = 0, out_pstride: int | None = None) -> MemoryLayout:
        """Pack the operands after ``base``; skews misalign the byte arrays on purpose."""
        def align(a: int) -> int:
            return (a + 3) & ~3

        stride = self.out_c if out_pstride is None else out_pstride
        in_addr = align(base) + in_skew
        filter_addr = align(in_addr + self.inp.size) + filter_skew
        bias_addr = align(filter_addr + self.filt.size)
        mult_addr = bias_addr + 4 * self.out_c
        shift_addr = mult_addr + 4 * self.out_c
        out_addr = shift_addr + 4 * self.out_c + out_skew
        npix = self.geom.out_h * self.geom.out_w
        end = out_addr + (npix - 1) * stride + self.out_c
        return MemoryLayout(in_addr, filter_addr, bias_addr, mult_addr, shift_addr, out_addr,
                            stride, end)

    def write_image(self, image: bytearray, lay: MemoryLayout, origin: int = 0) -> None:
        """Store the operands into a little-endian memory image whose byte 0 is at ``origin``."""
        def put(addr: int, data: bytes) -> None:
            image[addr - origin:addr - origin + len(data)] = data

        put(lay.in_addr, self.inp.astype(np.int8).tobytes())
        put(lay.filter_addr, self.filt.astype(np.int8).tobytes())
        put(lay.bias_addr, self.bias.astype("<i4").tobytes())
        put(lay.mult_addr, self.mult.astype("<i4").tobytes())
        put(lay.shift_addr, self.shift.astype("<i4").tobytes())

    def output_addresses(self, lay: MemoryLayout) -> npt.NDArray[np.int64]:
        """Byte address of every output element, shaped (OH, OW, OC)."""
        g = self.geom
        pix = np.arange(g.out_h * g.out_w, dtype=np.int64).reshape(g.out_h, g.out_w, 1)
        return lay.out_addr + pix * lay.out_pstride + np.arange(self.out_c, dtype=np.int64)

    def register_values(self, lay: MemoryLayout) -> dict[str, int]:
        """Configuration register values (unsigned 32-bit) for this job and layout."""
        g, q = self.geom, self.quant
        kh, kw = int(self.filt.shape[1]), int(self.filt.shape[2])
        config = REG_BY_NAME["CONFIG"]
        values = {
            "CONFIG": pack(config, MODE=value_of(config, "MODE", "CONV"),
                           ROUND=value_of(config, "ROUND", "SINGLE" if self.single_round else "DOUBLE")),
            "IN_HW": pack(REG_BY_NAME["IN_HW"], H=self.in_h, W=self.in_w),
            "IN_C": self.in_c,
            "OUT_HW": pack(REG_BY_NAME["OUT_HW"], H=g.out_h, W=g.out_w),
            "OUT_C": self.out_c,
            "KERNEL": pack(REG_BY_NAME["KERNEL"], KH=kh, KW=kw, SH=g.stride_h, SW=g.stride_w),
            "DILATION": pack(REG_BY_NAME["DILATION"], DH=g.dilation_h, DW=g.dilation_w),
            "PAD": pack(REG_BY_NAME["PAD"], TOP=g.pad_top, BOTTOM=self.pad_bottom,
                        LEFT=g.pad_left, RIGHT=self.pad_right),
            "IN_OFFSET": q.input_offset & 0xFFFFFFFF,
            "OUT_OFFSET": q.output_offset & 0xFFFFFFFF,
            "ACT_MIN": q.act_min & 0xFFFFFFFF,
            "ACT_MAX": q.act_max & 0xFFFFFFFF,
            "IN_ADDR": lay.in_addr,
            "FILTER_ADDR": lay.filter_addr,
            "BIAS_ADDR": lay.bias_addr,
            "MULT_ADDR": lay.mult_addr,
            "SHIFT_ADDR": lay.shift_addr,
            "OUT_ADDR": lay.out_addr,
            "OUT_PSTRIDE": lay.out_pstride,
        }
        return values


def value_of(reg: Register, field: str, name: str) -> int:
    """The number of a field's named value (CONFIG.ROUND's SINGLE is 1)."""
    fld = next(f for f in reg.fields if f.name == field)
    return next(v for n, v, _ in fld.values if n == name)


def pack(reg: Register, **fields: int) -> int:
    """Pack named field values into a register word, checking each fits its field."""
    by_name = {f.name: f for f in reg.fields}
    word = 0
    for name, value in fields.items():
        fld = by_name[name]
        if not 0 <= value < (1 << fld.width):
            raise ValueError(f"{reg.name}.{name} = {value} does not fit {fld.width} bits")
        word |= value << fld.lsb
    return word
