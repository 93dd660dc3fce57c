"""The accelerator's register map, in one place, and the generators derived from it.

The register map is data (:data:`REGISTERS`, :data:`ERROR_CODES`, :data:`STATUS_BITS`); from it
this module renders the firmware C header (``tandem_accel_regs.h``) and the Verilog include
(``tandem_accel_regs.vh``) that the RTL uses for its decoder, so the three cannot drift apart.
Registers are 32 bits wide and word-addressed: register ``index`` sits at byte offset
``4 * index`` from the accelerator's base address. Each register carries its reset value and a
field may name its values (CONFIG.MODE: CONV, DEPTHWISE; CONFIG.ROUND: DOUBLE, SINGLE); both
reach the header and the RTL.

Run ``python -m tandem.accel.regmap --c-header F --verilog F`` to regenerate the files.
"""
from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

ACCEL_ID = 0x54414343  # "TACC"
ACCEL_VERSION = 0x00010002  # major 1, minor 2 (minor 1: CONFIG.MODE, depthwise; 2: CONFIG.ROUND)


@dataclass(frozen=True)
class Field:
    """A bit field inside a register."""

    name: str
    lsb: int
    width: int
    doc: str
    signed: bool = False
    values: tuple[tuple[str, int, str], ...] = ()  # named values: (name, value, doc)

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """One 32-bit register; ``access`` is RO, RW or WO."""

    name: str
    index: int
    access: str
    doc: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    reset: int = 0

    @property
    def offset(self) -> int:
        return 4 * self.index


def _f(name: str, lsb: int, width: int, doc: str, signed: bool = False,
       values: tuple[tuple[str, int, str], ...] = ()) -> Field:
    return Field(name, lsb, width, doc, signed, values)


REGISTERS: tuple[Register, ...] = (
    Register("ID", 0, "RO", f"Identification, reads 0x{ACCEL_ID:08X} ('TACC')."),
    Register("VERSION", 1, "RO", "Version: major in [31:16], minor in [15:0]."),
    Register("CAPS", 2, "RO", "MAC array and channel capacity.", (
        _f("ROWS", 0, 8, "Output channels computed in parallel (PO)."),
        _f("COLS", 8, 8, "Input channels reduced in parallel (PI)."),
        _f("MAX_OC", 16, 16, "Most output channels one run can hold."),
    )),
    Register("CAPS_IBUF", 3, "RO", "Input buffer capacity in words of COLS bytes "
             "(one word per pixel and group of COLS input channels)."),
    Register("CAPS_WBUF", 4, "RO", "Filter buffer capacity in words of ROWS*COLS bytes "
             "(one word per group of ROWS output channels, tap and group of COLS input channels)."),
    Register("CAPS_OBUF", 5, "RO", "Output buffer capacity in words of ROWS bytes "
             "(one word per output pixel and group of ROWS output channels)."),
    Register("CTRL", 6, "WO", "Control.", (
        _f("START", 0, 1, "Write 1 to start a run with the current configuration (ignored while busy)."),
    )),
    Register("STATUS", 7, "RO", "Status; START clears DONE and ERROR.", (
        _f("BUSY", 0, 1, "A run is in progress."),
        _f("DONE", 1, 1, "The last run finished and wrote its output."),
        _f("ERROR", 2, 1, "The last run was refused or aborted; see ERR_CODE."),
        _f("ERR_CODE", 8, 8, "Error code (ERR_* constants)."),
    )),
    Register("IN_HW", 8, "RW", "Input height and width.", (
        _f("H", 0, 16, "Input height."), _f("W", 16, 16, "Input width."),
    )),
    Register("IN_C", 9, "RW", "Input channels.", (_f("C", 0, 16, "Input channels."),)),
    Register("OUT_HW", 10, "RW", "Output height and width.", (
        _f("H", 0, 16, "Output height."), _f("W", 16, 16, "Output width."),
    )),
    Register("OUT_C", 11, "RW", "Output channels.", (_f("C", 0, 16, "Output channels."),)),
    Register("KERNEL", 12, "RW", "Kernel size and strides.", (
        _f("KH", 0, 8, "Kernel height."), _f("KW", 8, 8, "Kernel width."),
        _f("SH", 16, 8, "Stride in height."), _f("SW", 24, 8, "Stride in width."),
    )),
    Register("DILATION", 13, "RW", "Dilation factors.", (
        _f("DH", 0, 8, "Dilation in height."), _f("DW", 8, 8, "Dilation in width."),
    ), reset=0x0101),
    Register("PAD", 14, "RW", "Implicit zero padding (contributes nothing after the input offset).", (
        _f("TOP", 0, 8, "Rows above."), _f("BOTTOM", 8, 8, "Rows below."),
        _f("LEFT", 16, 8, "Columns left."), _f("RIGHT", 24, 8, "Columns right."),
    )),
    Register("IN_OFFSET", 15, "RW", "Input offset = -input_zero_point, int32 in -128..128."),
    Register("OUT_OFFSET", 16, "RW", "Output zero point, int32 in -128..127."),
    Register("ACT_MIN", 17, "RW", "Activation clamp minimum, int32 in -128..127.", reset=0xFFFFFF80),
    Register("ACT_MAX", 18, "RW", "Activation clamp maximum, int32 in ACT_MIN..127.", reset=127),
    Register("IN_ADDR", 19, "RW", "Byte address of the NHWC int8 input (any alignment)."),
    Register("FILTER_ADDR", 20, "RW", "Byte address of the OHWI int8 filter (any alignment)."),
    Register("BIAS_ADDR", 21, "RW", "Byte address of the int32 bias array, one per output channel (4-aligned)."),
    Register("MULT_ADDR", 22, "RW", "Byte address of the int32 Q31 multiplier array (4-aligned)."),
    Register("SHIFT_ADDR", 23, "RW", "Byte address of the int32 shift array, each in -31..30 (4-aligned)."),
    Register("OUT_ADDR", 24, "RW", "Byte address of the NHWC int8 output (any alignment)."),
    Register("OUT_PSTRIDE", 25, "RW", "Bytes between consecutive output pixels (>= OUT_C; OUT_C when dense)."),
    Register("CYCLES", 26, "RO", "Clock cycles from START to DONE/ERROR of the current or last run."),
    Register("COMPUTE_CYCLES", 27, "RO", "Cycles spent in the compute phase (data on chip)."),
    Register("MAC_CYCLES", 28, "RO", "Compute cycles in which the MAC array was issued a step."),
    Register("LOAD_CYCLES", 29, "RO", "Cycles spent loading input, filter and per-channel arrays."),
    Register("STORE_CYCLES", 30, "RO", "Cycles spent writing the output back."),
    Register("CONFIG", 31, "RW", "Job kind and requantization rounding.", (
        _f("MODE", 0, 2, "What one START computes.", values=(
            ("CONV", 0, "CONV_2D: OHWI filter (FULLY_CONNECTED as a 1x1 conv)."),
            ("DEPTHWISE", 1, "DEPTHWISE_CONV_2D: 1HWO filter, OUT_C = IN_C * depth multiplier."),
        )),
        _f("ROUND", 2, 1, "How acc + bias is scaled by the multiplier and shift.", values=(
            ("DOUBLE", 0, "TFLite conv's MultiplyByQuantizedMultiplier: "
             "SaturatingRoundingDoublingHighMul then RoundingDivideByPOT."),
            ("SINGLE", 1, "TFLite's reference FULLY_CONNECTED single rounding: "
             "int32((x * mult + 2^(30 - shift)) >> (31 - shift)), 64-bit product."),
        )),
    )),
)

