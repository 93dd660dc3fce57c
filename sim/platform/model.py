"""A validated board description built from .repl entries.

:func:`load_platform` turns the merged entries of a board file into a :class:`Platform`: the
CPU, the memories (with their aliases and timing), the peripherals with their address ranges,
and tandem's own board properties. Validation happens here, once, on load: unknown CPU types,
missing sizes, misaligned memories and overlapping ranges are reported with the file and line
of the entry at fault.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tandem.errors import PlatformError, UnknownBoardError
from tandem.platform.address_map import check_address_map
from tandem.platform.cpus import choose_cpu, is_cpu
from tandem.platform.repl import BUILTINS, EntrySpec, IrqConnection, Reference, Value, load_entries, parse_int
from tandem.platform.roles import code_memory, data_memory
from tandem.platform.search import search_dirs
from tandem.platform.types import CONSOLE_TYPES, GUESSED_WINDOW, default_window, is_modelled, renode_window

PAGE = 0x400  # Unicorn's ARM page size: every mapping starts and ends on it

# cpuType (Renode's names) -> (core, FPU present). Renode writes "cortex-m0+", "cortex-m7" and
# "cortex-m33"; every Cortex-M7 part has an FPU, so both M7 spellings have one, while
# "cortex-m33" is taken without one (the FPU is optional on the M33) and "cortex-m33f" with.
CORES = {
    "cortex-m0": ("cortex-m0", False),
    "cortex-m0+": ("cortex-m0+", False),
    "cortex-m3": ("cortex-m3", False),
    "cortex-m4": ("cortex-m4", False),
    "cortex-m4f": ("cortex-m4", True),
    "cortex-m7": ("cortex-m7", True),
    "cortex-m7f": ("cortex-m7", True),
    "cortex-m33": ("cortex-m33", False),
    "cortex-m33f": ("cortex-m33", True),
}

# The CPU clock of a board whose file gives no ``frequency:`` (Renode's chip files never do:
# Renode runs by instruction count). The part's real clock cannot be known from cpuType alone,
# so the NVIC's ``systickFrequency`` is used when the file gives it (in Renode the SysTick runs
# on the core clock), and otherwise a conservative clock per core type: a common top speed of
# Cortex-M3 parts (STM32F1's 72 MHz), and for Cortex-M4 the 64 MHz of the nRF52 parts, well
# below the 100-180 MHz of STM32F4-class ones, so reported times err on the slow side; likewise
# 48 MHz for M0/M0+ (STM32F0/G0, SAMD21), 216 MHz for M7 (STM32F7), 64 MHz for M33 (nRF5340 runs
# 64 or 128, STM32L5 110). Either way the run reports a note; cycle counts do not depend on it.
DEFAULT_CPU_HZ = {
    "cortex-m0": 48_000_000,
    "cortex-m0+": 48_000_000,
    "cortex-m3": 72_000_000,
    "cortex-m4": 64_000_000,
    "cortex-m4f": 64_000_000,
    "cortex-m7": 216_000_000,
    "cortex-m7f": 216_000_000,
    "cortex-m33": 64_000_000,
    "cortex-m33f": 64_000_000,
}


@dataclass(frozen=True)
class CpuSpec:
    name: str
    cpu_type: str  # as written: a key of CORES
    core: str  # cortex-m0, cortex-m0+, cortex-m3, cortex-m4, cortex-m7, cortex-m33
    fpu: bool
    frequency_hz: int
    # Renode's VectorTableOffset (the CPU's property or an init command); None: found at boot
    vector_table: int | None = None
    multiplier: int | None = None  # ARMv6-M MULS cycles (1 fast, 32 small): the `multiplier` property


@dataclass(frozen=True)
class MemorySpec:
    name: str
    base: int
    size: int
    aliases: tuple[int, ...]
    wait_states: int
    accelerator: str | None
    path: str
    line: int
    # ART geometry (stm32-art only): instruction-cache lines, data-cache lines, line bytes
    art_geometry: tuple[int, int, int] | None = None

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class PeripheralSpec:
    name: str
    type: str
    base: int | None
    size: int
    properties: dict[str, Value]
    irqs: tuple[IrqConnection, ...]
    path: str
    line: int
    # further sysbus windows (base, size) of a peripheral registered at several addresses
    extra_windows: tuple[tuple[int, int], ...] = ()
    # (file, line) that set each property (an overlay amending the entry sets some): files a
    # property names resolve relative to its own file
    property_lines: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def modelled(self) -> bool:
        return is_modelled(self.type)


@dataclass(frozen=True)
class TagSpec:
    """A ``Tag <range> "name" [value]`` monitor command: a named region reading as ``value``."""

    name: str
    base: int
    size: int
    value: int | None
    path: str
    line: int


@dataclass(frozen=True)
class CommandSpec:
    """A monitor command of an entry's init/reset/preinit block that tandem does not run."""

    entry: str
    kind: str  # init, reset, preinit
    text: str
    path: str
    line: int


