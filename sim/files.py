"""Reading the files a user names (models, firmware, board files) without hanging or exhausting memory.

Only regular files are read: a FIFO, a device or a socket given as a model or an ELF would block
or never end (``/dev/zero``). A file larger than the limit for its kind is refused before it is
read, so a wrong path costs nothing. Every failure is the caller's typed error, one line, naming
the path.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from tandem.errors import TandemError

# Far above what a microcontroller holds (the largest boards have a few MiB of flash), far below
# what would strain the host.
MAX_MODEL_BYTES = 256 << 20
MAX_ELF_BYTES = 256 << 20
MAX_TEXT_BYTES = 16 << 20


def read_user_file(path: str | Path, what: str, error: type[TandemError], limit: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), or ``error`` naming it."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise error(f"{p}: cannot read {what}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise error(f"{p}: cannot read {what}: {kind}")
    if st.st_size > limit:
        raise error(f"{p}: {what} of {st.st_size:,} bytes is larger than tandem reads ({limit:,})")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{p}: cannot read {what}: {exc.strerror}") from None
    if len(data) > limit:
        raise error(f"{p}: {what} is larger than tandem reads ({limit:,} bytes)")
    return data


def read_user_text(path: str | Path, what: str, error: type[TandemError], limit: int = MAX_TEXT_BYTES) -> str:
    """As :func:`read_user_file`, decoded as UTF-8; bad bytes are an error naming the line."""
    data = read_user_file(path, what, error, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: {what} is not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
