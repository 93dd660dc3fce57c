"""The cocotb test module that runs a board inside the RTL simulator's process.

Launched by :func:`tandem.cosim.run.run_with_accel` through cocotb's runner; reads the request
(JSON, path in ``TANDEM_COSIM_REQUEST``), builds the Board, loads the firmware and steps the
board's run generator from this coroutine. Each time the firmware starts the accelerator the
generator yields, the :class:`~tandem.cosim.bridge.RtlBridge` serves the run with the RTL, and the
board resumes. The RunResult, the per-job accelerator figures and any TandemError go to the
result JSON the parent reads back; the cocotb test itself passes unless tandem has a bug.

A ``tandem infer --accel`` run needs nothing more here: the parent sends the memory writes that
place the model, inputs and request, and the regions (and trace register events) to read back
afterwards; all of it is JSON.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import cocotb

from tandem.config import TandemConfig
from tandem.cosim.bridge import RtlBridge
from tandem.errors import TandemError
from tandem.machine.board import Board
from tandem.peripherals.conv_accel import ConvAccelerator
from tandem.peripherals.trace import Trace


@cocotb.test()
async def cosim_run(dut: Any) -> None:
    request = json.loads(Path(os.environ["TANDEM_COSIM_REQUEST"]).read_text())
    out = Path(request["result_path"])
    t_start = time.perf_counter()
    data: dict[str, Any] = {"result": None, "error": None, "jobs": []}
    board: Board | None = None
    accel: ConvAccelerator | None = None
    try:
        config = TandemConfig(platforms_dir=Path(request["platforms_dir"]),
                              platform_path=tuple(Path(d) for d in request.get("platform_path", [])),
                              cache_dir=Path(request["cache_dir"]))
        board = Board.from_platform(request["board"], config, [Path(p) for p in request["overlays"]])
        accels = [p for p in board.peripherals.values() if isinstance(p, ConvAccelerator)]
        if len(accels) != 1:
            raise TandemError(f"board {request['board']} with {request['overlays']}: expected one "
                              f"Tandem.ConvAccelerator, found {len(accels)}")
        accel = accels[0]
        board.load_elf(request["elf"])
        for addr, data_hex in request.get("writes", []):  # e.g. a model, its inputs and request
            board.write_memory(int(addr), bytes.fromhex(data_hex))
        bridge = RtlBridge(dut, board, accel, out.parent)
        await bridge.start()
        data["setup_seconds"] = time.perf_counter() - t_start
        steps = board.run_iter(request["max_cycles"], bytes.fromhex(request.get("stdin", "")),
                               sys.stdout.buffer if request.get("stream") else None,
                               vector_faults=bool(request.get("vector_faults")))
        try:
            periph = next(steps)
            while True:
                assert periph is accel, periph
                await bridge.serve()
                periph = steps.send(None)
        except StopIteration as done:
            data["result"] = done.value.to_json()
            data["memory"] = [board.read_memory(int(addr), int(size)).hex() for addr, size in request.get("reads", [])]
            if request.get("trace"):
                trace = board.peripherals["trace"]
                assert isinstance(trace, Trace), trace
                data["trace_events"] = [list(e) for e in trace.events]
    except TandemError as err:
        data["error"] = {"type": type(err).__name__, "message": str(err),
                         "summary": getattr(err, "summary", str(err)),
                         "report": getattr(err, "report", "")}
        if board is not None:
            data["error"]["cycles"] = board.counter.cycles
            data["error"]["output"] = board.console.out.decode("utf-8", "replace")
    finally:
        if accel is not None:
            data["jobs"] = [j.to_json() for j in accel.jobs]
        sys.stdout.flush()
        data["child_seconds"] = time.perf_counter() - t_start
        out.write_text(json.dumps(data, indent=1))