@dataclass(frozen=True)
class Platform:
    name: str
    path: Path
    cpu: CpuSpec
    memories: tuple[MemorySpec, ...]
    peripherals: tuple[PeripheralSpec, ...]
    code_memory: str
    data_memory: str
    console: str | None
    properties: dict[str, Value] = field(default_factory=dict)
    tags: tuple[TagSpec, ...] = ()
    commands: tuple[CommandSpec, ...] = ()  # recorded, not run (ApplySVD, IsHalted, ...)
    # what loading assumed for the file (a default clock, guessed windows): a run reports them
    notes: tuple[str, ...] = ()

    def memory(self, name: str) -> MemorySpec:
        for m in self.memories:
            if m.name == name:
                return m
        raise KeyError(name)

    def peripheral(self, name: str) -> PeripheralSpec:
        for p in self.peripherals:
            if p.name == name:
                return p
        raise KeyError(name)

    def describe(self) -> str:
        mems = ", ".join(f"{m.name} {m.size // 1024} KiB @0x{m.base:08x}" for m in self.memories)
        return f"{self.cpu.cpu_type} @ {self.cpu.frequency_hz / 1e6:g} MHz; {mems}"


def _int_prop(entry: EntrySpec, key: str, default: int | None = None) -> int:
    value = entry.properties.get(key, default)
    if value is None:
        raise PlatformError(f"{entry.name}: property {key!r} is required", *entry.where())
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlatformError(f"{entry.name}: {key} must be a number", *entry.where(key))
    return value


ART_GEOMETRY = ("artInstructionLines", "artDataLines", "artLineBytes")


def _art_geometry(entry: EntrySpec, accel: str | None) -> tuple[int, int, int] | None:
    """The ART cache geometry a memory entry declares (all three properties, powers of two)."""
    given = [k for k in ART_GEOMETRY if k in entry.properties]
    if not given:
        return None
    if accel != "stm32-art":
        raise PlatformError(f"memory {entry.name!r}: {given[0]} needs accelerator: \"stm32-art\"",
                            *entry.where(given[0]))
    missing = [k for k in ART_GEOMETRY if k not in entry.properties]
    if missing:
        raise PlatformError(f"memory {entry.name!r}: ART geometry lacks {missing[0]} (give all of "
                            f"{', '.join(ART_GEOMETRY)})", *entry.where(given[0]))
    values = []
    for key, high in zip(ART_GEOMETRY, (4096, 4096, 256), strict=True):
        v = _int_prop(entry, key)
        if v <= 0 or v > high or v & (v - 1):
            raise PlatformError(f"memory {entry.name!r}: {key} must be a power of two in 1..{high}, got {v}",
                                *entry.where(key))
        values.append(v)
    if values[2] < 4:
        raise PlatformError(f"memory {entry.name!r}: artLineBytes must be at least 4, got {values[2]}",
                            *entry.where("artLineBytes"))
    return values[0], values[1], values[2]


def _str_prop(entry: EntrySpec, key: str, default: str | None = None) -> str | None:
    value = entry.properties.get(key, default)
    if isinstance(value, Reference):
        return value.name
    if value is not None and not isinstance(value, str):
        raise PlatformError(f"{entry.name}: {key} must be a string or a name", *entry.where(key))
    return value


