"""The ``tandem`` command line: boards, build, run, infer, compile, size, bench, sweep, demo, robot.

This module assembles the parser and runs a subcommand; each subcommand's implementation lives
in its own module (``tandem.cli.run`` and so on), imported only when that subcommand runs.

Every user error is a :class:`~tandem.errors.TandemError`; ``main`` prints its message (never a
traceback) and exits with its code (2: input, 3: the simulated program). Any other exception is
a bug in tandem: one line naming it, the traceback in a log file under the cache
(``logs/crash-*.log``), exit 70. Option errors are one line too. ``tandem run`` exits with the
firmware's own exit code.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from tandem import version
from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.errors import TandemError
from tandem.machine.limits import DEFAULT_MAX_HANDLER_CYCLES

MAX_CYCLE_LIMIT = 1 << 62  # the native counter's range with room to spare


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _cycles(text: str) -> int:
    try:
        value = int(float(text)) if "e" in text.lower() else int(text.replace("_", ""), 0)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not a cycle count: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the cycle limit must be positive")
    if value > MAX_CYCLE_LIMIT:
        raise argparse.ArgumentTypeError(f"the cycle limit must be at most {MAX_CYCLE_LIMIT:,}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < 1e9:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def _limits(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-seconds", type=_seconds, metavar="S",
                   help="stop the run after S seconds of host time (default: no limit)")
    p.add_argument("--max-handler-cycles", type=_int_in(0, MAX_CYCLE_LIMIT), default=DEFAULT_MAX_HANDLER_CYCLES,
                   metavar="N", help="stop when the core stays in exception handlers for N cycles without "
                                     f"returning to Thread mode (default {DEFAULT_MAX_HANDLER_CYCLES:,}; 0: off)")


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: an integer in [lo, hi]."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""), 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside {lo:,}..{hi:,}")
        return value

    return parse


def _plot_file(text: str) -> str:
    if not text.lower().endswith((".png", ".svg", ".pdf")):
        raise argparse.ArgumentTypeError(f"{text!r}: the plot is written as .png, .svg or .pdf")
    return text


_TOP = _int_in(0, 1_000_000)


class _Version(argparse.Action):
    """``--version``, with the version looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        sys.stdout.write(f"tandem {version()}\n")  # as argparse's own "version" action: stdout
        parser.exit(0)


def _command(module: str, name: str) -> Callable[[argparse.Namespace, TandemConfig], int]:
    """The subcommand's function, imported when it runs (``--help`` imports no simulator)."""

    def run(args: argparse.Namespace, cfg: TandemConfig) -> int:
        impl: Callable[[argparse.Namespace, TandemConfig], int] = getattr(
            importlib.import_module(f"tandem.cli.{module}"), name)
        return impl(args, cfg)

    return run


