"""Test helper: assemble a Thumb-2 snippet with arm-none-eabi-gcc and run it on raw Unicorn.

Fails (never skips) if the toolchain is missing, as the project's test rules require.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FLASH = 0x0800_0000
RAM = 0x2000_0000
RAM_SIZE = 0x20000
MMIO = 0x4000_0000


@dataclass(frozen=True)
class Program:
    code: bytes
    symbols: dict[str, int]
    base: int

    def sym(self, name: str) -> int:
        return self.symbols[name]


def assemble(source: str, tmp: Path, cpu: str = "cortex-m4", base: int = FLASH,
             fpu: bool = False) -> Program:
    gcc = shutil.which("arm-none-eabi-gcc")
    assert gcc is not None, "arm-none-eabi-gcc is required (apt-get install gcc-arm-none-eabi)"
    src = tmp / "prog.S"
    elf = tmp / "prog.elf"
    binf = tmp / "prog.bin"
    src.write_text(".syntax unified\n.thumb\n.text\n.global _start\n" + source + "\n")
    flags = [f"-mcpu={cpu}", "-mthumb"]
    if fpu:
        flags += ["-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]
    subprocess.run(
        [gcc, *flags, "-nostdlib", "-nostartfiles", f"-Wl,-Ttext=0x{base:08x}",
         "-Wl,--entry=_start", "-o", str(elf), str(src)],
        check=True, capture_output=True, text=True,
    )
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(elf), str(binf)],
                   check=True)
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], check=True, capture_output=True,
                        text=True).stdout
    symbols: dict[str, int] = {}
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols[parts[2]] = int(parts[0], 16)
    return Program(binf.read_bytes(), symbols, base)


def make_uc(prog: Program, fpu: bool = False):  # -> unicorn.Uc
    import unicorn
    from unicorn import arm_const

    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(prog.base, 0x10000)
    uc.mem_write(prog.base, prog.code)
    uc.mem_map(RAM, RAM_SIZE)
    uc.reg_write(arm_const.UC_ARM_REG_SP, RAM + RAM_SIZE)
    if fpu:
        # CPACR: full access to CP10/CP11 so VFP instructions do not fault.
        uc.reg_write(arm_const.UC_ARM_REG_C1_C0_2, 0xF << 20)
    return uc