def _sysbus_regs(entry: EntrySpec, cpu: str) -> list[tuple[int, int | None]]:
    """The entry's sysbus windows seen by ``cpu``: global ones and those registered for it."""
    return [(r.address, r.size) for r in entry.registrations
            if r.parent == "sysbus" and r.address is not None and r.cpu in (None, cpu)]


_TAG = re.compile(r'Tag\s*<\s*([^,>\s]+)\s*(,?)\s*(\+?)\s*([^>\s]+)\s*>\s*"((?:[^"\\]|\\.)*)"\s*(\S+)?.*', re.S)


def parse_tag(text: str, path: str, line: int) -> TagSpec | None:
    """``Tag <start, end> "name" value`` (also ``<start, +size>`` and ``<start size>``)."""
    m = _TAG.fullmatch(text.strip())
    if not m:
        return None
    try:
        start, second = parse_int(m.group(1)), parse_int(m.group(4))
        value = parse_int(m.group(6)) if m.group(6) and not m.group(6).startswith("#") else None
    except ValueError:
        raise PlatformError(f"malformed number in {text.strip()!r}", path, line) from None
    size = second - start + 1 if m.group(2) and not m.group(3) else second
    if size <= 0:
        raise PlatformError(f"empty range in {text.strip()!r}", path, line)
    return TagSpec(m.group(5), start, size, value, path, line)


def _commands(entries: list[EntrySpec]) -> tuple[tuple[TagSpec, ...], tuple[CommandSpec, ...]]:
    tags: list[TagSpec] = []
    cmds: list[CommandSpec] = []
    for e in entries:
        for kind, lines in e.commands.items():
            for c in lines:
                tag = parse_tag(c.text, c.path, c.line) if e.name == "sysbus" and kind == "init" else None
                if tag is not None:
                    tags.append(tag)
                else:
                    cmds.append(CommandSpec(e.name, kind, c.text, c.path, c.line))
    return tuple(tags), tuple(cmds)


