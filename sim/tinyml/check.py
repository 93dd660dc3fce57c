"""``--check``: tandem's outputs against two references, LiteRT's reference kernels and TFLM's own
interpreter (one place for the CLI, the pytest plugin and the demo).

Both references run the model on the same inputs. Where one refuses the model (LiteRT refuses a
bias whose ``quantized_dimension`` is not 0, for example; TFLM ignores it) or is not installed,
the other decides. Where both run they may disagree with each other (by 1 LSB on some ops, e.g.
LEAKY_RELU's 16-bit case); tandem then passes when it matches either, and the report says which
one and how far the two are apart. tandem fails an output only when it matches none of the
references that ran. When TFLM runs, the arena its allocator recorded is carried along for the
arena comparison (``tandem infer`` prints it beside tandem's own figure).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tandem.errors import ModelError, TandemError, ToolchainError

LITERT = "LiteRT"
TFLM = "TFLM"


@dataclass(frozen=True)
class Diff:
    """How two arrays of one output differ: elements that differ and the largest difference."""

    values: int
    differing: int
    max_abs_diff: float
    integer: bool = True  # integer outputs: the difference is in LSB

    @property
    def exact(self) -> bool:
        return self.differing == 0

    def amount(self) -> str:
        if self.max_abs_diff == float("inf"):
            return "(shapes differ)"
        if self.integer:
            n = int(self.max_abs_diff)
            return f"by at most {n} LSB"
        return f"by at most {self.max_abs_diff:g}"

    def to_json(self) -> dict[str, object]:
        return {"differing": self.differing, "values": self.values,
                "max_abs_diff": None if self.max_abs_diff == float("inf") else self.max_abs_diff}


def diff_arrays(got: np.ndarray, expected: np.ndarray) -> Diff:
    """Element-wise comparison (a shape mismatch counts every element as differing)."""
    integer = np.asarray(expected).dtype.kind in "iub"
    if got.shape != expected.shape:
        return Diff(int(expected.size), int(expected.size), float("inf"), integer)
    d = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    return Diff(int(expected.size), int(np.count_nonzero(got != expected)), float(d.max()) if d.size else 0.0,
                integer)


@dataclass(frozen=True)
class RefOutcome:
    """What one reference did with the model: its outputs, or why it did not run."""

    name: str  # LITERT or TFLM
    outputs: tuple[np.ndarray, ...] | None
    refused: str | None = None  # its message when it refused the model (or is not installed)
    arena_used_bytes: int | None = None  # TFLM's recording allocator (host build, 64-bit pointers)

    @property
    def ran(self) -> bool:
        return self.outputs is not None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name, "used": self.ran, "refused": self.refused}
        if self.arena_used_bytes is not None:
            out["arena_used_bytes"] = self.arena_used_bytes
        return out


@dataclass(frozen=True)
class OutputVerdict:
    """One output of tandem against each reference that ran, and the references against each other."""

    index: int
    values: int
    against: tuple[tuple[str, Diff], ...]  # (reference name, tandem vs it), in reference order
    refs_differ: Diff | None = None  # LiteRT vs TFLM, when both ran

    @property
    def matches(self) -> tuple[str, ...]:
        return tuple(name for name, d in self.against if d.exact)

    @property
    def exact(self) -> bool:
        """tandem matches at least one reference (all of them when they agree)."""
        return bool(self.matches)

    def line(self) -> str:
        names = [name for name, _ in self.against]
        of = " and ".join(names)
        if self.refs_differ is not None and not self.refs_differ.exact:
            apart = (f"{LITERT} and {TFLM} differ in {self.refs_differ.differing:,} of {self.values:,} values "
                     f"{self.refs_differ.amount()}")
            if self.matches:
                return f"output {self.index}: {apart}; tandem matches {' and '.join(self.matches)}"
            far = "; ".join(f"{d.differing:,} values {d.amount()} from {name}" for name, d in self.against)
            return f"output {self.index}: MISMATCH: {apart}; tandem matches neither ({far})"
        if self.matches:
            return f"output {self.index}: bit-exact with the TFLite reference kernels ({self.values:,} values) of {of}"
        d = self.against[0][1]
        return (f"output {self.index}: MISMATCH in {d.differing:,} of {self.values:,} values "
                f"(max |diff| {d.max_abs_diff:g}) against {of}")

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "values": self.values, "matches": list(self.matches), "exact": self.exact,
                "against": {name: d.to_json() for name, d in self.against},
                "references_differ": self.refs_differ.to_json() if self.refs_differ is not None else None}


@dataclass(frozen=True)
class CheckResult:
    """tandem's outputs checked against the references (:func:`check_outputs`)."""

    references: tuple[RefOutcome, ...]
    outputs: tuple[OutputVerdict, ...]

    @property
    def exact(self) -> bool:
        return all(o.exact for o in self.outputs)

    @property
    def used(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.references if r.ran)

    @property
    def tflm_arena_bytes(self) -> int | None:
        return next((r.arena_used_bytes for r in self.references if r.name == TFLM and r.ran), None)

    def header(self) -> str:
        used = " and ".join(self.used)
        text = f"references: {used}"
        for r in self.references:
            if not r.ran:
                text += f"; {r.name} not used ({r.refused})"
        return text

    def lines(self) -> str:
        return "\n".join([self.header(), *(o.line() for o in self.outputs)])

    def failures(self) -> str:
        """The header and the outputs that match no reference."""
        return "\n".join([self.header(), *(o.line() for o in self.outputs if not o.exact)])

    def to_json(self) -> dict[str, object]:
        return {"exact": self.exact, "references": [r.to_json() for r in self.references],
                "used": list(self.used), "outputs": [o.to_json() for o in self.outputs]}


