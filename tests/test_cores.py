"""Cortex-M0, M0+, M7 and M33: each runs firmware, is timed by its TRM table, executes only its
own instruction set, and has its architecture's exception model, NVIC and DWT."""
from __future__ import annotations

from pathlib import Path

import pytest
from timing_asm import FLASH, assemble

from tandem.errors import FirmwareFault, PlatformError
from tandem.machine.board import Board
from tandem.timing import MemoryTiming, core_timing

NEW_BOARDS = ["generic_m0", "generic_m0plus", "generic_m7", "generic_m33"]
ZERO = [MemoryTiming("flash", FLASH, 0x10000)]
GCC_CPU = {"cortex-m0": "cortex-m0", "cortex-m0+": "cortex-m0plus", "cortex-m7": "cortex-m7",
           "cortex-m33": "cortex-m33", "cortex-m4": "cortex-m4"}


def _costs(src: str, tmp: Path, core: str, multiplier: int | None = None) -> tuple[tuple[int, ...], int]:
    """Per-instruction costs and taken_extra of the block ``src`` on ``core``."""
    prog = assemble("_start:\n" + src + "\n", tmp, cpu=GCC_CPU[core])
    code = prog.code
    timing = core_timing(core, ZERO, multiplier=multiplier)
    cost = timing.block_cost(lambda a, n: code[a - FLASH: a - FLASH + n], FLASH, len(code))
    return cost.insn_costs, cost.taken_extra


@pytest.mark.parametrize("board", NEW_BOARDS)
def test_semihosting_hello_on_each_core(run_program, board):
    b, result = run_program(board, "tests/hello.c")
    assert result.exit_code == 0
    assert b.console.out.decode().startswith("Hello from tandem!\n")


# Table 3-1 of the Cortex-M0 (DDI0432C) and Cortex-M0+ (DDI0484C) TRMs.
TRM_CASES = [
    # ALU 1 each; LDR/STR 2 and loads never pipeline (no M3-style LDR pairing)
    ("cortex-m0", "adds r0, #1\nldr r1, [r0]\nldr r2, [r0, #4]\nstr r1, [r0]", (1, 2, 2, 2), 0),
    ("cortex-m0+", "adds r0, #1\nldr r1, [r0]\nldr r2, [r0, #4]\nstr r1, [r0]", (1, 2, 2, 2), 0),
    # B 3 on the M0 (a 3-stage pipeline refills two stages), 2 on the M0+
    ("cortex-m0", "b .", (3,), 0),
    ("cortex-m0+", "b .", (2,), 0),
    # B<cond>: 1 not taken, 3 (M0) / 2 (M0+) taken
    ("cortex-m0", "cmp r0, #1\nbeq .", (1, 1), 2),
    ("cortex-m0+", "cmp r0, #1\nbeq .", (1, 1), 1),
    # BL 4 / 3, BX and BLX 3 / 2
    ("cortex-m0", "bl .", (4,), 0),
    ("cortex-m0+", "bl .", (3,), 0),
    ("cortex-m0", "bx r3", (3,), 0),
    ("cortex-m0+", "blx r3", (2,), 0),
    # PUSH 1 + N; POP {r4, pc} 4 + N (M0) and 3 + N (M0+) with N = 1
    ("cortex-m0", "push {r4, r5, lr}", (4,), 0),
    ("cortex-m0", "pop {r4, pc}", (5,), 0),
    ("cortex-m0+", "pop {r4, pc}", (4,), 0),
    # MRS/MSR 4 / 3, DMB/DSB/ISB 4 / 3
    ("cortex-m0", "mrs r0, primask\nmsr primask, r0\ndsb\nisb", (4, 4, 4, 4), 0),
    ("cortex-m0+", "mrs r0, primask\nmsr primask, r0\ndmb\nisb", (3, 3, 3, 3), 0),
    # MULS 1 with the fast multiplier (the default)
    ("cortex-m0", "muls r0, r1, r0", (1,), 0),
    # Cortex-M7 (approximation): adjacent independent single-cycle ALU instructions pair; a
    # dependent one does not; a pair is two instructions, not three.
    ("cortex-m7", "adds r0, #1\nadds r1, #1\nadds r2, #1", (1, 0, 1), 0),
    ("cortex-m7", "adds r0, #1\nadds r0, #1", (1, 1), 0),
    # Cortex-M33: the M4's figures (single-cycle DSP multiply-accumulate, B 1 + P with P = 1)
    ("cortex-m33", "smlad r0, r1, r2, r3\nb .", (1, 2), 0),
]


