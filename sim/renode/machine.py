"""One Renode machine as tandem runs it: the platform built up from descriptions, the Board, what
was loaded into it, per-UART output, and running for simulated time in resumable slices.

Renode builds a machine as commands arrive (``mach create``, ``LoadPlatformDescription``, more
descriptions layered on top, ``LoadELF``). tandem's Board is built from a whole platform, so the
descriptions are collected and the Board is made when a command first needs it (a load, a run, a
register); a description added after that is an error naming where the machine was built.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig
from tandem.errors import CycleLimitExceeded, ScriptError
from tandem.files import MAX_ELF_BYTES, read_user_file
from tandem.firmware.elf import ElfImage
from tandem.machine.board import Board
from tandem.machine.limits import RunLimits, WallClockExceeded
from tandem.machine.slices import run_slice
from tandem.peripherals.base import Peripheral, Unimplemented
from tandem.peripherals.serial import ConsoleLine
from tandem.platform.model import PeripheralSpec, Platform, build_platform
from tandem.platform.repl import EntrySpec, load_entries

# Emulation advances in slices of simulated time; a wait looks at the UARTs between slices
# (Renode's testers are likewise checked at its time quantum's boundaries).
SLICE_SECONDS = 0.002
PAGE = 0x1000  # Unicorn maps memory in 4 KiB pages


@dataclass
class Load:
    """A ``sysbus LoadELF`` / ``LoadBinary``, replayed by ``machine Reset`` without a reset macro."""

    kind: str  # "elf" or "binary"
    path: Path
    address: int | None = None


@dataclass
class UartText:
    """What one UART sent since the machine was built (text, bounded) and who is listening."""

    text: str = ""
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    dropped: int = 0

    KEEP = 1 << 20  # characters kept; older ones are dropped (testers keep their own position)

    def feed(self, data: bytes) -> None:
        chunk = data.decode("utf-8", "replace")
        self.text += chunk
        if len(self.text) > self.KEEP:
            cut = len(self.text) - self.KEEP
            self.text = self.text[cut:]
            self.dropped += cut
        for listener in self.listeners:
            listener(chunk)


@dataclass
class Tag:
    name: str
    base: int
    size: int
    value: int


class _TaggedWindow(Unimplemented):
    """An unmodelled peripheral's window with ``sysbus Tag`` ranges reading as their values."""

    def __init__(self, inner: Peripheral, window_base: int, tags: list[Tag]) -> None:
        super().__init__(inner.spec, inner.ctx)
        self.inner = inner
        self.window_base = window_base
        self.tags = tags

    def read(self, offset: int, size: int) -> int:
        addr = self.window_base + offset
        for t in self.tags:
            if t.base <= addr < t.base + t.size:
                return (t.value >> (8 * (addr - t.base) % 32)) & ((1 << (8 * size)) - 1)
        return self.inner.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        self.inner.write(offset, size, value)