def _platforms(p: argparse.ArgumentParser) -> None:
    p.add_argument("--platforms", action="append", default=[], metavar="DIR",
                   help="a folder of platform files (boards/, cpus/; or a Renode root with platforms/) searched "
                        "before tandem's own for board names and `using` files; repeatable, first wins "
                        "(also TANDEM_PLATFORMS, colon-separated)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tandem", description="Simulated Cortex-M boards for tiny ML")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("boards", help="list the boards (core, clock, memories)")
    _platforms(p)
    p.set_defaults(func=_command("boards", "cmd_boards"))

    p = sub.add_parser("build", help="build C sources into firmware for a board")
    _platforms(p)
    p.add_argument("--board", required=True)
    p.add_argument("--opt", default="-O2", help="optimisation flag (default -O2)")
    p.add_argument("sources", nargs="+")
    p.set_defaults(func=_command("build", "cmd_build"))

    p = sub.add_parser("run", help="run a firmware ELF on a simulated board")
    _platforms(p)
    p.add_argument("--board", help="board name (see `tandem boards`) or a .repl file (not with a .resc script)")
    p.add_argument("--max-cycles", type=_cycles, default=DEFAULT_MAX_CYCLES,
                   help=f"stop a runaway program after this many cycles (default {DEFAULT_MAX_CYCLES:,})")
    _limits(p)
    p.add_argument("--variable", action="append", default=[], metavar="NAME=VALUE",
                   help="with a Renode monitor script (.resc): set $NAME before it runs (its `?=` keeps it); "
                        "@file for a file; repeatable")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON")
    p.add_argument("--stdin", action="store_true", help="feed this process's standard input to the console")
    p.add_argument("--quiet", action="store_true", help="do not stream the firmware's output")
    p.add_argument("--exact-flash-data", action="store_true",
                   help="no effect, kept for old scripts: data loads from wait-stated flash are always timed")
    p.add_argument("--vector-faults", action="store_true",
                   help="take faults into the firmware's own handlers (default: stop with a report)")
    p.add_argument("--check-memory", action="store_true",
                   help="stop at an access outside what the firmware owns (its sections, heap, stack)")
    p.add_argument("--profile", metavar="OUT.json",
                   help="profile cycles per function (speedscope JSON) and print the top functions")
    p.add_argument("--top", type=_TOP, default=20, metavar="N",
                   help="functions in the --profile table (default 20; 0: all)")
    p.add_argument("--accel", metavar="NAME|PATH.repl",
                   help="layer an accelerator overlay (a Tandem.RtlPeripheral, Verilated): a name under "
                        "platforms/accel/ (conv4x4, conv8x8, conv16x16, vmac_axi, mac_axil, mac_apb, mac_wb) "
                        "or your own .repl file")
    p.add_argument("--gdb", type=_int_in(0, 65535), metavar="PORT",
                   help="wait for GDB (target remote HOST:PORT) and run under it; 0 picks a free port")
    p.add_argument("--gdb-host", default="127.0.0.1", metavar="HOST",
                   help="the address the GDB server listens on (default 127.0.0.1, this machine only)")
    p.add_argument("firmware", help="an ELF, or a Renode monitor script (.resc)")
    p.set_defaults(func=_command("run", "cmd_run"))

    p = sub.add_parser("robot", help="run Robot Framework tests written with Renode's keywords (renode-test)")
    _platforms(p)
    p.add_argument("--variable", action="append", default=[], metavar="NAME:VALUE",
                   help="a Robot variable ${NAME} (repeatable)")
    p.add_argument("--include", action="append", default=[], metavar="TAG", help="run only tests with this tag")
    p.add_argument("--exclude", action="append", default=[], metavar="TAG", help="skip tests with this tag")
    p.add_argument("--test", action="append", default=[], metavar="NAME", help="run only this test (repeatable)")
    p.add_argument("files", nargs="+", metavar="FILE.robot")
    p.set_defaults(func=_command("robot", "cmd_robot"))

    p = sub.add_parser("infer", help="run a .tflite model on a board with tandem's micro runtime")
    _platforms(p)
    p.add_argument("--board", required=True)
    p.add_argument("--model", required=True, metavar="M.tflite")
    p.add_argument("--input", action="append", metavar="X.npy", help="input array (one per model input)")
    p.add_argument("--check", action="store_true",
                   help="compare outputs with LiteRT's reference kernels and TFLM's interpreter (where one "
                        "refuses the model, the other decides); prints TFLM's arena beside tandem's")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--invocations", type=_int_in(1, 1_000_000), default=1, help="inferences to run (default 1)")
    p.add_argument("--op-set", default="auto",
                   help="kernels linked into the runtime image: auto (default: optimized on a core with "
                        "the DSP extension, M4/M7/M33, as a CMSIS-NN application ships; model elsewhere), "
                        "model (the ops the model uses on the reference kernels, as a TFLM application "
                        "registers them), optimized (the model's ops on the optimized kernels where there "
                        "is one: DSP extension on M4/M7/M33, portable C elsewhere), reference (every "
                        "reference kernel), dscnn. With --accel the RTL block's kernels replace the CPU's "
                        "for the ops it runs")
    p.add_argument("--seed", type=_int_in(0, 2**32 - 1), default=0,
                   help="seed of the random input when no --input is given")
    p.add_argument("--runtime", choices=("interpreter", "aot"), default="interpreter",
                   help="interpreter (the flatbuffer read at run time; default) or aot (C generated for the "
                        "model by `tandem compile`, the same kernels)")
    p.add_argument("--compare-runtimes", action="store_true",
                   help="run both runtimes and print flash, RAM, arena and cycles per op side by side")
    p.add_argument("--max-cycles", type=_cycles, default=DEFAULT_MAX_CYCLES)
    _limits(p)
    p.add_argument("--no-check-memory", action="store_true",
                   help="turn the memory checker off (on by default: stops at a write outside the arena, "
                        "the I/O block and the runtime's own memory)")
    p.add_argument("--profile", metavar="OUT.json", help="profile cycles per function (speedscope JSON)")
    p.add_argument("--top", type=_TOP, default=15, metavar="N", help="functions in the --profile table")
    p.add_argument("--exact-flash-data", action="store_true",
                   help="no effect, kept for old scripts: data loads from wait-stated flash are always timed")
    p.add_argument("--accel", metavar="NAME|PATH.repl",
                   help="run with an RTL accelerator overlay on the bus (e.g. conv8x8: CONV_2D, DEPTHWISE_CONV_2D "
                        "and FULLY_CONNECTED on the engine where it takes them)")
    p.add_argument("--compare", action="store_true", help="with --accel: also run CPU-only and print the speedup")
    p.add_argument("--plot", metavar="OUT.png", type=_plot_file,
                   help="bar chart of cycles per op (CPU-only vs accelerated)")
    p.add_argument("--timeline", metavar="OUT.json", help="per-op timeline (Chrome/Perfetto trace)")
    p.set_defaults(func=_command("infer", "cmd_infer"))

    p = sub.add_parser("compile", help="generate C for one .tflite model (ahead-of-time runtime) and build it")
    _platforms(p)
    p.add_argument("--board", required=True, help="board name (see `tandem boards`) or a .repl file")
    p.add_argument("--out", metavar="DIR", help="copy the generated C and the ELF into DIR")
    p.add_argument("model", metavar="MODEL.tflite")
    p.set_defaults(func=_command("compile", "cmd_compile"))

    p = sub.add_parser("size", help="flash and RAM use of a firmware ELF on a board")
    _platforms(p)
    p.add_argument("--board", required=True, help="board name (see `tandem boards`) or a .repl file")
    p.add_argument("--top", type=_TOP, default=15, metavar="N", help="largest symbols to list (default 15)")
    p.add_argument("--json", metavar="OUT", help="write the report as JSON")
    p.add_argument("firmware")
    p.set_defaults(func=_command("size", "cmd_size"))

    p = sub.add_parser("bench", help="speed benchmarks (host MIPS, kernels' cycles per MAC)")
    _platforms(p)
    p.add_argument("--rounds", type=_int_in(1, 10_000_000), default=4000,
                   help="cpubound.c work size (default 4000: about 30 M instructions)")
    p.add_argument("--runs", type=_int_in(1, 1000), default=3, help="runs per figure (default 3)")
    p.add_argument("--no-cosim", dest="cosim", action="store_false",
                   help="leave out the co-simulated inference and the RTL speed (they build Verilator models)")
    p.set_defaults(func=_command("bench", "cmd_bench_suite"))
    bench = p.add_subparsers(dest="what")
    q = bench.add_parser("startup", help="time from a fresh process to the first simulated instruction, "
                                         "and import time (tandem run, tandem infer)")
    _platforms(q)
    q.add_argument("--runs", type=_int_in(1, 1000), default=5)
    q.set_defaults(func=_command("bench", "cmd_bench_startup"))
    q = bench.add_parser("sim", help="a CPU-bound firmware on the board vs Unicorn with no hooks")
    _platforms(q)
    q.add_argument("--board", action="append", default=None, help="board(s); default stm32f4_discovery and bluepill")
    q.add_argument("--rounds", type=_int_in(1, 10_000_000), default=4000,
                   help="work size (default 4000: about 30 M instructions)")
    q.add_argument("--runs", type=_int_in(1, 1000), default=3)
    q.add_argument("--profile", action="store_true", help="also time runs with the function profiler")
    q.set_defaults(func=_command("bench", "cmd_bench"))
    q = bench.add_parser("cosim", help="CPU-to-RTL register access overhead and RTL cycles/s of a "
                                       "Tandem.RtlPeripheral (the example MAC unit; conv8x8: the conv engine "
                                       "during a DS-CNN inference)")
    _platforms(q)
    q.add_argument("--accel", default="mac_axil", help="a Tandem.RtlPeripheral overlay (default mac_axil)")
    q.add_argument("--board", default=None, help="default generic_m4 (nucleo_l4r5zi for conv4x4/8x8/16x16)")
    q.add_argument("--loops", type=int, default=20_000, help="store+load pairs (default 20000)")
    q.add_argument("--latency", type=int, default=10_000_000, help="RTL cycles of the long run (default 10 M)")
    q.add_argument("--memory-kib", type=_int_in(0, 512), default=256,
                   help="KiB each of the vector MAC unit's memory-port runs reads (0: skip; default 256)")
    q.set_defaults(func=_command("bench", "cmd_bench_cosim"))
    q = bench.add_parser("kernels", help="cycles per MAC per model and per op type for each op set "
                                         "(reference, optimized) and the AOT runtime")
    _platforms(q)
    q.add_argument("--board", action="append", default=None,
                   help="board(s); default nucleo_l4r5zi and stm32f4_discovery")
    q.add_argument("--model", action="append", default=None, metavar="M.tflite",
                   help="model(s); default DS-CNN, MobileNetV1-0.25, ResNet-8 and the FC autoencoder")
    q.add_argument("--column", action="append", choices=("reference", "optimized", "aot"), default=None,
                   help="column(s): the interpreter with the reference or optimized op set, the AOT runtime "
                        "(reference kernels); default all three")
    q.set_defaults(func=_command("bench", "cmd_bench_kernels"))

    p = sub.add_parser("sweep", help="accelerator design-space sweep: cycles, area (yosys) and Pareto plots, "
                                     "on local cores or a Dask cluster")
    _platforms(p)
    p.add_argument("--board", help="board name or .repl (or `board` in --spec)")
    p.add_argument("--model", action="append", metavar="M.tflite", help="model(s) run on every design point")
    p.add_argument("--accel", metavar="NAME|PATH.repl", help="the accelerator overlay to vary (e.g. conv4x4)")
    p.add_argument("--param", action="append", metavar="NAME=V1,V2",
                   help="a .repl property of the accelerator or a Verilog parameter of a Tandem.RtlPeripheral "
                        "and its values (LO..HI for a range); repeatable: the sweep is the cross product")
    p.add_argument("--spec", metavar="SWEEP.toml", help="board, models, accel and [params] in a TOML file")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="results.csv (points already there are skipped), pareto.png, sweep.html")
    p.add_argument("--workers", type=_int_in(1, 1024), default=None, metavar="N",
                   help="local worker processes (default: the cores)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the points on this Dask scheduler's workers")
    p.set_defaults(func=_command("sweep", "cmd_sweep"))

    p = sub.add_parser("demo", help="keyword spotting on the NUCLEO-L4R5ZI, CPU-only and with the RTL accelerator")
    p.add_argument("--out", default="tandem-demo", help="directory for the plot, timeline and profile")
    p.set_defaults(func=_command("demo", "cmd_demo"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cfg = TandemConfig()
    try:
        cfg = TandemConfig.from_env()
        if getattr(args, "platforms", None):
            cfg = cfg.with_platforms(args.platforms)
        if getattr(args, "what", None) == "sim" and not args.board:
            args.board = ["stm32f4_discovery", "bluepill"]
        _check_outputs(args)
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
    except Exception as exc:  # a bug in tandem: one line, the traceback in a log
        sys.stdout.flush()
        log = _crash_log(cfg, argv)
        print(f"tandem: internal error: {type(exc).__name__}: {str(exc)[:200] or 'no message'} "
              f"(traceback in {log}; please report it with the command that caused it)", file=sys.stderr)
        return INTERNAL_ERROR_EXIT


_OUTPUT_OPTIONS = ("json", "profile", "plot", "timeline")


def _check_outputs(args: argparse.Namespace) -> None:
    """Output files are checked before a long run, not after it: their folder must exist and be
    writable, and the path must not be a folder. ``demo --out`` is made (or refused) here too."""
    for option in _OUTPUT_OPTIONS:
        value = getattr(args, option, None)
        if not isinstance(value, str):
            continue
        path = Path(value)
        folder = path.parent if str(path.parent) else Path(".")
        if path.is_dir():
            raise TandemError(f"--{option} {value}: is a folder, not a file")
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise TandemError(f"--{option} {value}: cannot write into {folder} (missing or not writable)")
    out = getattr(args, "out", None)
    if args.command == "demo" and isinstance(out, str):
        try:
            Path(out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TandemError(f"--out {out}: cannot make the folder: {exc.strerror}") from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise TandemError(f"--out {out}: the folder is not writable")


INTERNAL_ERROR_EXIT = 70  # sysexits.h EX_SOFTWARE: tandem itself failed, not the input


def _crash_log(cfg: TandemConfig, argv: list[str] | None) -> str:
    import tempfile
    import time
    import traceback

    text = f"tandem {version()}: {' '.join(sys.argv if argv is None else ['tandem', *argv])}\n\n"
    text += traceback.format_exc()
    for folder in (cfg.cache_dir / "logs", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
            path.write_text(text)
            return str(path)
        except OSError:
            continue
    return "(no writable folder for the log)"


if __name__ == "__main__":
    sys.exit(main())
