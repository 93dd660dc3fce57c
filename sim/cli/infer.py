"""``tandem infer``: a .tflite model on a board with tandem's micro runtime, on the CPU and/or with
an RTL accelerator overlay on the bus; per-op tables, the comparison, plots, the profile and the
JSON result."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from tandem.cli.common import write_json
from tandem.config import TandemConfig
from tandem.errors import TandemError
from tandem.machine.limits import RunLimits
from tandem.platform.model import Platform
from tandem.platform.search import resolve_accel
from tandem.tinyml.infer import run_job
from tandem.tinyml.job import InferenceJob, check_inputs, random_inputs, read_model_file
from tandem.tinyml.model import read_model
from tandem.tinyml.report import compare_table, op_table, totals
from tandem.tinyml.results import Inference


def _load_inputs(paths: list[str] | None) -> list[np.ndarray] | None:
    if not paths:
        return None
    arrays = []
    for path in paths:
        try:
            arrays.append(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise TandemError(f"{path}: cannot read input array: {exc}") from None
    return arrays


def _runtime_label(runtime: str, op_set: str) -> str:
    return f"runtime image (op set {op_set})" if runtime == "interpreter" else "AOT runtime image"


def _aot_image(cfg: TandemConfig, model: bytes, model_path: str) -> Callable[[Platform], Path]:
    from tandem.aot.image import build_aot

    return lambda platform: build_aot(platform, cfg, model, model_path).elf


def cmd_infer(args: argparse.Namespace, cfg: TandemConfig) -> int:
    model = read_model_file(Path(args.model))
    info = read_model(model, args.model)
    inputs = _load_inputs(args.input)
    used = check_inputs(info, inputs) if inputs is not None else random_inputs(info, args.seed)
    # the runs name the model as run_model always has (the path, normalised)
    model_path = str(Path(args.model))
    info = replace(info, path=model_path)
    if (args.runtime == "aot" or args.compare_runtimes) and args.accel:
        raise TandemError("--runtime aot and --compare-runtimes run on the CPU only: leave out --accel")
    if args.compare and not args.accel:
        raise TandemError("--compare needs --accel (it compares CPU-only with accelerated)")
    if args.profile and args.accel and not args.compare:
        raise TandemError("--profile profiles the CPU-only run: use it with --compare, or without --accel")
    op_set = args.op_set
    if args.runtime == "aot" or args.compare_runtimes:
        # the AOT generator calls the reference kernels' evals: the interpreter it is set beside
        # takes the same kernels, so the comparison is of the runtimes alone
        if op_set not in ("auto", "model"):
            raise TandemError(f"--op-set {op_set}: the AOT runtime is built from the reference kernels "
                              f"(op set model); leave out --op-set with --runtime aot or --compare-runtimes")
        op_set = "model"
    runs: list[Inference] = []
    jobs: list[InferenceJob] = []
    # the overlay (a Tandem.RtlPeripheral) sits on the bus of an ordinary run, whose image links
    # the kernels that drive it (tinyml.job.RTL_KERNELS); with --compare after a run without it
    rtl = (args.accel, resolve_accel(args.accel, cfg.platforms_dir)) if args.accel else None
    runtimes = ["interpreter", "aot"] if args.compare_runtimes else [args.runtime]
    passes: list[Path | None] = [None, rtl[1]] if rtl and args.compare else [rtl[1] if rtl else None]
    for runtime in runtimes:
        for overlay in passes:
            where = f"with {rtl[0]} in RTL" if overlay is not None and rtl else "on the CPU"
            print(f"[tandem] building the {_runtime_label(runtime, op_set)} for {args.board} and simulating "
                  f"{args.invocations} inference(s) {where} ...", file=sys.stderr, flush=True)
            image = None if runtime == "interpreter" else _aot_image(cfg, model, model_path)
            jobs.append(InferenceJob.create(args.board, model_path, cfg, used, args.invocations, op_set,
                                            args.seed, overlays=[overlay] if overlay else [], model=model,
                                            info=info, image=image, runtime=runtime))
            runs.append(run_job(jobs[-1], cfg, args.max_cycles, profile=args.profile is not None and not overlay,
                                exact_flash_data=args.exact_flash_data,
                                limits=RunLimits(0, args.max_seconds, args.max_handler_cycles or None),
                                check_memory=not args.no_check_memory))
            runs[-1].extra["runtime"] = runtime
            if overlay is not None and rtl:
                runs[-1].extra.update({"accel": rtl[0], "simulator": "verilator"})
    # an accelerator overlay adds a peripheral only: the description is the plain board's
    print(f"{args.model} on {args.board} ({jobs[0].platform.describe()})"
          + (f"; op set {jobs[0].op_set}" if jobs[0].runtime == "interpreter" else ""))
    for r in runs:
        title = (f"with the {r.extra['accel']} accelerator ({r.extra['simulator']})" if "accel" in r.extra
                 else "CPU only" + (" (AOT runtime)" if r.extra.get("runtime") == "aot" else ""))
        print(f"\n-- {title}")
        print(op_table(r))
        print(totals(r))
    result = runs[-1]
    data = result.to_json()
    ops_json = [{**o.to_json(), **o.placement_json()} for o in result.ops]
    data["ops"] = ops_json
    data["runtime"] = result.extra.get("runtime", "interpreter")
    if args.compare_runtimes:
        from tandem.aot.report import compare_runtimes, compare_runtimes_json

        interp, aot = runs
        print("\n-- interpreter vs AOT runtime")
        print(compare_runtimes(interp, aot))
        data["interpreter"] = interp.to_json()
        data["compare_runtimes"] = compare_runtimes_json(interp, aot)
    elif len(runs) == 2:
        cpu, acc = runs
        print("\n-- CPU only vs accelerated")
        print(compare_table(cpu, acc))
        data["cpu_only"] = cpu.to_json()
        data["speedup"] = cpu.cycles / acc.cycles if acc.cycles else None
        for o_json, c, a in zip(ops_json, cpu.ops, acc.ops, strict=False):
            o_json["cpu_only_cycles"] = c.cycles
            o_json["speedup"] = c.cycles / a.cycles if a.cycles else None
    if result.run.stack_bytes is not None:
        data["stack_bytes"] = result.run.stack_bytes
    profiled = next((r for r in runs if r.run.profile is not None), None)
    if profiled is not None and profiled.run.profile is not None:
        print(f"\n-- cycles per function ({'CPU-only run' if len(runs) == 2 else 'whole run'}, top {args.top})")
        print(profiled.run.profile.table(args.top))
        write_json(args.profile, profiled.run.profile.to_speedscope())
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
        from tandem.tinyml.check import arena_line, check_outputs, host_arena_bytes, run_references

        refs = run_references(model, used, args.invocations)
        print()
        for r, o_data in zip(runs, [data.get("cpu_only")] * (len(runs) - 1) + [data], strict=True):
            checked = check_outputs(r.outputs, refs)
            label = ("accelerated" if "accel" in r.extra else "AOT" if r.extra.get("runtime") == "aot"
                     else "CPU only")
            print(f"[{label}] " + checked.lines().replace("\n", f"\n[{label}] "))
            exact = exact and checked.exact
            if isinstance(o_data, dict):
                o_data["check"] = checked.to_json()
        if checked.tflm_arena_bytes is not None:
            host = host_arena_bytes(model, used)
            print(arena_line(result.arena_bytes, args.board, checked, host))
            data["arena_tflm_bytes"] = checked.tflm_arena_bytes
            data["arena_host_bytes"] = host
        data["outputs_match_reference"] = exact
    if args.json:
        write_json(args.json, data)
    return 0 if exact else 1
