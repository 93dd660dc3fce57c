"""Builds and loads sim/timing/blockhook.c, the C block hook behind :class:`CycleCounter`.

The shared library is compiled with the system C compiler on first use into a cache directory
keyed by the hash of the C source (and the compiler flags), so editing the source rebuilds it
and several processes can share one build. The library does not link against Unicorn or
capstone: the hook calls ``uc_emu_stop``, ``uc_mem_read`` and capstone's C API (its native
block decoder, blockhook.c ``tm_decode_block``) through function pointers handed over by
Python, taken from the very ``libunicorn`` and ``libcapstone`` instances the ``unicorn`` and
``capstone`` packages loaded; it uses capstone's headers, shipped with the ``capstone`` wheel,
for the instruction structures.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tandem.errors import ToolchainError

SOURCE = Path(__file__).resolve().parent / "blockhook.c"
CFLAGS = ("-O2", "-shared", "-fPIC", "-std=c99")


class Event(ctypes.Structure):
    """Mirror of ``struct tm_event`` (one cache-dependent line of a block)."""

    _fields_ = (
        ("line", ctypes.c_uint32),
        ("miss_cost", ctypes.c_uint16),
        ("cache", ctypes.c_uint16),
    )


class Check(ctypes.Structure):
    """Mirror of ``struct tm_check`` (an access checked at the block's entry)."""

    _fields_ = (
        ("reg", ctypes.c_int32),
        ("index_reg", ctypes.c_int32),
        ("shift", ctypes.c_int32),
        ("disp", ctypes.c_int32),
        ("align", ctypes.c_uint32),
        ("insn", ctypes.c_uint32),
    )


class BlockInfo(ctypes.Structure):
    """Mirror of ``struct tm_block_info`` (filled by the Python miss callback)."""

    _fields_ = (
        ("fallthrough", ctypes.c_uint32),
        ("cost", ctypes.c_uint32),
        ("taken_extra", ctypes.c_uint32),
        ("ninsn", ctypes.c_uint32),
        ("n_ev", ctypes.c_uint32),
        ("ev", ctypes.POINTER(Event)),
        ("func", ctypes.c_uint32),
        ("sp_descent", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("insn_addrs", ctypes.POINTER(ctypes.c_uint32)),
        ("insn_costs", ctypes.POINTER(ctypes.c_int32)),
        ("guard", ctypes.c_uint32),
        ("native", ctypes.c_uint32),
        ("n_chk", ctypes.c_uint32),
        ("chk", ctypes.POINTER(Check)),
    )


class DivSiteC(ctypes.Structure):
    """Mirror of ``struct tm_div_site`` (one SDIV/UDIV timed by its operands)."""

    _fields_ = (
        ("s", ctypes.c_void_p),
        ("rn", ctypes.c_int32),
        ("rm", ctypes.c_int32),
        ("is_signed", ctypes.c_int32),
        ("lo", ctypes.c_int32),
        ("hi", ctypes.c_int32),
        ("static_cost", ctypes.c_int32),
    )


class Region(ctypes.Structure):
    """Mirror of ``struct tm_region`` (one memory region of the native decoder's map)."""

    _fields_ = (
        ("base", ctypes.c_uint64),
        ("end", ctypes.c_uint64),
        ("wait_states", ctypes.c_uint32),
        ("art", ctypes.c_int32),
        ("line_bytes", ctypes.c_uint32),
        ("icache", ctypes.c_int32),
    )


# The class codes blockhook.c gives each capstone instruction id (enum TC_*), in that order.
CLASSES = ("none", "load", "store", "dual", "multiple", "table", "branch", "sysreg", "it", "mul",
           "mla", "mull", "mlal", "div", "dsp", "barrier", "isb", "vldr", "vstr", "fp_multiple",
           "fp_mac", "vdiv", "vsqrt", "vmov", "fp_alu")
# CoreTable/FpuTable values in the order of blockhook.c's enum TK_* ("div_range": 1 if set).
CORE_FIELDS = ("branch_refill", "decode_branch_refill", "unaligned_target", "load_pc_refill",
               "table_branch", "load", "load_pipelined", "store", "store_reg_offset", "dual",
               "multiple_base", "mul", "mla", "mull", "mlal", "div", "div_range", "dsp",
               "agu_stall", "it_folding", "barrier", "isb", "call_extra", "sysreg", "dual_issue",
               "fp_alu", "fp_mac", "fp_div", "fp_sqrt", "fp_load_single", "fp_load_double",
               "fp_store_single", "fp_store_double", "fp_mov_core", "fp_mov_half",
               "fp_multiple_base")
# Guard bits (blockhook.c TG_*): what a block holds that the board's guards look at.
G_FP, G_V6M, G_DSP, G_ALWAYS, G_DIV, G_UNALIGN, G_BSELF = 1, 2, 4, 8, 16, 32, 64


FLAG_CALL = 1  # TM_F_CALL: the block ends with BL/BLX
FLAG_SP_DYNAMIC = 2  # TM_F_SPDYN: the block sets SP to a run-time value

REG_READ_CFUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)


MISS_CFUNC = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_uint64, ctypes.c_uint32, ctypes.POINTER(BlockInfo)
)