def build_platform(entries: list[EntrySpec], name: str, path: Path) -> Platform:
    notes: list[str] = []
    choice = choose_cpu(entries, str(path), notes)
    cpu_entry = choice.entry
    cpu_type = _str_prop(cpu_entry, "cpuType")
    if cpu_type is None:
        raise PlatformError("cpu: property 'cpuType' is required", *cpu_entry.where())
    if cpu_type not in CORES:
        raise PlatformError(
            f"cpu: unsupported cpuType {cpu_type!r} (tandem models {', '.join(CORES)})",
            *cpu_entry.where("cpuType"),
        )
    core, fpu = CORES[cpu_type]
    if "frequency" in cpu_entry.properties:
        freq = _int_prop(cpu_entry, "frequency")
        if freq <= 0:
            raise PlatformError("cpu: frequency must be positive", *cpu_entry.where("frequency"))
    else:
        freq = _default_frequency(entries, cpu_type, notes)
    multiplier = None
    if "multiplier" in cpu_entry.properties:
        multiplier = _int_prop(cpu_entry, "multiplier")
        if core not in ("cortex-m0", "cortex-m0+") or multiplier not in (1, 32):
            raise PlatformError("cpu: multiplier is 1 or 32 (MULS cycles), on cortex-m0/cortex-m0+ only",
                                *cpu_entry.where("multiplier"))
    cpu = CpuSpec(cpu_entry.name, cpu_type, core, fpu, freq, choice.vector_table, multiplier)

    memories: list[MemorySpec] = []
    peripherals: list[PeripheralSpec] = []
    guessed: set[tuple[str, int]] = set()  # (peripheral, window base) sized by a guess
    board_props: dict[str, Value] = {}
    board_entry: EntrySpec | None = None
    for e in entries:
        if is_cpu(e) or e.name in choice.skipped or (e.name in BUILTINS and e.type is None):
            continue
        if e.type == "Tandem.Board":
            board_props = dict(e.properties)
            board_entry = e
            continue
        regs = _sysbus_regs(e, cpu_entry.name)
        if e.type == "Memory.MappedMemory":
            if not regs:
                raise PlatformError(f"memory {e.name!r} is not registered on sysbus", *e.where())
            size = _int_prop(e, "size", regs[0][1])
            bases = [a for a, _ in regs]
            if size <= 0:
                raise PlatformError(f"memory {e.name!r}: size {size:#x} must be positive", *e.where("size"))
            for b in bases:
                if b < 0 or b + size > 1 << 32:
                    raise PlatformError(f"memory {e.name!r} at {b:#x} size {size:#x} is outside the 32-bit "
                                        "address space", *e.where())
                if b % PAGE or size % PAGE:
                    raise PlatformError(
                        f"memory {e.name!r} at 0x{b:08x} size 0x{size:x} is not aligned to 1 KiB", *e.where()
                    )
            accel = _str_prop(e, "accelerator")
            ws = _int_prop(e, "waitStates", 0)
            memories.append(MemorySpec(e.name, bases[0], size, tuple(bases[1:]), ws, accel, e.path, e.line,
                                       _art_geometry(e, accel)))
            continue
        if e.type == "UART.SemihostingUart" or not regs:
            peripherals.append(PeripheralSpec(e.name, e.type or "", None, 0, dict(e.properties), tuple(e.irqs),
                                              e.path, e.line))
            continue
        if len(regs) > 1 and is_modelled(e.type or ""):
            regs = _model_window(e, cpu_entry.name, peripherals, notes)
        windows: list[tuple[int, int]] = []
        for reg_base, reg_size in regs:
            window, guess = _window(e, reg_base, reg_size, notes)
            windows.append((reg_base, window))
            if guess:
                guessed.add((e.name, reg_base))
        (base, window), extra = windows[0], tuple(windows[1:])
        peripherals.append(PeripheralSpec(e.name, e.type or "", base, window, dict(e.properties), tuple(e.irqs),
                                          e.path, e.line, extra, dict(e.property_lines)))

    if guessed:
        peripherals = _fit_guessed(memories, peripherals, guessed, notes)
    check_address_map(memories, peripherals, str(path))

    if not memories:  # Renode's chip files without memories (STM32F0) leave them to the board files
        raise PlatformError("the platform has no Memory.MappedMemory on sysbus to hold the program", str(path))

    def pick(key: str, guess: str | None) -> str:
        # without the key, the memory found by its use (tandem.platform.roles)
        value = board_props.get(key, guess if guess is not None else "flash")
        value = value.name if isinstance(value, Reference) else value
        if not any(m.name == value for m in memories):
            where = board_entry.where(key) if board_entry else (str(path), None)
            raise PlatformError(f"{key}: no memory named {value!r}", *where)
        return str(value)

    role_notes: list[str] = []
    code = pick("codeMemory", code_memory(memories, cpu.vector_table, role_notes))
    data = pick("dataMemory", data_memory(memories, code, role_notes))
    notes += [n for n in role_notes if not (n.startswith("code") and "codeMemory" in board_props)
              and not (n.startswith("data") and "dataMemory" in board_props)]
    console_val = board_props.get("console")
    console = console_val.name if isinstance(console_val, Reference) else console_val
    if console is not None and not any(p.name == console for p in peripherals):
        assert board_entry is not None
        raise PlatformError(f"console: no peripheral named {console!r}", *board_entry.where("console"))
    if board_entry is None:
        console = _default_console(peripherals, notes)
    tags, commands = _commands(entries)
    return Platform(name, path, cpu, tuple(memories), tuple(peripherals), code, data,
                    str(console) if console is not None else None, board_props, tags, commands, tuple(notes))


def _default_console(peripherals: list[PeripheralSpec], notes: list[str]) -> str | None:
    """The console of a file without a Tandem.Board entry (a Renode platform file, where a
    script's ``showAnalyzer sysbus.uart0`` would choose): its first UART of a type tandem models.
    A Tandem.Board entry without ``console:`` keeps semihosting (tandem's own boards say so)."""
    for p in peripherals:
        if p.type in CONSOLE_TYPES and p.base is not None:
            notes.append(f"console: {p.name} ({p.type}), the file's first UART tandem models (name another "
                         f"with a Tandem.Board entry's `console:`)")
            return p.name
    return None


