"""`tandem bench sim`: host speed of a whole board run against Unicorn with no hooks.

Both runs execute the same ELF in the same process: first on a :class:`~tandem.machine.board.Board` (cycle
model, peripherals, exceptions: what ``tandem run`` does), then on a bare Unicorn with the same
memory map and no hooks but one that ends the run at the exit BKPT. The figures are host MIPS
(instructions per second of wall time) and their ratio.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import unicorn
from unicorn import arm_const as A

from tandem.config import TandemConfig
from tandem.core.cpu import CortexM
from tandem.errors import SimulationError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.firmware.elf import ElfImage
from tandem.machine.board import Board
from tandem.platform import load_platform
from tandem.platform.model import Platform


@dataclass(frozen=True)
class SimBench:
    board: str
    instructions: int
    cycles: int
    board_seconds: float
    bare_seconds: float
    profiled_seconds: float | None = None  # the same run with run(profile=True)
    elf: str = ""

    @property
    def board_mips(self) -> float:
        return self.instructions / self.board_seconds / 1e6

    @property
    def bare_mips(self) -> float:
        return self.instructions / self.bare_seconds / 1e6

    @property
    def profiled_mips(self) -> float | None:
        if self.profiled_seconds is None:
            return None
        return self.instructions / self.profiled_seconds / 1e6


def bare_seconds(platform: Platform, image: ElfImage, writes: Sequence[tuple[int, bytes]] = (),
                 timeout_s: float = 120.0) -> float:
    """Wall seconds of ``image`` on a bare Unicorn with ``platform``'s memory map and core, its
    segments and ``writes`` in memory, and no hooks but the semihosting exit call and a
    first-touch mapper: the system space is plain RAM, and a page outside the memories (a
    peripheral's registers) becomes plain RAM filled with ones on first access, so that polls
    of ready and empty flags (a UART's TXE, TEACK) pass. Raises SimulationError if the
    run does not reach the exit call within ``timeout_s``."""
    cpu = CortexM(platform.cpu.core)
    for m in platform.memories:
        cpu.map_memory((m.base, *m.aliases), m.size)
    cpu.map_memory((0xE0000000,), 0x100000)  # system space as plain RAM: start-up code writes CPACR
    for seg in image.segments:
        cpu.write(seg.address, seg.data)
    for addr, data in writes:
        cpu.write(addr, data)
    done = []

    def on_intr(uc: unicorn.Uc, intno: int, _d: object) -> None:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if uc.reg_read(A.UC_ARM_REG_R0) in (0x18, 0x20):
            done.append(True)
            uc.emu_stop()
        uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)  # other semihosting calls: ignored

    def on_unmapped(uc: unicorn.Uc, _access: int, addr: int, _size: int, _value: int, _d: object) -> bool:
        page = addr & ~0xFFF
        uc.mem_map(page, 0x1000)
        uc.mem_write(page, b"\xff" * 0x1000)
        return True

    cpu.uc.hook_add(unicorn.UC_HOOK_INTR, on_intr)
    cpu.uc.hook_add(unicorn.UC_HOOK_MEM_UNMAPPED, on_unmapped)
    cpu.set_reg("sp", cpu.read_u32(0))
    pc = cpu.read_u32(4)
    t0 = time.perf_counter()
    cpu.uc.emu_start(pc | 1, 0xFFFFFFFE, timeout=int(timeout_s * 1e6))  # us; not count=, a code hook
    elapsed = time.perf_counter() - t0
    if not done:
        raise SimulationError(f"bare Unicorn run of {platform.name} did not reach the exit call "
                              f"(PC 0x{cpu.reg('pc'):08x} after {elapsed:.1f} s)")
    return elapsed


def bench_sim(board_name: str, cfg: TandemConfig, rounds: int = 4000,
              profile: bool = False) -> SimBench:
    platform = load_platform(board_name, cfg.platforms_search)
    spec = FirmwareSpec(("tests/cpubound.c",), name=f"cpubound{rounds}", port="semihost",
                        extra_cflags=(f"-DROUNDS={rounds}",))
    elf = build_firmware(platform, spec, cfg)
    board = Board(platform, cfg)
    image = board.load_elf(elf)
    result = board.run()
    bare = bare_seconds(platform, image)
    profiled = None
    if profile:
        pboard = Board(platform, cfg)
        pboard.load_elf(elf)
        presult = pboard.run(profile=True)
        if presult.cycles != result.cycles:
            raise RuntimeError(f"profiling changed the cycle count: {presult.cycles} != {result.cycles}")
        profiled = presult.wall_seconds
    return SimBench(board_name, result.instructions, result.cycles, result.wall_seconds, bare,
                    profiled, str(elf))


QEMU_MACHINES = {"mps2_an386": "mps2-an386", "netduinoplus2": "netduinoplus2"}


def qemu_seconds(elf: str, machine: str = "mps2-an386", timeout: float = 600,
                 writes: Sequence[tuple[int, bytes]] = ()) -> float | None:
    """Wall time of the whole ``qemu-system-arm`` process running ``elf`` to its semihosting exit
    (its own start-up included; no timing model; ``-icount shift=0`` as the tests' QEMU oracle
    runs it), or None when QEMU is not installed. ``writes`` are put in memory before the run
    (QEMU's generic loader device, one per write: raw bytes at an address)."""
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        return None
    with tempfile.TemporaryDirectory(prefix="tandem-qemu-") as tmp:
        loaders: list[str] = []
        for k, (addr, data) in enumerate(writes):
            blob = Path(tmp) / f"write{k}.bin"
            blob.write_bytes(data)
            loaders += ["-device", f"loader,file={blob},addr=0x{addr:x},force-raw=on"]
        cmd = [qemu, "-M", machine, "-nographic", "-monitor", "none", "-icount", "shift=0", "-serial", "none",
               "-chardev", f"file,id=semi,path={tmp}/out", "-semihosting-config",
               "enable=on,target=native,chardev=semi", "-kernel", elf, *loaders]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"qemu-system-arm -M {machine} {elf}: exit {res.returncode}: "
                           f"{res.stderr.decode(errors='replace').strip()[:200]}")
    return elapsed
