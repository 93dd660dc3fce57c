"""The ARMv7-M exception model (sim/core/exceptions.py, exc_frames.py) driven by small Thumb
programs (firmware/tests/excm_*.S): banked stacks, every EXC_RETURN form, extended FP frames in
memory, masking and unmasking, PRIGROUP, illegal returns and escalation (DDI0403E B1.5)."""
from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from tandem.config import TandemConfig
from tandem.errors import FirmwareFault
from tandem.machine.board import Board
from tandem.machine.results import RunResult

Runner = Callable[..., tuple[Board, RunResult]]


@pytest.fixture(scope="module")
def run(cfg: TandemConfig, build: Callable[..., Path]) -> Runner:
    def _run(source: str, board: str = "generic_m4", extra_cflags: tuple[str, ...] = (),
             vector_faults: bool = False) -> tuple[Board, RunResult]:
        b = Board.from_platform(board, cfg)
        b.load_elf(build(board, source, extra_cflags=extra_cflags))
        result = b.run(max_cycles=1_000_000, vector_faults=vector_faults)
        assert result.exit_code == 0, result.output
        return b, result

    return _run


def words(board: Board, symbol: str, count: int) -> list[int]:
    assert board.elf is not None
    return list(struct.unpack(f"<{count}I", board.read_memory(board.elf.all_symbols[symbol], 4 * count)))


def symbol(board: Board, name: str) -> int:
    assert board.elf is not None
    return board.elf.all_symbols[name] & ~1


@pytest.mark.parametrize("board", ["generic_m4", "generic_m3"])
def test_first_task_start_runs_the_task_on_psp_and_keeps_msp(run: Runner, board: str) -> None:
    b, _ = run("tests/excm_task.S", board)
    r = words(b, "results", 15)
    estack = b.read_memory(0, 4)
    msp0 = int.from_bytes(estack, "little") - 0x20  # the first SVC's frame stays on MSP (as on the part)
    task_top = symbol(b, "task_top")
    assert r[14] == 0xFFFFFFF9  # the first SVC came from Thread mode on MSP
    assert (r[0], r[1]) == (msp0, task_top)  # in the task: MSP where the SVC left it, PSP at the TCB's stack
    assert r[11] & 7 == 2  # CONTROL: SPSEL, privileged, no FP
    # IRQ0 in the task: LR says Thread/PSP, its frame went onto PSP, MSP untouched
    assert r[2] == 0xFFFFFFFD
    assert r[3] == msp0 and r[4] == task_top - 0x20
    assert r[12] == symbol(b, "irq_back")  # stacked return address: right after the STIR block
    # IRQ1 nested in IRQ0: Handler mode return, its frame on MSP
    assert r[5] == 0xFFFFFFF1 and r[6] == msp0 - 0x20
    # after both returns and an SVC from the task (LR 0xFFFFFFFD): both stacks as before
    assert r[9] == 0xFFFFFFFD
    assert (r[7], r[8]) == (msp0, task_top)
    assert r[10] == 0x5A and r[13] & 7 == 2


def test_extended_frames_are_in_memory_and_unstacked_from_it(run: Runner) -> None:
    b, _ = run("tests/excm_fp.S")
    r = words(b, "results", 13)
    frame = words(b, "frame_copy", 26)
    assert r[0] == 0xFFFFFFE9  # Thread/MSP, extended frame
    ptr = r[1]
    assert ptr % 8 == 0 and ptr == r[11] - 0x68  # 0x68 bytes below main's SP, 8-byte aligned
    assert frame[7] & 0x1FF == 0 and frame[7] & (1 << 24)  # stacked xPSR: Thread, Thumb
    assert frame[8:24] == [_float_bits(i + 1) for i in range(16)]  # S0-S15 = 1.0 ... 16.0
    assert frame[24] == 0x00C00000  # FPSCR as main set it
    # lazy preservation: FPCAR at the FP space; FPCCR read before the handler's first FP
    # instruction: ASPEN|LSPEN|THREAD|LSPACT
    assert r[2] == ptr + 0x20 and r[3] == 0xC0000009
    # the return restored S0 from the frame and took S1 and FPSCR as the handler rewrote them
    assert r[4] == 0x3F800000 and r[5] == 0xCAFEF00D and r[6] == 0x03000000
    assert r[7] == 4  # FPCA set again by the return (and no v8-M SFPA showing: CortexM.hide_sfpa)
    assert r[8] == 0xFFFFFFED  # Thread/PSP, extended
    assert r[10] == 4  # the SVC handler used the FPU
    assert r[9] == 0xFFFFFFE1  # IRQ0 nested in it: Handler, extended
    assert r[12] == symbol(b, "psp_top")  # every PSP frame unstacked


