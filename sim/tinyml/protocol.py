"""Host side of the runtime image's mailbox protocol (firmware/runtime/app/tandem_protocol.h).

The board simulator uses this to fill the request, read the result block and decode the
per-op trace words; the layout here and in the C header must stay in step (version 1).
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAGIC = 0x4D444E54  # "TNDM"
VERSION = 1
STATUS_RUNNING = 0xFFFFFFFF
STATUS_NO_REQUEST = 0xFFFFFFFE
FLAG_TRACE_OPS = 1

REQUEST_FORMAT = "<10I"
RESULT_FORMAT = "<I3i7I"
RESULT_OFFSET = struct.calcsize(REQUEST_FORMAT)
MAILBOX_SIZE = 96

TRACE_OP_START, TRACE_OP_END, TRACE_INFER_START, TRACE_INFER_END = range(4)

# Symbols the host looks up in the image's ELF.
SYM_MAILBOX = "tandem_mailbox"
SYM_MODEL_START = "__tandem_model_start"
SYM_MODEL_END = "__tandem_model_end"
SYM_IO_START = "__tandem_io_start"
SYM_IO_SIZE = "__tandem_io_size"
SYM_ARENA_START = "__tandem_arena_start"
SYM_ARENA_END = "__tandem_arena_end"


def align16(n: int) -> int:
    return (n + 15) & ~15


@dataclass(frozen=True)
class Request:
    model_addr: int
    model_len: int
    input_addr: int
    input_len: int
    output_addr: int
    output_cap: int
    invocations: int = 1
    flags: int = FLAG_TRACE_OPS

    def pack(self) -> bytes:
        """Request half followed by status = RUNNING (the firmware overwrites it)."""
        return struct.pack(REQUEST_FORMAT, MAGIC, VERSION, self.model_addr, self.model_len, self.input_addr,
                           self.input_len, self.output_addr, self.output_cap, self.invocations,
                           self.flags) + struct.pack("<I", STATUS_RUNNING)


@dataclass(frozen=True)
class Result:
    status: int
    op_index: int
    builtin_code: int
    tensor_index: int
    bytes_needed: int
    detail: int
    arena_size: int
    output_len: int
    ninputs: int
    noutputs: int
    completed: int

    @classmethod
    def unpack(cls, mailbox: bytes) -> Result:
        return cls(*struct.unpack_from(RESULT_FORMAT, mailbox, RESULT_OFFSET))


def pack_inputs(inputs: Sequence[np.ndarray]) -> bytes:
    """Inputs in subgraph order, each starting 16-byte aligned (the layout the image expects)."""
    blob = b""
    for x in inputs:
        blob += b"\0" * (align16(len(blob)) - len(blob)) + np.ascontiguousarray(x).tobytes()
    return blob


def unpack_outputs(blob: bytes, like: Sequence[tuple[tuple[int, ...], np.dtype]]) -> list[np.ndarray]:
    """Split the output block given each output's shape and dtype."""
    res, off = [], 0
    for shape, dtype in like:
        off = align16(off)
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        res.append(np.frombuffer(blob[off:off + n], dtype=dtype).reshape(shape).copy())
        off += n
    return res


@dataclass(frozen=True)
class TraceEvent:
    kind: int
    index: int
    builtin_code: int


def decode_trace(word: int) -> TraceEvent:
    return TraceEvent((word >> 30) & 3, (word >> 12) & 0x3FFFF, word & 0xFFF)
