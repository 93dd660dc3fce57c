"""The ``tandem`` command line: boards, build, run, demo.

Every user error is a :class:`~tandem.errors.TandemError`; ``main`` prints its message (never a
traceback) and exits with its code. ``tandem run`` exits with the firmware's own exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tandem import __version__
from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.errors import FirmwareFault, TandemError


def _cycles(text: str) -> int:
    try:
        value = int(float(text)) if "e" in text.lower() else int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a cycle count: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the cycle limit must be positive")
    return value


def cmd_boards(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.platform import list_boards, load_platform

    for name in list_boards(cfg.platforms_dir):
        p = load_platform(name, cfg.platforms_dir)
        print(f"{name:<20} {p.describe()}")
    return 0


def cmd_build(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.firmware.build import FirmwareSpec, build_firmware
    from tandem.platform import load_platform

    platform = load_platform(args.board, cfg.platforms_dir)
    sources = tuple(str(Path(s).resolve()) for s in args.sources)
    elf = build_firmware(platform, FirmwareSpec(sources, opt=args.opt), cfg)
    print(elf)
    return 0


def _summary(result: object) -> str:
    from tandem.machine.results import RunResult

    assert isinstance(result, RunResult)
    memory = ""
    if result.stack_bytes is not None:
        memory += f"; stack {result.stack_bytes:,} B"
    if result.heap_bytes is not None:
        memory += f", heap {result.heap_bytes:,} B"
    return (f"[tandem] {result.board}: exit {result.exit_code}; {result.instructions:,} instructions, "
            f"{result.cycles:,} cycles = {result.sim_seconds * 1e3:.3f} ms at "
            f"{result.cpu_hz / 1e6:g} MHz{memory}; {result.wall_seconds:.3f} s wall, "
            f"{result.mips:.1f} host MIPS")


def cmd_run(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.machine.board import Board

    if args.accel:
        return _run_accel(args, cfg)
    if args.waves:
        raise TandemError("--waves needs --accel (the waveform is the accelerator's RTL)")
    board = Board.from_platform(args.board, cfg, exact_flash_data=args.exact_flash_data)
    board.load_elf(args.firmware)
    stdin = sys.stdin.buffer.read() if args.stdin else b""
    stream = None if args.quiet else sys.stdout.buffer
    profile = args.profile is not None
    try:
        result = board.run(max_cycles=args.max_cycles, stdin=stdin, stream=stream, profile=profile,
                           vector_faults=args.vector_faults)
    except FirmwareFault as fault:
        if args.json:
            _write_json(args.json, {"error": fault.summary, "report": fault.report,
                                    "cycles": board.counter.cycles, "output": board.console.out.decode("utf-8", "replace")})
        if profile:  # where the cycles went up to the fault
            _write_json(args.profile, board.profile().to_speedscope())
        raise
    for note in result.notes:
        print(f"[tandem] note: {note}", file=sys.stderr)
    print(_summary(result), file=sys.stderr)
    if result.profile is not None:
        print(result.profile.table(args.top), file=sys.stderr)
        _write_json(args.profile, result.profile.to_speedscope())
        print(f"[tandem] profile written to {args.profile} (open it in https://www.speedscope.app)",
              file=sys.stderr)
    if args.json:
        data = result.to_json()
        if result.profile is not None:
            data["profile"] = result.profile.to_json()
        _write_json(args.json, data)
    return result.exit_code & 0xFF if result.exit_code >= 0 else 1


def _run_accel(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.cosim import run_with_accel

    if args.profile:
        raise TandemError("--profile is not available with --accel yet")
    stdin = sys.stdin.buffer.read() if args.stdin else b""
    res = run_with_accel(args.board, args.firmware, args.accel, cfg, simulator=args.simulator,
                         max_cycles=args.max_cycles, stdin=stdin, stream=not args.quiet,
                         waves=args.waves, vector_faults=args.vector_faults)
    result = res.run
    sys.stdout.flush()
    for note in result.notes:
        print(f"[tandem] note: {note}", file=sys.stderr)
    stall = sum(int(j["stall_cycles"]) for j in res.jobs)
    print(_summary(result), file=sys.stderr)
    print(f"[tandem] accelerator ({args.accel}, {res.simulator}): {len(res.jobs)} runs, {stall:,} stall "
          f"cycles ({100 * stall / max(result.cycles, 1):.1f}% of the run); "
          f"RTL build {'cached' if res.build_seconds == 0 else f'{res.build_seconds:.1f} s'}, "
          f"{res.total_seconds:.2f} s wall in all", file=sys.stderr)
    for j in res.jobs:
        err = f" error {j['error_code']}" if j["error_code"] else ""
        print(f"[tandem]   run {j['index']}: {j['accel_cycles']:,} accelerator cycles -> {j['stall_cycles']:,} "
              f"CPU cycles{err}; {j['bytes_in']:,} B in, {j['bytes_out']:,} B out; MAC utilisation "
              f"{j['mac_utilisation']:.3f}", file=sys.stderr)
    if res.waves is not None:
        print(f"[tandem] waveform: {res.waves}", file=sys.stderr)
    if args.json:
        _write_json(args.json, res.to_json())
    return result.exit_code & 0xFF if result.exit_code >= 0 else 1


def _write_json(path: str, data: dict[str, object]) -> None:
    try:
        Path(path).write_text(json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise TandemError(f"{path}: cannot write JSON: {exc.strerror}") from None


def cmd_size(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.firmware.elf import ElfImage
    from tandem.platform import load_platform
    from tandem.reports.memory import memory_report

    platform = load_platform(args.board, cfg.platforms_dir)
    report = memory_report(ElfImage.load(args.firmware), platform)
    print(report.text(top=args.top))
    if args.json:
        _write_json(args.json, report.to_json())
    return 0


def _load_inputs(paths: list[str] | None) -> list[object] | None:
    if not paths:
        return None
    import numpy as np

    arrays = []
    for path in paths:
        try:
            arrays.append(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise TandemError(f"{path}: cannot read input array: {exc}") from None
    return arrays


def cmd_infer(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.tinyml.infer import check_inputs, random_inputs, read_model, run_model, run_model_accel
    from tandem.tinyml.report import check_lines, compare_outputs, compare_table, op_table, totals

    try:
        model = Path(args.model).read_bytes()
    except OSError as exc:
        raise TandemError(f"{args.model}: cannot read model: {exc.strerror}") from None
    info = read_model(model, args.model)
    inputs = _load_inputs(args.input)
    used = check_inputs(info, inputs) if inputs is not None else random_inputs(info, args.seed)  # type: ignore[arg-type]
    if args.compare and not args.accel:
        raise TandemError("--compare needs --accel (it compares CPU-only with accelerated)")
    if args.profile and args.accel and not args.compare:
        raise TandemError("--profile profiles the CPU-only run: use it with --compare, or without --accel")
    runs = []
    if not args.accel or args.compare:
        print(f"[tandem] building the runtime image for {args.board} (op set {args.op_set}) and simulating "
              f"{args.invocations} inference(s) on the CPU ...", file=sys.stderr, flush=True)
        runs.append(run_model(args.board, args.model, cfg, used, args.invocations, args.op_set, args.max_cycles,
                              args.seed, profile=args.profile is not None, exact_flash_data=args.exact_flash_data))
    if args.accel:
        print(f"[tandem] building the runtime (accelerated CONV_2D) and the {args.accel} RTL on {args.simulator}, "
              f"then co-simulating ...", file=sys.stderr, flush=True)
        runs.append(run_model_accel(args.board, args.model, cfg, args.accel, used, args.invocations,
                                    args.max_cycles, args.seed, args.simulator, args.waves))
    from tandem.platform import load_platform

    print(f"{args.model} on {args.board} ({load_platform(args.board, cfg.platforms_dir).describe()})")
    for r in runs:
        title = f"with the {r.extra['accel']} accelerator ({r.extra['simulator']})" if "accel" in r.extra else "CPU only"
        print(f"\n-- {title}")
        print(op_table(r))
        print(totals(r))
    result = runs[-1]
    data = result.to_json()
    for o_json, o in zip(data["ops"], result.ops):  # type: ignore[union-attr]
        o_json.update({"where": o.where, "accel_cycles": o.accel_cycles, "stall_cycles": o.stall_cycles,
                       "bytes_moved": o.bytes_moved, "mac_utilisation": o.mac_utilisation})
    if len(runs) == 2:
        cpu, acc = runs
        print("\n-- CPU only vs accelerated")
        print(compare_table(cpu, acc))
        data["cpu_only"] = cpu.to_json()
        data["speedup"] = cpu.cycles / acc.cycles if acc.cycles else None
        for o_json, c, a in zip(data["ops"], cpu.ops, acc.ops):  # type: ignore[union-attr]
            o_json["cpu_only_cycles"] = c.cycles
            o_json["speedup"] = c.cycles / a.cycles if a.cycles else None
    if result.run.stack_bytes is not None:
        data["stack_bytes"] = result.run.stack_bytes
    profiled = next((r for r in runs if r.run.profile is not None), None)
    if profiled is not None and profiled.run.profile is not None:
        print(f"\n-- cycles per function ({'CPU-only run' if len(runs) == 2 else 'whole run'}, top {args.top})")
        print(profiled.run.profile.table(args.top))
        _write_json(args.profile, profiled.run.profile.to_speedscope())
        print(f"[tandem] profile written to {args.profile} (open it in https://www.speedscope.app)", file=sys.stderr)
    if args.plot:
        from tandem.tinyml.plots import plot_ops

        plot_ops(runs, args.plot, f"{Path(args.model).name} on {args.board}")
        print(f"[tandem] plot written to {args.plot}", file=sys.stderr)
    if args.timeline:
        from tandem.tinyml.plots import write_timeline

        write_timeline(runs, args.timeline)
        print(f"[tandem] timeline written to {args.timeline} (open it in https://ui.perfetto.dev)", file=sys.stderr)
    exact = True
    if args.check:
        from tandem.tinyml.litert_ref import run_reference

        expected = run_reference(model, used, args.invocations)
        print()
        for r in runs:
            checks = compare_outputs(r.outputs, expected)
            label = "accelerated" if "accel" in r.extra else "CPU only"
            print(f"[{label}] " + check_lines(checks).replace("\n", f"\n[{label}] "))
            exact = exact and all(c.exact for c in checks)
        data["outputs_match_reference"] = exact
    if args.json:
        _write_json(args.json, data)
    return 0 if exact else 1


def cmd_demo(args: argparse.Namespace, cfg: TandemConfig) -> int:
    """Keyword spotting on the NUCLEO-L4R5ZI, CPU-only and with the RTL accelerator."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = cfg.root / "examples" / "models" / "kws_ds_cnn.tflite"
    print("tandem demo: a DS-CNN keyword-spotting model (int8, 49x10 MFCC input, 2.66 M MACs) on a simulated\n"
          "NUCLEO-L4R5ZI (Cortex-M4F, 120 MHz, flash at 5 wait states behind the ART), run by tandem's micro\n"
          "runtime: first on the CPU with the reference kernels, then with CONV_2D on the conv8x8 RTL\n"
          "accelerator co-simulated under cocotb (Verilator). Outputs are checked against LiteRT.\n", flush=True)
    demo_args = build_parser().parse_args([
        "infer", "--board", "nucleo_l4r5zi", "--model", str(model), "--accel", "conv8x8", "--compare", "--check",
        "--plot", str(out / "kws_ops.png"), "--timeline", str(out / "kws_timeline.json"),
        "--profile", str(out / "kws_cpu_profile.json"), "--top", "8", "--json", str(out / "kws.json"),
    ])
    rc = cmd_infer(demo_args, cfg)
    print(f"\nwritten to {out}/: kws_ops.png (cycles per op, CPU-only vs accelerated), kws_timeline.json\n"
          f"(per-op timeline: open in https://ui.perfetto.dev), kws_cpu_profile.json (cycles per function of\n"
          f"the CPU-only run: open in https://www.speedscope.app), kws.json (all figures)")
    return rc


