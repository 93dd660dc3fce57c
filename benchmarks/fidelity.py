"""Compare tandem's cycle counts with published per-core CoreMark and Dhrystone scores.

tandem does not ship CoreMark or Dhrystone: point this script at your own checkouts.

    python benchmarks/fidelity.py --coremark ~/src/coremark --dhrystone ~/src/dhrystone \
        [--boards generic_m4 generic_m3 stm32f4_discovery nucleo_l4r5zi bluepill] \
        [--iterations 10] [--runs 500]

* ``--coremark DIR``: the EEMBC CoreMark sources (``coremark.h``, ``core_main.c``,
  ``core_list_join.c``, ``core_matrix.c``, ``core_state.c``, ``core_util.c``), built with
  tandem's own port (benchmarks/fidelity_port/core_portme.{h,c}: DWT cycle counter, the
  2K performance-run seeds). The list/matrix/state CRCs printed by the benchmark are checked
  against the known performance-run values. Score: iterations * 1e6 / ticks (CoreMark/MHz).
* ``--dhrystone DIR``: Dhrystone 2.1 (``dhry.h``, ``dhry_1.c``, ``dhry_2.c``), built with
  tandem's port (benchmarks/fidelity_port/dhry_port.c; dhry_compat.h lets the copies that
  declare ``extern int times ();`` build against newlib's prototype). The run count is fed to its
  ``scanf`` on the console; the program runs twice, with 10^k and 9 * 10^k runs (same
  number of digits; k from ``--runs``, default 100 and 900), and the cycle difference divided
  by the difference of the counts is one run, so start-up and printing cancel out (the
  port's clocks stand still, so the program's own timing takes the same path both times), up
  to the few cycles the divisions printing the count differ by (SDIV/UDIV time by operand).
  Score:
  1e6 / (cycles per run * 1757) (DMIPS/MHz, 1757 Dhrystones/s = 1 VAX MIPS).

Each benchmark is built with several flag sets (``--coremark-flags`` / ``--dhrystone-flags``
add more) and compared with the published per-core figure of the board's core (table
PUBLISHED, sources in docs/timing.md). Published figures come from vendor compilers (Arm
Compiler); arm-none-eabi-gcc code differs, so read the error column per flag set.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tandem.config import TandemConfig  # noqa: E402
from tandem.errors import TandemError, ToolchainError  # noqa: E402
from tandem.firmware.build import FirmwareSpec, build_firmware  # noqa: E402
from tandem.machine.board import Board  # noqa: E402

PORT = Path(__file__).resolve().parent / "fidelity_port"
BOARDS = ("generic_m4", "generic_m3", "stm32f4_discovery", "nucleo_l4r5zi", "bluepill")

# Published per-core scores (Arm's processor product pages; DMIPS with the Dhrystone rules of
# Arm application note 273, i.e. without inlining). Key: the core family of tandem's cpuType.
PUBLISHED = {
    ("coremark", "cortex-m4"): 3.40,
    ("coremark", "cortex-m3"): 3.34,
    ("dhrystone", "cortex-m4"): 1.25,
    ("dhrystone", "cortex-m3"): 1.25,
}

COREMARK_FLAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("-O2", ()),
    ("-O3", ()),
    ("-O3", ("-funroll-all-loops", "-finline-limit=600", "-fno-schedule-insns")),
)
DHRYSTONE_FLAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("-O2", ("-fno-inline",)),
    ("-O2", ()),
    ("-O3", ()),
)

COREMARK_SOURCES = ("core_list_join.c", "core_main.c", "core_matrix.c", "core_state.c",
                    "core_util.c")
DHRYSTONE_SOURCES = ("dhry_1.c", "dhry_2.c")
# 2K performance run (seeds 0, 0, 0x66): CRCs that do not depend on the iteration count.
COREMARK_CRCS = {"crclist": 0xE714, "crcmatrix": 0x1FD7, "crcstate": 0x8E3A}
DHRYSTONE_MIPS_DIVISOR = 1757


class FidelityError(TandemError):
    """A benchmark did not build, run or validate."""


@dataclass(frozen=True)
class Row:
    bench: str
    board: str
    core: str
    mhz: float
    flags: str
    cycles: float  # per CoreMark iteration / per Dhrystone run
    score: float  # CoreMark/MHz or DMIPS/MHz
    published: float

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.score - self.published) / self.published


def _family(cpu_type: str) -> str:
    return "cortex-m3" if cpu_type == "cortex-m3" else "cortex-m4"


def _check_sources(directory: Path, names: tuple[str, ...], what: str) -> None:
    missing = [n for n in names if not (directory / n).is_file()]
    if missing:
        raise FidelityError(f"{what} checkout {directory}: missing {', '.join(missing)}")


def run_coremark(src: Path, board_name: str, opt: str, flags: tuple[str, ...],
                 iterations: int, cfg: TandemConfig) -> Row:
    board = Board.from_platform(board_name, cfg)
    spec = FirmwareSpec(
        sources=tuple(str(src / n) for n in COREMARK_SOURCES) + (str(PORT / "core_portme.c"),),
        name="coremark", opt=opt,
        # The port directory comes first so that its core_portme.h is the one included.
        extra_cflags=(f"-I{PORT}", f"-I{src}", "-w", f"-DITERATIONS={iterations}",
                      f'-DCOMPILER_FLAGS="{" ".join((opt,) + flags)}"') + flags)
    board.load_elf(build_firmware(board.platform, spec, cfg))
    result = board.run(max_cycles=400_000 * iterations + 50_000_000)
    out = result.output
    ticks = re.search(r"Total ticks\s*:\s*(\d+)", out)
    if ticks is None:
        raise FidelityError(f"CoreMark on {board_name} printed no 'Total ticks':\n{out}")
    for name, want in COREMARK_CRCS.items():
        m = re.search(rf"\[0\]{name}\s*:\s*0x([0-9a-fA-F]+)", out)
        if m is None or int(m.group(1), 16) != want:
            raise FidelityError(f"CoreMark on {board_name} ({opt} {' '.join(flags)}): {name} "
                                f"is {m.group(1) if m else 'missing'}, expected {want:#06x}")
    n = int(ticks.group(1))
    core = _family(board.platform.cpu.cpu_type)
    return Row("CoreMark", board_name, core, board.cpu_hz / 1e6, " ".join((opt,) + flags),
               n / iterations, iterations * 1e6 / n, PUBLISHED[("coremark", core)])


def run_dhrystone(src: Path, board_name: str, opt: str, flags: tuple[str, ...], runs: int,
                  cfg: TandemConfig) -> Row:
    board = Board.from_platform(board_name, cfg)
    spec = FirmwareSpec(
        sources=tuple(str(src / n) for n in DHRYSTONE_SOURCES) + (str(PORT / "dhry_port.c"),),
        name="dhrystone", opt=opt,
        # dhry_compat.h first: copies that declare times() K&R style build against newlib's
        extra_cflags=("-include", str(PORT / "dhry_compat.h"), f"-I{src}", "-w", "-DTIMES",
                      "-DHZ=100") + flags,
        stack_size=0x1000, heap_size=0x1000)  # fits the 20 KiB of a Blue Pill
    board.load_elf(build_firmware(board.platform, spec, cfg))
    # Two run counts with the same number of digits (10^k and 9 * 10^k, k from `runs`): the
    # difference is exactly 8 * 10^k runs of the benchmark loop; start-up and printing
    # (which prints the run count) cancel out.
    counts = run_counts(runs)
    totals = []
    for n in counts:
        result = board.run(max_cycles=2_000 * n + 50_000_000, stdin=f"{n}\n".encode())
        if f"{n}" not in result.output:
            raise FidelityError(f"Dhrystone on {board_name} did not echo the run count {n}: "
                                "does main read it with scanf?\n" + result.output[-500:])
        totals.append(result.cycles)
    per_run = (totals[1] - totals[0]) / (counts[1] - counts[0])
    core = _family(board.platform.cpu.cpu_type)
    return Row("Dhrystone", board_name, core, board.cpu_hz / 1e6, " ".join((opt,) + flags),
               per_run, 1e6 / (per_run * DHRYSTONE_MIPS_DIVISOR),
               PUBLISHED[("dhrystone", core)])


def run_counts(runs: int) -> tuple[int, int]:
    """Dhrystone run counts with the digit count of ``runs``: 10^k and 9 * 10^k."""
    k = max(1, len(str(max(1, runs))) - 1)
    return 10 ** k, 9 * 10 ** k


def _flag_sets(extra: list[str] | None,
               default: tuple[tuple[str, tuple[str, ...]], ...]
               ) -> list[tuple[str, tuple[str, ...]]]:
    sets = list(default)
    for text in extra or []:
        words = text.split()
        opt = next((w for w in words if re.fullmatch(r"-O[0-3sz]|-Ofast", w)), "-O2")
        sets.append((opt, tuple(w for w in words if w != opt)))
    return sets


def print_table(rows: list[Row]) -> None:
    print("| benchmark | board | core | MHz | flags | cycles/iter | score/MHz | published "
          "| error |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.bench} | {r.board} | {r.core} | {r.mhz:g} | {r.flags} | {r.cycles:,.0f} "
              f"| {r.score:.3f} | {r.published:.2f} | {r.error_pct:+.1f}% |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coremark", type=Path, help="directory of a CoreMark checkout")
    ap.add_argument("--dhrystone", type=Path, help="directory with dhry.h, dhry_1.c, dhry_2.c")
    ap.add_argument("--boards", nargs="+", default=list(BOARDS))
    ap.add_argument("--iterations", type=int, default=10, help="CoreMark iterations")
    ap.add_argument("--runs", type=int, default=500,
                    help="Dhrystone run-count magnitude: runs 10^k and 9*10^k times (default 100, 900)")
    ap.add_argument("--coremark-flags", action="append",
                    help='another flag set, e.g. "-O2 -funroll-loops" (repeatable)')
    ap.add_argument("--dhrystone-flags", action="append", help="another flag set (repeatable)")
    args = ap.parse_args(argv)
    if args.coremark is None and args.dhrystone is None:
        ap.error("give --coremark and/or --dhrystone")
    cfg = TandemConfig.from_env()
    rows: list[Row] = []
    try:
        if args.coremark is not None:
            src = args.coremark.expanduser().resolve()
            _check_sources(src, COREMARK_SOURCES + ("coremark.h",), "CoreMark")
            for board in args.boards:
                for opt, flags in _flag_sets(args.coremark_flags, COREMARK_FLAGS):
                    rows.append(run_coremark(src, board, opt, flags, args.iterations, cfg))
        if args.dhrystone is not None:
            src = args.dhrystone.expanduser().resolve()
            _check_sources(src, DHRYSTONE_SOURCES + ("dhry.h",), "Dhrystone")
            for board in args.boards:
                for opt, flags in _flag_sets(args.dhrystone_flags, DHRYSTONE_FLAGS):
                    rows.append(run_dhrystone(src, board, opt, flags, args.runs, cfg))
    except (FidelityError, ToolchainError) as exc:
        print(f"fidelity: {exc}", file=sys.stderr)
        return 1
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
