"""pytest plugin ``tandem``: cycle-count tests for firmware on simulated boards.

Registered through the ``pytest11`` entry point in pyproject.toml, so installing tandem makes
it available to every pytest run (``-p no:tandem`` turns it off). It gives tests:

* the ``tandem`` fixture: a :class:`Tandem` bound to one board, which builds C/assembly
  sources (paths relative to the test file, or to tandem's firmware/ tree) or loads an ELF,
  runs it with the profiler on and returns a :class:`FirmwareRun` (cycles, per-function
  profile, output, stack/heap high-water marks, static memory use);
* ``tandem.assert_cycles(run, budget)``: fails with the cycle breakdown (per function; other
  tables added with :meth:`FirmwareRun.add_breakdown`, e.g. per operator) when over budget;
  a plain ``assert run.cycles <= budget`` shows the same breakdown;
* ``@pytest.mark.boards("bluepill", "nucleo_l4r5zi")``: run the test once per board;
  ``--tandem-board NAME`` (repeatable) overrides the marker for the whole session.

See examples/test_cycle_budget.py for a complete test file.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsIndex, SupportsInt

import pytest

from tandem.config import DEFAULT_MAX_CYCLES, TandemConfig

# Loading the plugin must stay cheap: pytest loads it in every session on a machine with tandem
# installed. Unicorn, numpy, tflite and the simulator are imported by the functions that use them.
if TYPE_CHECKING:
    from tandem.machine.board import Board
    from tandem.machine.results import RunResult
    from tandem.reports.memory import MemoryReport
    from tandem.reports.profile import Profile
    from tandem.tinyml.check import CheckResult
    from tandem.tinyml.infer import Inference

DEFAULT_BOARD = "generic_m4"


class CycleBudgetExceeded(AssertionError):
    """A run (or one function of it) took more cycles than its budget."""


class Cycles(int):
    """A cycle count that remembers its run, so a failing ``assert`` can show the breakdown."""

    run: FirmwareRun

    def __new__(cls, value: int, run: FirmwareRun) -> Cycles:
        obj = super().__new__(cls, value)
        obj.run = run
        return obj


@dataclass
class FirmwareRun:
    """One firmware run on one board, as a test sees it."""

    board: str
    elf: Path
    result: RunResult
    memory: MemoryReport
    breakdowns: list[tuple[str, str]] = field(default_factory=list)  # (title, text table)

    @property
    def cycles(self) -> Cycles:
        return Cycles(self.result.cycles, self)

    @property
    def instructions(self) -> int:
        return self.result.instructions

    @property
    def output(self) -> str:
        return self.result.output

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    @property
    def profile(self) -> Profile:
        if self.result.profile is None:
            raise ValueError("this run was made with profile=False")
        return self.result.profile

    @property
    def stack_bytes(self) -> int | None:
        return self.result.stack_bytes

    @property
    def heap_bytes(self) -> int | None:
        return self.result.heap_bytes

    def function_cycles(self, name: str, inclusive: bool = True) -> int:
        stats = self.profile.function(name)
        return stats.inclusive_cycles if inclusive else stats.self_cycles

    def add_breakdown(self, title: str, table: str) -> None:
        """Add a table (e.g. cycles per operator) to what a failed budget shows."""
        self.breakdowns.append((title, table))

    def explain(self, top: int = 10) -> str:
        """The cycle breakdown a failed budget shows: per function, then any added tables."""
        parts = [f"{self.elf.name} on {self.board}: {self.result.cycles:,} cycles, "
                 f"{self.result.instructions:,} instructions, stack {self.stack_bytes} B"]
        if self.result.profile is not None:
            parts += [f"per function (top {top} by exclusive cycles):", self.result.profile.table(top)]
        for title, table in self.breakdowns:
            parts += [title, table]
        return "\n".join(parts)


@dataclass
class ModelRun(FirmwareRun):
    """A .tflite model run by tandem's micro runtime: cycles are those of one inference."""

    inference: Inference | None = None

    @property
    def cycles(self) -> Cycles:
        assert self.inference is not None
        return Cycles(self.inference.cycles, self)

    @property
    def outputs(self) -> list[Any]:
        assert self.inference is not None
        return self.inference.outputs

    @property
    def arena_bytes(self) -> int:
        assert self.inference is not None
        return self.inference.arena_bytes

    def op_cycles(self, op: int | str) -> int:
        """Cycles of op ``op`` (its index), or of all ops of that name (e.g. "CONV_2D")."""
        assert self.inference is not None
        ops = self.inference.ops
        if isinstance(op, int):
            return ops[op].cycles
        found = [o.cycles for o in ops if o.op == op]
        if not found:
            raise KeyError(f"no {op} op in {self.inference.model.path}")
        return sum(found)