def _default_frequency(entries: list[EntrySpec], cpu_type: str, notes: list[str]) -> int:
    """The clock of a CPU entry without ``frequency:`` (see DEFAULT_CPU_HZ for the rule)."""
    for e in entries:
        systick = e.properties.get("systickFrequency") if e.type == "IRQControllers.NVIC" else None
        if isinstance(systick, int) and not isinstance(systick, bool) and systick > 0:
            notes.append(f"cpu: no frequency in the platform; using {systick} Hz, the systickFrequency of "
                         f"{e.name!r} (set `frequency:` in the cpu entry to change it)")
            return systick
    freq = DEFAULT_CPU_HZ[cpu_type]
    notes.append(f"cpu: no frequency in the platform; using {freq} Hz, tandem's default for {cpu_type} "
                 f"(set `frequency:` in the cpu entry to change it)")
    return freq


def _model_window(e: EntrySpec, cpu: str, peripherals: list[PeripheralSpec],
                  notes: list[str]) -> list[tuple[int, int | None]]:
    """A modelled entry registered at several addresses: its model serves the one registration
    without a ``region:`` name (its registers); each named region (Renode's BusMultiRegistration,
    e.g. the STM32F4 flash interface's option bytes, RM0090 3.6) is left unmodelled, as a window
    of its own that a note names."""
    plain = [(r.address, r.size) for r in e.registrations
             if r.parent == "sysbus" and r.address is not None and r.cpu in (None, cpu) and r.region is None]
    if len(plain) != 1:
        raise PlatformError(f"{e.name!r}: a modelled peripheral needs exactly one registration without "
                            f"'region:' (found {len(plain)})", *e.where())
    for r in e.registrations:
        if r.parent != "sysbus" or r.address is None or r.cpu not in (None, cpu) or r.region is None:
            continue
        if r.size is None:
            raise PlatformError(f"{e.name!r}: region {r.region!r} needs a size", *e.where())
        peripherals.append(PeripheralSpec(f"{e.name}.{r.region}", f"{e.type}.{r.region}", r.address, r.size,
                                          {}, (), e.path, e.line))
        notes.append(f"{e.name} ({e.type}): region {r.region!r} at 0x{r.address:08x} is not modelled "
                     f"({e.path}:{e.line})")
    return [(a, size) for a, size in plain if a is not None]


def _window(e: EntrySpec, base: int, window: int | None, notes: list[str]) -> tuple[int, bool]:
    """The size of ``e``'s window at ``base``, and whether it is a guess (see _fit_guessed)."""
    if window is not None:
        return window, False
    declared: Value | None = e.properties.get("size")
    if declared is None:
        declared = default_window(e.type or "")
    if declared is None and not is_modelled(e.type or ""):
        # Renode takes the size from the C# class; tandem from its table of Renode's sizes, or a guess
        known = renode_window(e.type or "")
        if known is not None:
            return known, True
        notes.append(f"{e.name} ({e.type}) at 0x{base:08x} has no size; using a 0x{GUESSED_WINDOW:x} window "
                     f"({e.path}:{e.line})")
        return GUESSED_WINDOW, True
    if not isinstance(declared, int) or isinstance(declared, bool):
        raise PlatformError(
            f"{e.name!r} ({e.type}) needs a size: write @ sysbus <0x{base:x}, +SIZE> or 'size:'",
            *e.where(),
        )
    return declared, False


