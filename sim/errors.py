"""Typed errors for everything a user can get wrong or a firmware can do wrong.

Every error tandem raises on user input derives from :class:`TandemError`; the CLI prints its
message and exits with a non-zero code instead of a traceback.
"""
from __future__ import annotations


class TandemError(Exception):
    """Base class: a problem with the user's input, firmware or environment."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PlatformError(TandemError):
    """A malformed or inconsistent platform description (.repl)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.reason = message


class ScriptError(TandemError):
    """A Renode monitor script (.resc) or monitor command tandem cannot run: ``SCRIPT:LINE: ...``."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = f"{path}:{line}: " if path is not None and line is not None else (f"{path}: " if path else "")
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.reason = message


class UnknownBoardError(TandemError):
    """A board name that has no file under platforms/boards/."""


class ElfError(TandemError):
    """An ELF file that cannot be loaded onto the board."""


class ToolchainError(TandemError):
    """A required external tool (compiler, simulator) is missing or failed."""


class SimulationError(TandemError):
    """The simulated program stopped abnormally (fault, limit, lock-up)."""

    exit_code = 3


class FirmwareFault(SimulationError):
    """The firmware faulted (HardFault, UsageFault, unmapped access, lock-up)."""

    def __init__(self, message: str, report: str = "") -> None:
        super().__init__(message + ("\n" + report if report else ""))
        self.summary = message
        self.report = report

    @property
    def stop_reason(self) -> str:
        """The run's ``stop_reason`` in JSON results: "lockup" or "fault"."""
        return "lockup" if self.summary.startswith("Lockup:") else "fault"


class UnmodelledWait(FirmwareFault):
    """The firmware polls a register that cannot change (a part tandem does not model)."""

    @property
    def stop_reason(self) -> str:
        return "unmodelled-wait"


class CycleLimitExceeded(SimulationError):
    """The run hit --max-cycles before the firmware exited."""

    stop_reason = "cycle-limit"


class ModelError(TandemError):
    """A malformed, truncated or unsupported .tflite model."""


class AcceleratorError(SimulationError):
    """The RTL accelerator misbehaved (timeout, protocol violation)."""


class SweepError(TandemError):
    """A design-space sweep that cannot run: a bad ``--param``, spec file or design point
    (``SPEC:LINE: ...`` when a spec file says it)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = f"{path}:{line}: " if path is not None and line is not None else (f"{path}: " if path else "")
        super().__init__(where + message)
        self.path = path
        self.line = line
