"""An RTL block's jobs, told apart from the CPU's transactions with it (for the per-op report).

A ``Tandem.RtlPeripheral`` records every CPU access as an :class:`Access`; this module turns
that log into job records, the figures the per-op report and ``tandem sweep`` show
(``start_cycle``, ``stall_cycles``, ``accel_cycles``, ``bytes_moved``, ``useful_macs``,
``mac_utilisation``, ``error_code``):

* **tandem's conv engine** (the log shows an ID read returning ``TANDEM_ACCEL_ID``): a job is a
  write of CTRL.START with the configuration written before it, ending at the first STATUS read
  that shows DONE or ERROR. ``accel_cycles`` is the engine's own CYCLES register when the
  firmware read it before the next START (the accelerated kernels do), else the RTL cycles from
  the START write to that STATUS read. ``stall_cycles`` is the CPU cycles from the START write to
  the end of that read: the time the CPU waited for the engine, polling or blocked.
  ``useful_macs`` are the multiply-accumulates of the reference kernel for the job's registers
  (taps inside the input only), ``mac_utilisation`` = useful MACs / (ROWS * COLS * accel_cycles),
  with ROWS and COLS from the CAPS read the driver's probe makes.
* **any other block**: each transaction that stalled the CPU beyond the bus's own wait state is
  a job (a blocking coprocessor's result read); ``accel_cycles`` are the RTL cycles since the
  previous transaction ended; no MAC figures.

``bytes_moved`` is the memory port's data beats during the job times 4 (the ports are 32 bits).
"""
from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple, overload

from tandem.accel.regmap import ACCEL_ID, REG_BY_NAME, REGISTERS, Register

BEAT_BYTES = 4



class Access(NamedTuple):
    """One CPU transaction with an RTL block, as ``RtlPeripheral.log`` records it."""

    cycle: int  # CPU cycle at which the accessing instruction started it
    offset: int  # byte offset in the block's window
    write: bool
    value: int  # the value written, or the value read
    stall: int  # CPU wait states it cost
    rtl_end: int  # RTL cycle at which the transaction completed
    beats: int  # memory-port data beats served since reset, at its end


class _Reads(NamedTuple):
    """Reads of one register with one result that the model's library served (shim_fast.inc):
    (CPU cycle, stall, RTL end, beats) of each as four native u64 in ``records``."""

    offset: int
    value: int
    records: bytes


class AccessLog(Sequence[Access]):
    """``RtlPeripheral.log``: every transaction, in order.

    A polling loop served by the library adds thousands of identical reads per job (23,194 of the
    23,496 transactions of one KWS inference on conv8x8); they are kept packed, 32 bytes each, as
    the library returns them, and become :class:`Access` records only when iterated, so the run
    allocates no object per read (materialising them in the run cost 11-58 ms of a 0.16 s run,
    most of it garbage collection over the growing list).
    """

    def __init__(self) -> None:
        self._items: list[Access | _Reads] = []
        self._n = 0

    def append(self, access: Access) -> None:
        self._items.append(access)
        self._n += 1

    def add_reads(self, offset: int, value: int, records: bytes) -> None:
        """Reads the library served: ``records`` holds 32 bytes for each."""
        if records:
            self._items.append(_Reads(offset, value, records))
            self._n += len(records) // 32

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Access]:
        return self._accesses(first_only=False)

    def first_of_runs(self) -> Iterator[Access]:
        """The transactions with each packed run of identical reads given by its first read
        only: all :func:`engine_jobs` needs (a repeat of a read with the same value changes
        nothing there), without making an object per poll."""
        return self._accesses(first_only=True)

    def _accesses(self, first_only: bool) -> Iterator[Access]:
        for item in self._items:
            if isinstance(item, Access):
                yield item
                continue
            records = item.records[:32] if first_only else item.records
            for cycle, stall, end, beats in struct.iter_unpack("=4Q", records):
                yield Access(cycle, item.offset, False, item.value, stall, end, beats)

    @overload
    def __getitem__(self, index: int) -> Access: ...
    @overload
    def __getitem__(self, index: slice) -> list[Access]: ...
    def __getitem__(self, index: int | slice) -> Access | list[Access]:
        return list(self)[index]


_OFFSET = {r.offset: r for r in REGISTERS}
_CTRL = REG_BY_NAME["CTRL"]
_STATUS = REG_BY_NAME["STATUS"]


def _field(regs: dict[str, int], reg: str, name: str, default: int = 0) -> int:
    r = REG_BY_NAME.get(reg)
    if r is None or reg not in regs:
        return default
    for f in r.fields:
        if f.name == name:
            return (regs[reg] & f.mask) >> f.lsb
    return default


def _mode_field() -> tuple[Register, str] | None:
    """The register holding the engine's MODE field (0 conv, 1 depthwise), if the map has one."""
    for reg in REGISTERS:
        for f in reg.fields:
            if f.name == "MODE":
                return reg, f.name
    return None


def _inside(n_out: int, stride: int, pad: int, taps: int, dil: int, n_in: int) -> int:
    """(output position, tap) pairs along one axis whose input position is inside the input."""
    return sum(1 for o in range(n_out) for t in range(taps) if 0 <= o * stride - pad + t * dil < n_in)


