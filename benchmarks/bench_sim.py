"""Speed of the cycle-accounting hook: MIPS with timing on vs. no hooks, in one process.

Builds firmware/bench/dotprod.c (int8 dot products, tens of millions of instructions) with
arm-none-eabi-gcc, runs it on raw Unicorn (Cortex-M4) twice in the same process -- once with
tandem's native CycleCounter installed and once with no hooks -- and prints MIPS of both and
their ratio. Optionally also the Python reference counter (--python, slow). The native counter
always times data loads from the wait-stated flash (its shadow window); the program's arrays are
in RAM, whose loads keep Unicorn's fast path.

    python benchmarks/bench_sim.py [--repeat 20000] [--runs 3] [--python]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the pure-Python oracle counter lives with the tests

import unicorn  # noqa: E402
from elftools.elf.elffile import ELFFile  # noqa: E402
from timing_oracle import PyCycleCounter  # noqa: E402
from unicorn import arm_const  # noqa: E402

from tandem.timing import CycleCounter, MemoryTiming, core_timing  # noqa: E402

BENCH = ROOT / "firmware" / "bench"


def build(repeat: int, out: Path) -> Path:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        sys.exit("arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi)")
    elf = out / "dotprod.elf"
    subprocess.run(
        [gcc, "-mcpu=cortex-m4", "-mthumb", "-O2", "-nostdlib", f"-DREPEAT={repeat}",
         "-T", str(BENCH / "bench.ld"), str(BENCH / "start.S"), str(BENCH / "dotprod.c"),
         "-o", str(elf)],
        check=True,
    )
    return elf


def load(elf_path: Path) -> tuple[unicorn.Uc, int, int]:
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(0x0800_0000, 256 * 1024, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
    uc.mem_map(0x2000_0000, 128 * 1024)
    with elf_path.open("rb") as f:
        elf = ELFFile(f)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                uc.mem_write(seg["p_paddr"], seg.data())
        syms = elf.get_section_by_name(".symtab")
        start = syms.get_symbol_by_name("_start")[0]["st_value"] & ~1
        done = syms.get_symbol_by_name("bench_done")[0]["st_value"] & ~1
    return uc, start, done


def run(elf: Path, mode: str, cache_dir: Path) -> tuple[float, int, int, int]:
    """(seconds, instructions, cycles, r0) for one run in `mode`: none/native/data/python."""
    uc, start, done = load(elf)
    timing = core_timing("cortex-m4", [MemoryTiming("flash", 0x0800_0000, 256 * 1024,
                                                    wait_states=5, accelerator="stm32-art")])
    counter = None
    if mode == "native":
        counter = CycleCounter(uc, timing, cache_dir)
    elif mode == "python":
        counter = PyCycleCounter(uc, timing)
    # Process CPU time, not wall time: on a shared machine, time spent preempted by other
    # processes would otherwise be billed to whichever mode it happened to hit.
    t0 = time.process_time()
    uc.emu_start(start | 1, done)
    dt = time.process_time() - t0
    r0 = uc.reg_read(arm_const.UC_ARM_REG_R0)
    insns = counter.instructions if counter else 0
    cycles = counter.cycles if counter else 0
    if counter:
        counter.close()
    return dt, insns, cycles, r0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20000, help="dot products of 1024 int8 pairs")
    ap.add_argument("--runs", type=int, default=3, help="runs per mode; the best is reported")
    ap.add_argument("--python", action="store_true", help="also time the Python hook (slow)")
    ap.add_argument("--cache-dir", type=Path, default=Path("~/.cache/tandem/native"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        elf = build(args.repeat, Path(tmp))
        # Warm up: compile the hook, let the host settle.
        run(elf, "native", args.cache_dir.expanduser())
        best: dict[str, tuple[float, int, int, int]] = {}
        modes = ["none", "native"] + (["python"] if args.python else [])
        for _ in range(args.runs):
            for mode in modes:
                if mode == "python" and "python" in best:
                    continue
                res = run(elf, mode, args.cache_dir.expanduser())
                if mode not in best or res[0] < best[mode][0]:
                    best[mode] = res
    insns = best["native"][1]
    cycles = best["native"][2]
    assert best["none"][3] == best["native"][3], "timing changed the program's result"
    print(f"program: {insns / 1e6:.1f} M instructions, {cycles / 1e6:.1f} M cycles "
          f"(CPI {cycles / insns:.3f}) on cortex-m4, flash 5 WS + ART")
    mips = {m: insns / best[m][0] / 1e6 for m in best}
    for m in modes:
        print(f"{m:>7}: {best[m][0]:7.3f} s CPU  {mips[m]:7.1f} MIPS")
    print(f"ratio native/none: {mips['native'] / mips['none']:.3f}")


if __name__ == "__main__":
    main()
