"""``tandem run``: a firmware ELF on a simulated board, with the RTL accelerator (``--accel``) or
without; the summary, the profile (per function, and per op for firmware with TFLM-style kernel
files) and the JSON result."""
from __future__ import annotations

import argparse
import sys

from tandem.cli.common import summary, write_json
from tandem.config import TandemConfig
from tandem.errors import CycleLimitExceeded, FirmwareFault, TandemError
from tandem.machine.board import Board
from tandem.machine.limits import RunLimits
from tandem.peripherals.rtl_peripheral import RtlPeripheral
from tandem.platform import load_platform
from tandem.platform.search import resolve_accel

CONV_TYPE = "Tandem.ConvAccelerator"  # co-simulated under cocotb (tandem.cosim)


def cmd_run(args: argparse.Namespace, cfg: TandemConfig) -> int:
    if args.gdb is None and args.gdb_host != "127.0.0.1":
        raise TandemError("--gdb-host needs --gdb PORT (the port the GDB server listens on)")
    if args.firmware.lower().endswith(".resc"):
        return _run_script(args, cfg)
    if args.variable:
        raise TandemError("--variable is for Renode monitor scripts (.resc)")
    if args.board is None:
        raise TandemError("--board is required to run an ELF (a .resc script names its own platform)")
    if args.accel:
        overlay = resolve_accel(args.accel, cfg.platforms_dir)
        platform = load_platform(args.board, cfg.platforms_search, [overlay])
        if any(p.type == CONV_TYPE for p in platform.peripherals):
            if args.gdb is not None:
                raise TandemError(f"--gdb: {overlay.name} is co-simulated under cocotb, which the GDB "
                                  "server cannot drive yet")
            return _run_accel(args, cfg)
        # any other overlay (Tandem.RtlPeripheral: RTL on the bus, driven from C) runs in-process
        if args.waves:
            raise TandemError(f"--waves: {overlay.name} has no {CONV_TYPE}; waveforms of a "
                              "Tandem.RtlPeripheral are not supported yet")
        board = Board(platform, cfg, exact_flash_data=args.exact_flash_data)
    else:
        if args.waves:
            raise TandemError("--waves needs --accel (the waveform is the accelerator's RTL)")
        board = Board.from_platform(args.board, cfg, exact_flash_data=args.exact_flash_data)
    image = board.load_elf(args.firmware)
    if args.check_memory:  # the checker, the GDB server and the op report: imported only when used
        from tandem.machine.memcheck import check_memory

        check_memory(board)
    stdin = sys.stdin.buffer.read() if args.stdin else b""
    stream = None if args.quiet else sys.stdout.buffer
    profile = args.profile is not None
    limits = RunLimits(0, args.max_seconds, args.max_handler_cycles or None)
    try:
        if args.gdb is not None:
            from tandem.debug.gdbserver import GdbServer

            server = GdbServer(board, args.gdb_host, args.gdb)
            print(f"[tandem] gdb server listening on {server.host}:{server.port} "
                  f"(gdb-multiarch {args.firmware} -ex 'target remote {server.host}:{server.port}')",
                  file=sys.stderr, flush=True)
            result = server.serve(args.max_cycles, stdin, stream, profile=profile,
                                  vector_faults=args.vector_faults, limits=limits)
        else:
            result = board.run(max_cycles=args.max_cycles, stdin=stdin, stream=stream, profile=profile,
                               vector_faults=args.vector_faults, limits=limits)
    except (FirmwareFault, CycleLimitExceeded) as err:
        # the run so far, as for a run that exits: its notes, and the JSON with the error
        stopped = board.result(err.stop_reason)
        sys.stdout.flush()
        for note in stopped.notes:
            print(f"[tandem] note: {note}", file=sys.stderr)
        if args.json:
            data = stopped.to_json()
            data["exit_code"] = None  # the firmware did not exit
            data["error"] = err.summary if isinstance(err, FirmwareFault) else err.message
            data["report"] = err.report if isinstance(err, FirmwareFault) else ""
            write_json(args.json, data)
        if profile:  # where the cycles went up to the stop
            write_json(args.profile, board.profile().to_speedscope())
        raise
    for note in result.notes:
        print(f"[tandem] note: {note}", file=sys.stderr)
    print(summary(result), file=sys.stderr)
    ops = None
    for periph in board.peripherals.values():
        if isinstance(periph, RtlPeripheral):
            print(f"[tandem] {periph.describe()}", file=sys.stderr)
    if result.profile is not None:
        print(result.profile.table(args.top), file=sys.stderr)
        from tandem.reports.ops import op_breakdown

        ops = op_breakdown(result.profile, image)
        if ops is not None:
            print("\n-- cycles per op (functions grouped by their kernel's source file, from DWARF line information)",
                  file=sys.stderr)
            print(ops.table(), file=sys.stderr)
        write_json(args.profile, result.profile.to_speedscope())
        print(f"[tandem] profile written to {args.profile} (open it in https://www.speedscope.app)",
              file=sys.stderr)
    if args.json:
        data = result.to_json()
        if result.profile is not None:
            data["profile"] = result.profile.to_json()
        if ops is not None:
            data["ops"] = ops.to_json()
        write_json(args.json, data)
    return result.exit_code & 0xFF if result.exit_code >= 0 else 1