def _fit_guessed(memories: list[MemorySpec], peripherals: list[PeripheralSpec],
                 guessed: set[tuple[str, int]], notes: list[str]) -> list[PeripheralSpec]:
    """Make the guessed windows (from Renode's class sizes or the default) fit around the others.

    A window the file wrote (memories, ``<base, +size>``, ``size:``, tandem's own windows) is
    certain; a guessed one only says where a peripheral starts. So a guessed window that starts
    inside a certain one is dropped, and one that runs into any other window (certain or
    guessed) ends where that one starts: chips place register blocks back to back, as the
    nRF52840's GPIO ports 0x300 apart with Renode's 0x1000 window. Of two guessed windows at the
    same base the later entry is dropped. Each change is a note; none stops the load.
    """
    certain = [(b, b + m.size, m.name) for m in memories for b in (m.base, *m.aliases)]
    every: list[tuple[int, int, str]] = list(certain)
    for p in peripherals:
        for b, size in _all_windows(p):
            every.append((b, b + size, p.name))
            if (p.name, b) not in guessed:
                certain.append((b, b + size, p.name))
    seen: set[int] = set()
    fitted: list[PeripheralSpec] = []
    for p in peripherals:
        kept: list[tuple[int, int]] = []
        for b, size in _all_windows(p):
            if (p.name, b) not in guessed:
                kept.append((b, size))
                continue
            where = f"{p.path}:{p.line}"
            inside = next((n for s0, s1, n in certain if s0 <= b < s1), None)
            if inside is None and b in seen:
                inside = next(n for s0, _, n in every if s0 == b and n != p.name)
            if inside is not None:
                notes.append(f"{p.name} ({p.type}) at 0x{b:08x} lies inside {inside!r}; no window for it ({where})")
                continue
            seen.add(b)
            end = min([s0 for s0, _, _ in every if b < s0 < b + size], default=b + size)
            if end < b + size:
                nxt = next(n for s0, _, n in every if s0 == end)
                notes.append(f"{p.name} ({p.type}) at 0x{b:08x}: a 0x{size:x} window would overlap {nxt!r}; "
                             f"using 0x{end - b:x} ({where})")
            kept.append((b, end - b))
        if not kept:
            fitted.append(replace(p, base=None, size=0, extra_windows=()))
        else:
            fitted.append(replace(p, base=kept[0][0], size=kept[0][1], extra_windows=tuple(kept[1:])))
    return fitted


def _all_windows(p: PeripheralSpec) -> list[tuple[int, int]]:
    return ([(p.base, p.size)] if p.base is not None else []) + list(p.extra_windows)


def boards_dir(platforms_dir: Path) -> Path:
    """The boards of a search folder: ``boards/``, or ``platforms/boards/`` of a Renode root."""
    renode = platforms_dir / "platforms" / "boards"
    return renode if not (platforms_dir / "boards").is_dir() and renode.is_dir() else platforms_dir / "boards"


def board_files(platforms: Path | Sequence[Path]) -> dict[str, Path]:
    """Board name -> file over the search path; of two boards with one name the first folder's."""
    found: dict[str, Path] = {}
    for d in search_dirs(platforms):
        for p in sorted(boards_dir(d).glob("*.repl")):
            found.setdefault(p.stem, p)
    return found


def list_boards(platforms: Path | Sequence[Path]) -> list[str]:
    return sorted(board_files(platforms))


def resolve_board(name_or_path: str, platforms: Path | Sequence[Path]) -> Path:
    """A board name (a file under boards/ of a search folder) or a path to a .repl file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".repl" or "/" in name_or_path:
        if not candidate.is_file():
            raise UnknownBoardError(f"{name_or_path}: no such platform file")
        return candidate
    path = board_files(platforms).get(name_or_path)
    if path is None:
        known = ", ".join(list_boards(platforms)) or "none"
        raise UnknownBoardError(f"unknown board {name_or_path!r} (known boards: {known})")
    return path


def load_platform(name_or_path: str, platforms: Path | Sequence[Path],
                  overlays: list[Path] | None = None) -> Platform:
    """Load and validate a board; ``platforms`` is the search path (one folder or several, in
    order) for board names and ``using``; ``overlays`` are extra .repl files layered on top."""
    path = resolve_board(name_or_path, platforms)
    entries = load_entries(path, platforms)
    for overlay in overlays or []:
        entries = load_entries(Path(overlay), platforms, base=entries)
    name = path.stem
    return build_platform(entries, name, path)
