"""Faults, lock-ups and runaway programs stop the run with a report, never a hang or traceback."""
from __future__ import annotations

import pytest

from tandem.errors import CycleLimitExceeded, FirmwareFault
from tandem.machine.board import Board


def _run(build, cfg, board, program, **kw):
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, program))
    return b, b.run(**kw)


@pytest.mark.parametrize("board", ["stm32f4_discovery", "mps2_an386"])
def test_unmapped_read_report(build, cfg, board):
    with pytest.raises(FirmwareFault) as err:
        _run(build, cfg, board, "tests/fault.c")
    f = err.value
    assert f.summary.startswith("BusFault: read of 0x70000000 (4 bytes): no memory or peripheral mapped there at 0x")
    assert "<read_nowhere+0x" in f.summary
    assert "  LR   0x" in f.report and "<main+0x" in f.report.split("LR")[1].splitlines()[0]
    assert "r3=0x70000000" in f.report  # the registers, including the faulting pointer
    assert "last blocks (oldest first):" in f.report and "<read_nowhere>" in f.report


@pytest.mark.parametrize("target", [0x40000000, 0xA0000000, 0xE0001000])
def test_a_fetch_from_an_execute_never_region_faults_the_same_with_timed_flash(build, cfg, target):
    """stm32f4_discovery's flash is timed, so its core runs on the counter's virtual TLB
    (timing/dataloads.py), which sends such a fetch to an unmapped alias; mps2_an386's memories
    have no wait states, so Unicorn's own TLB refuses it with a prefetch abort. Either is the
    MemManage fault IACCVIOL the architecture gives (ARMv7-M ARM B3.1.1), on both the same."""
    summaries = []
    for board in ("stm32f4_discovery", "mps2_an386"):
        b = Board.from_platform(board, cfg)
        assert bool(b.counter.mirror_offsets(0, 0xFFFFFFFF)) == (board == "stm32f4_discovery")
        b.load_elf(build(board, "tests/fetch_xn.c", name=f"fetch_xn_{target:x}",
                         extra_cflags=(f"-DTARGET=0x{target:08x}u",)))
        with pytest.raises(FirmwareFault) as err:
            b.run(max_cycles=1_000_000)
        summaries.append(err.value.summary)
    assert summaries[0] == summaries[1] == (
        f"MemManage: IACCVIOL: instruction fetch from an execute-never region at 0x{target:08x}")


@pytest.mark.parametrize("board", ["stm32f4_discovery", "mps2_an386"])
def test_an_execute_never_fetch_taken_by_the_firmware_is_iaccviol(build, cfg, board):
    """With vector_faults the firmware's HardFault handler sees what the core records: MemManage
    is not enabled in SHCSR, so the fault escalates (HFSR.FORCED) with CFSR.IACCVIOL and no
    BFAR, and the stacked PC is the address whose fetch faulted."""
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/fault_handler.c", name="fault_handler_xn",
                     extra_cflags=("-DFETCH_XN=0x40000000u",)))
    result = b.run(vector_faults=True)
    assert result.output.splitlines()[:3] == ["start", "cfsr 00000001 hfsr 40000000 bfar 00000000",
                                              "stacked pc 40000000"]
    assert result.exit_code == 7


def test_undefined_instruction_report(build, cfg):
    with pytest.raises(FirmwareFault) as err:
        _run(build, cfg, "nucleo_l4r5zi", "tests/undef.c")
    assert err.value.summary.startswith("UsageFault: UNDEFINSTR: undefined instruction at 0x")
    assert "<trap_here>" in err.value.summary


def test_output_before_a_fault_is_kept(build, cfg):
    b = Board.from_platform("bluepill", cfg)
    b.load_elf(build("bluepill", "tests/fault.c"))
    with pytest.raises(FirmwareFault):
        b.run()
    assert b.console.out.decode() == "about to fault\n"


def test_runaway_program_hits_the_limit(build, cfg):
    with pytest.raises(CycleLimitExceeded) as err:
        _run(build, cfg, "stm32f4_discovery", "tests/runaway.c", max_cycles=3_000_000)
    msg = str(err.value)
    assert msg.startswith("cycle limit reached: 3,000,000 cycles without the firmware exiting (PC 0x")
    assert "<main+0x" in msg and "--max-cycles" in msg


def test_limit_is_exact_to_a_block(build, cfg):
    b = Board.from_platform("stm32f4_discovery", cfg)
    b.load_elf(build("stm32f4_discovery", "tests/runaway.c"))
    with pytest.raises(CycleLimitExceeded):
        b.run(max_cycles=1_000_000)
    # the deadline stops before the first block that starts at or past the limit
    assert 1_000_000 <= b.counter.cycles < 1_000_000 + 20


def test_lockup_in_default_handler(build, cfg):
    """SysTick fires with no handler installed: the default handler spins forever."""
    with pytest.raises(FirmwareFault) as err:
        _run(build, cfg, "stm32f4_discovery", "tests/lockup.c", max_cycles=50_000_000)
    s = err.value.summary
    assert s.startswith("Lockup: the CPU spins in a loop of one branch at 0x")
    assert "<Default_Handler> inside the SysTick handler" in s
    # found at the first deadline after the spin starts, long before the cycle limit
    assert "cycles" in err.value.report