def _run_accel(args: argparse.Namespace, cfg: TandemConfig) -> int:
    if args.profile:
        raise TandemError("--profile is not available with --accel yet")
    from tandem.cosim import run_with_accel  # the RTL tool-chain's imports only when co-simulating

    stdin = sys.stdin.buffer.read() if args.stdin else b""
    res = run_with_accel(args.board, args.firmware, args.accel, cfg, simulator=args.simulator,
                         max_cycles=args.max_cycles, stdin=stdin, stream=not args.quiet,
                         waves=args.waves, vector_faults=args.vector_faults)
    result = res.run
    sys.stdout.flush()
    for note in result.notes:
        print(f"[tandem] note: {note}", file=sys.stderr)
    stall = sum(int(j["stall_cycles"]) for j in res.jobs)
    print(summary(result), file=sys.stderr)
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
        write_json(args.json, res.to_json())
    return result.exit_code & 0xFF if result.exit_code >= 0 else 1


def _run_script(args: argparse.Namespace, cfg: TandemConfig) -> int:
    """A Renode monitor script (tandem.renode.script)."""
    from pathlib import Path

    from tandem.renode.script import parse_variables, run_script

    for option in ("board", "accel", "profile", "waves"):
        if getattr(args, option):
            raise TandemError(f"--{option} does not apply to a .resc script (the script loads its platform "
                              "and firmware)")
    limits = RunLimits(0, args.max_seconds, args.max_handler_cycles or None)
    gdb = None if args.gdb is None else (args.gdb_host, args.gdb)
    monitor, result = run_script(Path(args.firmware), cfg, parse_variables(args.variable, "="),
                                 args.max_cycles, limits, gdb)
    sys.stdout.flush()
    if result is None:
        machine = monitor.machine
        if machine is not None and machine.exit_code is not None:
            print(f"[tandem] the firmware exited with code {machine.exit_code} at {machine.seconds():.6f} s",
                  file=sys.stderr)
            return machine.exit_code & 0xFF if machine.exit_code >= 0 else 1
        if machine is not None and machine.seconds() > 0:
            print(f"[tandem] the script ended with the machine paused at {machine.seconds():.6f} s of simulated "
                  "time", file=sys.stderr)
        elif not monitor.quit:
            print("[tandem] the script did not start the machine (`start` or `emulation RunFor`)", file=sys.stderr)
        return 0
    for note in result.notes:
        print(f"[tandem] note: {note}", file=sys.stderr)
    print(summary(result), file=sys.stderr)
    if args.json:
        write_json(args.json, result.to_json())
    return result.exit_code & 0xFF if result.exit_code >= 0 else 1