def cmd_bench(args: argparse.Namespace, cfg: TandemConfig) -> int:
    from tandem.machine.bench import bench_sim

    print(f"tandem bench sim: firmware/tests/cpubound.c ({args.rounds} rounds), best of {args.runs} runs")
    for board in args.board:
        runs = [bench_sim(board, cfg, args.rounds, profile=args.profile) for _ in range(args.runs)]
        best_board = min(runs, key=lambda r: r.board_seconds)
        best_bare = min(runs, key=lambda r: r.bare_seconds)
        r = runs[0]
        line = (f"{board:<18} {r.instructions / 1e6:7.1f} M instructions {r.cycles / 1e6:7.1f} M cycles  "
                f"board {best_board.board_mips:6.1f} MIPS  bare Unicorn {best_bare.bare_mips:6.1f} MIPS  "
                f"ratio {best_board.board_mips / best_bare.bare_mips:.2f}")
        if args.profile:
            best_prof = max(x.profiled_mips or 0.0 for x in runs)
            line += f"  --profile {best_prof:6.1f} MIPS"
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description="Simulated Cortex-M boards for tiny ML")
    parser.add_argument("--version", action="version", version=f"tandem {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("boards", help="list the boards (core, clock, memories)")
    p.set_defaults(func=cmd_boards)

    p = sub.add_parser("build", help="build C sources into firmware for a board")
    p.add_argument("--board", required=True)
    p.add_argument("--opt", default="-O2", help="optimisation flag (default -O2)")
    p.add_argument("sources", nargs="+")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("run", help="run a firmware ELF on a simulated board")
    p.add_argument("--board", required=True, help="board name (see `tandem boards`) or a .repl file")
    p.add_argument("--max-cycles", type=_cycles, default=DEFAULT_MAX_CYCLES,
                   help=f"stop a runaway program after this many cycles (default {DEFAULT_MAX_CYCLES:,})")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON")
    p.add_argument("--stdin", action="store_true", help="feed this process's standard input to the console")
    p.add_argument("--quiet", action="store_true", help="do not stream the firmware's output")
    p.add_argument("--exact-flash-data", action="store_true",
                   help="also time data loads from wait-stated flash (exact, about 4x slower to simulate)")
    p.add_argument("--vector-faults", action="store_true",
                   help="take faults into the firmware's own handlers (default: stop with a report)")
    p.add_argument("--profile", metavar="OUT.json",
                   help="profile cycles per function (speedscope JSON) and print the top functions")
    p.add_argument("--top", type=int, default=20, metavar="N",
                   help="functions in the --profile table (default 20; 0: all)")
    p.add_argument("--accel", metavar="NAME",
                   help="co-simulate the RTL convolution accelerator: an overlay under platforms/accel/ "
                        "(conv4x4, conv8x8, conv16x16) or a .repl file")
    p.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator",
                   help="RTL simulator for --accel (default verilator)")
    p.add_argument("--waves", metavar="OUT.fst", help="with --accel: dump the RTL's waveform (.fst; .vcd with Verilator)")
    p.add_argument("firmware")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("infer", help="run a .tflite model on a board with tandem's micro runtime")
    p.add_argument("--board", required=True)
    p.add_argument("--model", required=True, metavar="M.tflite")
    p.add_argument("--input", action="append", metavar="X.npy", help="input array (one per model input)")
    p.add_argument("--check", action="store_true", help="compare outputs with LiteRT's reference kernels")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--invocations", type=int, default=1, help="inferences to run (default 1)")
    p.add_argument("--op-set", default="reference", help="kernel/op set of the runtime image (reference, dscnn)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random input when no --input is given")
    p.add_argument("--max-cycles", type=_cycles, default=DEFAULT_MAX_CYCLES)
    p.add_argument("--profile", metavar="OUT.json", help="profile cycles per function (speedscope JSON)")
    p.add_argument("--top", type=int, default=15, metavar="N", help="functions in the --profile table")
    p.add_argument("--exact-flash-data", action="store_true",
                   help="also time data loads from wait-stated flash (exact, about 4x slower to simulate)")
    p.add_argument("--accel", metavar="NAME", help="co-simulate the RTL accelerator overlay (e.g. conv8x8)")
    p.add_argument("--compare", action="store_true", help="with --accel: also run CPU-only and print the speedup")
    p.add_argument("--simulator", default="verilator", choices=("verilator", "icarus"))
    p.add_argument("--waves", metavar="OUT.vcd", help="with --accel: dump the accelerator's waveform")
    p.add_argument("--plot", metavar="OUT.png", help="bar chart of cycles per op (CPU-only vs accelerated)")
    p.add_argument("--timeline", metavar="OUT.json", help="per-op timeline (Chrome/Perfetto trace)")
    p.set_defaults(func=cmd_infer)

    p = sub.add_parser("size", help="flash and RAM use of a firmware ELF on a board")
    p.add_argument("--board", required=True, help="board name (see `tandem boards`) or a .repl file")
    p.add_argument("--top", type=int, default=15, metavar="N", help="largest symbols to list (default 15)")
    p.add_argument("--json", metavar="OUT", help="write the report as JSON")
    p.add_argument("firmware")
    p.set_defaults(func=cmd_size)

    p = sub.add_parser("bench", help="speed benchmarks (host MIPS)")
    bench = p.add_subparsers(dest="what", required=True)
    q = bench.add_parser("sim", help="a CPU-bound firmware on the board vs Unicorn with no hooks")
    q.add_argument("--board", action="append", default=None, help="board(s); default stm32f4_discovery and bluepill")
    q.add_argument("--rounds", type=int, default=4000, help="work size (default 4000: about 30 M instructions)")
    q.add_argument("--runs", type=int, default=3)
    q.add_argument("--profile", action="store_true", help="also time runs with the function profiler")
    q.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="keyword spotting on the NUCLEO-L4R5ZI, CPU-only and with the RTL accelerator")
    p.add_argument("--out", default="tandem-demo", help="directory for the plot, timeline and profile")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = TandemConfig.from_env()
    if getattr(args, "what", None) == "sim" and not args.board:
        args.board = ["stm32f4_discovery", "bluepill"]
    try:
        return int(args.func(args, cfg))
    except TandemError as err:
        sys.stdout.flush()
        print(f"tandem: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("tandem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tandem boards | head`: the reader went away, nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
