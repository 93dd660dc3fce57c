"""``tandem run``: a firmware ELF on a simulated board, with an RTL accelerator overlay (``--accel``,
a Tandem.RtlPeripheral on the bus) or without; the summary, the accelerator's jobs, the profile
(per function, and per op for firmware with TFLM-style kernel files) and the JSON result."""
from __future__ import annotations

import argparse
import sys

from tandem.accel.joblog import AccessLog, jobs_of
from tandem.cli.common import summary, write_json
from tandem.config import TandemConfig
from tandem.errors import CycleLimitExceeded, FirmwareFault, TandemError
from tandem.machine.board import Board
from tandem.machine.limits import RunLimits
from tandem.peripherals.rtl_peripheral import RtlPeripheral
from tandem.platform import load_platform
from tandem.platform.search import resolve_accel


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
        board = Board(platform, cfg, exact_flash_data=args.exact_flash_data)
    else:
        board = Board.from_platform(args.board, cfg, exact_flash_data=args.exact_flash_data)
    blocks = [p for p in board.peripherals.values() if isinstance(p, RtlPeripheral)]
    for block in blocks:
        block.log = AccessLog()  # for the jobs summary (tandem.accel.joblog)
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
    jobs = []
    for block in blocks:
        print(f"[tandem] {block.describe()}", file=sys.stderr)
        jobs += jobs_of(block.log or [])
        _print_jobs(block.name, jobs_of(block.log or []), result.cycles)
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
        if blocks:
            data["accelerator_jobs"] = [{k: v for k, v in j.items() if k != "registers"} for j in jobs]
        write_json(args.json, data)
    return result.exit_code & 0xFF if result.exit_code >= 0 else 1


def _print_jobs(name: str, jobs: list[dict[str, object]], cycles: int) -> None:
    """One line for the block's jobs, and one per job (the first 20)."""
    if not jobs:
        return
    stall = sum(int(str(j["stall_cycles"])) for j in jobs)
    print(f"[tandem] {name}: {len(jobs)} jobs, {stall:,} CPU cycles waiting for them "
          f"({100 * stall / max(cycles, 1):.1f}% of the run)", file=sys.stderr)
    for i, j in enumerate(jobs[:20]):
        err = f" error {j['error_code']}" if j["error_code"] else ""
        util = f"; MAC utilisation {j['mac_utilisation']:.3f}" if j["mac_utilisation"] is not None else ""
        print(f"[tandem]   job {i}: {j['accel_cycles']:,} accelerator cycles, {j['stall_cycles']:,} CPU cycles"
              f"{err}; {j['bytes_moved']:,} B moved{util}", file=sys.stderr)


def _run_script(args: argparse.Namespace, cfg: TandemConfig) -> int:
    """A Renode monitor script (tandem.renode.script)."""
    from pathlib import Path

    from tandem.renode.script import parse_variables, run_script

    for option in ("board", "accel", "profile"):
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