def _float_bits(value: int) -> int:
    return int.from_bytes(struct.pack("<f", float(value)), "little")


def test_lazy_preservation_saves_the_fp_stacking_of_handlers_without_fp(run: Runner) -> None:
    _, lazy = run("tests/excm_fp.S")
    _, eager = run("tests/excm_fp.S", extra_cflags=("-DFPCCR_VALUE=0x80000000",))
    # Four extended frames: svc 0 and svc 1 (handlers use the FPU), IRQ0 nested in svc 1 and
    # svc 2 (handlers without FP). With LSPEN=0 every one costs fp_context (17, AN298) at entry
    # and again at the return; with lazy preservation the FP handlers pay the same (the save
    # at their first FP instruction, the restore at the return), the other two pay nothing.
    assert eager.cycles - lazy.cycles == 2 * (17 + 17)


def test_masked_irq_is_taken_right_after_the_unmasking_instruction(run: Runner) -> None:
    b, _ = run("tests/excm_masks.S")
    r = words(b, "results", 12)
    assert r[0] == 3  # IRQ0 taken three times
    # BASEPRI 0x40 held priority 0x80 off (also after BASEPRI_MAX 0xC0, which changes nothing)
    assert r[1] == 0 and r[10] == 0 and r[11] == 0x40
    # each was taken after the MSR/CPS and before the next instruction (the marker's value)
    assert (r[2], r[4], r[6]) == (0, 10, 20)
    assert (r[3], r[5]) == (1, 2)  # and not while PRIMASK / FAULTMASK held it off
    assert r[9] == 0  # FAULTMASK set in the SVC handler is cleared by its return
    assert not b.counter.watching  # nothing pending: the hook is back on its plain path


def test_pendsv_set_from_thread_is_taken_at_the_end_of_the_stores_block(run: Runner) -> None:
    b, _ = run("tests/excm_masks.S")
    r = words(b, "results", 9)
    # the store's block runs to its end (three ADDS and the branch), no further
    assert r[7] == 3
    assert r[8] == symbol(b, "after_pendsv_block")


def test_subpriority_orders_but_does_not_preempt(run: Runner) -> None:
    b, _ = run("tests/excm_prio.S")
    log = list(b.read_memory(symbol(b, "log"), 12))
    # PRIGROUP 5: IRQ1 (0x60) in, IRQ2 (group 0) preempts, IRQ1 out, IRQ0 (same group 0x40,
    # subpriority 0) only then, tail-chained
    assert log[:6] == [0x11, 0x12, 0x22, 0x21, 0x10, 0x20]
    # PRIGROUP 0: 0x40 preempts 0x60
    assert log[6:] == [0x11, 0x10, 0x20, 0x12, 0x22, 0x21]


def test_illegal_exception_returns_are_invpc_usage_faults(run: Runner) -> None:
    b, result = run("tests/excm_invpc.S", vector_faults=True)
    r = words(b, "results", 10)
    invpc = 1 << 18
    assert r[0] == 2  # two UsageFaults
    assert (r[1], r[2]) == (invpc, 0xFFFFFFF5)  # a value that is no EXC_RETURN form
    assert (r[3], r[4]) == (invpc, 0xFFFFFFF9)  # to Thread with SVCall still active
    assert r[5] == 2  # two HardFaults
    assert (r[6], r[7]) == (1 << 30, invpc)  # UsageFault disabled: escalated (HFSR.FORCED)
    assert r[8] == 1 << 30  # SVC under PRIMASK: escalated
    assert r[9] == 0xF  # Thread mode resumed after every one
    assert any("SVC while SVCall cannot preempt" in n for n in result.notes)