class Tandem:
    """Builds and runs firmware on one board for a test (the ``tandem`` fixture)."""

    def __init__(self, board: str, config: TandemConfig, base_dir: Path) -> None:
        self.board = board
        self.config = config
        self.base_dir = base_dir

    def _source(self, src: str | Path) -> str:
        path = Path(src)
        if path.is_absolute():
            return str(path)
        local = self.base_dir / path
        return str(local.resolve()) if local.exists() else str(path)

    def new_board(self, board: str | None = None) -> Board:
        """A fresh simulated board (for tests that drive :class:`~tandem.machine.board.Board` directly)."""
        from tandem.machine.board import Board

        return Board.from_platform(board or self.board, self.config)

    def build(self, *sources: str | Path, board: str | None = None, **options: Any) -> Path:
        """Build sources (relative to the test file or to firmware/) into an ELF for the board."""
        from tandem.firmware.build import FirmwareSpec, build_firmware
        from tandem.platform import load_platform

        platform = load_platform(board or self.board, self.config.platforms_search)
        spec = FirmwareSpec(tuple(self._source(s) for s in sources), **options)
        return build_firmware(platform, spec, self.config)

    def run(self, firmware: str | Path | Sequence[str | Path], *, board: str | None = None,
            profile: bool = True, max_cycles: int = DEFAULT_MAX_CYCLES, stdin: bytes = b"",
            **build_options: Any) -> FirmwareRun:
        """Build (unless given an .elf) and run firmware; returns what the test asserts on."""
        from tandem.reports.memory import memory_report

        name = board or self.board
        items = [firmware] if isinstance(firmware, (str, Path)) else list(firmware)
        if len(items) == 1 and str(items[0]).endswith(".elf"):
            elf = Path(self._source(items[0]))
        else:
            elf = self.build(*items, board=name, **build_options)
        b = self.new_board(name)
        image = b.load_elf(elf)
        result = b.run(max_cycles=max_cycles, stdin=stdin, profile=profile)
        return FirmwareRun(name, elf, result, memory_report(image, b.platform))

    def infer(self, model: str | Path, inputs: Sequence[Any] | None = None, *, board: str | None = None,
              invocations: int = 1, op_set: str = "auto", profile: bool = True,
              max_cycles: int = DEFAULT_MAX_CYCLES, seed: int = 0) -> ModelRun:
        """Run a .tflite model (path relative to the test file) with tandem's micro runtime."""
        from tandem.reports.memory import memory_report
        from tandem.tinyml.infer import build_runtime
        from tandem.tinyml.infer import infer as run_inference
        from tandem.tinyml.report import op_table

        name = board or self.board
        path = Path(self._source(model))
        from tandem.tinyml.job import read_model_file

        data = read_model_file(path)
        from tandem.tinyml.model import read_model

        b = self.new_board(name)
        elf = build_runtime(b.platform, self.config, op_set, ops=read_model(data, str(path)).op_names())
        image = b.load_elf(elf)
        result = run_inference(b, image, data, list(inputs) if inputs is not None else None, invocations, str(path),
                       max_cycles, seed, profile)
        run = ModelRun(name, elf, result.run, memory_report(image, b.platform), inference=result)
        run.add_breakdown(f"per op ({path.name}, one inference):", op_table(result))
        return run

    def check(self, run: ModelRun, inputs: Sequence[Any] | None = None) -> CheckResult:
        """The run's outputs against LiteRT's reference kernels and TFLM's interpreter on the same
        inputs (where one refuses the model, the other decides); see :mod:`tandem.tinyml.check`."""
        from tandem.tinyml.check import check_model
        from tandem.tinyml.infer import check_inputs, random_inputs

        assert run.inference is not None
        info = run.inference.model
        used = check_inputs(info, list(inputs)) if inputs is not None else random_inputs(info, 0)
        return check_model(Path(info.path).read_bytes(), used, run.outputs, run.inference.invocations)

    def assert_bit_exact(self, run: ModelRun, inputs: Sequence[Any] | None = None) -> CheckResult:
        """Fail unless every output equals LiteRT's or TFLM's (both, when they agree) on the same
        inputs; returns the check (which references ran, where they disagree)."""
        __tracebackhide__ = True
        checked = self.check(run, inputs)
        if not checked.exact:
            raise AssertionError("tandem: outputs differ from the TFLite reference kernels:\n" + checked.failures())
        return checked

    def assert_cycles(self, run: FirmwareRun, budget: int | Mapping[str, int], *,
                      function: str | None = None, op: int | str | None = None, inclusive: bool = True,
                      top: int = 10) -> None:
        """Fail with the breakdown if the run (or ``function``, or model ``op``) took more than
        ``budget`` cycles. ``budget`` may map board names to budgets (a missing board fails).
        """
        __tracebackhide__ = True
        assert_cycles(run, budget, function=function, op=op, inclusive=inclusive, top=top)


