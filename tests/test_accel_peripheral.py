"""The accelerator's CPU-side model and the bridge's memory planning, without a simulator."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tandem.accel.job import ConvJob
from tandem.accel.regmap import ACCEL_ID, REG_BY_NAME
from tandem.config import TandemConfig
from tandem.cosim.bridge import ALIGN, Region, mem_words, place, plan_regions, translate, useful_macs
from tandem.errors import AcceleratorError
from tandem.machine.console import BoardConsole
from tandem.peripherals.base import Console
from tandem.peripherals.conv_accel import BUSY, DONE, AccelParams, ConvAccelerator, JobStats
from tandem.platform import load_platform
from tandem.reference.conv2d import ConvGeometry, ConvQuant, compute_padding


class FakeBoard:
    """The BoardContext services the accelerator uses, recorded; the others fail if called."""

    cpu_hz = 100_000_000

    def __init__(self) -> None:
        self.console: Console = BoardConsole()
        self.stalled = 0
        self.service: list[object] = []
        self.irqs: list[tuple[int, bool]] = []
        self.notes: list[str] = []

    def stall(self, cycles: int) -> None:
        self.stalled += cycles

    def request_service(self, periph: object) -> None:
        self.service.append(periph)

    def set_irq(self, line: int, level: bool) -> None:
        self.irqs.append((line, level))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def now(self) -> int:
        raise AssertionError("the accelerator does not read the clock")

    def schedule(self, cycle: int, callback: Callable[[int], None], owner: object) -> None:
        raise AssertionError("the accelerator schedules no events")

    def cancel(self, owner: object) -> None:
        raise AssertionError("the accelerator schedules no events")

    def pend_exception(self, number: int) -> None:
        raise AssertionError("the accelerator raises interrupts through set_irq")

    def request_exit(self, code: int) -> None:
        raise AssertionError("the accelerator does not end the run")


@pytest.fixture()
def accel() -> tuple[ConvAccelerator, FakeBoard]:
    cfg = TandemConfig.from_env()
    platform = load_platform("stm32f4_discovery", cfg.platforms_dir,
                             [cfg.platforms_dir / "accel" / "conv8x8.repl"])
    board = FakeBoard()
    return ConvAccelerator(platform.peripheral("accel"), board), board


def reg(name: str) -> int:
    return REG_BY_NAME[name].offset


def test_registers_mirror_the_rtl(accel: tuple[ConvAccelerator, FakeBoard]) -> None:
    dev, board = accel
    assert dev.read(reg("ID"), 4) == ACCEL_ID
    assert dev.read(reg("CAPS"), 4) == 8 | (8 << 8) | (64 << 16)
    assert dev.read(reg("CAPS_WBUF"), 4) == 512
    # reset values as the RTL's reset sets them
    assert dev.read(reg("DILATION"), 4) == 0x0101 and dev.read(reg("ACT_MIN"), 4) == 0xFFFFFF80
    # RW registers read back masked to their fields; RO ones ignore writes
    dev.write(reg("IN_C"), 4, 0xABCD1234)
    assert dev.read(reg("IN_C"), 4) == 0x1234
    dev.write(reg("IN_ADDR"), 4, 0x20000123)
    assert dev.read(reg("IN_ADDR"), 4) == 0x20000123
    dev.write(reg("ID"), 4, 0)
    assert dev.read(reg("ID"), 4) == ACCEL_ID
    assert dev.read(reg("IN_ADDR") + 2, 2) == 0x2000  # halfword read of the upper half
    assert board.stalled == 12 * dev.params.register_wait_states  # 9 reads, 3 writes


def test_start_waits_for_the_driver_and_ignores_writes_while_busy(
        accel: tuple[ConvAccelerator, FakeBoard]) -> None:
    dev, board = accel
    dev.write(reg("OUT_C"), 4, 8)
    dev.write(reg("CTRL"), 4, 1)
    assert board.service == [dev] and dev.pending
    assert dev.read(reg("STATUS"), 4) == BUSY
    dev.write(reg("OUT_C"), 4, 16)  # ignored while busy, as the RTL does
    assert dev.register_values()["OUT_C"] == 8
    counters = {"CYCLES": 500, "COMPUTE_CYCLES": 300, "MAC_CYCLES": 290, "LOAD_CYCLES": 150,
                "STORE_CYCLES": 40}
    dev.complete(JobStats(0, 0, DONE, 0, 500, 500, counters, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0))
    assert dev.read(reg("STATUS"), 4) == DONE and dev.read(reg("CYCLES"), 4) == 500
    assert dev.read(reg("STORE_CYCLES"), 4) == 40
    dev.write(reg("OUT_C"), 4, 16)
    assert dev.register_values()["OUT_C"] == 16


def test_stall_scales_with_the_clock_ratio(accel: tuple[ConvAccelerator, FakeBoard]) -> None:
    p = accel[0].params
    assert p.stall_cycles(1000, 168_000_000) == 1000  # frequency 0: the CPU's clock
    half = AccelParams(**{**p.__dict__, "frequency_hz": 84_000_000})
    assert half.stall_cycles(1000, 168_000_000) == 2000
    odd = AccelParams(**{**p.__dict__, "frequency_hz": 100_000_000})
    assert odd.stall_cycles(1001, 168_000_000) == 1682  # ceil(1001 * 1.68)


def _job(h: int, w: int, ic: int, oc: int, k: int, stride: int) -> ConvJob:
    rng = np.random.default_rng(1)
    oh, pt, pb = compute_padding("SAME", h, k, stride)
    ow, pl, pr = compute_padding("SAME", w, k, stride)
    return ConvJob(rng.integers(-128, 128, (1, h, w, ic), dtype=np.int8),
                   rng.integers(-127, 128, (oc, k, k, ic), dtype=np.int8),
                   np.zeros(oc, np.int32), np.full(oc, 1 << 30, np.int32), np.zeros(oc, np.int32),
                   ConvGeometry(stride, stride, 1, 1, pt, pl, oh, ow), ConvQuant(0, 0), pb, pr)


def test_regions_placement_keeps_alignment(accel: tuple[ConvAccelerator, FakeBoard]) -> None:
    params = accel[0].params
    job = _job(7, 5, 11, 9, 3, 2)
    lay = job.layout(base=0x2000_0100, in_skew=3, filter_skew=1, out_skew=2, out_pstride=12)
    regs = job.register_values(lay)
    regions, left_out = plan_regions(regs, params)
    assert left_out == []
    sizes = {r.reg: r.size for r in regions}
    assert sizes["IN_ADDR"] == job.inp.size and sizes["FILTER_ADDR"] == job.filt.size
    assert sizes["OUT_ADDR"] == (job.geom.out_h * job.geom.out_w - 1) * 12 + 9
    spans = place(regions, 4 * mem_words(params))
    for r in regions:
        tb = translate(r.addr, spans)
        assert tb is not None and tb % ALIGN == r.addr % ALIGN
        assert translate(r.addr + r.size - 1, spans) == tb + r.size - 1
    # the contiguous layout merges into one span
    assert len(spans) == 1
    assert useful_macs(regs) == job.useful_macs()


def test_oversized_regions_are_left_out_and_overlaps_merged(accel: tuple[ConvAccelerator, FakeBoard]) -> None:
    params = accel[0].params
    regs = _job(4, 4, 8, 8, 1, 1).register_values(_job(4, 4, 8, 8, 1, 1).layout(base=0x100))
    regs["IN_HW"] = (1000 << 16) | 1000  # the engine refuses this (CAPACITY) before loading
    regions, left_out = plan_regions(regs, params)
    assert any(s.startswith("IN_ADDR") for s in left_out)
    assert "IN_ADDR" not in {r.reg for r in regions}
    spans = place([Region("A", 0x1000, 100), Region("B", 0x1010, 200), Region("C", 0x5003, 8)], 4096)
    assert [(s.addr, s.end) for s in spans] == [(0x1000, 0x1010 + 200), (0x5000, 0x500C)]
    with pytest.raises(AcceleratorError, match="more than the testbench memory"):
        place([Region("OUT_ADDR", 0, 1 << 20, True)], 4096)


@pytest.mark.parametrize("name", ["conv4x4", "conv8x8", "conv16x16"])
def test_overlays_load_on_every_board(name: str, build: Callable[..., Path]) -> None:
    cfg = TandemConfig.from_env()
    for board in ("stm32f4_discovery", "nucleo_l4r5zi", "bluepill", "mps2_an386"):
        platform = load_platform(board, cfg.platforms_dir, [cfg.platforms_dir / "accel" / f"{name}.repl"])
        params = AccelParams.from_spec(platform.peripheral("accel"))
        assert params.rows * params.cols == int(name[4:].split("x")[0]) ** 2
