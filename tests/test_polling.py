"""A firmware waiting on something tandem does not model is told so: poll detection on static
registers, ``b .`` lock-ups found when first translated, and the CLI's report of runs that stop
without exiting (notes, JSON, stop_reason)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import capstone
import pytest
import unicorn

from tandem.errors import FirmwareFault, UnmodelledWait
from tandem.machine.board import Board
from tandem.machine.polling import POLL_BOUND

BOARD = str(Path(__file__).parent / "data" / "repl" / "poll_m4.repl")  # generic_m4 + unmodelled clkctl
PROGRAM = "tests/poll_unmodelled.c"
CLKCTL_CR = 0x40021000


def _elf(build, variant: int) -> Path:
    return build(BOARD, PROGRAM, name=f"poll_unmodelled_{variant}", defines={"POLL_VARIANT": str(variant)})


def _board(build, cfg, variant: int) -> Board:
    b = Board.from_platform(BOARD, cfg)
    b.load_elf(_elf(build, variant))
    return b


def _u32(b: Board, symbol: str) -> int:
    assert b.elf is not None
    return int.from_bytes(b.read_memory(b.elf.all_symbols[symbol], 4), "little")


def _first_insn(b: Board, pc: int) -> capstone.CsInsn:
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    return next(md.disasm(b.read_memory(pc, 4), pc))


def test_hal_style_wait_on_an_unmodelled_ready_bit_is_stopped(build, cfg):
    """The time-out is ~4e9 ms: without the detection the run would go to the 5e9-cycle limit."""
    b = _board(build, cfg, 0)
    with pytest.raises(UnmodelledWait) as err:
        b.run()
    s = err.value.summary
    assert "\n" not in s
    assert s.startswith("Unmodelled wait: the firmware waits for bit 17 to be set at offset 0x0 of clkctl "
                        "(Miscellaneous.TestClockControl), address 0x40021000, which read 0x00000000 "
                        f"{POLL_BOUND:,} times in a row: tandem does not model clkctl")
    assert "<osc_config+0x" in s
    assert err.value.stop_reason == "unmodelled-wait"
    pc = int(s.rsplit(" at 0x", 1)[1].split()[0], 16)
    assert _first_insn(b, pc).mnemonic == "ldr"  # the poll's load itself, not its block's start
    # The firmware counts its iterations: each read that found the bit clear was followed by
    # polls++, and the stop is the POLL_BOUND-th read, so POLL_BOUND - 1 iterations ran.
    assert _u32(b, "polls") == POLL_BOUND - 1
    # One iteration is 17 instructions (the poll: ldr, lsls, bpl; polls++: ldr, adds, str;
    # bl HAL_GetTick and its 6: two ldr, lsrs, umull, lsrs, bx; the time-out test: subs, adds,
    # bhi); start-up and main before the loop are a few hundred.
    insns = b.counter.instructions
    assert 17 * (POLL_BOUND - 1) <= insns <= 17 * POLL_BOUND + 1_000
    print(f"\nbenchmark: HAL-style poll stopped after {insns:,} instructions, "
          f"{b.result('unmodelled-wait').wall_seconds:.2f} s of host time")


def test_tight_poll_is_stopped_although_systick_fires(build, cfg):
    """while (!(CR & RDY)) {} loads nothing else: the SysTick interrupts taken meanwhile (every
    10,000 cycles) cannot end it, so they do not start the count again."""
    b = _board(build, cfg, 4)
    with pytest.raises(UnmodelledWait, match=r"waits for bit 17 to be set .* polled at 0x[0-9a-f]+ <main\+0x"):
        b.run()
    assert _u32(b, "ticks") >= 10  # the interrupts did fire during the wait
    # 3 instructions per iteration (ldr, lsls, bpl); start-up, main's set-up and the handler
    # runs (~10 instructions each, one per ~3,300 iterations) add well under 2,000
    assert 3 * (POLL_BOUND - 1) <= b.counter.instructions <= 3 * POLL_BOUND + 2_000


def test_bounded_timeout_loop_runs_to_its_end(build, cfg):
    b = _board(build, cfg, 1)
    result = b.run()
    assert result.exit_code == 0 and result.stop_reason == "exit"
    prefix, polls = result.output.split(" polls")[0].rsplit(" ", 1)
    assert prefix == "hse timeout after"
    # the 1 ms time-out (100,000 cycles at 100 MHz) takes thousands of polls, fewer than the bound
    assert 1_000 < int(polls) < POLL_BOUND
    assert any(n.startswith("clkctl (Miscellaneous.TestClockControl) is not modelled") for n in result.notes)


def test_counted_startup_wait_runs_to_its_end(build, cfg):
    """SetSysClock()'s do { } while (!ready && ++counter != 0x5000): 20,480 polls, under the bound,
    although the loop loads nothing but the register and its stack counter."""
    result = _board(build, cfg, 5).run()
    assert result.exit_code == 0 and result.output == f"hse startup counter {0x5000}\n"
    assert 0x5000 < POLL_BOUND


def test_error_handler_spin_with_interrupts_masked_is_a_lockup_at_once(build, cfg):
    """Error_Handler(): cpsid i; b . while SysTick interrupts are enabled: PRIMASK masks them."""
    b = _board(build, cfg, 2)
    assert b.elf is not None
    spin = (b.elf.all_symbols["Error_Handler"] & ~1) + 2  # after the 2-byte cpsid i
    assert b.read_memory(spin, 2) == b"\xfe\xe7"  # b .
    first: list[int] = []
    b.cpu.uc.hook_add(unicorn.UC_HOOK_CODE, lambda *_: first or first.append(b.counter.instructions),
                      begin=spin, end=spin)
    with pytest.raises(FirmwareFault) as err:
        b.run()
    assert err.value.summary.startswith("Lockup: the CPU spins in a loop of one branch at ")
    assert "<Error_Handler+0x2>" in err.value.summary
    # The guard sets the deadline RING + 2 = 18 iterations after the b . block is first costed
    # (the spin check wants the counter's ring of 16 recent blocks all this one); the stop comes
    # at the first block entry at or past it: 18 more runs of the one-instruction block at most.
    # Before, the check came at the next stop: here SysTick's event, 10,000 cycles later (5,000
    # iterations); with no timed event, the end of a 2^20-cycle chunk.
    assert first and b.counter.instructions - first[0] <= 18


def test_spin_that_an_interrupt_ends_still_runs(build, cfg):
    """main ends in b .; SysTick (every 10,000 cycles, unmasked) exits the program at tick 3."""
    b = _board(build, cfg, 3)
    result = b.run()
    assert result.exit_code == 5
    # three periods of 10,000 cycles; start-up, the entries and returns and the handler: < 1,000
    assert 30_000 <= result.cycles < 31_000


def _tandem(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tandem.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_cycle_limit_prints_notes_and_writes_json(build, tmp_path):
    out = tmp_path / "r.json"
    # 200,000 cycles: the limit comes before the poll detection (~690,000 cycles)
    res = _tandem("run", "--board", BOARD, "--max-cycles", "200000", "--json", str(out), str(_elf(build, 0)))
    assert res.returncode == 3
    assert "[tandem] note: clkctl (Miscellaneous.TestClockControl) is not modelled" in res.stderr
    assert "tandem: error: cycle limit reached: 200,000 cycles" in res.stderr
    data = json.loads(out.read_text())
    assert data["stop_reason"] == "cycle-limit" and data["exit_code"] is None
    assert data["error"].startswith("cycle limit reached: 200,000 cycles")
    assert 200_000 <= data["cycles"] < 200_100 and data["instructions"] > 0
    assert any("clkctl" in n for n in data["notes"])


def test_cli_unmodelled_wait_prints_notes_and_writes_json(build, tmp_path):
    out = tmp_path / "r.json"
    res = _tandem("run", "--board", BOARD, "--json", str(out), str(_elf(build, 0)))
    assert res.returncode == 3 and "Traceback" not in res.stderr
    assert "[tandem] note: clkctl (Miscellaneous.TestClockControl) is not modelled" in res.stderr
    assert "tandem: error: Unmodelled wait: the firmware waits for bit 17" in res.stderr
    data = json.loads(out.read_text())
    assert data["stop_reason"] == "unmodelled-wait"
    assert data["error"].startswith("Unmodelled wait: ") and "<osc_config+0x" in data["error"]
    assert "  PC   0x" in data["report"]
    assert any("clkctl" in n for n in data["notes"])


@pytest.mark.parametrize("body,expected", [
    ("lsls r3, r3, #14\n bpl poll", 1 << 17),  # GCC's single-bit test: bit 31-14 into N
    ("tst.w r3, #0x20000\n beq poll", 1 << 17),
    ("ands r3, r3, #3\n cmp r3, #1\n bne poll", 0x3),
    ("ubfx r3, r3, #2, #2\n cmp r3, #2\n bne poll", 0xC),
    ("lsls r3, r3, #20\n lsrs r3, r3, #28\n cmp r3, #5\n bne poll", 0xF00),  # a field: bits 8-11
    ("lsrs r3, r3, #1\n bcc poll", 1 << 0),  # bit 0 into the carry
    ("mov r0, r3\n tst r0, #0x80\n beq poll", 0x80),
    ("cmp r3, #5\n bne poll", "value == 0x5"),
    ("cbnz r3, done\n b poll\ndone:", "value != 0"),  # CBZ/CBNZ branch forward only
    ("adds r3, r3, #1\n bne poll", None),  # the value is changed before any test we understand
    ("b poll", None),
])
def test_tested_bits_from_the_loop_code(tmp_path, body, expected):
    from timing_asm import assemble

    from tandem.core.waits import tested_mask

    prog = assemble(f"_start:\npoll:\n ldr r3, [r2, #0]\n {body}\n nop\n nop\n", tmp_path)
    assert tested_mask(prog.code, prog.base) == expected


@pytest.mark.parametrize("mask,text", [(1 << 17, "bit 17"), (0xF00, "bits 8-11"), (0x22, "bits 1, 5")])
def test_bits_text(mask, text):
    from tandem.core.waits import bits_text

    assert bits_text(mask) == text


class _FakeCounter:
    def __init__(self) -> None:
        from tandem.timing.costs import BlockCost

        self.block_at = {a: BlockCost(a, a + 6, 3, 1, (a, a + 2, a + 4), (1, 1, 1)) for a in (0x100, 0x200)}
        self.current_block = self.block_at[0x100]

    def recent_blocks(self) -> list[int]:
        return [self.current_block.addr] * 3

    def block(self, addr: int):
        return self.block_at.get(addr)


class _FakeLocator:
    def __init__(self, loads: int) -> None:
        self.counter = _FakeCounter()
        self.loads = loads

    def instruction_at(self, addr: int) -> int:
        return self.counter.current_block.addr + 2

    def volatile_loads(self, block) -> int:
        return self.loads


class _Static:
    """A modelled register block that declares offset 0 static (as STM32 models will)."""

    def __init__(self) -> None:
        from tandem.platform.model import PeripheralSpec

        self.spec = PeripheralSpec(name="rcc", type="Miscellaneous.STM32F4_RCC", base=0x40023800, size=0x400,
                                   properties={}, irqs=(), path="test.repl", line=1)
        self.name = "rcc"

    def static_read(self, offset: int) -> bool:
        return offset == 0


def _watch(loads: int = 1, bound: int = 100):
    from tandem.machine.polling import PollWatch

    stops: list[int] = []
    watch = PollWatch(_FakeLocator(loads), lambda: stops.append(1), bound=bound)  # type: ignore[arg-type]
    return watch, stops


def test_poll_count_starts_again_on_a_change():
    watch, stops = _watch()
    periph = _Static()
    for i in range(250):
        # another value every 99 reads, a read of a non-static register by the same load
        # (offset 4) every 60: neither reaches 100 reads in a row
        if i % 60 == 59:
            watch.observe(periph, 4, 0x40023804, 0)  # type: ignore[arg-type]
        watch.observe(periph, 0, 0x40023800, i // 99)  # type: ignore[arg-type]
    assert not stops and watch.stuck is None
    for _ in range(100):
        watch.observe(periph, 0, 0x40023800, 7)  # type: ignore[arg-type]
    assert stops == [1] and watch.stuck is not None and watch.stuck.reads == 100
    assert watch.stuck.pc == 0x102  # the load, as the locator finds it
    detail = watch.detail(lambda addr, size: b"\x1b\x68" + b"\x00\xbf" * 19)  # ldr r3, [r3]; nops
    assert detail.startswith("the firmware waits for the value to change at offset 0x0 of rcc "
                             "(Miscellaneous.STM32F4_RCC), address 0x40023800, which read 0x00000007 100 times")
    assert detail.endswith("tandem's rcc model does not change this register by itself; polled")


@pytest.mark.parametrize("loads,stopped", [(1, True), (2, False)])
def test_timed_events_reset_only_loops_that_load_something_else(loads, stopped):
    watch, stops = _watch(loads)
    periph = _Static()
    for i in range(300):
        if i % 50 == 49:
            watch.event()  # e.g. SysTick every 50 reads
        watch.observe(periph, 0, 0x40023800, 0)  # type: ignore[arg-type]
    assert bool(stops) is stopped
