"""A Robot Framework keyword library compatible with Renode's (renode-keywords.robot and its
UART, log, LED and register keywords), on tandem's monitor (tandem.renode.monitor).

Renode's test files start with ``Resource ${RENODEKEYWORDS}``; ``tandem robot`` points that
variable at ``renode-keywords.robot`` beside this module, which imports this library, so the
files run unchanged. Keyword names and arguments are Renode's (``Wait For Line On Uart  text
timeout=5  treatAsRegex=true``); tandem accepts the arguments Renode's tests use and says so
when one does not apply.

Waits run the machine in slices of simulated time (tandem.renode.machine.SLICE_SECONDS) and
look for what they wait for between slices; a timeout is in simulated seconds, as Renode's are,
and a wait that times out fails at once with the last lines the UART sent. A wall-clock guard
(``WALL_GUARD_SECONDS`` plus ``WALL_PER_SIM_SECOND`` per simulated second waited) stops a wait
that would take the host too long.

``Provides NAME`` records the keywords run since the last ``Reset Emulation``; ``Requires
NAME`` resets the emulation and runs them again (Renode's re-execution mode; tandem has no
snapshots). The run is deterministic, so the replay reaches the same state.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from robot.api.deco import keyword, library
from robot.utils import DotDict

from tandem.config import TandemConfig
from tandem.errors import TandemError
from tandem.peripherals.stm32_gpio import _Port
from tandem.renode.machine import Machine
from tandem.renode.monitor import Monitor
from tandem.renode.testers import LedTester, LogTester, RenodeFailure, TerminalTester, as_bool, as_int, as_seconds

WALL_GUARD_SECONDS = 60.0
WALL_PER_SIM_SECOND = 30.0
DEFAULT_UART_TIMEOUT = 8.0  # Renode's default terminal tester timeout, seconds

F = TypeVar("F", bound=Callable[..., Any])


def _recorded(fn: F) -> F:
    """Keywords that change the emulation are recorded for ``Provides`` / ``Requires``."""

    @functools.wraps(fn)  # robot reads the signature and types through __wrapped__
    def wrapper(self: RenodeKeywords, *args: Any, **kwargs: Any) -> Any:
        self._calls.append((fn, args, kwargs))
        return self._guarded(fn, self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@library(scope="GLOBAL", auto_keywords=False)
class RenodeKeywords:
    """Renode's Robot keywords on tandem; see the module docstring."""

    def __init__(self, platforms: str = "") -> None:
        config = TandemConfig.from_env()
        dirs = [d for d in platforms.split("|") if d]
        self.config = config.with_platforms(dirs) if dirs else config
        self._calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._states: dict[str, list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]] = {}
        self._new_emulation()

    def _new_emulation(self) -> None:
        self.monitor = Monitor(self.config, out=None)
        self.terminals: list[TerminalTester] = []
        self.leds: list[LedTester] = []
        self.log_tester: LogTester | None = None
        self.default_uart_timeout = DEFAULT_UART_TIMEOUT
        self._calls = []

    def _guarded(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TandemError as err:
            raise RenodeFailure(str(err)) from None

    def _machine(self) -> Machine:
        if self.monitor.machine is None:
            raise RenodeFailure("no machine: run `Execute Command  mach create` and load a platform first "
                                "(or `Execute Script  x.resc`)")
        return self.monitor.machine

    def _wait(self, timeout: float, found: Callable[[], bool], what: str) -> None:
        """Run the machine until ``found`` or ``timeout`` simulated seconds have passed."""
        if found():
            return
        machine = self._machine()
        machine.wall_guard = WALL_GUARD_SECONDS + WALL_PER_SIM_SECOND * timeout
        start = machine.seconds()
        machine.started = True
        exited = machine.run_for(timeout, "Robot wait", stop=found)
        if found():
            return
        if exited and machine.exited is not None:
            raise RenodeFailure(f"{what}: the firmware exited (code {machine.exited}) at "
                                f"{machine.seconds():.6f} s without it")
        raise RenodeFailure(f"{what}: not seen in {machine.seconds() - start:g} s of simulated time "
                            f"(timeout {timeout:g} s)")

    # setup and teardown (renode-keywords.robot) ------------------------------------------------
    @keyword("Setup")
    def setup(self) -> None:
        """Suite setup: a fresh emulation."""
        self._new_emulation()

    @keyword("Teardown")
    def teardown(self) -> None:
        self._new_emulation()

    @keyword("Test Setup")
    def test_setup(self) -> None:
        self._new_emulation()

    @keyword("Test Teardown")
    def test_teardown(self) -> None:
        self._new_emulation()

    @keyword("Reset Emulation")
    def reset_emulation(self) -> None:
        """Remove the machine and every tester (Renode: all machines)."""
        self._new_emulation()

    @keyword("Provides")
    def provides(self, state: str, type: str = "Reexecution") -> None:  # noqa: A002 (Renode's name)
        """Record the keywords that built the state up to here, for ``Requires``."""
        if type.lower() not in ("reexecution", "serialization"):
            raise RenodeFailure(f"Provides: unknown type {type!r} (Reexecution or Serialization)")
        self._states[state] = list(self._calls)

    @keyword("Requires")
    def requires(self, state: str) -> None:
        """Reset the emulation and run again what led to ``Provides  state``."""
        calls = self._states.get(state)
        if calls is None:
            known = ", ".join(sorted(self._states)) or "none yet"
            raise RenodeFailure(f"Requires {state}: no test provided it (provided: {known}); the test that "
                                "provides it must run first")
        self._new_emulation()
        for fn, args, kwargs in calls:
            self._calls.append((fn, args, kwargs))
            self._guarded(fn, self, *args, **kwargs)

    # the monitor -----------------------------------------------------------------------------
    @keyword("Execute Command")
    @_recorded
    def execute_command(self, command: str, machine: str | None = None) -> str:
        """Run one monitor command; returns its output."""
        del machine
        return self.monitor.execute(command, "Execute Command")

    @keyword("Execute Script")
    @_recorded
    def execute_script(self, path: str) -> str:
        return self.monitor.run_file(Path(path))

    @keyword("Start Emulation")
    @_recorded
    def start_emulation(self) -> None:
        machine = self._machine()
        machine.core("Start Emulation")
        machine.started = True

    @keyword("Pause Emulation")
    @_recorded
    def pause_emulation(self) -> None:
        self._machine().started = False

    # UART ------------------------------------------------------------------------------------
    @keyword("Create Terminal Tester")
    @_recorded
    def create_terminal_tester(self, uart: str, timeout: str | None = None, machine: str | None = None,
                               defaultPauseEmulation: str = "false", defaultWaitForEcho: str = "true",  # noqa: N803
                               defaultMatchNextLine: str = "false") -> int:  # noqa: N803
        """A tester on ``uart`` (``sysbus.usart2``); returns its id for ``testerId=``."""
        del machine, defaultWaitForEcho, defaultMatchNextLine
        as_bool(defaultPauseEmulation, "defaultPauseEmulation")
        m = self._machine()
        name = uart.removeprefix("sysbus.")
        from tandem.renode.commands import uart_names

        uarts = uart_names(m)
        if name not in uarts:
            raise RenodeFailure(f"Create Terminal Tester: {uart!r} is not a UART of the machine "
                                f"(UARTs: {', '.join(uarts) or 'none'})")
        tester = TerminalTester(name, as_seconds(timeout, "timeout") if timeout is not None
                                else self.default_uart_timeout)
        m.uart_text(name).listeners.append(tester.feed)
        self.terminals.append(tester)
        return len(self.terminals) - 1

    @keyword("Set Default Uart Timeout")
    def set_default_uart_timeout(self, timeout: str) -> None:
        self.default_uart_timeout = as_seconds(timeout, "timeout")

    def _tester(self, tester_id: str | None) -> TerminalTester:
        if not self.terminals:
            raise RenodeFailure("no terminal tester: `Create Terminal Tester  sysbus.usart2` first")
        if tester_id is None:
            if len(self.terminals) > 1:
                raise RenodeFailure(f"{len(self.terminals)} terminal testers: say which with testerId=")
            return self.terminals[0]
        i = as_int(tester_id, "testerId")
        if not 0 <= i < len(self.terminals):
            raise RenodeFailure(f"testerId={tester_id}: no such tester (0..{len(self.terminals) - 1})")
        return self.terminals[i]

    @keyword("Wait For Line On Uart")
    @_recorded
    def wait_for_line_on_uart(self, content: str, timeout: str | None = None, testerId: str | None = None,  # noqa: N803
                              treatAsRegex: str = "false", pauseEmulation: str = "false",  # noqa: N803
                              includeUnfinishedLine: str = "false", matchNextLine: str = "false") -> DotDict:  # noqa: N803
        """Wait for a line containing ``content`` (a regular expression with treatAsRegex=true)."""
        del pauseEmulation, matchNextLine
        tester = self._tester(testerId)
        regex = as_bool(treatAsRegex, "treatAsRegex")
        if regex:
            try:
                re.compile(content)
            except re.error as exc:
                raise RenodeFailure(f"Wait For Line On Uart: bad regular expression {content!r}: {exc}") from None
        wait = as_seconds(timeout, "timeout") if timeout is not None else tester.timeout
        unfinished = as_bool(includeUnfinishedLine, "includeUnfinishedLine")
        hit: list[re.Match[str] | str] = []

        def found() -> bool:
            if not hit:
                h = tester.find_line(content, regex, unfinished)
                if h is not None:
                    hit.append(h)
            return bool(hit)

        self._uart_wait(tester, wait, found, f"line {content!r}")
        return self._result(hit[0])

    @keyword("Wait For Prompt On Uart")
    @_recorded
    def wait_for_prompt_on_uart(self, prompt: str, timeout: str | None = None, testerId: str | None = None,  # noqa: N803
                                treatAsRegex: str = "false", pauseEmulation: str = "false") -> DotDict:  # noqa: N803
        """Wait for ``prompt``, which need not end a line."""
        del pauseEmulation
        tester = self._tester(testerId)
        regex = as_bool(treatAsRegex, "treatAsRegex")
        wait = as_seconds(timeout, "timeout") if timeout is not None else tester.timeout
        hit: list[str] = []

        def found() -> bool:
            if not hit:
                h = tester.find_prompt(prompt, regex)
                if h is not None:
                    hit.append(h)
            return bool(hit)

        self._uart_wait(tester, wait, found, f"prompt {prompt!r}")
        return self._result(hit[0])

    def _uart_wait(self, tester: TerminalTester, timeout: float, found: Callable[[], bool], what: str) -> None:
        try:
            self._wait(timeout, found, f"{tester.uart}: {what}")
        except RenodeFailure as err:
            raise RenodeFailure(f"Terminal tester failed! {err}\nlast lines of {tester.uart}:\n{tester.tail()}") \
                from None
        except TandemError as err:
            raise RenodeFailure(f"{tester.uart}: {what}: {err}\nlast lines of {tester.uart}:\n{tester.tail()}") \
                from None

    def _result(self, hit: re.Match[str] | str) -> DotDict:
        seconds = self._machine().seconds()
        if isinstance(hit, re.Match):
            return DotDict(line=hit.string, groups=list(hit.groups()), timestamp=seconds)
        return DotDict(line=hit, groups=[], timestamp=seconds)

    @keyword("Write Line To Uart")
    @_recorded
    def write_line_to_uart(self, content: str = "", testerId: str | None = None,  # noqa: N803
                           waitForEcho: str = "true", pauseEmulation: str = "false") -> None:  # noqa: N803
        """Send ``content`` and a carriage return to the UART's receiver; by default wait for
        the firmware to echo the line back."""
        del pauseEmulation
        tester = self._tester(testerId)
        self._machine().uart_line(tester.uart, "Write Line To Uart").inject(content.encode() + b"\r")
        if as_bool(waitForEcho, "waitForEcho"):
            self.wait_for_line_on_uart(content, testerId=testerId)

    @keyword("Write Char On Uart")
    @_recorded
    def write_char_on_uart(self, char: str, testerId: str | None = None) -> None:  # noqa: N803
        if len(char) != 1:
            raise RenodeFailure(f"Write Char On Uart: {char!r} is not one character")
        tester = self._tester(testerId)
        self._machine().uart_line(tester.uart, "Write Char On Uart").inject(char.encode())

    @keyword("Send Key To Uart")
    @_recorded
    def send_key_to_uart(self, c: str, testerId: str | None = None) -> None:  # noqa: N803
        """Send one byte (a number, 0x1B for Escape, or one character)."""
        value = ord(c) if len(c) == 1 and not c.isdigit() else as_int(c, "key")
        if not 0 <= value <= 0xFF:
            raise RenodeFailure(f"Send Key To Uart: {c!r} is not a byte")
        tester = self._tester(testerId)
        self._machine().uart_line(tester.uart, "Send Key To Uart").inject(bytes([value]))

    # log -------------------------------------------------------------------------------------
    @keyword("Create Log Tester")
    @_recorded
    def create_log_tester(self, timeout: str = "0", defaultPauseEmulation: str = "false") -> None:  # noqa: N803
        """Log entries are tandem's notes on the run (unmodelled parts, assumptions) and the monitor's."""
        as_bool(defaultPauseEmulation, "defaultPauseEmulation")
        self.log_tester = LogTester(as_seconds(timeout, "timeout"))

    def _log(self) -> LogTester:
        if self.log_tester is None:
            raise RenodeFailure("no log tester: `Create Log Tester  timeout` first")
        t = self.log_tester
        t.entries.extend(self.monitor.log[t.seen_monitor:])
        t.seen_monitor = len(self.monitor.log)
        machine = self.monitor.machine
        board = machine.board if machine is not None else None
        if board is not None:
            if id(board) != t.board_id:
                t.board_id, t.seen_board = id(board), 0
            t.entries.extend(board.notes[t.seen_board:])
            t.seen_board = len(board.notes)
        return t

    @staticmethod
    def _log_match(entry: str, pattern: str, regex: bool) -> bool:
        return re.search(pattern, entry) is not None if regex else pattern in entry

    @keyword("Wait For Log Entry")
    @_recorded
    def wait_for_log_entry(self, pattern: str, timeout: str | None = None, keep: str = "false",
                           treatAsRegex: str = "false", pauseEmulation: str = "false",  # noqa: N803
                           level: str | None = None) -> str:
        del pauseEmulation, level
        regex = as_bool(treatAsRegex, "treatAsRegex")
        wait = as_seconds(timeout, "timeout") if timeout is not None else self._log().timeout
        hit: list[str] = []

        def found() -> bool:
            t = self._log()
            for i, entry in enumerate(t.entries):
                if self._log_match(entry, pattern, regex):
                    hit.append(entry)
                    if not as_bool(keep, "keep"):
                        del t.entries[: i + 1]
                    return True
            return False

        try:
            self._wait(wait, found, f"log entry {pattern!r}")
        except TandemError as err:
            raise RenodeFailure(f"log entry {pattern!r}: {err}") from None
        return hit[0]

    @keyword("Should Not Be In Log")
    @_recorded
    def should_not_be_in_log(self, pattern: str, timeout: str = "0", treatAsRegex: str = "false") -> None:  # noqa: N803
        regex = as_bool(treatAsRegex, "treatAsRegex")
        hit: list[str] = []

        def found() -> bool:
            hit.extend(e for e in self._log().entries if self._log_match(e, pattern, regex))
            return bool(hit)

        seconds = as_seconds(timeout, "timeout")
        if not found() and seconds > 0:
            try:
                self._wait(seconds, found, "")
            except RenodeFailure:
                pass  # not seen in the time: what this keyword wants
        if hit:
            raise RenodeFailure(f"Should Not Be In Log: {pattern!r} is in the log: {hit[0]}")

    # registers -------------------------------------------------------------------------------
    @keyword("Register Should Be Equal")
    def register_should_be_equal(self, register: str, value: str, cpuName: str | None = None,  # noqa: N803
                                 machine: str | None = None) -> None:
        del cpuName, machine
        from tandem.renode.commands import REGISTER_NUMBERS

        board = self._machine().core("Register Should Be Equal")
        reg = register.strip().lower()
        if reg.isdigit():
            name = REGISTER_NUMBERS.get(int(reg))
            if name is None:
                raise RenodeFailure(f"no register number {register}")
            reg = name
        try:
            actual = board.cpu.reg(reg)
        except KeyError:
            raise RenodeFailure(f"no register {register!r}") from None
        expected = as_int(value, "value") & 0xFFFFFFFF
        if actual != expected:
            raise RenodeFailure(f"Register {register}: 0x{actual:X} != 0x{expected:X}")

    @keyword("PC Should Be Equal")
    def pc_should_be_equal(self, value: str, cpuName: str | None = None, machine: str | None = None) -> None:  # noqa: N803
        self.register_should_be_equal("pc", value, cpuName, machine)

    # LEDs ------------------------------------------------------------------------------------
    @keyword("Create LED Tester")
    @_recorded
    def create_led_tester(self, led: str, defaultTimeout: str = "0", machine: str | None = None) -> int:  # noqa: N803
        """A tester on a ``Miscellaneous.LED`` of the platform (``sysbus.gpioPortD.UserLED``)."""
        del machine
        m = self._machine()
        name = led.split(".")[-1]
        platform = m.platform()
        spec = next((p for p in platform.peripherals if p.name == name), None)
        if spec is None or spec.type != "Miscellaneous.LED":
            leds = [p.name for p in platform.peripherals if p.type == "Miscellaneous.LED"]
            raise RenodeFailure(f"Create LED Tester: no LED {name!r} (LEDs: {', '.join(leds) or 'none'})")
        board = m.ensure_board("Create LED Tester")
        for port_spec in platform.peripherals:
            for c in port_spec.irqs:
                if c.target == name and c.source.isdigit():
                    port = board.peripherals.get(port_spec.name)
                    if not isinstance(port, _Port):
                        raise RenodeFailure(f"LED {name} is on {port_spec.name} ({port_spec.type}), a GPIO "
                                            "port tandem does not model")
                    invert = spec.properties.get("invert") is True
                    self.leds.append(LedTester(port, int(c.source), invert, as_seconds(defaultTimeout, "timeout")))
                    return len(self.leds) - 1
        raise RenodeFailure(f"LED {name}: no GPIO pin drives it (a port entry needs `N -> {name}@0`)")

    @keyword("Assert LED State")
    @_recorded
    def assert_led_state(self, state: str, timeout: str | None = None, testerId: str | None = None,  # noqa: N803
                         pauseEmulation: str = "false") -> None:  # noqa: N803
        del pauseEmulation
        if not self.leds:
            raise RenodeFailure("no LED tester: `Create LED Tester  sysbus.gpioPortD.UserLED` first")
        i = as_int(testerId, "testerId") if testerId is not None else len(self.leds) - 1
        if not 0 <= i < len(self.leds):
            raise RenodeFailure(f"testerId={testerId}: no such LED tester")
        tester = self.leds[i]
        want = as_bool(state, "state")
        wait = as_seconds(timeout, "timeout") if timeout is not None else tester.timeout
        try:
            self._wait(wait, lambda: tester.state() == want, f"LED state {str(want).lower()}")
        except RenodeFailure as err:
            raise RenodeFailure(f"LED tester failed! {err} (the LED is {str(tester.state()).lower()})") from None


__all__ = ["RenodeKeywords"]
