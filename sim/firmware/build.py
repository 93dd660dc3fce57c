"""Building firmware for a board: generated board files plus one compiler call, cached by content.

The platform is the one source of truth: :func:`generate_board_files` writes ``board.h``
(clock, console and peripheral base addresses, memory map) and ``board_memory.ld`` (the
linker's CODE and DATA regions) into the build directory, and :func:`compile_command` is the one
definition of how firmware is compiled and linked with them. The compiler is run with an argument
list, never through a shell, so no option can run a command. A build is cached under the cache
directory by a hash of the firmware sources, the generated files, the flags and the compiler's
version; it is made in a directory of its own and renamed into place, so concurrent runs share
the cache safely. A stat index (``firmware/stat-index/``) maps the sources' (path, size,
mtime_ns) and the compiler binary's stat to that content key, so a cached build is found without
reading every source or running the compiler; a changed stat falls back to hashing the contents.
A failed build is one line naming its first error and the full log's path.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tandem.accel import ENGINE_TOP
from tandem.accel.regmap import render_c_header
from tandem.config import TandemConfig
from tandem.errors import ToolchainError
from tandem.platform.model import MemorySpec, Platform

# The M7 gets the single-precision FPv5 ABI, which runs on both the SP and DP variants.
CPU_FLAGS = {
    "cortex-m0": "-mcpu=cortex-m0 -mthumb -mfloat-abi=soft",
    "cortex-m0+": "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft",
    "cortex-m3": "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft",
    "cortex-m4": "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft",
    "cortex-m4f": "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard",
    "cortex-m7": "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard",
    "cortex-m7f": "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard",
    "cortex-m33": "-mcpu=cortex-m33 -mthumb -mfloat-abi=soft",
    "cortex-m33f": "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard",
}
# firmware/ports/<port>/console.c per console UART type (types.CONSOLE_TYPES); else semihosting
PORTS = {"UART.STM32_UART": "stm32_usart", "UART.STM32F7_USART": "stm32_usart_v2",
         "UART.NRF52840_UART": "nrf_uarte", "UART.SAMD5_UART": "sam_sercom",
         "UART.LowPower_UART": "nxp_lpuart", "UART.CMSDK_APB_UART": "cmsdk_uart"}
RTL_TYPE = "Tandem.RtlPeripheral"
ACCEL_DRIVER = "drivers/conv_accel.c"
_SOURCE_SUFFIXES = {".c", ".h", ".S", ".s", ".ld", ".inc"}
CORE_SOURCES = ("core/startup.c", "core/syscalls.c")
CFLAGS = ("-g", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections")
# What --opt may hold: optimisation, code-generation, debug, warning and macro options. Options
# that name files gcc reads or writes (outputs, plug-ins, dumps, linker scripts) are refused.
_OPT_FAMILIES = ("-O", "-f", "-m", "-g", "-W", "-D", "-U", "-std=")
_OPT_REFUSED = ("-fplugin", "-fdump", "-fprofile", "-fstack-usage", "-fcallgraph-info", "-fauto-profile",
                "-Wl,", "-Wa,", "-Wp,")


@dataclass(frozen=True)
class FirmwareSpec:
    """What to build: sources relative to firmware/ (or absolute), and build options."""

    sources: tuple[str, ...]
    name: str = ""
    opt: str = "-O2"
    extra_cflags: tuple[str, ...] = ()
    stack_size: int = 0x2000
    heap_size: int = 0x1000
    port: str | None = None  # default: from the board's console peripheral
    defines: dict[str, str] = field(default_factory=dict)

    @property
    def program(self) -> str:
        return self.name or Path(self.sources[0]).stem


def parse_opt(opt: str) -> tuple[str, ...]:
    """The ``--opt`` string as compiler options, each checked against the families above."""
    try:
        tokens = shlex.split(opt)
    except ValueError as exc:
        raise ToolchainError(f"--opt {opt!r}: {exc}") from None
    for tok in tokens:
        if not tok.startswith(_OPT_FAMILIES) or tok.startswith(_OPT_REFUSED):
            raise ToolchainError(f"--opt {opt!r}: {tok!r} is not an optimisation, code-generation, debug, "
                                 "warning or macro option")
    return tuple(tokens)


def port_for(platform: Platform) -> str:
    if platform.console is None:
        return "semihost"
    return PORTS.get(platform.peripheral(platform.console).type, "semihost")


def _ident(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def data_span(platform: Platform) -> tuple[int, int]:
    """The DATA region: the data memory plus the memories directly after it (one span)."""
    mem = platform.memory(platform.data_memory)
    start, end = mem.base, mem.end
    if platform.data_memory == platform.code_memory:
        # One memory holds both (e.g. a chip with a single SRAM, as Renode's EOS S3): code takes
        # its lower half, data the upper half, so the two never overlap.
        half = (mem.size // 2) & ~0x3FF
        return start + half, mem.size - half
    code = platform.memory(platform.code_memory)
    placed = sorted([(b, b + m.size) for m in platform.memories for b in (m.base, *m.aliases)
                     if m.name != code.name])  # the span never grows over the code memory
    grown = True
    while grown:
        grown = False
        for b, e in placed:
            if b == end:
                end, grown = e, True
    return start, end - start


def needs_accel_regs(platform: Platform, spec: FirmwareSpec) -> bool:
    """Whether the build gets ``tandem_accel_regs.h``: a board with the conv engine (a
    Tandem.RtlPeripheral whose top is ENGINE_TOP), or a build of its driver
    (firmware/drivers/conv_accel.h includes the header)."""
    return (any(p.type == RTL_TYPE and p.properties.get("top") == ENGINE_TOP for p in platform.peripherals)
            or any(Path(s).as_posix().endswith(ACCEL_DRIVER) for s in spec.sources))


def generate_board_files(platform: Platform, spec: FirmwareSpec, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    code = platform.memory(platform.code_memory)
    data_base, data_size = data_span(platform)
    lines = [
        "/* Generated by tandem from " + platform.path.name + ": do not edit. */",
        "#ifndef TANDEM_BOARD_H", "#define TANDEM_BOARD_H",
        f'#define TANDEM_BOARD_NAME "{platform.name}"',
        f"#define TANDEM_CPU_HZ {platform.cpu.frequency_hz}u",
    ]
    if platform.console is not None:
        base = platform.peripheral(platform.console).base
        lines.append(f"#define TANDEM_CONSOLE_BASE 0x{base:08x}u")
    for m in platform.memories:
        lines += [f"#define TANDEM_MEM_{_ident(m.name)}_BASE 0x{m.base:08x}u",
                  f"#define TANDEM_MEM_{_ident(m.name)}_SIZE 0x{m.size:x}u"]
    for p in platform.peripherals:
        if p.base is not None:
            lines.append(f"#define TANDEM_{_ident(p.name)}_BASE 0x{p.base:08x}u")
    for key, value in sorted(spec.defines.items()):
        lines.append(f"#define {key} {value}")
    lines.append("#endif")
    _write_if_changed(out / "board.h", "\n".join(lines) + "\n")
    if needs_accel_regs(platform, spec):
        # The accelerator's register map, generated from the one definition (sim/accel/regmap.py).
        _write_if_changed(out / "tandem_accel_regs.h", render_c_header())

    code_size = data_base - code.base if platform.code_memory == platform.data_memory else code.size
    regions = [f"  CODE (rx) : ORIGIN = 0x{code.base:08x}, LENGTH = 0x{code_size:x}",
               f"  DATA (rwx) : ORIGIN = 0x{data_base:08x}, LENGTH = 0x{data_size:x}"]
    for m in platform.memories:
        if m.name not in (platform.code_memory,) and not (data_base <= m.base < data_base + data_size):
            regions.append(f"  {_ident(m.name)} (rwx) : ORIGIN = 0x{m.base:08x}, LENGTH = 0x{m.size:x}")
    ld = "\n".join([
        "/* Generated by tandem from " + platform.path.name + ": do not edit. */",
        "MEMORY", "{", *regions, "}",
        f"TANDEM_STACK_SIZE = 0x{spec.stack_size:x};",
        f"TANDEM_HEAP_SIZE = 0x{spec.heap_size:x};",
    ])
    _write_if_changed(out / "board_memory.ld", ld + "\n")


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _tree_digest(root: Path, h: hashlib._Hash) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in _SOURCE_SUFFIXES:
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())


def _tree_stats(root: Path, h: hashlib._Hash) -> None:
    for path in sorted(root.rglob("*")):
        if path.suffix in _SOURCE_SUFFIXES:
            st = path.stat()
            if path.is_file():
                h.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def _stat_key(config: TandemConfig, fw: Path, sources: list[str], params: bytes, prefix: str) -> str | None:
    """The stat index's key: what the content key depends on, by stat rather than by content
    (None when the compiler is not on PATH: the full path then says why)."""
    gcc = shutil.which(config.arm_gcc)
    if gcc is None:
        return None
    h = hashlib.sha256(params + prefix.encode())
    _tree_stats(fw, h)
    for s in sources:
        if Path(s).is_absolute():
            st = Path(s).stat()
            h.update(f"{s}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    real = os.path.realpath(gcc)
    st = os.stat(real)
    h.update(f"{real}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def _read_index(entry: Path) -> str | None:
    try:
        return entry.read_text().strip() or None
    except OSError:
        return None


def _write_index(entry: Path, key: str) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        tmp.write_text(key + "\n")
        os.replace(tmp, entry)
    except OSError:
        pass  # the index only saves time: a read-only cache still builds


def _compiler_version(config: TandemConfig) -> str:
    gcc = shutil.which(config.arm_gcc)
    if gcc is None:
        raise ToolchainError(
            f"{config.arm_gcc} not found: install gcc-arm-none-eabi and libnewlib-arm-none-eabi "
            "(the README's set-up command does)")
    res = subprocess.run([gcc, "--version"], capture_output=True, text=True)
    return res.stdout.splitlines()[0] if res.stdout else ""


def build_firmware(platform: Platform, spec: FirmwareSpec, config: TandemConfig) -> Path:
    """Build (or reuse) the ELF of ``spec`` for ``platform``; returns its path."""
    fw = config.firmware_dir
    sources = [str(Path(s) if Path(s).is_absolute() else Path(s)) for s in spec.sources]
    for s in sources:
        if not (fw / s).is_file():
            raise ToolchainError(f"firmware source not found: {fw / s}")
    parse_opt(spec.opt)  # refused before anything is hashed or built
    port = spec.port or port_for(platform)
    cpuflags = CPU_FLAGS[platform.cpu.cpu_type]

    params = repr((platform.name, platform.path.read_bytes(), sources, port, cpuflags, spec.opt,
                   spec.extra_cflags, spec.stack_size, spec.heap_size, sorted(spec.defines.items()),
                   _platform_digest(platform))).encode()
    if needs_accel_regs(platform, spec):
        params += render_c_header().encode()
    prefix = f"{platform.name}-{spec.program}-"
    stat_key = _stat_key(config, fw, sources, params, prefix)
    index = config.cache_dir / "firmware" / "stat-index" / f"{stat_key}"
    if stat_key is not None:
        key = _read_index(index)
        if key is not None:
            elf = config.cache_dir / "firmware" / f"{prefix}{key}" / f"{spec.program}.elf"
            if elf.is_file():
                return elf
    h = hashlib.sha256()
    _tree_digest(fw, h)
    for s in sources:
        p = Path(s)
        if p.is_absolute():
            h.update(p.read_bytes())
    h.update(params)
    h.update(_compiler_version(config).encode())
    key = h.hexdigest()[:16]
    out_dir = config.cache_dir / "firmware" / f"{prefix}{key}"
    elf = out_dir / f"{spec.program}.elf"
    if elf.is_file():
        if stat_key is not None:
            _write_index(index, key)
        return elf
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        generate_board_files(platform, spec, tmp)
        cmd = compile_command(config, fw, tmp, tmp / elf.name, port, cpuflags, spec, sources)
        res = subprocess.run(cmd, cwd=fw, capture_output=True, text=True)
        if res.returncode != 0:
            log = out_dir.with_name(out_dir.name + ".log")
            log.write_text(shlex.join(cmd) + "\n\n" + res.stdout + res.stderr)
            raise ToolchainError(f"building {spec.program} for {platform.name} failed: "
                                 f"{_first_error(res.stderr or res.stdout)} (full log: {log})")
        if out_dir.exists() and not elf.is_file():
            shutil.rmtree(out_dir, ignore_errors=True)  # left half-made by a run that was killed
        try:
            tmp.rename(out_dir)
        except OSError:  # another run finished the same build first: use its result
            if not elf.is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if stat_key is not None:
        _write_index(index, key)
    return elf


def compile_command(config: TandemConfig, fw: Path, gen: Path, out: Path, port: str, cpuflags: str,
                    spec: FirmwareSpec, sources: list[str]) -> list[str]:
    """The compile-and-link command (run in ``firmware/``): the one definition of the flags."""
    core = [*CORE_SOURCES, f"ports/{port}/console.c"]
    return [config.arm_gcc, *cpuflags.split(), *parse_opt(spec.opt), *CFLAGS, "-I.", f"-I{gen}",
            *spec.extra_cflags, *core, *sources,
            *cpuflags.split(), "-specs=nano.specs", "-nostartfiles", "-Wl,--gc-sections", f"-L{gen}",
            "-Tlink/cortex-m.ld", f"-Wl,-Map={out.with_suffix('.map')}", "-lm", "-o", str(out)]


_REASONS: tuple[Callable[[str], bool], ...] = (
    lambda ln: ": error:" in ln and not ln.startswith("collect2"),  # the compiler's own
    lambda ln: "overflowed by" in ln,  # the linker's
    lambda ln: "undefined reference" in ln,
    lambda ln: "error" in ln.lower(),
)


def _first_error(output: str) -> str:
    """The line that says what went wrong: a compiler error, else the linker's reason."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for pick in _REASONS:
        for ln in lines:
            if pick(ln):
                return ln.split("/bin/ld: ", 1)[-1]
    return lines[0] if lines else "no output"


def _platform_digest(platform: Platform) -> str:
    mems: tuple[MemorySpec, ...] = platform.memories
    return repr([(m.name, m.base, m.size, m.aliases) for m in mems]) + repr(
        [(p.name, p.type, p.base) for p in platform.peripherals])
