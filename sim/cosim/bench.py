"""Co-simulation speed figures: bridge overhead per accelerator run and RTL cycles per second.

``python -m tandem.cosim.bench [--simulator verilator|icarus] [--accel conv8x8] [--runs N]`` builds
firmware/tests/accel_roundtrip.c twice and runs it with :func:`run_with_accel`:

* tiny jobs (one pixel): the host time per START..done round trip minus the time the simulator
  spent from hand-over to ``seq_done`` is the bridge's overhead (memory planning and files,
  signal writes, copy-back, bookkeeping); the median and mean are printed, together with the
  whole round trip;
* a large layer: accelerator cycles per second of simulator wall time inside the bridge.
"""
from __future__ import annotations

import argparse
import statistics

from tandem.config import TandemConfig
from tandem.cosim.run import CosimResult, resolve_accel, run_with_accel
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.platform.model import load_platform


def _run(board: str, accel: str, simulator: str, defines: dict[str, str], cfg: TandemConfig) -> CosimResult:
    platform = load_platform(board, cfg.platforms_search, [resolve_accel(accel, cfg)])
    name = "accel_roundtrip_" + "_".join(f"{k[6:].lower()}{v}" for k, v in sorted(defines.items()))
    elf = build_firmware(platform, FirmwareSpec(("tests/accel_roundtrip.c", "drivers/conv_accel.c"),
                                                name=name, defines=defines), cfg)
    res = run_with_accel(board, elf, accel, cfg, simulator=simulator)
    if res.run.exit_code != 0:
        raise SystemExit(f"benchmark firmware failed: {res.run.output}")
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", default="verilator", choices=("verilator", "icarus"))
    parser.add_argument("--accel", default="conv8x8")
    parser.add_argument("--board", default="stm32f4_discovery")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--layer", default="16,16,32,32,3",
                        help="H,W,IC,OC,K of the large layer (SAME, stride 1)")
    args = parser.parse_args(argv)
    cfg = TandemConfig.from_env()

    res = _run(args.board, args.accel, args.simulator, {"ACCEL_ROUNDTRIPS": str(args.runs)}, cfg)
    jobs = res.jobs[1:]  # the first run also warms up the caches
    over = [j["overhead_seconds"] * 1e6 for j in jobs]
    wall = [j["wall_seconds"] * 1e6 for j in jobs]
    cyc = statistics.median(j["accel_cycles"] for j in jobs)
    board_only = res.run.wall_seconds - sum(j["wall_seconds"] for j in res.jobs)
    print(f"{args.simulator} {args.accel}: {len(res.jobs)} tiny runs ({cyc:.0f} accelerator cycles each)")
    print(f"  bridge overhead per START..done, excluding RTL time: median {statistics.median(over):.0f} us, "
          f"mean {statistics.mean(over):.0f} us, p90 {sorted(over)[int(0.9 * len(over))]:.0f} us")
    print(f"  whole round trip (overhead + RTL + sequencer):        median {statistics.median(wall):.0f} us")
    print(f"  board emulation between runs: {board_only / len(res.jobs) * 1e6:.0f} us per run; "
          f"simulator process {res.child_seconds:.2f} s, set-up {res.setup_seconds:.2f} s, "
          f"run_with_accel {res.total_seconds:.2f} s")

    h, w, ic, oc, k = (int(v) for v in args.layer.split(","))
    defines = {"ACCEL_ROUNDTRIPS": "5", "ACCEL_H": str(h), "ACCEL_W": str(w), "ACCEL_IC": str(ic),
               "ACCEL_OC": str(oc), "ACCEL_K": str(k)}
    res = _run(args.board, args.accel, args.simulator, defines, cfg)
    cycles = sum(j["accel_cycles"] for j in res.jobs)
    rtl = sum(j["rtl_seconds"] for j in res.jobs)
    util = statistics.mean(j["mac_utilisation"] for j in res.jobs)
    print(f"{args.simulator} {args.accel}: layer {h}x{w}x{ic} k{k}x{k} -> {oc}, {len(res.jobs)} runs of "
          f"{res.jobs[0]['accel_cycles']:,} cycles (MAC utilisation {util:.3f})")
    print(f"  RTL speed inside the bridge: {cycles / rtl / 1e6:.2f} M accelerator cycles/s "
          f"({rtl / len(res.jobs) * 1e3:.1f} ms per run; overhead "
          f"{statistics.median(j['overhead_seconds'] for j in res.jobs) * 1e6:.0f} us per run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
