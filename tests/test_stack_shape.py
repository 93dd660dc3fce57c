"""sim/timing/stack.py: SP effects of single Thumb instructions, assembled with arm-none-eabi-as."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import capstone
import pytest

from tandem.timing.stack import block_shape, is_call, sp_change

CASES = [
    ("push {r4-r7, lr}", -20), ("push.w {r4-r11, lr}", -36), ("pop {r4, pc}", 8),
    ("str r4, [sp, #-4]!", -4), ("str.w r4, [sp, #-8]!", -8), ("strd r4, r5, [sp, #-8]!", -8),
    ("ldr r4, [sp], #4", 4), ("ldr.w r4, [sp], #8", 8),
    ("sub sp, #16", -16), ("sub.w sp, sp, #1024", -1024), ("subw sp, sp, #1000", -1000),
    ("add sp, #16", 16), ("add.w sp, sp, #1024", 1024),
    ("vpush {d8-d9}", -16), ("vpush {s16-s17}", -8), ("vpop {d8}", 8),
    ("stmdb sp!, {r4, r5}", -8), ("ldmia sp!, {r4, r5}", 8), ("vstmdb sp!, {d8-d10}", -24),
    ("sub sp, sp, r3", None), ("mov sp, r7", None),
    ("str r0, [sp, #4]", 0), ("add r7, sp, #0", 0), ("ldr r0, [sp, #8]", 0), ("stmia r0!, {r1, r2}", 0),
]


@pytest.fixture(scope="module")
def decoded(tmp_path_factory) -> list[capstone.CsInsn]:
    asm = shutil.which("arm-none-eabi-as")
    objcopy = shutil.which("arm-none-eabi-objcopy")
    assert asm and objcopy, "arm-none-eabi binutils are required (apt-get install binutils-arm-none-eabi)"
    d: Path = tmp_path_factory.mktemp("asm")
    src = ".syntax unified\n.thumb\n" + "".join(f"{text}\n" for text, _ in CASES) + "bl .\nblx r3\n"
    (d / "t.s").write_text(src)
    subprocess.run([asm, "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-o", str(d / "t.o"), str(d / "t.s")], check=True)
    subprocess.run([objcopy, "-O", "binary", "-j", ".text", str(d / "t.o"), str(d / "t.bin")], check=True)
    cs = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    cs.detail = True
    insns = list(cs.disasm((d / "t.bin").read_bytes(), 0))
    assert len(insns) == len(CASES) + 2
    return insns


def test_sp_change_per_instruction(decoded):
    # decoded ends with two more instructions than CASES (a call each way)
    got = [(text, sp_change(insn)) for (text, _), insn in zip(CASES, decoded, strict=False)]
    assert got == [(text, want) for text, want in CASES]


def test_calls(decoded):
    assert [is_call(i) for i in decoded[-2:]] == [True, True]
    assert not any(is_call(i) for i in decoded[:-2])


def test_block_shape_tracks_the_lowest_point():
    # push 8, sub 16 (low -24), add 16, push 4 (-12): descent 24
    assert block_shape([-8, -16, 16, -4], False).sp_descent == 24
    assert block_shape([8, -4], True).sp_descent == 0 and block_shape([8, -4], True).call
    dyn = block_shape([-8, None, -100], False)
    assert dyn.sp_dynamic and dyn.sp_descent == 8
    assert not block_shape([0, 0], False).sp_dynamic