def assert_cycles(run: FirmwareRun, budget: int | Mapping[str, int], *,
                  function: str | None = None, op: int | str | None = None, inclusive: bool = True,
                  top: int = 10) -> None:
    __tracebackhide__ = True
    if isinstance(budget, Mapping):
        if run.board not in budget:
            raise CycleBudgetExceeded(f"tandem: no cycle budget for board {run.board} "
                                      f"(budgets given for {', '.join(budget)})")
        limit = budget[run.board]
    else:
        limit = budget
    if op is not None:
        if not isinstance(run, ModelRun):
            raise TypeError("op= needs a model run (tandem.infer)")
        assert run.inference is not None
        what, used = f"op {op} of {run.inference.model.path} on {run.board}", run.op_cycles(op)
    elif function is None and isinstance(run, ModelRun) and run.inference is not None:
        what, used = f"one inference of {Path(run.inference.model.path).name} on {run.board}", int(run.cycles)
    elif function is None:
        what, used = f"{run.elf.name} on {run.board}", int(run.cycles)
    else:
        kind = "inclusive" if inclusive else "exclusive"
        what, used = f"{function}() ({kind}) in {run.elf.name} on {run.board}", run.function_cycles(function, inclusive)
    if used > limit:
        over = used - limit
        raise CycleBudgetExceeded(
            f"tandem: {what} took {used:,} cycles, over its budget of {limit:,} by {over:,} "
            f"({100 * over / limit if limit else float('inf'):.1f}%)\n{run.explain(top)}")


# -- pytest hooks ----------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tandem", "tandem simulated boards")
    group.addoption("--tandem-board", action="append", default=[], metavar="NAME",
                    help="run tests that use the tandem fixture on this board (repeatable); "
                         "overrides @pytest.mark.boards")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "boards(*names): run a test using the tandem fixture once per named board")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tandem_board" not in metafunc.fixturenames:
        return
    boards: list[str] = list(metafunc.config.getoption("tandem_board") or [])
    if not boards:
        marker = metafunc.definition.get_closest_marker("boards")
        boards = [str(b) for b in marker.args] if marker is not None and marker.args else [DEFAULT_BOARD]
    metafunc.parametrize("tandem_board", boards, ids=boards, indirect=True)


@pytest.fixture(scope="session")
def tandem_config() -> TandemConfig:
    return TandemConfig.from_env()


@pytest.fixture
def tandem_board(request: pytest.FixtureRequest) -> str:
    """The board this test instance runs on (from the boards marker or --tandem-board)."""
    return str(getattr(request, "param", DEFAULT_BOARD))


@pytest.fixture
def tandem(tandem_board: str, tandem_config: TandemConfig, request: pytest.FixtureRequest) -> Tandem:
    """Build and run firmware on the test's board; see :class:`Tandem`."""
    return Tandem(tandem_board, tandem_config, Path(str(request.path)).parent)


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    cycles = left if isinstance(left, Cycles) else right if isinstance(right, Cycles) else None
    if cycles is None or op not in ("<", "<=", ">", ">=", "=="):
        return None
    if not isinstance(left, SupportsInt | SupportsIndex) or not isinstance(right, SupportsInt | SupportsIndex):
        return None
    return [f"{int(left)!r} {op} {int(right)!r}  (cycles)", *cycles.run.explain().splitlines()]


__all__ = ["CycleBudgetExceeded", "Cycles", "FirmwareRun", "Tandem", "assert_cycles"]
