"""The register map is defined once: generated header and Verilog include are current and agree."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tandem.accel.regmap import (
    ERROR_CODES,
    REG_BY_NAME,
    REGISTERS,
    RESET_VALUES,
    render_c_header,
    render_markdown,
    render_verilog_include,
)
from tandem.cosim.rtl import RTL_DIR, RTL_INCLUDE_DIR


def test_generated_files_are_current() -> None:
    for name, render in (("tandem_accel_regs.h", render_c_header),
                         ("tandem_accel_regs.vh", render_verilog_include),
                         ("regmap.md", render_markdown)):
        path = RTL_INCLUDE_DIR / name
        assert path.read_text() == render(), (
            f"{path} is stale: python -m tandem.accel.regmap --c-header {RTL_INCLUDE_DIR}/"
            f"tandem_accel_regs.h --verilog {RTL_INCLUDE_DIR}/tandem_accel_regs.vh "
            f"--markdown {RTL_INCLUDE_DIR}/regmap.md")


def test_header_and_verilog_agree_with_the_data() -> None:
    header = render_c_header()
    vh = render_verilog_include()
    for reg in REGISTERS:
        m = re.search(rf"#define TANDEM_ACCEL_{reg.name}_OFFSET 0x([0-9A-F]+)u", header)
        assert m and int(m.group(1), 16) == 4 * reg.index
        m = re.search(rf"localparam \[\d+:0\] REG_{reg.name} = \d+'d(\d+);", vh)
        assert m and int(m.group(1)) == reg.index
    for name, code, _ in ERROR_CODES:
        assert f"#define TANDEM_ACCEL_ERR_{name} {code}u" in header
        assert f"localparam [7:0] ERR_{name} = 8'd{code};" in vh


def test_rtl_decodes_every_register_by_its_generated_name() -> None:
    """Every register is decoded in the RTL through its REG_ name, and no raw indices are used."""
    src = (RTL_DIR / "tandem_conv_accel.v").read_text()
    for reg in REGISTERS:
        if reg.access == "WO":
            assert f"REG_{reg.name})" in src or f"== REG_{reg.name}" in src, reg.name
        else:
            assert re.search(rf"REG_{reg.name}:\s+reg_rdata", src), reg.name
    assert not re.search(r"reg_addr == 5'd", src)


def test_c_header_compiles_for_the_target_with_the_right_values(tmp_path: Path) -> None:
    """arm-none-eabi-gcc checks every offset, field mask and error code with static asserts."""
    compiler = shutil.which("arm-none-eabi-gcc")
    assert compiler is not None, "arm-none-eabi-gcc is needed to check the firmware header"
    checks = []
    for reg in REGISTERS:
        checks.append(f"_Static_assert(TANDEM_ACCEL_{reg.name}_OFFSET == {4 * reg.index}u, \"{reg.name}\");")
        if reg.access == "RW":
            checks.append(f"_Static_assert(TANDEM_ACCEL_{reg.name}_RESET == {reg.reset}u, \"{reg.name}\");")
        for fld in reg.fields:
            base = f"TANDEM_ACCEL_{reg.name}_{fld.name}"
            checks.append(f"_Static_assert({base}_SHIFT == {fld.lsb}u && {base}_MASK == {fld.mask}u, \"{base}\");")
            for vname, value, _ in fld.values:
                checks.append(f"_Static_assert({base}_{vname} == {value}u, \"{base}_{vname}\");")
    for name, code, _ in ERROR_CODES:
        checks.append(f"_Static_assert(TANDEM_ACCEL_ERR_{name} == {code}u, \"{name}\");")
    src = tmp_path / "check.c"
    src.write_text('#include "tandem_accel_regs.h"\n' + "\n".join(checks) + "\n")
    proc = subprocess.run(
        [compiler, "-mcpu=cortex-m4", "-mthumb", "-std=c11", "-Wall", "-Wextra", "-Werror",
         "-fsyntax-only", f"-I{RTL_INCLUDE_DIR}", str(src)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_reset_values_and_mode_values_reach_header_and_verilog() -> None:
    """Reset values and CONFIG.MODE's named values come from the one map (issue 13 item 4)."""
    assert dict(RESET_VALUES) == {"DILATION": 0x0101, "ACT_MIN": 0xFFFFFF80, "ACT_MAX": 127}
    header = render_c_header()
    vh = render_verilog_include()
    for reg in REGISTERS:
        if reg.access == "RW":
            assert f"#define TANDEM_ACCEL_{reg.name}_RESET 0x{reg.reset:08X}u" in header
            assert f"localparam [31:0] {reg.name}_RESET = 32'h{reg.reset:08X};" in vh
        else:
            assert f"TANDEM_ACCEL_{reg.name}_RESET" not in header
    mode = REG_BY_NAME["CONFIG"].fields[0]
    assert (mode.name, mode.lsb, mode.width) == ("MODE", 0, 2)
    assert dict((n, v) for n, v, _ in mode.values) == {"CONV": 0, "DEPTHWISE": 1}
    assert "localparam [1:0] CONFIG_MODE_DEPTHWISE = 2'd1;" in vh
    assert "#define TANDEM_ACCEL_CONFIG_MODE_DEPTHWISE 1u" in header


def test_rtl_resets_from_the_generated_values() -> None:
    """The engine's reset branch takes the generated *_RESET values, not literals of its own."""
    src = (RTL_DIR / "tandem_conv_accel.v").read_text()
    for name in RESET_VALUES:
        assert f"{name}_RESET" in src, name
