"""The ahead-of-time runtime image: the generated model C (:mod:`tandem.aot.generate`) built with
``firmware/aot/aot_main.c`` and the reference kernels it calls for one board, served through the
interpreter image's mailbox so ``tandem infer --runtime aot`` runs it with the same host side."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from tandem.aot.generate import AotProgram, generate
from tandem.config import TandemConfig
from tandem.errors import ModelError, TandemError, ToolchainError
from tandem.firmware.build import FirmwareSpec, build_firmware
from tandem.platform.model import Platform
from tandem.tinyml.job import RUNTIME
from tandem.tinyml.results import Inference

RUNTIMES = ("interpreter", "aot")


@dataclass(frozen=True)
class AotImage:
    elf: Path
    source: Path  # the generated C, in the cache
    program: AotProgram


def _write_once(path: Path, text: str) -> None:
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")
_EVAL_DEF = re.compile(r"^TFL_REF_EVAL\((tfl_ref_\w+),", re.M)
_HELPER_DEF = re.compile(r"^(?:int|tfl_status_t|void|int32_t|uint32_t)\s+(tfl_ref_\w+)\s*\(", re.M)


def kernel_files(cfg: TandemConfig, kernels: list[str]) -> list[Path]:
    """The reference kernel files that define ``kernels`` (as ``TFL_REF_EVAL``), and those that
    define shared helpers (``tfl_ref_*`` functions) the kernels may call: compiling only these
    keeps an image's build short; the linker keeps only what the generated code reaches."""
    wanted = set(kernels)
    out = []
    for src in sorted((cfg.firmware_dir / RUNTIME / "kernels" / "reference").glob("*.c")):
        text = src.read_text()
        defined = set(_EVAL_DEF.findall(text))
        helpers = set(_HELPER_DEF.findall(text)) - {f"{k}_eval" for k in defined}
        if defined & wanted or helpers:
            out.append(src)
    missing = wanted - {k for src in out for k in _EVAL_DEF.findall(src.read_text())}
    if missing:
        raise ToolchainError(f"no TFL_REF_EVAL for {', '.join(sorted(missing))} in the reference kernels")
    return out


def aot_sources(cfg: TandemConfig, model_c: Path, kernels: list[str]) -> tuple[str, ...]:
    """The image's sources: the kernel helpers, the files of the kernels the generated code calls,
    the AOT main and the generated model."""
    root = cfg.firmware_dir
    srcs = [root / RUNTIME / "src" / "kernel_util.c", root / RUNTIME / "src" / "fb.c"]
    srcs += kernel_files(cfg, kernels)
    srcs += [root / "aot" / "aot_main.c"]
    return (*(str(p.relative_to(root)) for p in srcs), str(model_c))


def build_aot(platform: Platform, cfg: TandemConfig, model: bytes, model_path: str, opt: str = "-O2") -> AotImage:
    """Generate the model's C (cached by content) and build the AOT image for ``platform``."""
    prog = generate(model, model_path, cfg)
    key = hashlib.sha256(prog.source.encode()).hexdigest()[:16]
    model_c = cfg.cache_dir / "aot" / f"aot_model_{key}.c"
    _write_once(model_c, prog.source)
    spec = FirmwareSpec(
        sources=aot_sources(cfg, model_c, prog.kernels),
        name="runtime-aot",
        opt=opt,
        extra_cflags=(f"-I{RUNTIME}/include", f"-I{RUNTIME}/kernels/reference", f"-I{RUNTIME}/app", "-Iaot"),
        heap_size=0,
    )
    try:
        elf = build_firmware(platform, spec, cfg)
    except ToolchainError as exc:
        m = _OVERFLOW.search(str(exc))
        if m is None:
            raise
        consts = sum(t.nbytes for t in prog.tensors if t.is_const)
        raise ModelError(f"{model_path}: the AOT image does not fit {platform.name}: its memory region {m[1]} "
                         f"overflowed by {int(m[2]):,} bytes (constants {consts:,} B in flash, arena "
                         f"{prog.plan_bytes:,} B in RAM)") from None
    return AotImage(elf, model_c, prog)


def export(image: AotImage, out_dir: Path) -> list[Path]:
    """Copy the generated C and the ELF into ``out_dir`` (the C builds with firmware/aot/ and the
    runtime's kernels, see :func:`aot_sources`)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TandemError(f"{out_dir}: cannot create the output folder: {exc.strerror}") from None
    if not out_dir.is_dir():
        raise TandemError(f"{out_dir}: not a folder")
    written = []
    for src, name in ((image.source, "aot_model.c"), (image.elf, "aot.elf")):
        dst = out_dir / name
        shutil.copyfile(src, dst)
        written.append(dst)
    return written


def run_aot(board: str, model: Path, cfg: TandemConfig) -> Inference:
    """One inference of ``model`` on ``board`` with the AOT runtime (the seeded random input the
    interpreter's runs get), as ``tandem infer --runtime aot`` runs it."""
    from tandem.tinyml.infer import run_job
    from tandem.tinyml.job import InferenceJob, read_model_file

    data = read_model_file(model)
    job = InferenceJob.create(board, model, cfg, model=data, runtime="aot",
                              image=lambda platform: build_aot(platform, cfg, data, str(model)).elf)
    inf = run_job(job, cfg)
    inf.extra["runtime"] = "aot"
    return inf


__all__ = ["RUNTIMES", "AotImage", "aot_sources", "build_aot", "export", "kernel_files", "run_aot"]