@dataclass(frozen=True)
class NativeLib:
    """The loaded library and where it came from."""

    lib: ctypes.CDLL
    path: Path


def _compiler(cc: str) -> str:
    found = shutil.which(cc)
    if found is None:
        raise ToolchainError(
            f"C compiler '{cc}' not found on PATH: tandem builds {SOURCE.name} with it for "
            "its cycle counter (install gcc, e.g. 'apt-get install gcc', or set CC)"
        )
    return found


def capstone_include() -> tuple[str, str]:
    """The capstone headers the ``capstone`` wheel ships, and its version (part of the build key)."""
    import capstone

    inc = Path(capstone.__file__).resolve().parent / "include"
    if not (inc / "capstone" / "capstone.h").is_file():
        raise ToolchainError(f"{inc}: the capstone package ships no C headers (capstone.h); "
                             "tandem's native block decoder needs them (pip install 'capstone>=5')")
    return str(inc), str(capstone.__version__)


def build(cache_dir: Path, cc: str = "cc", source_path: Path = SOURCE) -> Path:
    """Return the path of the compiled hook library, compiling it if the cache lacks it
    (``source_path``: another self-contained C hook, e.g. sim/core/traps.c)."""
    try:
        source = source_path.read_bytes()
    except OSError as exc:
        raise ToolchainError(f"{source_path}: cannot read the native hook source: {exc}") from exc
    flags: tuple[str, ...] = CFLAGS
    key = ""
    if source_path == SOURCE:
        inc, version = capstone_include()
        flags = (*CFLAGS, "-I", inc)
        key = f" capstone {version}"  # its headers give the structures' layout
    # The flags are part of the key so that changing them cannot reuse a stale build.
    digest = hashlib.sha256(source + (" ".join(flags) + key).encode()).hexdigest()[:16]
    cache = cache_dir.expanduser()
    target = cache / f"{source_path.stem}-{digest}.so"
    if target.exists():
        return target
    cc = _compiler(cc)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{source_path.stem}-", suffix=".so", dir=cache)
    except OSError as exc:
        raise ToolchainError(f"{cache}: cannot write the native build cache: {exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    cmd = [cc, *flags, "-o", str(tmp), str(source_path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ToolchainError(
                f"{source_path}: '{' '.join(cmd)}' failed (exit {proc.returncode}):\n{proc.stderr}"
            )
        os.replace(tmp, target)  # atomic: concurrent builders all end with a complete file
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def load(cache_dir: Path, cc: str = "cc") -> NativeLib:
    """Build (if needed) and load the hook library with its C prototypes declared."""
    path = build(cache_dir, cc)
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise ToolchainError(f"{path}: cannot load the native hook library: {exc}") from exc
    vp, u64, u32, i64, c_int = (
        ctypes.c_void_p,
        ctypes.c_uint64,
        ctypes.c_uint32,
        ctypes.c_int64,
        ctypes.c_int,
    )
    protos: dict[str, tuple[object, list[object]]] = {
        "tm_new": (vp, [MISS_CFUNC, vp]),
        "tm_free": (None, [vp]),
        "tm_clear_table": (None, [vp]),
        "tm_layout": (None, [ctypes.POINTER(u64)]),
        "tm_table_slots": (u32, [vp]),
        "tm_cycles": (u64, [vp]),
        "tm_instructions": (u64, [vp]),
        "tm_add": (None, [vp, i64]),
        "tm_sub": (None, [vp, u64, u64]),
        "tm_set_deadline": (None, [vp, u64]),
        "tm_deadline_hit": (c_int, [vp]),
        "tm_error": (c_int, [vp]),
        "tm_clear_stop": (None, [vp]),
        "tm_check_hit": (c_int, [vp, ctypes.POINTER(u64)]),
        "tm_drop_checks": (None, [vp, u64, u32]),
        "tm_forget_pending": (None, [vp]),
        "tm_cur_addr": (u64, [vp]),
        "tm_cur_size": (u32, [vp]),
        "tm_misses": (u64, [vp]),
        "tm_table_count": (u32, [vp]),
        "tm_size_at": (u32, [vp, u32]),
        "tm_recent": (u32, [vp, ctypes.POINTER(u32)]),
        "tm_set_cache": (c_int, [vp, u32, u32, u32]),
        "tm_flush_caches": (None, [vp]),
        "tm_line_misses": (u64, [vp]),
        "tm_add_data_region": (vp, [vp, ctypes.c_int32, u32]),
        "tm_set_data_timing": (c_int, [vp, u32, ctypes.c_int32, u32]),
        "tm_data_cycles": (u64, [vp]),
        "tm_set_xpsr_access": (None, [vp, vp, vp, ctypes.c_int32]),
        "tm_mirror_region": (None, [vp, u64, u64, u64, vp, vp]),
        "tm_set_xn_base": (None, [vp, u64]),
        "tm_guard_add": (ctypes.c_int32, [vp, u64, u64, ctypes.c_int32]),
        "tm_guard_map": (vp, [vp, u64, u64, u64, vp]),
        "tm_guard_set_hit": (None, [vp, vp]),
        "tm_guard_clear": (None, [vp]),
        "tm_prof_enable": (c_int, [vp]),
        "tm_prof_disable": (None, [vp]),
        "tm_prof_exc_enter": (None, [vp, u32]),
        "tm_prof_exc_return": (None, [vp]),
        "tm_prof_sync": (None, [vp]),
        "tm_prof_count": (u32, [vp]),
        "tm_prof_depth": (u32, [vp]),
        "tm_prof_lost": (u64, [vp]),
        "tm_prof_nodes": (u32, [vp, u32, ctypes.POINTER(u32), ctypes.POINTER(u32),
                                ctypes.POINTER(u64), ctypes.POINTER(i64)]),
        "tm_set_sp_reader": (None, [vp, vp, ctypes.c_int32]),
        "tm_sp_note": (None, [vp, u32]),
        "tm_sp_reset": (None, [vp, u32]),
        "tm_sp_min": (u32, [vp]),
        "tm_watch_masks": (None, [vp, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(u64)]),
        "tm_watch_off": (None, [vp]),
        "tm_watching": (c_int, [vp]),
        "tm_dec_new": (c_int, [vp, vp, vp, vp, vp, vp, vp, vp, vp]),
        "tm_dec_core": (c_int, [vp, ctypes.POINTER(ctypes.c_int32), u32, ctypes.POINTER(ctypes.c_uint8), u32]),
        "tm_dec_regions": (c_int, [vp, ctypes.POINTER(Region), u32]),
        "tm_dec_guards": (None, [vp, u32, vp, u32]),
        "tm_dec_mode": (None, [vp, ctypes.c_int32, ctypes.c_int32]),
        "tm_dec_native": (u64, [vp]),
        "tm_dec_guarded": (u64, [vp]),
        "tm_dec_block": (c_int, [vp, vp, u64, u32, ctypes.POINTER(BlockInfo)]),
        "tm_div_cycles": (ctypes.c_int32, [ctypes.c_int32, ctypes.c_int32, u32, u32, ctypes.c_int32]),
    }
    for name, (restype, argtypes) in protos.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return NativeLib(lib=lib, path=path)


def unicorn_lib() -> ctypes.CDLL:
    """The libunicorn instance the ``unicorn`` package uses (handles belong to it)."""
    from unicorn.unicorn_py3 import unicorn as ucmod

    return ucmod.uclib


__all__ = ["CLASSES", "CORE_FIELDS", "FLAG_CALL", "FLAG_SP_DYNAMIC", "MISS_CFUNC", "SOURCE", "BlockInfo", "DivSiteC",
           "Event", "NativeLib", "Region", "build", "capstone_include", "load", "unicorn_lib"]