def test_fault_in_a_peripheral_page_hole(build, cfg, tmp_path):
    """usart2 narrowed to 0x100 bytes by an overlay: 0x40004600 is in its MMIO page but no window."""
    overlay = tmp_path / "narrow.repl"
    overlay.write_text("usart2: @ sysbus <0x40004400, +0x100>\n")
    b = Board.from_platform("stm32f4_discovery", cfg, overlays=[overlay])
    b.load_elf(build("stm32f4_discovery", "tests/mmio_hole.c"))
    with pytest.raises(FirmwareFault) as err:
        b.run()
    s = err.value.summary
    assert s.startswith("BusFault: read of 0x40004600 (4 bytes): no peripheral or memory there at 0x")
    assert "<main+0x" in s
    # the reported PC is the load itself (found by effective address, not Unicorn's block PC)
    pc = int(s.rsplit(" at 0x", 1)[1].split()[0], 16)
    assert b.read_memory(pc, 2) != b"" and b.console.out == b"probing\n"
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)
    insn = next(md.disasm(b.read_memory(pc, 4), pc))
    assert insn.mnemonic.startswith("ldr")


@pytest.mark.parametrize("board", ["stm32f4_discovery", "bluepill"])
def test_vectored_fault_runs_the_firmware_handler(build, cfg, board):
    b = Board.from_platform(board, cfg)
    b.load_elf(build(board, "tests/fault_handler.c"))
    result = b.run(vector_faults=True)
    # CFSR: BFARVALID | PRECISERR; HFSR: FORCED (escalated, BusFault not enabled in SHCSR)
    lines = result.output.splitlines()
    assert lines[:2] == ["start", "cfsr 00008200 hfsr 40000000 bfar 70000000"]
    stacked = int(lines[2].removeprefix("stacked pc "), 16)
    # the stacked return address is the faulting load inside read_it
    assert b.symbols.lookup(stacked)[0] == "read_it"
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)
    assert next(md.disasm(b.read_memory(stacked, 4), stacked)).mnemonic.startswith("ldr")
    assert result.exit_code == 7
    assert any("taken by the firmware's HardFault handler" in n for n in result.notes)


def test_fault_inside_hardfault_is_a_lockup(build, cfg):
    """With the default handler (a spin loop) a vectored fault ends as a lock-up report."""
    b = Board.from_platform("stm32f4_discovery", cfg)
    b.load_elf(build("stm32f4_discovery", "tests/fault.c"))
    with pytest.raises(FirmwareFault, match=r"Lockup: the CPU spins .*<Default_Handler> inside the HardFault handler"):
        b.run(vector_faults=True, max_cycles=10_000_000)


def test_fpu_code_on_a_core_without_fpu(build, cfg):
    """An ELF built for the M4F (hard float) on a Cortex-M3 with the same memory map."""
    b = Board.from_platform("generic_m3", cfg)
    b.load_elf(build("generic_m4", "tests/float.c"))
    with pytest.raises(FirmwareFault) as err:
        b.run()
    assert err.value.summary.startswith("UsageFault: NOCP: floating-point instruction on a core without an FPU")
    pc = int(err.value.summary.rsplit(" at 0x", 1)[1].split()[0], 16)
    assert b.read_memory(pc, 4) and b.symbols.lookup(pc)[0] == "main"


def test_fpu_used_while_cpacr_disables_it(build, cfg):
    b = Board.from_platform("nucleo_l4r5zi", cfg)
    b.load_elf(build("nucleo_l4r5zi", "tests/fpu_off.c"))
    with pytest.raises(FirmwareFault) as err:
        b.run()
    assert "NOCP: floating-point instruction while CPACR leaves the FPU disabled" in err.value.summary
    assert "<square" in err.value.summary
    assert b.console.out == b"fpu off\n"


def test_exception_model_uses_the_nvic_fault_register_offsets():
    """core/exceptions.py sits below the peripherals and keeps its own copy of the SCB offsets."""
    from tandem.core import exceptions
    from tandem.peripherals import nvic
    assert (exceptions.SHCSR, exceptions.CFSR, exceptions.HFSR, exceptions.BFAR) == (
        nvic.SHCSR, nvic.CFSR, nvic.HFSR, nvic.BFAR)
    assert exceptions.SVCALL == nvic.SVCALL


def test_fault_classification():
    import unicorn

    from tandem.core import cpu as C
    from tandem.core import faults
    err = unicorn.UcError(unicorn.UC_ERR_READ_UNMAPPED)
    read = faults.classify_uc_error(err, C.UnmappedAccess("read", 0x70000000, 4))
    assert read == ("BusFault", "read of 0x70000000 (4 bytes): no memory or peripheral mapped there",
                    0x8200, 0x70000000)
    fetch = faults.classify_uc_error(err, C.UnmappedAccess("fetch", 0x70000000, 2))
    assert fetch.cfsr == 1 << 8 and fetch.bfar is None  # IBUSERR, no BFAR
    rom = faults.classify_uc_error(err, C.UnmappedAccess("write to read-only memory", 0x08000000, 4))
    assert rom.detail == "write to read-only memory at 0x08000000 (4 bytes)" and rom.bfar == 0x08000000
    undef = faults.classify_uc_error(unicorn.UcError(unicorn.UC_ERR_INSN_INVALID), None)
    assert undef == ("UsageFault", "UNDEFINSTR: undefined instruction", 1 << 16, None)
    assert faults.cpu_exception_fault(C.EXCP_DIVBYZERO) == ("UsageFault", "DIVBYZERO: division by zero", 1 << 25, None)
    assert faults.cpu_exception_fault(99) == ("HardFault", "CPU exception 99", 0, None)
    hole = faults.unmapped_mmio_fault(C.UnmappedAccess("write", 0x40004600, 2))
    assert hole == ("BusFault", "write of 0x40004600 (2 bytes): no peripheral or memory there", 0x8200, 0x40004600)


def test_exception_names():
    from tandem.core.exceptions import exception_name
    assert [exception_name(n) for n in (3, 11, 15, 16, 47, 7)] == [
        "HardFault", "SVCall", "SysTick", "IRQ0", "IRQ31", "exception 7"]