def test_illegal_exception_return_stops_the_run_without_vector_faults(cfg: TandemConfig,
                                                                       build: Callable[..., Path]) -> None:
    b = Board.from_platform("generic_m4", cfg)
    b.load_elf(build("generic_m4", "tests/excm_invpc.S"))
    with pytest.raises(FirmwareFault, match="UsageFault: INVPC: illegal EXC_RETURN value"):
        b.run(max_cycles=100_000)


def test_priorities_keep_the_implemented_bits(cfg: TandemConfig) -> None:
    b = Board.from_platform("generic_m4", cfg)
    nvic = b.nvic
    assert nvic is not None
    assert nvic.priority_mask == 0xFF  # Renode's NVIC default
    nvic.priority_mask = 0xF0  # an STM32: four bits
    nvic.write(0x400, 1, 0x5A)  # IPR byte
    nvic.write(0xD22, 1, 0x3C)  # SHPR3 byte 2: PendSV
    nvic.write(0xD18, 4, 0x11223344)  # SHPR1 word: MemManage, BusFault, UsageFault, reserved
    assert nvic.priority(16) == 0x50 and nvic.priority(14) == 0x30
    assert [nvic.priority(n) for n in (4, 5, 6, 7)] == [0x40, 0x30, 0x20, 0]
    assert nvic.read(0xD18, 4) == 0x00203040
    # BASEPRI keeps the same bits: 0x0F is no mask at all on this part
    assert nvic.current_priority(False, 0x0F) == 256
    assert nvic.current_priority(False, 0x1F) == 0x10


def test_execution_priority_follows_b154(cfg: TandemConfig) -> None:
    nvic = Board.from_platform("generic_m4", cfg).nvic
    assert nvic is not None
    nvic.write(0x400, 4, 0x00006040)  # IRQ0 0x40, IRQ1 0x60, IRQ2 0x00
    nvic.write(0xD0C, 4, 0x05FA0500)  # PRIGROUP 5: group = bits [7:6]
    nvic.active.append(17)
    assert nvic.current_priority(False, 0) == 0x40  # IRQ1's group, not 0x60
    assert nvic.current_priority(False, 0x7F) == 0x40  # BASEPRI grouped the same way
    assert nvic.current_priority(True, 0) == 0
    assert nvic.current_priority(True, 0, faultmask=True) == -1
    for n in (16, 18):
        nvic.enabled[n - 16] = True
        nvic.pend(n)
    assert nvic.next_due(False, 0) == 18  # group 0 preempts; IRQ0 (same group) does not
    nvic.pending.discard(18)
    assert nvic.next_due(False, 0) is None
    nvic.active.clear()
    assert nvic.next_due(False, 0) == 16
    assert nvic.next_due(False, 0, faultmask=True) is None


def test_unprivileged_task_stacks_on_its_psp(run: Runner) -> None:
    b, _ = run("tests/excm_unpriv.S")
    r = words(b, "results", 7)
    top = symbol(b, "task_top")
    assert (r[0], r[1]) == (0xFFFFFFFD, top - 0x20)  # Thread/PSP; the frame on the task's stack
    assert (r[2], r[3]) == (3, top)  # back unprivileged on PSP, frame unstacked
    assert (r[4], r[5]) == (2, top)  # the handler cleared nPRIV: privileged on return
    assert r[6] == 0x77