# Error codes in STATUS.ERR_CODE; 0 means no error.
ERROR_CODES: tuple[tuple[str, int, str], ...] = (
    ("NONE", 0, "No error."),
    ("ZERO_SIZE", 1, "A size, stride or dilation is zero."),
    ("BAD_PARAM", 2, "An offset or activation bound is out of range, or ACT_MIN > ACT_MAX."),
    ("UNALIGNED", 3, "BIAS_ADDR, MULT_ADDR or SHIFT_ADDR is not 4-byte aligned."),
    ("KERNEL_TOO_BIG", 4, "The dilated kernel is larger than the padded input."),
    ("BAD_OUT_SHAPE", 5, "OUT_HW does not follow from input, padding, kernel and stride, "
     "or OUT_PSTRIDE < OUT_C."),
    ("CAPACITY", 6, "The layer does not fit the on-chip buffers (see CAPS*); split it."),
    ("BAD_SHIFT", 7, "A per-channel shift is outside -31..30 (found while loading)."),
    ("BAD_MODE", 8, "CONFIG.MODE is not a known mode, or DEPTHWISE on an engine with ROWS > COLS."),
    ("BAD_DEPTH", 9, "DEPTHWISE: OUT_C is not a multiple of IN_C."),
    ("BUS_ERROR", 10, "A memory-port access got an error response (AXI SLVERR or DECERR)."),
)

REG_BY_NAME: Mapping[str, Register] = MappingProxyType({r.name: r for r in REGISTERS})
ERR_BY_NAME: Mapping[str, int] = MappingProxyType({name: code for name, code, _ in ERROR_CODES})
RESET_VALUES: Mapping[str, int] = MappingProxyType({r.name: r.reset for r in REGISTERS if r.reset})


def _check() -> None:
    indices = [r.index for r in REGISTERS]
    if len(set(indices)) != len(indices):
        raise ValueError("duplicate register index in the accelerator register map")
    for reg in REGISTERS:
        used = 0
        for fld in reg.fields:
            if fld.lsb + fld.width > 32 or used & fld.mask:
                raise ValueError(f"register {reg.name}: field {fld.name} overlaps or exceeds 32 bits")
            used |= fld.mask
            for vname, value, _ in fld.values:
                if not 0 <= value < (1 << fld.width):
                    raise ValueError(f"register {reg.name}: {fld.name} value {vname} does not fit the field")
        if reg.reset & ~0xFFFFFFFF or (reg.access != "RW" and reg.reset):
            raise ValueError(f"register {reg.name}: reset value must be 32 bits, on an RW register")