Runner = Callable[[bytes, Sequence[np.ndarray], int], RefOutcome]


def _litert(model: bytes, inputs: Sequence[np.ndarray], invocations: int) -> RefOutcome:
    from tandem.tinyml.litert_ref import run_reference

    return RefOutcome(LITERT, tuple(run_reference(model, inputs, invocations)))


def _tflm(model: bytes, inputs: Sequence[np.ndarray], invocations: int) -> RefOutcome:
    from tandem.tinyml.tflm_ref import run_tflm

    run = run_tflm(model, inputs, invocations)
    arena = run.arena_used_bytes if run.arena_used_bytes >= 0 else None
    return RefOutcome(TFLM, tuple(run.outputs), arena_used_bytes=arena)


def run_references(model: bytes, inputs: Sequence[np.ndarray], invocations: int = 1,
                   runners: Sequence[tuple[str, Runner]] | None = None) -> tuple[RefOutcome, ...]:
    """Run LiteRT and TFLM on the model; a reference that refuses it (or is missing) is kept with
    its message. Raises :class:`ModelError` (or :class:`ToolchainError` when none is installed)
    if no reference runs the model."""
    outcomes = []
    missing = 0
    for name, run in runners or ((LITERT, _litert), (TFLM, _tflm)):
        try:
            outcomes.append(run(model, inputs, invocations))
        except ToolchainError as exc:
            missing += 1
            outcomes.append(RefOutcome(name, None, f"not installed: {exc.message}"))
        except ModelError as exc:
            outcomes.append(RefOutcome(name, None, exc.message))
    if not any(o.ran for o in outcomes):
        why = "; ".join(f"{o.name}: {o.refused}" for o in outcomes)
        err: type[TandemError] = ToolchainError if missing == len(outcomes) else ModelError
        raise err(f"--check has no reference for this model: {why}")
    return tuple(outcomes)


def check_outputs(got: Sequence[np.ndarray], references: Sequence[RefOutcome]) -> CheckResult:
    """tandem's outputs against every reference that ran (at least one must have)."""
    ran = [r for r in references if r.outputs is not None]
    if not ran:
        raise ModelError("--check has no reference that ran the model")
    verdicts = []
    for r in ran:
        assert r.outputs is not None
        if len(r.outputs) != len(got):
            raise ModelError(f"tandem produced {len(got)} outputs, {r.name} {len(r.outputs)}")
    for i, g in enumerate(got):
        g = np.asarray(g)
        against = tuple((r.name, diff_arrays(g, r.outputs[i])) for r in ran if r.outputs is not None)
        apart = None
        if len(ran) == 2 and ran[0].outputs is not None and ran[1].outputs is not None:
            apart = diff_arrays(ran[1].outputs[i], ran[0].outputs[i])
        verdicts.append(OutputVerdict(i, int(g.size), against, apart))
    return CheckResult(tuple(references), tuple(verdicts))


def check_model(model: bytes, inputs: Sequence[np.ndarray], got: Sequence[np.ndarray],
                invocations: int = 1) -> CheckResult:
    """Run both references and check ``got`` against them."""
    return check_outputs(got, run_references(model, inputs, invocations))


def host_arena_bytes(model: bytes, inputs: Sequence[np.ndarray]) -> int | None:
    """The arena tandem's runtime needs when built for the host (64-bit pointers, as TFLM's figure
    is), or None without a host C compiler or when the host build refuses the model."""
    from tandem.tinyml.host_runtime import HostRuntime

    try:
        run = HostRuntime().run(model, inputs)
    except TandemError:
        return None
    return run.arena_used if run.status.ok else None


def arena_line(tandem_bytes: int, board: str, result: CheckResult, host_bytes: int | None = None) -> str | None:
    """tandem's arena beside TFLM's, when TFLM ran; host to host when ``host_bytes`` is known."""
    tflm = result.tflm_arena_bytes
    if tflm is None:
        return None
    text = f"arena: tandem {tandem_bytes:,} B on {board}"
    if host_bytes is not None:
        rel = 100.0 * (host_bytes - tflm) / tflm if tflm else 0.0
        return text + (f", {host_bytes:,} B built for the host; TFLM's interpreter {tflm:,} B (arena_used_bytes, "
                       f"host build): {rel:+.1f}% host to host")
    return text + f"; TFLM's interpreter {tflm:,} B (arena_used_bytes, its host build with 64-bit pointers)"


__all__ = ["LITERT", "TFLM", "CheckResult", "Diff", "OutputVerdict", "RefOutcome", "arena_line", "check_model",
           "check_outputs", "diff_arrays", "host_arena_bytes", "run_references"]