def useful_macs(regs: dict[str, int], depthwise: bool) -> int:
    """Multiply-accumulates the reference kernel performs for a job's registers."""
    along_h = _inside(_field(regs, "OUT_HW", "H"), _field(regs, "KERNEL", "SH"), _field(regs, "PAD", "TOP"),
                      _field(regs, "KERNEL", "KH"), _field(regs, "DILATION", "DH"), _field(regs, "IN_HW", "H"))
    along_w = _inside(_field(regs, "OUT_HW", "W"), _field(regs, "KERNEL", "SW"), _field(regs, "PAD", "LEFT"),
                      _field(regs, "KERNEL", "KW"), _field(regs, "DILATION", "DW"), _field(regs, "IN_HW", "W"))
    out_c = _field(regs, "OUT_C", "C")
    return along_h * along_w * out_c * (1 if depthwise else _field(regs, "IN_C", "C"))


def _distinct(log: Sequence[Access]) -> Iterable[Access]:
    return log.first_of_runs() if isinstance(log, AccessLog) else log


def is_conv_engine(log: Sequence[Access]) -> bool:
    return any(not a.write and a.offset == REG_BY_NAME["ID"].offset and a.value == ACCEL_ID for a in _distinct(log))


def engine_jobs(log: Sequence[Access]) -> list[dict[str, Any]]:
    """The conv engine's jobs in ``log`` (see the module docstring)."""
    mode = _mode_field()
    start_mask = next(f.mask for f in _CTRL.fields if f.name == "START")
    status = {f.name: f for f in _STATUS.fields}
    finished = status["DONE"].mask | status["ERROR"].mask
    cycles_off = REG_BY_NAME["CYCLES"].offset
    rows = cols = 0
    regs: dict[str, int] = {}
    jobs: list[dict[str, Any]] = []
    open_job: dict[str, Any] | None = None
    start: Access | None = None
    last: dict[str, Any] | None = None  # the last finished job, until the next START
    # a read repeated with the same value does nothing below (a second DONE finds no open job,
    # CAPS and CYCLES are set again to the same): the log's packed runs count by their first
    for a in _distinct(log):
        reg = _OFFSET.get(a.offset & ~3)
        if reg is None:
            continue
        if a.write:
            if reg is _CTRL and a.value & start_mask:
                held = a.value if mode is not None and mode[0] is _CTRL else regs.get(mode[0].name, 0) if mode else 0
                depthwise = mode is not None and _field({mode[0].name: held}, mode[0].name, mode[1]) == 1
                open_job, start, last = {"registers": dict(regs), "depthwise": depthwise}, a, None
            elif reg.access != "RO":
                regs[reg.name] = a.value
            continue
        if reg.name == "CAPS":
            rows = _field({"CAPS": a.value}, "CAPS", "ROWS")
            cols = _field({"CAPS": a.value}, "CAPS", "COLS")
        elif reg is _STATUS and open_job is not None and start is not None and a.value & finished:
            code = status["ERR_CODE"]
            error = (a.value & code.mask) >> code.lsb if a.value & status["ERROR"].mask else 0
            macs = useful_macs(open_job["registers"], open_job["depthwise"]) if not error else 0
            open_job.update(start_cycle=start.cycle, stall_cycles=a.cycle + a.stall + 1 - start.cycle,
                            accel_cycles=a.rtl_end - start.rtl_end, error_code=error, useful_macs=macs,
                            bytes_moved=BEAT_BYTES * (a.beats - start.beats), peak_macs=rows * cols)
            jobs.append(open_job)
            last, open_job, start = open_job, None, None
        elif a.offset == cycles_off and last is not None:
            last["accel_cycles"] = a.value
    for job in jobs:
        peak = job.pop("peak_macs") * job["accel_cycles"]
        job["mac_utilisation"] = round(job["useful_macs"] / peak, 4) if peak and job["useful_macs"] else None
    return jobs


def blocking_jobs(log: Sequence[Access]) -> list[dict[str, Any]]:
    """Any block: each transaction that stalled the CPU, as a job."""
    jobs: list[dict[str, Any]] = []
    prev_end, prev_beats = 0, 0
    for a in log:
        if a.stall > 1:  # one wait state is the bus's own (rtl_peripheral: a zero-wait slave costs 1)
            jobs.append({"start_cycle": a.cycle, "stall_cycles": a.stall, "accel_cycles": a.rtl_end - prev_end,
                         "error_code": 0, "useful_macs": 0, "mac_utilisation": None,
                         "bytes_moved": BEAT_BYTES * (a.beats - prev_beats)})
        prev_end, prev_beats = a.rtl_end, a.beats
    return jobs


def jobs_of(log: Sequence[Access]) -> list[dict[str, Any]]:
    """The jobs in one block's log: the conv engine's, or a blocking coprocessor's."""
    return engine_jobs(log) if is_conv_engine(log) else blocking_jobs(log)


__all__ = ["Access", "AccessLog", "BEAT_BYTES", "blocking_jobs", "engine_jobs", "is_conv_engine", "jobs_of",
           "useful_macs"]
