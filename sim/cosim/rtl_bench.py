"""Speed of a Tandem.RtlPeripheral: CPU-to-RTL register access overhead and RTL cycles per second.

``tandem bench cosim`` or ``python -m tandem.cosim.rtl_bench [--accel mac_axil] [--loops N]``.
Workload, for a register block (the example MAC unit's overlay by default):
firmware/tests/rtlp_bench.S on generic_m4 with the overlay:

* ``--loops`` iterations of a store and a load of one register (2 transactions each); the run's
  host wall time per transaction is the whole path (Unicorn's MMIO callback, the bus dispatch,
  the peripheral's clock arithmetic, one ctypes call, the Verilated handshakes). The same number
  of calls straight into the model (no CPU) gives the C/ctypes part alone;
* one run of ``--latency`` RTL cycles waited for by a blocking read: RTL cycles per second of
  host time (the Verilated model clocked from C, no Python per cycle);
* with ``--memory-kib`` > 0, the memory port busy: firmware/tests/vmac_bench.c makes the vector
  MAC unit (platforms/accel/vmac_axi.repl) read ``--memory-kib`` KiB of flash and as much SRAM,
  four times, in 16-beat AXI4 bursts served by the shim from the board's memory: RTL cycles and
  beats per second.

For tandem's conv engine (``tandem bench cosim --accel conv8x8``, conv4x4, conv16x16; the CLI sets
the inference up, models being a layer above this one) the workload is one KWS DS-CNN inference
(examples/models/kws_ds_cnn.tflite) on nucleo_l4r5zi with the engine on the bus, as ``tandem
infer --accel conv8x8`` runs it: the engine's cycles (its CYCLES register, summed over its jobs)
and the clock edges the model evaluated per second of the run, and from a second run on a build
timing itself (``TANDEM_PROFILE``) the split of the run into the Verilated model's eval, the
shim's own per-cycle work (the rest of the time inside the library) and everything outside it
(Python, Unicorn, ctypes).

Times are this process's CPU time (``time.process_time``), steadier than wall time on a shared
machine; best of two runs.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tandem.accel.joblog import AccessLog, jobs_of
from tandem.config import TandemConfig
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.machine.board import Board
from tandem.peripherals.rtl_peripheral import RtlPeripheral, model_spec
from tandem.platform.model import load_platform
from tandem.platform.search import resolve_accel
from tandem.rtlsim.model import Profile, build_model

ENGINES = ("conv4x4", "conv8x8", "conv16x16")  # tandem's conv engine overlays (the inference workload)
ENGINE_BOARD = "nucleo_l4r5zi"
ENGINE_MODEL = "examples/models/kws_ds_cnn.tflite"


def _board_run(board: str, accel: str, loops: int, latency: int, cfg: TandemConfig) -> tuple[float, RtlPeripheral, int]:
    cfg.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cfg.cache_dir) as tmp:
        timeout = Path(tmp) / "timeout.repl"  # the long run waits longer than the overlay allows
        timeout.write_text(f"accel:\n    timeoutCycles: {2 * latency + 1000}\n")
        platform = load_platform(board, cfg.platforms_search, [resolve_accel(accel, cfg.platforms_dir), timeout])
    elf = build_firmware(platform, FirmwareSpec(("tests/rtlp_bench.S",), name=f"rtlp_bench_{loops}_{latency}",
                                                extra_cflags=(f"-DLOOPS={loops}", f"-DLATENCY={latency}")), cfg)
    b = Board(platform, cfg)
    b.load_elf(elf)
    periph = next(p for p in b.peripherals.values() if isinstance(p, RtlPeripheral))
    t0 = time.process_time()
    result = b.run(max_cycles=1 << 40)
    wall = time.process_time() - t0
    if result.exit_code != 0:
        raise SystemExit(f"benchmark firmware failed (exit {result.exit_code})")
    return wall, periph, result.cycles


def _memory_run(board: str, kib: int, repeat: int, cfg: TandemConfig) -> tuple[float, RtlPeripheral]:
    length = kib * 1024
    with tempfile.TemporaryDirectory(dir=cfg.cache_dir) as tmp:
        timeout = Path(tmp) / "timeout.repl"  # 16 words: 35 RTL cycles at zero wait states
        timeout.write_text(f"accel:\n    timeoutCycles: {length * 4 + 1000}\n")
        platform = load_platform(board, cfg.platforms_search, [resolve_accel("vmac_axi", cfg.platforms_dir), timeout])
    elf = build_firmware(platform, FirmwareSpec(("tests/vmac_bench.c",), name=f"vmac_bench_{kib}_{repeat}",
                                                extra_cflags=(f"-DLEN={length}", f"-DREPEAT={repeat}")), cfg)
    b = Board(platform, cfg)
    b.load_elf(elf)
    periph = next(p for p in b.peripherals.values() if isinstance(p, RtlPeripheral))
    t0 = time.process_time()
    result = b.run(max_cycles=1 << 40)
    wall = time.process_time() - t0
    if result.exit_code != 0:
        raise SystemExit(f"memory benchmark firmware failed (exit {result.exit_code})")
    return wall, periph


def _engine_run(make_board: Callable[[], Board], cfg: TandemConfig, profile: bool) -> tuple[float, int, int, Profile]:
    """One inference with the engine on the bus (``make_board``: the board, loaded and ready to
    run it): (CPU seconds of the run, engine cycles, RTL cycles, the library's counters)."""
    b = make_board()
    periph = next(p for p in b.peripherals.values() if isinstance(p, RtlPeripheral))
    if profile:
        spec = replace(model_spec(periph.spec), profile=True)
        periph.load_model(build_model(spec, cfg.cache_dir / "rtl", cfg.cxx)[0])
    periph.log = AccessLog()  # as tandem infer runs it: the log gives the jobs
    t0 = time.process_time()
    result = b.run(max_cycles=1 << 40)
    wall = time.process_time() - t0
    if result.exit_code != 0:
        raise SystemExit(f"inference firmware failed (exit {result.exit_code})")
    engine = sum(int(j["accel_cycles"]) for j in jobs_of(periph.log))
    return wall, engine, periph.rtl.cycles, periph.rtl.profile()


def bench_engine(board: str, accel: str, make_board: Callable[[], Board], cfg: TandemConfig) -> list[str]:
    """The conv engine's report lines: the speed (best of two runs), then the profiled split.
    The inference is set up by the caller (``tandem bench cosim``: this layer does not know
    models)."""
    lines = [f"tandem bench cosim: {accel} (tandem's conv engine, Verilated, driven from C) on {board}, "
             f"one {Path(ENGINE_MODEL).name} inference"]
    wall, engine, rtl_cycles, prof = min((_engine_run(make_board, cfg, False) for _ in range(2)),
                                         key=lambda r: r[0])
    lines.append(f"  {engine:,} engine cycles (CYCLES, summed over the jobs); {rtl_cycles:,} RTL cycles, "
                 f"{prof.edges:,} of them evaluated ({prof.skipped:,} skipped at fixed points) in "
                 f"{wall:.3f} s CPU -> {engine / wall / 1e6:.2f} M engine cycles/s, "
                 f"{prof.edges / wall / 1e6:.2f} M evaluated edges/s")
    pwall, _, _, p = _engine_run(make_board, cfg, True)
    shim = p.call_seconds - p.eval_seconds
    rest = pwall - p.call_seconds
    lines.append(f"  split (a TANDEM_PROFILE build, {pwall:.3f} s CPU): Verilated eval {p.eval_seconds:.3f} s "
                 f"({p.eval_seconds / pwall:.0%}), the shim's own work {shim:.3f} s ({shim / pwall:.0%}), "
                 f"outside the library (Python, Unicorn, ctypes) {rest:.3f} s ({rest / pwall:.0%}); "
                 f"inside the library {p.edges / p.call_seconds / 1e6:.2f} M edges/s")
    return lines


def default_board(accel: str) -> str:
    return ENGINE_BOARD if accel in ENGINES else "generic_m4"


def bench(board: str, accel: str, loops: int, latency: int, cfg: TandemConfig, memory_kib: int = 0) -> list[str]:
    """The report's lines (best of two runs each); for the conv engine see :func:`bench_engine`."""
    lines = [f"tandem bench cosim: {accel} (Tandem.RtlPeripheral, Verilated, driven from C) on {board}"]
    runs = [_board_run(board, accel, loops, 0, cfg) for _ in range(2)]
    wall, periph, cycles = min(runs, key=lambda r: r[0])
    n = periph.transactions
    lines.append(f"  {loops:,} x (STR + LDR of register A): {n:,} transactions, {cycles:,} CPU cycles, "
                 f"{wall:.3f} s CPU -> {wall / n * 1e6:.2f} us per CPU access (whole path)")
    model = periph.rtl
    t0 = time.process_time()
    for i in range(n // 2):
        model.access(0, 0, True, i, 0xF, 1000)
        model.access(0, 0, False, 0, 0, 1000)
    direct = time.process_time() - t0
    lines.append(f"  the same {n:,} transactions called straight into the model: {direct / n * 1e6:.2f} us each "
                 "(ctypes + C handshakes)")
    if latency:
        runs = [_board_run(board, accel, 1, latency, cfg) for _ in range(2)]
        long_wall, periph, cycles = min(runs, key=lambda r: r[0])
        rtl_cycles = periph.rtl.cycles
        lines.append(f"  one START + blocking RESULT read of {latency:,} RTL cycles: {rtl_cycles:,} RTL cycles "
                     f"in {long_wall:.3f} s CPU -> {rtl_cycles / long_wall / 1e6:.2f} M RTL cycles/s")
    if memory_kib:
        runs_m = [_memory_run(board, memory_kib, 4, cfg) for _ in range(2)]
        mem_wall, mperiph = min(runs_m, key=lambda r: r[0])
        rtl_cycles, beats = mperiph.rtl.cycles, mperiph.rtl.beats()
        lines.append(f"  memory port busy (vmac_axi, 4 x {memory_kib:,} KiB flash . SRAM dot products): "
                     f"{rtl_cycles:,} RTL cycles, {beats:,} beats in {mem_wall:.3f} s CPU -> "
                     f"{rtl_cycles / mem_wall / 1e6:.2f} M RTL cycles/s, {beats / mem_wall / 1e6:.2f} M beats/s")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accel", default="mac_axil", help="a Tandem.RtlPeripheral overlay (default mac_axil)")
    parser.add_argument("--board", default=None, help=f"default generic_m4 ({ENGINE_BOARD} for {', '.join(ENGINES)})")
    parser.add_argument("--loops", type=int, default=20_000)
    parser.add_argument("--latency", type=int, default=10_000_000)
    parser.add_argument("--memory-kib", type=int, default=256)
    args = parser.parse_args(argv)
    if args.accel in ENGINES:
        raise SystemExit(f"{args.accel}: the conv engine's workload is an inference: "
                         f"tandem bench cosim --accel {args.accel}")
    board = args.board or default_board(args.accel)
    for line in bench(board, args.accel, args.loops, args.latency, TandemConfig.from_env(), args.memory_kib):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