@pytest.mark.parametrize(("core", "src", "costs", "taken"), TRM_CASES)
def test_trm_instruction_timings(tmp_path, core, src, costs, taken):
    assert _costs(src, tmp_path, core) == (costs, taken)


def test_small_multiplier_takes_32_cycles(tmp_path):
    assert _costs("muls r0, r1, r0", tmp_path, "cortex-m0", multiplier=32) == ((32,), 0)
    assert _costs("muls r0, r1, r0", tmp_path, "cortex-m0+", multiplier=32) == ((32,), 0)


def _loop_cycles(build, cfg, board: str, loops: int, overlays: list[Path] | None = None,
                 muls: bool = False) -> int:
    flags = (f"-DLOOPS={loops}",) + (("-DMULS_BODY",) if muls else ())
    b = Board.from_platform(board, cfg, overlays)
    b.load_elf(build(board, "tests/cores_loop.S", extra_cflags=flags))
    result = b.run()
    assert result.exit_code == 0
    return result.cycles


# One taken iteration of cores_loop.S: three ADDS (1 each) + SUBS (1) + taken BNE:
#   M0  3 + 1 + 3 = 7 (taken branch 3, DDI0432C table 3-1)
#   M0+ 3 + 1 + 2 = 6 (taken branch 2, DDI0484C table 3-1)
#   M33 3 + 1 + 2 = 6 (1 + P with P = 1, the M4's figure)
#   M7  1 + 0 + 1 + 0 + 2 = 4 (ADDS pairs with the next ADDS, the third with SUBS)
@pytest.mark.parametrize(("board", "per_iteration"),
                         [("generic_m0", 7), ("generic_m0plus", 6), ("generic_m33", 6), ("generic_m7", 4)])
def test_loop_cycles_per_core(build, cfg, board, per_iteration):
    assert _loop_cycles(build, cfg, board, 200) - _loop_cycles(build, cfg, board, 100) == 100 * per_iteration


def test_muls_small_multiplier_on_a_board(build, cfg, tmp_path):
    """`multiplier: 32` on the CPU entry: MULS + SUBS + BNE = 32 + 1 + 3 against 1 + 1 + 3."""
    overlay = tmp_path / "small_mul.repl"
    overlay.write_text("cpu:\n    multiplier: 32\n")
    fast = (_loop_cycles(build, cfg, "generic_m0", 200, muls=True)
            - _loop_cycles(build, cfg, "generic_m0", 100, muls=True))
    small = (_loop_cycles(build, cfg, "generic_m0", 200, [overlay], muls=True)
             - _loop_cycles(build, cfg, "generic_m0", 100, [overlay], muls=True))
    assert (fast, small) == (100 * 5, 100 * 36)


def test_multiplier_only_on_armv6m(cfg, tmp_path):
    overlay = tmp_path / "mul.repl"
    overlay.write_text("cpu:\n    multiplier: 32\n")
    with pytest.raises(PlatformError, match="multiplier is 1 or 32"):
        Board.from_platform("generic_m33", cfg, [overlay])


def _isa_run(build, cfg, build_board: str, run_board: str, insn: str, vector: bool = False):
    b = Board.from_platform(run_board, cfg)
    b.load_elf(build(build_board, "tests/cores_isa.S", extra_cflags=(f"-DISA_{insn}",)))
    return b, b.run(vector_faults=vector)


def test_smlad_on_m3_is_undefinstr(build, cfg):
    """Unicorn's M3 model runs SMLAD (measured: r3 = 2*3 + 0 + r0); the Cortex-M3 has no DSP."""
    with pytest.raises(FirmwareFault) as err:
        _isa_run(build, cfg, "generic_m3", "generic_m3", "DSP")
    assert err.value.summary.startswith("UsageFault: UNDEFINSTR: 'smlad r3, r1, r2, r0' is an ARMv7E-M DSP")
    assert "<isa_insn>" in err.value.summary
    _, ok = _isa_run(build, cfg, "generic_m4", "generic_m4", "DSP")  # the M4 has it
    assert ok.exit_code == 0
    b, taken = _isa_run(build, cfg, "generic_m3", "generic_m3", "DSP", vector=True)
    assert taken.exit_code == 6  # UsageFault handler (enabled in SHCSR)
    assert b.nvic is not None and b.nvic.regs[0xD28] & (1 << 16)  # CFSR.UNDEFINSTR


