"""The cross-compiled runtime image (Cortex-M4/M3): builds cleanly, op sets drive flash size,
and, run on a bare Unicorn CPU by a minimal loader here, matches LiteRT bit for bit through
the mailbox protocol, with per-op trace markers.  (The real board simulator is sim.board;
this loader only checks the image and protocol until that exists.)"""
from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sim import runtime_protocol as proto
from sim.host_runtime import REPO_ROOT, RUNTIME_DIR
from sim.litert_ref import run_reference
from sim.models.catalog import committed_models
from sim.tflite_info import read_model

MODELS_DIR = Path(__file__).resolve().parent / "models"
TRACE_ADDR = proto.TRACE_ADDR
BOARD_MEMORY = {  # flash base/size, ram base/size as in app/memory_<board>.ld
    "mps2_an386": (0x00000000, 4 << 20, 0x20000000, 4 << 20),
    "bluepill": (0x08000000, 64 << 10, 0x20000000, 20 << 10),
}


def build_image(board: str, opset: str = "reference") -> Path:
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("make") is None:
        pytest.fail("arm-none-eabi-gcc and make are required")
    out = REPO_ROOT / "build" / "fw-test" / f"{board}-{opset}"
    proc = subprocess.run(["make", "-s", "-C", str(RUNTIME_DIR), f"BOARD={board}", f"OPSET={opset}", f"OUT={out}"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr
    return out / "tandem_runtime.elf"


@dataclass
class FwResult:
    status: int
    op_index: int
    builtin_code: int
    bytes_needed: int
    arena_size: int
    completed: int
    outputs: bytes
    trace: list[int]
    instructions: int


class MiniLoader:
    """Load the ELF into Unicorn, serve the mailbox protocol, stop at the semihosting exit."""

    def __init__(self, elf: Path, board: str, cpu: str = "M4") -> None:
        from elftools.elf.elffile import ELFFile
        from elftools.elf.sections import SymbolTableSection
        from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
        from unicorn import arm_const as arm

        fbase, fsize, rbase, rsize = BOARD_MEMORY[board]
        self.uc = uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(arm.UC_CPU_ARM_CORTEX_M4 if cpu == "M4" else arm.UC_CPU_ARM_CORTEX_M3)
        uc.mem_map(fbase, fsize)
        uc.mem_map(rbase, rsize)
        with open(elf, "rb") as f:
            e = ELFFile(f)
            for seg in e.iter_segments():
                if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]:
                    uc.mem_write(seg["p_paddr"], seg.data())
            symtab = e.get_section_by_name(".symtab")
            assert isinstance(symtab, SymbolTableSection)
            self.sym = {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name}
        self.vectors = struct.unpack("<II", uc.mem_read(self.sym["tandem_vectors"], 8))
        self.trace: list[int] = []
        # an MMIO page, not a write hook: a hook would slow down every store
        uc.mmio_map(TRACE_ADDR & ~0xFFF, 0x1000, lambda *_: 0, None,
                    lambda _uc, off, _size, value, _u: self.trace.append(value & 0xFFFFFFFF), None)
        self.exited = False

        def on_intr(_uc: Uc, intno: int, _u: object) -> None:
            if intno == 7:  # BKPT: semihosting exit is the only call this image makes
                self.exited = True
                _uc.emu_stop()
            else:
                raise AssertionError(f"unexpected exception {intno}")

        uc.hook_add(UC_HOOK_INTR, on_intr)
        self._arm = arm

    def run(self, model: bytes, inputs: list[np.ndarray], invocations: int = 1, trace: bool = True,
            max_instructions: int = 2_000_000_000) -> FwResult:
        uc, arm, sym = self.uc, self._arm, self.sym
        model_addr = sym["__tandem_model_start"]
        assert model_addr + len(model) <= sym["__tandem_model_end"], "model region too small"
        uc.mem_write(model_addr, model)
        io = sym[proto.SYM_IO_START]
        blob = proto.pack_inputs(inputs)
        uc.mem_write(io, blob)
        out_addr = io + proto.align16(len(blob))
        out_cap = io + sym[proto.SYM_IO_SIZE] - out_addr
        request = proto.Request(model_addr, len(model), io, len(blob), out_addr, out_cap, invocations,
                                proto.FLAG_TRACE_OPS if trace else 0)
        uc.mem_write(sym[proto.SYM_MAILBOX], request.pack())
        uc.reg_write(arm.UC_ARM_REG_SP, self.vectors[0])
        self.trace.clear()
        uc.emu_start(self.vectors[1], 0xFFFFFFFF, count=max_instructions)
        assert self.exited, "firmware did not exit through semihosting"
        res = proto.Result.unpack(bytes(uc.mem_read(sym[proto.SYM_MAILBOX], proto.MAILBOX_SIZE)))
        return FwResult(res.status, res.op_index, res.builtin_code, res.bytes_needed, res.arena_size,
                        res.completed, bytes(uc.mem_read(out_addr, res.output_len)), list(self.trace), 0)


def _inputs(model: bytes, seed: int) -> list[np.ndarray]:
    info = read_model(model)
    rng = np.random.default_rng(seed)
    res = []
    for i in info.inputs:
        t = info.tensors[i]
        res.append(rng.uniform(-4, 4, t.shape).astype(np.float32) if t.dtype == "float32"
                   else rng.integers(-128, 128, t.shape).astype(np.int8))
    return res


def _decode(model: bytes, out: bytes, expected: list[np.ndarray]) -> list[np.ndarray]:
    return proto.unpack_outputs(out, [(e.shape, e.dtype) for e in expected])


@pytest.fixture(scope="module")
def an386() -> MiniLoader:
    return MiniLoader(build_image("mps2_an386"), "mps2_an386")


def test_images_build_for_m4_and_m3_and_op_set_sets_flash() -> None:
    from elftools.elf.elffile import ELFFile

    sizes = {}
    for board, opset in (("mps2_an386", "reference"), ("mps2_an386", "dscnn"), ("bluepill", "reference")):
        elf = build_image(board, opset)
        with open(elf, "rb") as f:
            e = ELFFile(f)
            sizes[(board, opset)] = sum(s["p_filesz"] for s in e.iter_segments() if s["p_type"] == "PT_LOAD")
            assert e.header["e_machine"] == "EM_ARM"
    assert sizes[("mps2_an386", "dscnn")] < sizes[("mps2_an386", "reference")] - 3000
    assert sizes[("bluepill", "reference")] < 64 * 1024


@pytest.mark.parametrize("name,invocations", [("ds_cnn", 2), ("resnet8", 1), ("fc_autoencoder", 3),
                                              ("mobilenet_v1_025", 1)])
def test_firmware_matches_litert(an386: MiniLoader, name: str, invocations: int) -> None:
    model = (MODELS_DIR / f"{name}.tflite").read_bytes()
    inputs = _inputs(model, 5)
    expected = run_reference(model, inputs)
    r = an386.run(model, inputs, invocations=invocations)
    assert r.status == 0, r
    assert r.completed == invocations
    for e, g in zip(expected, _decode(model, r.outputs, expected)):
        np.testing.assert_array_equal(g, e)
    # markers: per inference, start, then start/end of each op in order, then end
    nops = len(read_model(model).ops)
    assert len(r.trace) == invocations * (2 * nops + 2)
    events = [proto.decode_trace(w) for w in r.trace[: 2 * nops + 2]]
    assert [e.kind for e in events] == ([proto.TRACE_INFER_START] + [proto.TRACE_OP_START, proto.TRACE_OP_END] * nops
                                        + [proto.TRACE_INFER_END])
    assert [e.index for e in events[1:-1:2]] == list(range(nops))
    assert [e.builtin_code for e in events[1:-1:2]] == [o.builtin_code for o in read_model(model).ops]


@pytest.mark.parametrize("name", sorted(n for n in committed_models() if n.startswith("op_")))
def test_firmware_single_op_models_match_litert(an386: MiniLoader, name: str) -> None:
    model = (MODELS_DIR / f"{name}.tflite").read_bytes()
    inputs = _inputs(model, 11)
    if name == "op_logistic":  # every input code, so every table entry (built with newlib's expf)
        inputs = [np.arange(-128, 128, dtype=np.int8).reshape(2, 128)]
    expected = run_reference(model, inputs, invocations=2)
    r = an386.run(model, inputs, invocations=2, trace=False)
    assert r.status == 0, r
    assert r.trace == []
    for e, g in zip(expected, _decode(model, r.outputs, expected)):
        np.testing.assert_array_equal(g, e)


def test_firmware_reports_errors(an386: MiniLoader) -> None:
    model = (MODELS_DIR / "op_softmax.tflite").read_bytes()
    r = an386.run(model[:200], [np.zeros((2, 12), np.int8)])
    assert r.status == 1  # malformed model
    good = an386.run(model, [np.zeros((2, 12), np.int8)])
    assert good.status == 0 and good.bytes_needed > 0 and good.arena_size > good.bytes_needed
    short = an386.run(model, [np.zeros((2, 11), np.int8)])
    assert short.status == 6  # wrong input size


def test_bluepill_model_and_arena_limits() -> None:
    """64 KB flash / 20 KB RAM: MobileNet does not fit the model region, DS-CNN's arena does not fit."""
    loader = MiniLoader(build_image("bluepill", "dscnn"), "bluepill", cpu="M3")
    model = (MODELS_DIR / "ds_cnn.tflite").read_bytes()
    with pytest.raises(AssertionError, match="model region too small"):
        loader.run((MODELS_DIR / "mobilenet_v1_025.tflite").read_bytes(), [])
    r = loader.run(model, [np.zeros((1, 49, 10, 1), np.int8)])
    assert r.status == 5 and r.bytes_needed > r.arena_size
