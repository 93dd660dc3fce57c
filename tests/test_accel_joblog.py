"""tandem.accel.joblog: the conv engine's jobs (and a blocking block's) read from the CPU's
register accesses, with the figures derived by hand from the register values below."""
from __future__ import annotations

import struct

from tandem.accel.joblog import Access, AccessLog, blocking_jobs, engine_jobs, jobs_of, useful_macs
from tandem.accel.regmap import ACCEL_ID, REG_BY_NAME

R = {name: reg.offset for name, reg in REG_BY_NAME.items()}
BUSY, DONE, ERROR = 1, 2, 4


def _rd(cycle: int, name: str, value: int, stall: int = 1, rtl_end: int = 0, beats: int = 0) -> Access:
    return Access(cycle, R[name], False, value, stall, rtl_end, beats)


def _wr(cycle: int, name: str, value: int, rtl_end: int = 0, beats: int = 0) -> Access:
    return Access(cycle, R[name], True, value, 1, rtl_end, beats)


def _config(cycle: int) -> list[Access]:
    """A 4x4x8 input, 3x3 kernel, stride 1, padding 1 all round, 16 output channels."""
    return [_wr(cycle, "IN_HW", 4 | 4 << 16), _wr(cycle + 1, "IN_C", 8), _wr(cycle + 2, "OUT_HW", 4 | 4 << 16),
            _wr(cycle + 3, "OUT_C", 16), _wr(cycle + 4, "KERNEL", 3 | 3 << 8 | 1 << 16 | 1 << 24),
            _wr(cycle + 5, "DILATION", 1 | 1 << 8), _wr(cycle + 6, "PAD", 1 | 1 << 8 | 1 << 16 | 1 << 24)]


def test_useful_macs_count_the_taps_inside_the_input() -> None:
    regs = {"IN_HW": 4 | 4 << 16, "IN_C": 8, "OUT_HW": 4 | 4 << 16, "OUT_C": 16,
            "KERNEL": 3 | 3 << 8 | 1 << 16 | 1 << 24, "DILATION": 1 | 1 << 8, "PAD": 1 | 1 << 8 | 1 << 16 | 1 << 24}
    # along one axis: output 0 and 3 see 2 taps inside, 1 and 2 see 3: 10 (output, tap) pairs
    assert useful_macs(regs, depthwise=False) == 10 * 10 * 16 * 8
    assert useful_macs(regs, depthwise=True) == 10 * 10 * 16


def test_a_conv_job_and_a_refused_one() -> None:
    log = [_rd(10, "ID", ACCEL_ID), _rd(12, "CAPS", 8 | 8 << 8 | 64 << 16), *_config(20),
           _wr(100, "CTRL", 1, rtl_end=50, beats=0),
           _rd(120, "STATUS", BUSY, rtl_end=70, beats=30),
           _rd(300, "STATUS", DONE, stall=2, rtl_end=250, beats=100),
           _rd(310, "CYCLES", 400, rtl_end=260, beats=100),
           *_config(400), _wr(420, "OUT_C", 999),
           _wr(430, "CTRL", 1, rtl_end=300, beats=100),
           _rd(440, "STATUS", ERROR | 6 << 8, rtl_end=310, beats=100)]
    first, refused = engine_jobs(log)
    assert first["start_cycle"] == 100
    assert first["stall_cycles"] == 300 + 2 + 1 - 100  # to the end of the read that saw DONE
    assert first["accel_cycles"] == 400  # the engine's CYCLES register, read after the job
    assert first["useful_macs"] == 12800 and first["error_code"] == 0
    assert first["mac_utilisation"] == 12800 / (64 * 400)
    assert first["bytes_moved"] == 4 * 100
    assert refused["error_code"] == 6 and refused["useful_macs"] == 0 and refused["mac_utilisation"] is None
    assert refused["accel_cycles"] == 10  # no CYCLES read: the RTL cycles from START to the STATUS read
    assert refused["registers"]["OUT_C"] == 999
    assert jobs_of(log) == [first, refused]


def test_without_the_engines_id_each_blocking_access_is_a_job() -> None:
    log = [Access(0, 0x00, True, 0x2000_0000, 1, 10, 0), Access(5, 0x1C, True, 1, 1, 20, 0),
           Access(6, 0x24, False, 1234, 90, 120, 32)]
    (job,) = blocking_jobs(log)
    assert job == {"start_cycle": 6, "stall_cycles": 90, "accel_cycles": 100, "error_code": 0, "useful_macs": 0,
                   "mac_utilisation": None, "bytes_moved": 128}
    assert jobs_of(log) == [job]


def test_the_access_log_gives_packed_reads_back_in_order_as_accesses() -> None:
    log = AccessLog()
    log.append(_wr(10, "CTRL", 1, rtl_end=5))
    packed = struct.pack("=4Q", 20, 3, 40, 7) + struct.pack("=4Q", 30, 1, 50, 8)
    log.add_reads(R["STATUS"], BUSY, packed)
    log.add_reads(R["STATUS"], BUSY, b"")  # a take with nothing served adds nothing
    log.append(_rd(40, "STATUS", DONE, rtl_end=60))
    expected = [_wr(10, "CTRL", 1, rtl_end=5), Access(20, R["STATUS"], False, BUSY, 3, 40, 7),
                Access(30, R["STATUS"], False, BUSY, 1, 50, 8), _rd(40, "STATUS", DONE, rtl_end=60)]
    assert len(log) == 4 and bool(log)
    assert list(log) == expected
    assert log[2] == expected[2] and log[-1] == expected[-1] and log[1:3] == expected[1:3]
    assert not AccessLog()


def test_engine_jobs_of_a_packed_log_are_those_of_the_same_log_unpacked() -> None:
    """engine_jobs reads a packed run of polls by its first read: the jobs must be those of the
    same transactions as a plain list (here a run of DONE polls, and of CYCLES reads)."""
    log = AccessLog()
    head = [_rd(0, "ID", ACCEL_ID), _rd(1, "CAPS", 8 | 8 << 8), *_config(2), _wr(20, "CTRL", 1, rtl_end=100, beats=3)]
    for a in head:
        log.append(a)
    log.add_reads(R["STATUS"], BUSY, b"".join(struct.pack("=4Q", 30 + i, 1, 110 + i, 4) for i in range(50)))
    log.add_reads(R["STATUS"], DONE, b"".join(struct.pack("=4Q", 90 + i, 2, 170 + i, 9) for i in range(3)))
    log.add_reads(R["CYCLES"], 66, b"".join(struct.pack("=4Q", 99 + i, 1, 180 + i, 9) for i in range(2)))
    plain = list(log)
    assert len(plain) == 10 + 55
    (job,) = engine_jobs(log)
    assert engine_jobs(plain) == [job]
    assert job["start_cycle"] == 20 and job["stall_cycles"] == 90 + 2 + 1 - 20 and job["accel_cycles"] == 66
    assert job["bytes_moved"] == 4 * (9 - 3)