def address_bits() -> int:
    """Width of the word index the RTL decodes."""
    top = max(r.index for r in REGISTERS)
    return max(1, top.bit_length())


def render_c_header() -> str:
    """The firmware header: byte offsets, field shifts/masks and error codes."""
    _check()
    out = [
        "/* tandem_accel_regs.h: convolution accelerator register map.",
        " * Generated by sim/accel/regmap.py; do not edit. */",
        "#ifndef TANDEM_ACCEL_REGS_H",
        "#define TANDEM_ACCEL_REGS_H",
        "",
        f"#define TANDEM_ACCEL_ID 0x{ACCEL_ID:08X}u",
        f"#define TANDEM_ACCEL_VERSION 0x{ACCEL_VERSION:08X}u",
        "",
    ]
    for reg in REGISTERS:
        out.append(f"/* {reg.name} ({reg.access}): {reg.doc} */")
        out.append(f"#define TANDEM_ACCEL_{reg.name}_OFFSET 0x{reg.offset:02X}u")
        if reg.access == "RW":
            out.append(f"#define TANDEM_ACCEL_{reg.name}_RESET 0x{reg.reset:08X}u")
        for fld in reg.fields:
            base = f"TANDEM_ACCEL_{reg.name}_{fld.name}"
            out.append(f"#define {base}_SHIFT {fld.lsb}u  /* {fld.doc} */")
            out.append(f"#define {base}_MASK 0x{fld.mask:08X}u")
            for vname, value, vdoc in fld.values:
                out.append(f"#define {base}_{vname} {value}u  /* {vdoc} */")
        out.append("")
    for name, code, doc in ERROR_CODES:
        out.append(f"#define TANDEM_ACCEL_ERR_{name} {code}u  /* {doc} */")
    out += ["", "#endif /* TANDEM_ACCEL_REGS_H */", ""]
    return "\n".join(out)


def render_verilog_include() -> str:
    """Verilog localparams (word indices, field positions, error codes) for the RTL decoder."""
    _check()
    abits = address_bits()
    out = [
        "// tandem_accel_regs.vh: convolution accelerator register map.",
        "// Generated by sim/accel/regmap.py; do not edit.",
        "// Not every field position is used by the decoder; the rest document the map.",
        "/* verilator lint_off UNUSEDPARAM */",
        f"localparam [31:0] ACCEL_ID = 32'h{ACCEL_ID:08X};",
        f"localparam [31:0] ACCEL_VERSION = 32'h{ACCEL_VERSION:08X};",
        f"localparam integer REG_ABITS = {abits};",
    ]
    for reg in REGISTERS:
        out.append(f"localparam [{abits - 1}:0] REG_{reg.name} = {abits}'d{reg.index};  // {reg.access}")
        if reg.access == "RW":
            out.append(f"localparam [31:0] {reg.name}_RESET = 32'h{reg.reset:08X};")
        for fld in reg.fields:
            out.append(f"localparam integer {reg.name}_{fld.name}_LSB = {fld.lsb};")
            out.append(f"localparam integer {reg.name}_{fld.name}_W = {fld.width};")
            for vname, value, _ in fld.values:
                out.append(f"localparam [{fld.width - 1}:0] {reg.name}_{fld.name}_{vname} = "
                           f"{fld.width}'d{value};")
    for name, code, _ in ERROR_CODES:
        out.append(f"localparam [7:0] ERR_{name} = 8'd{code};")
    out.append("/* verilator lint_on UNUSEDPARAM */")
    out.append("")
    return "\n".join(out)


def render_markdown() -> str:
    """A table of the register map for documentation and reports."""
    _check()
    lines = ["| offset | name | access | reset | description |", "|---|---|---|---|---|"]
    for reg in REGISTERS:
        desc = reg.doc
        if reg.fields:
            desc += " " + "; ".join(
                f"[{f.lsb + f.width - 1}:{f.lsb}] {f.name}"
                + (" (" + ", ".join(f"{v}={n}" for n, v, _ in f.values) + ")" if f.values else "")
                for f in reg.fields
            )
        reset = f"0x{reg.reset:08X}" if reg.access == "RW" else "-"
        lines.append(f"| 0x{reg.offset:02X} | {reg.name} | {reg.access} | {reset} | {desc} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c-header", type=Path, help="write the firmware C header here")
    parser.add_argument("--verilog", type=Path, help="write the Verilog include here")
    parser.add_argument("--markdown", type=Path, help="write a Markdown table here")
    args = parser.parse_args(argv)
    for path, text in (
        (args.c_header, render_c_header),
        (args.verilog, render_verilog_include),
        (args.markdown, render_markdown),
    ):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