def test_thumb2_on_m0_is_hardfault(build, cfg):
    with pytest.raises(FirmwareFault) as err:
        _isa_run(build, cfg, "generic_m0", "generic_m0", "WIDE")
    assert err.value.summary.startswith(
        "HardFault: UNDEFINSTR: 'add.w r0, r1, r2' is not an ARMv6-M instruction")
    assert "ARMv6-M has no UsageFault" in err.value.summary
    _, taken = _isa_run(build, cfg, "generic_m0plus", "generic_m0plus", "WIDE", vector=True)
    assert taken.exit_code == 3  # HardFault, although main enabled the UsageFault handler
    _, ok = _isa_run(build, cfg, "generic_m3", "generic_m3", "WIDE")
    assert ok.exit_code == 0


def test_vadd_on_m33_without_fpu_is_nocp(build, cfg):
    with pytest.raises(FirmwareFault) as err:
        _isa_run(build, cfg, "generic_m33", "generic_m33", "FP")
    assert err.value.summary.startswith("UsageFault: NOCP: floating-point instruction on a core without an FPU")
    _, ok = _isa_run(build, cfg, "generic_m7", "generic_m7", "FP")  # the M7's FPU, enabled by startup
    assert ok.exit_code == 0


def test_plain_instruction_runs_on_every_core(build, cfg):
    for board in ["generic_m0", "generic_m3", *NEW_BOARDS[1:]]:
        _, ok = _isa_run(build, cfg, board, board, "NONE")
        assert ok.exit_code == 0, board


def test_systick_interrupts_on_m0(run_program):
    b, result = run_program("generic_m0", "tests/systick.c")
    out = b.console.out.decode()
    assert "ticks 10\n" in out
    assert "span 0\n" in out  # hal_cycles() reads DWT CYCCNT, which ARMv6-M does not have


def test_armv6m_system_registers(cfg):
    m0 = Board.from_platform("generic_m0", cfg)
    m0p = Board.from_platform("generic_m0plus", cfg)
    assert m0.nvic is not None and m0p.nvic is not None and m0.dwt is not None
    nvic = m0.nvic
    assert nvic.read(0xD00, 4) == 0x410CC200  # CPUID: Cortex-M0 r0p0
    assert m0p.nvic.read(0xD00, 4) == 0x410CC601  # Cortex-M0+ r0p1
    assert nvic.read(0x004, 4) == 0  # no ICTR on ARMv6-M
    nvic.write(0x400, 4, 0xFFFFFFFF)  # IPR0: two priority bits per byte
    assert nvic.read(0x400, 4) == 0xC0C0C0C0
    nvic.write(0xD08, 4, 0x1000)  # VTOR: absent on the M0, present on the M0+
    m0p.nvic.write(0xD08, 4, 0x1000)
    assert (nvic.read(0xD08, 4), m0p.nvic.read(0xD08, 4)) == (0, 0x1000)
    dwt = m0.dwt
    assert dwt.read(0x0, 4) >> 24 & 0xF == 0xF  # NOCYCCNT, NOPRFCNT, NOEXTTRIG, NOTRCPKT
    dwt.write(0x0, 4, 1)
    dwt.write(0x4, 4, 1234)
    assert (dwt.read(0x0, 4) & 1, dwt.read(0x4, 4)) == (0, 0)


@pytest.mark.parametrize(("board", "cpuid"), [("generic_m7", 0x411FC272), ("generic_m33", 0x410FD213)])
def test_cpuid_per_core(cfg, board, cpuid):
    b = Board.from_platform(board, cfg)
    assert b.nvic is not None and b.nvic.read(0xD00, 4) == cpuid


def test_m33_exception_return_uses_the_v8m_layout(run_program):
    """SVC and PendSV handlers return through the ARMv8-M EXC_RETURN (0xFFFFFFB9 form) that
    entry put in LR; a v7-M value (0xFFFFFFF9) would be an illegal return on the part."""
    b, result = run_program("generic_m33", "tests/svc.c")
    assert result.exit_code == 0 and "svc 3 pendsv 30 r4 cafe" in b.console.out.decode()


def _svc_cycles(build, cfg, board: str, loops: int) -> int:
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/cores_svc.S", extra_cflags=(f"-DLOOPS={loops}",)))
    result = b.run()
    assert result.exit_code == 0
    return result.cycles