@pytest.mark.parametrize("delay, late", [(5, True), (15, False)])
def test_late_arrival_takes_the_higher_priority_exception_on_the_same_frame(
        cfg: TandemConfig, build: Callable[..., Path], delay: int, late: bool) -> None:
    b = Board.from_platform("generic_m4", cfg)
    b.load_elf(build("generic_m4", "tests/excm_late.S"))
    nvic = b.nvic
    assert nvic is not None
    activate = nvic.activate
    raised: list[int] = []

    def activate_and_raise(number: int) -> None:
        # IRQ1's line rises `delay` cycles after IRQ0's (first) entry starts (entry takes 12)
        if number == 16 and not raised:
            raised.append(b.counter.cycles)
            b.schedule(b.counter.cycles + delay, lambda _c: b.set_irq(1, True) or b.set_irq(1, False), "irq1")
        activate(number)

    nvic.activate = activate_and_raise  # type: ignore[method-assign]
    b.run(max_cycles=100_000)
    log = words(b, "log", 6)
    assert log[4:] == [0, 0]  # two handler entries, no more
    if late:
        # inside the window: IRQ1 is taken on the frame stacked from Thread mode, IRQ0 tail-chains
        assert log[:4] == [17, 0xFFFFFFF9, 16, 0xFFFFFFF9]
    else:
        # after IRQ0's entry: IRQ1 preempts IRQ0's handler (a second frame, Handler-mode return)
        assert log[:4] == [16, 0xFFFFFFF9, 17, 0xFFFFFFF1]


def test_stkalign_realigns_the_frame_and_nmi_keeps_faultmask(run: Runner) -> None:
    b, _ = run("tests/excm_align.S")
    r = words(b, "results", 9)
    sp = r[0]
    assert sp % 8 == 4
    # STKALIGN 1: 0x20 below SP, rounded down to 8; the stacked xPSR's bit 9 records the pad
    assert r[1] == (sp - 0x20) & ~7 and r[2] & (1 << 9)
    # STKALIGN 0: right below SP, no pad recorded
    assert r[4] == sp - 0x20 and not r[5] & (1 << 9)
    assert r[3] == sp and r[6] == sp  # both returns restore SP exactly
    # NMI (priority -2) preempts a handler running with FAULTMASK (-1); its return leaves
    # FAULTMASK set (DeActivate clears it for every exception but NMI)
    assert r[7] == 1 and r[8] == 1


def test_unicorn_facts_the_model_relies_on() -> None:
    """What exc_frames and CortexM assume of Unicorn's SP banking, privilege and FP state (a
    Unicorn upgrade that changes one should fail here, not deep inside a firmware run)."""
    from tandem.core.cpu import CortexM

    cpu = CortexM("cortex-m4")
    cpu.map_memory((0,), 0x1000)
    raw = cpu.raw_reg
    cpu.set_reg("xpsr", 0x0100000B)  # Handler mode (SVCall)
    cpu.set_reg("msp", 0x20001000)
    cpu.set_reg("psp", 0x20002000)
    assert raw("sp") == 0x20001000  # Handler mode runs on MSP
    cpu.set_reg("control", 3)  # SPSEL + nPRIV, written while privileged
    assert raw("sp") == 0x20001000  # ... has no effect on SP in Handler mode
    cpu.set_reg("xpsr", 0x01000000)  # to Thread mode: Unicorn switches SP to PSP itself
    assert raw("sp") == 0x20002000
    # unprivileged Thread mode: Unicorn reads MSP/PSP/masks as 0 (as MRS would) ...
    assert raw("msp") == 0 and raw("psp") == 0
    # ... and CortexM's accessors see through it without changing anything
    assert cpu.reg("msp") == 0x20001000 and cpu.reg("psp") == 0x20002000
    cpu.set_reg("psp", 0x20003000)
    assert raw("sp") == 0x20003000 and cpu.reg("control") & 7 == 3 and raw("ipsr") == 0
    # an FP instruction sets CONTROL.FPCA and QEMU's v8-M SFPA (bit 3)
    cpu.set_reg("control", 0)
    cpu.write(0x100, bytes.fromhex("30ee000a00bf"))  # vadd.f32 s0, s0, s0; nop
    cpu.uc.emu_start(0x101, 0x104)
    assert raw("control") == 0xC