class Machine:
    """A machine of a monitor session; see the module docstring."""

    def __init__(self, name: str, config: TandemConfig) -> None:
        self.name = name
        self.config = config
        self.entries: list[EntrySpec] | None = None
        self.platform_path: Path | None = None
        self.board: Board | None = None
        self.built_at = ""  # SCRIPT:LINE of the command that built the Board
        self.loads: list[Load] = []
        self.tags: list[Tag] = []
        self.vector_table: int | None = None
        self.uarts: dict[str, UartText] = {}
        self.started = False  # `start`: runs when the script ends or a test waits
        self._reset_due = True  # the core takes the reset exception before it first runs
        self.wall_guard = 0.0  # host seconds a single run may take (0: none)
        self.max_cycles = DEFAULT_MAX_CYCLES  # the machine's whole life, as --max-cycles for a run
        self._previous_loads: list[Load] = []
        self.exit_code: int | None = None  # the firmware's, once it exited
        self.gdb: tuple[str, int] | None = None  # `machine StartGdbServer`: serve GDB when the script ends

    # building ------------------------------------------------------------------------------
    def add_platform_file(self, path: Path, where: str) -> None:
        self._check_not_built(where)
        self.entries = load_entries(path, self.config.platforms_search, base=self.entries)
        self.platform_path = self.platform_path or path

    def add_platform_text(self, text: str, pseudo: Path, where: str) -> None:
        self._check_not_built(where)
        self.entries = load_entries(pseudo, self.config.platforms_search, base=self.entries, text=text)
        self.platform_path = self.platform_path or pseudo

    def _check_not_built(self, where: str) -> None:
        if self.board is not None:
            raise ScriptError(f"the machine was already built at {self.built_at} (tandem builds a machine "
                              f"once, from every platform description loaded before it is first used)")
        del where

    def platform(self) -> Platform:
        if self.entries is None or self.platform_path is None:
            raise ScriptError(f"machine {self.name!r} has no platform: "
                              "`machine LoadPlatformDescription @board.repl` first")
        return build_platform(self.entries, self.platform_path.stem, self.platform_path)

    def peripheral_names(self) -> list[str]:
        return [e.name for e in self.entries or []]

    def ensure_board(self, where: str) -> Board:
        if self.board is None:
            platform = self.platform()
            if self.vector_table is not None:
                platform = replace(platform, cpu=replace(platform.cpu, vector_table=self.vector_table))
            self.board = Board(platform, self.config)
            self.built_at = where
            self._attach(self.board)
        return self.board

    def _attach(self, board: Board) -> None:
        for name, periph in board.peripherals.items():
            line = getattr(periph, "line", None)
            if isinstance(line, ConsoleLine):
                text = self.uarts.setdefault(name, UartText())
                line.taps.append(text.feed)
        for tag in self.tags:
            self._apply_tag(board, tag)

    def uart_text(self, name: str) -> UartText:
        """What UART ``name`` sends (made before the Board is, so listeners can attach early)."""
        return self.uarts.setdefault(name, UartText())

    def uart_line(self, name: str, where: str) -> ConsoleLine:
        board = self.ensure_board(where)
        periph = board.peripherals.get(name)
        line = getattr(periph, "line", None)
        if not isinstance(line, ConsoleLine):
            raise ScriptError(f"{name!r} is not a UART tandem models (UARTs: {', '.join(self.uarts) or 'none'})")
        return line

    def uart_spec(self, name: str) -> PeripheralSpec | None:
        for p in self.platform().peripherals:
            if p.name == name:
                return p
        return None

    # sysbus Tag ------------------------------------------------------------------------------
    def add_tag(self, tag: Tag) -> str:
        self.tags.append(tag)
        if self.board is not None:
            return self._apply_tag(self.board, tag)
        return ""

    def _apply_tag(self, board: Board, tag: Tag) -> str:
        found = board.bus.find(tag.base)
        if found is None:
            for mem in board.platform.memories:
                if any(b <= tag.base < b + mem.size for b in (mem.base, *mem.aliases)):
                    raise ScriptError(f"Tag {tag.name!r} at 0x{tag.base:08x} is in memory {mem.name}, not a register")
            spec = PeripheralSpec(tag.name, "Tag", tag.base, tag.size, {"readValue": tag.value}, (), "", 0)
            periph: Peripheral = Unimplemented(spec, board)
            lo, hi = tag.base & ~(PAGE - 1), (tag.base + tag.size + PAGE - 1) & ~(PAGE - 1)
            for page in range(lo, hi, PAGE):  # pages of other windows are mapped already
                if not board.cpu.is_mapped(page):
                    board.cpu.map_mmio(page, PAGE, board.bus.read, board.bus.write)
            board.bus.add(tag.base, tag.size, periph)
            return ""
        periph, _ = found
        if not isinstance(periph, Unimplemented):
            return (f"{tag.name}: 0x{tag.base:08x} is in {periph.name} ({periph.spec.type}), which tandem "
                    "models: its registers read as the model says, not as the tag")
        i = next(i for i, w in enumerate(board.bus.windows) if w[2] is periph)
        base, size, _ = board.bus.windows[i]
        if isinstance(periph, _TaggedWindow):
            periph.tags.append(tag)
        else:
            board.bus.windows[i] = (base, size, _TaggedWindow(periph, base, [tag]))
        return ""

    # loading ---------------------------------------------------------------------------------
    def load_elf(self, path: Path, where: str) -> ElfImage:
        image = self.ensure_board(where).load_elf(path)
        self.loads.append(Load("elf", path))
        self._reset_due = True
        self.exit_code = None
        return image

    def load_binary(self, path: Path, address: int, where: str) -> int:
        board = self.ensure_board(where)
        data = read_user_file(path, "binary", ScriptError, MAX_ELF_BYTES)
        if not any(b <= address and address + len(data) <= b + m.size
                   for m in board.platform.memories for b in (m.base, *m.aliases)):
            raise ScriptError(f"{path}: {len(data):,} bytes at 0x{address:08x} do not fit in any memory of "
                              f"{board.platform.name}")
        board.write_memory(address, data)
        self.loads.append(Load("binary", path, address))
        self._reset_due = True
        return len(data)

    def load_symbols(self, path: Path, where: str) -> int:
        board = self.ensure_board(where)
        image = ElfImage.load(path)
        board.symbols = image.symbols
        return len(image.symbols.symbols)

    def rebuild(self, where: str) -> None:
        """``machine Reset``: a fresh Board from the same platform (memories and peripherals as at
        power-on); the caller runs the reset macro or :meth:`reload`."""
        loads = list(self.loads)
        self.board = None
        self.loads = []
        self.uarts = {name: UartText(listeners=u.listeners) for name, u in self.uarts.items()}
        self.ensure_board(where)
        self._reset_due = True
        self.exit_code = None
        self._previous_loads = loads

    def reload(self, where: str) -> None:
        for load in self._previous_loads:
            if load.kind == "elf":
                self.load_elf(load.path, where)
            elif load.address is not None:
                self.load_binary(load.path, load.address, where)

    # running ---------------------------------------------------------------------------------
    def core(self, where: str) -> Board:
        """The Board with the core out of reset (SP and PC from the vector table)."""
        board = self.ensure_board(where)
        if self._reset_due:
            if board.elf is None:
                raise ScriptError("nothing to run: no ELF loaded (`sysbus LoadELF @file`; tandem needs the ELF "
                                  "for its symbols and vector table)")
            board.reset()
            self._reset_due = False
        return board

    @property
    def exited(self) -> int | None:
        return self.exit_code

    def seconds(self) -> float:
        """Simulated time since the machine was built."""
        if self.board is None:
            return 0.0
        return self.board.clock.seconds(self.board.counter.cycles)

    def run_for(self, seconds: float, where: str, stop: Callable[[], bool] | None = None) -> bool:
        """Run ``seconds`` of simulated time (in slices, ``stop`` looked at between them); True
        if the firmware exited or ``stop`` said so. Time stands still once the firmware exited."""
        board = self.core(where)
        if self.exit_code is not None:
            return True
        target = self.seconds() + seconds
        started = time.perf_counter()
        while True:
            left = target - self.seconds()
            if left <= 0:
                return False
            step = min(left, SLICE_SECONDS) if stop is not None else left
            cycles = max(1, math.ceil(step * board.cpu_hz))
            room = self.max_cycles - board.counter.cycles
            if room <= 0:
                raise CycleLimitExceeded(f"cycle limit reached: {self.max_cycles:,} cycles "
                                         f"({self.seconds():g} s simulated); raise --max-cycles if this is expected")
            cycles = min(cycles, room)
            limits = None
            if self.wall_guard:
                spent = time.perf_counter() - started
                if spent > self.wall_guard:
                    raise WallClockExceeded(f"time limit reached: {self.wall_guard:g} s of host time "
                                            f"({self.seconds():g} s simulated); raise --max-seconds if this is "
                                            "expected")
                limits = RunLimits(0, self.wall_guard - spent)
            result = run_slice(board, cycles, limits=limits)
            if result is not None:
                self.exit_code = result.exit_code
                return True
            if stop is not None and stop():
                return True