# One iteration of cores_svc.S: SVC 1 + entry + BX LR + return + SUBS 1 + taken BNE
#   M0  1 + 16 + 3 + 16 + 1 + 3 = 40 (latency 16, DDI0432C; return taken as 16)
#   M0+ 1 + 15 + 2 + 15 + 1 + 2 = 36 (latency 15, DDI0484C; return taken as 15)
#   M33 1 + 12 + 2 + 10 + 1 + 2 = 28 (latency 12, TRM 100230; return 10 as on the M4)
@pytest.mark.parametrize(("board", "per_call"), [("generic_m0", 40), ("generic_m0plus", 36), ("generic_m33", 28)])
def test_exception_entry_and_return_per_core(build, cfg, board, per_call):
    assert _svc_cycles(build, cfg, board, 200) - _svc_cycles(build, cfg, board, 100) == 100 * per_call


def test_m33_stack_limit_is_stkof(build, cfg):
    b = Board.from_platform("generic_m33", cfg)
    b.load_elf(build("generic_m33", "tests/cores_stkof.S"))
    with pytest.raises(FirmwareFault) as err:
        b.run()
    assert err.value.summary.startswith("UsageFault: STKOF: stack pointer below its limit (MSPLIM/PSPLIM) at 0x")
    assert "<main+0xa>" in err.value.summary  # the second PUSH (MOV, SUBS 2 bytes, MSR 4, PUSH 2)


class _Timing:
    def __init__(self, arch: str) -> None:
        from tandem.timing.tables import CoreTable
        self.table = CoreTable(name="test", arch=arch)

    def block_cost(self, uc: object, addr: int, size: int) -> int:
        return size


@pytest.mark.parametrize(("arch", "src", "bad"), [
    ("v7m", "it eq\nsmladeq r0, r1, r2, r3\nnop", 2),  # a DSP instruction inside an IT block
    ("v7m", "qadd8 r0, r1, r2", 0),
    ("v7em", "qadd8 r0, r1, r2", None),
    ("v6m", "movs r0, #1\ncbz r0, 1f\nnop\nnop\n1:\nnop", 2),  # CBZ is not ARMv6-M
    ("v6m", "movs r0, #1\nbl 1f\n1:\ndsb\nmrs r0, primask", None),
    ("v8m", "vadd.f32 s0, s1, s2", 0),  # no FPU
])
def test_isa_guard_rules(tmp_path, arch, src, bad):
    from tandem.core.isa_guard import IsaGuard
    prog = assemble("_start:\n" + src + "\n", tmp_path, cpu="cortex-m4", fpu=True)
    stops: list[int] = []

    class _Uc:
        def mem_read(self, addr: int, n: int) -> bytes:
            return prog.code[addr - FLASH: addr - FLASH + n]

    guard = IsaGuard(_Timing(arch), False, lambda: False, lambda: stops.append(1))
    guard.block_cost(_Uc(), FLASH, len(prog.code))
    assert guard.violation == (None if bad is None else FLASH + bad)
    assert len(stops) == (0 if bad is None else 1)


def test_every_cpu_type_has_a_model_a_table_flags_and_a_cpuid():
    from tandem.core.cpu import CortexM
    from tandem.firmware.build import CPU_FLAGS
    from tandem.peripherals.nvic import CPUIDS
    from tandem.platform.model import CORES, DEFAULT_CPU_HZ
    from tandem.timing.tables import TABLES

    for cpu_type, (core, fpu) in CORES.items():
        assert CortexM(core).core == core
        table = core_timing(cpu_type, ZERO).table
        assert (table.fpu is not None) == fpu, cpu_type
        assert ("-mfloat-abi=hard" in CPU_FLAGS[cpu_type]) == fpu, cpu_type
        assert core in CPUIDS and cpu_type in DEFAULT_CPU_HZ and cpu_type in TABLES
        assert (table.arch == "v6m") == (core in ("cortex-m0", "cortex-m0+")), cpu_type


def test_armv6m_has_no_basepri_or_faultmask(cfg):
    """ARMv6-M's execution priority sees PRIMASK only (DDI0419 B1.4.3): whatever the emulator's
    BASEPRI/FAULTMASK hold, the exception model reads them as clear."""
    b = Board.from_platform("generic_m0", cfg)
    b.cpu.set_reg("primask", 1)
    b.cpu.set_reg("basepri", 0x80)
    b.cpu.set_reg("faultmask", 1)
    assert b.exceptions.masks() == (True, 0, False)
    m3 = Board.from_platform("generic_m3", cfg)
    m3.cpu.set_reg("basepri", 0x80)
    assert m3.exceptions.masks() == (False, 0x80, False)
