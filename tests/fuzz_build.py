"""The runtime's sanitizer (ASan + UBSan) fuzz driver, built once per source state and cached
under the tandem cache (``fuzz/<hash>/``), shared by the test files that feed it hostile models."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tandem.config import TandemConfig
from tandem.tinyml.host_runtime import RUNTIME_DIR


def fuzz_binary_path() -> Path:
    """Build (or reuse) ``tfl_fuzz``; fails the calling test when gcc is missing or the build fails."""
    if shutil.which("gcc") is None:
        raise AssertionError("gcc is required for the sanitizer build")
    srcs = sorted((RUNTIME_DIR / "src").glob("*.c")) + sorted((RUNTIME_DIR / "kernels" / "reference").glob("*.c"))
    srcs += [RUNTIME_DIR / "host" / "host_api.c", RUNTIME_DIR / "host" / "fuzz_main.c"]
    flags = ["-std=c99", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
             "-Wall", "-Wextra", "-Werror"]
    h = hashlib.sha256(repr(flags).encode())
    for p in srcs + sorted(RUNTIME_DIR.rglob("*.h")):
        h.update(str(p.relative_to(RUNTIME_DIR)).encode())
        h.update(p.read_bytes())
    out = TandemConfig.from_env().cache_dir / "fuzz" / h.hexdigest()[:16] / "tfl_fuzz"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"tfl_fuzz.tmp{os.getpid()}")
    cmd = ["gcc", *flags, f"-I{RUNTIME_DIR / 'include'}", f"-I{RUNTIME_DIR / 'kernels' / 'reference'}",
           f"-I{RUNTIME_DIR / 'host'}", *map(str, srcs), "-lm", "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    tmp.replace(out)
    return out
