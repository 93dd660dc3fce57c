"""The monitor commands tandem runs, one handler each, registered in the Monitor's tables.

A handler takes the :class:`~tandem.renode.monitor.Context` of one command and returns its
output ("" for none). A new command is a function here and a line in :func:`register` (or a
handler a caller adds to ``Monitor.top`` / ``Monitor.commands[object]`` itself).
"""
from __future__ import annotations

import re

from tandem.core.cpu import GPRS
from tandem.errors import ScriptError
from tandem.renode.machine import Machine, Tag
from tandem.renode.session import Context, Handler, Session

# Renode's Cortex-M register numbers (CortexM's register map: R0-R15, then xPSR at 25)
REGISTER_NUMBERS = {**{n: name for n, name in enumerate(GPRS)}, 25: "xpsr"}
_INTERVAL = re.compile(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*(s|ms|us)?")


def seconds_arg(ctx: Context, i: int) -> float:
    """A Renode TimeInterval: "1.5" (seconds), "00:00:01.5" (h:m:s), "100ms", "10us"."""
    text = ctx.args[i].text.strip()
    m = _INTERVAL.fullmatch(text)
    if m is None:
        raise ctx.fail(f"not a time interval: {text!r} (seconds, e.g. \"0.1\", or hh:mm:ss.fff)")
    first, second, secs, unit = m.groups()
    value = float(secs) * {"ms": 1e-3, "us": 1e-6}.get(unit or "s", 1.0)
    if first is not None and second is not None:
        value += int(first) * 3600 + int(second) * 60
    elif first is not None:
        value += int(first) * 60
    if not 0 <= value < 1e6:
        raise ctx.fail(f"time interval {text!r} is out of range")
    return value


def register_name(ctx: Context, i: int) -> str:
    t = ctx.args[i]
    if t.kind == "number" and isinstance(t.value, int):
        name = REGISTER_NUMBERS.get(t.value)
        if name is None:
            raise ctx.fail(f"no register number {t.value} (0-15: R0-PC, 25: xPSR)")
        return name
    name = t.text.lower()
    if name not in (*GPRS, "xpsr", "msp", "psp", "primask", "control", "basepri", "faultmask"):
        raise ctx.fail(f"no register {t.text!r}")
    return name


def _word(ctx: Context) -> Machine:
    return ctx.monitor.need_machine(ctx)


# top level ---------------------------------------------------------------------------------
def cmd_mach(ctx: Context) -> str:
    mon = ctx.monitor
    if not ctx.args:
        raise ctx.fail("expected create [\"name\"], set, clear")
    sub = ctx.args[0].text
    ctx.name = f"mach {sub}"
    if sub == "create":
        ctx.count(1, 2, 'create ["name"]')
        name = ctx.args[1].text if len(ctx.args) > 1 else "machine-0"
        if mon.machine is not None:
            raise ctx.fail(f"tandem runs one machine per session ({mon.machine.name!r} exists)")
        mon.machine = Machine(name, mon.config)
        mon.machine.wall_guard = mon.max_seconds
        if mon.max_cycles is not None:
            mon.machine.max_cycles = mon.max_cycles
        return ""
    if sub == "set":
        machine = _word(ctx)
        if len(ctx.args) == 2 and ctx.args[1].text not in (machine.name, "0"):
            raise ctx.fail(f"no machine {ctx.args[1].text!r} (the one machine is {machine.name!r})")
        return ""
    if sub == "clear":
        return ""
    raise ctx.fail(f"unknown subcommand {sub!r} (tandem has create, set, clear)")


def cmd_using(ctx: Context) -> str:
    ctx.count(1, 1, "an object (using sysbus)")
    if ctx.args[0].text != "sysbus":
        raise ctx.fail(f"using {ctx.args[0].text}: tandem supports `using sysbus`")
    return ""


def cmd_include(ctx: Context) -> str:
    ctx.count(1, 1, "@file")
    path = ctx.path_arg(0, "include")
    if path.suffix.lower() in (".cs", ".py"):
        raise ctx.fail(f"{path.name}: tandem cannot load Renode extensions (C# or Python); only .resc scripts")
    return ctx.monitor.run_file(path)


def cmd_macro(ctx: Context) -> str:
    ctx.count(2, 2, 'name """commands"""')
    name, body = ctx.args[0], ctx.args[1]
    if name.kind != "word" or body.kind != "string":
        raise ctx.fail('expected name """commands"""')
    ctx.monitor.macros[name.text] = body.text
    return ""


def cmd_run_macro(ctx: Context) -> str:
    ctx.count(1, 1, "$name")
    name = ctx.args[0].text
    return run_macro(ctx, name)


def run_macro(ctx: Context, name: str) -> str:
    mon = ctx.monitor
    body = mon.macros.get(name)
    if body is None:
        raise ctx.fail(f"no macro {name!r}")
    if mon._depth >= 32:
        raise ctx.fail("macros nested more than 32 deep")
    mon._depth += 1
    try:
        return mon.run_text(body, f"{ctx.st.path}:{ctx.st.line}: macro {name}")
    finally:
        mon._depth -= 1


def cmd_show_analyzer(ctx: Context) -> str:
    ctx.count(1, 2, "a UART (showAnalyzer sysbus.usart2)")
    mon = ctx.monitor
    machine = _word(ctx)
    name = ctx.args[0].text.removeprefix("sysbus.")
    if name not in machine.peripheral_names():
        raise ctx.fail(f"no peripheral {name!r} (UARTs: {', '.join(uart_names(machine)) or 'none'})")
    if name not in uart_names(machine):
        raise ctx.fail(f"{name} is not a UART tandem models (UARTs: {', '.join(uart_names(machine)) or 'none'})")
    if name not in mon.analyzers:
        mon.analyzers.append(name)
        out = mon.out
        if out is not None:
            def show(chunk: str) -> None:
                out.write(chunk)
                out.flush()
            machine.uart_text(name).listeners.append(show)
    return ""


def uart_names(machine: Machine) -> list[str]:
    from tandem.platform.types import CONSOLE_TYPES

    return [p.name for p in machine.platform().peripherals if p.type in CONSOLE_TYPES]


def cmd_start(ctx: Context) -> str:
    machine = _word(ctx)
    machine.core(ctx.where)
    machine.started = True
    return ""


def cmd_pause(ctx: Context) -> str:
    _word(ctx).started = False
    return ""


def cmd_quit(ctx: Context) -> str:
    ctx.monitor.quit = True
    if ctx.monitor.machine is not None:
        ctx.monitor.machine.started = False
    return ""


def cmd_log_level(ctx: Context) -> str:
    ctx.count(1, 2, "a level (-1..3) [object]")
    level = ctx.int_arg(0, "level")
    if not -1 <= level <= 3:
        raise ctx.fail(f"level {level} is not -1 (noisy) .. 3 (errors only)")
    if len(ctx.args) == 1:
        ctx.monitor.log_level = level
    return ""


def cmd_log_file(ctx: Context) -> str:
    ctx.count(1, 2, "@file")
    ctx.monitor.emit("logFile: tandem prints its notes on the console; no log file is written")
    return ""


def cmd_sleep(ctx: Context) -> str:
    ctx.count(1, 1, "seconds")
    machine = ctx.monitor.machine
    if machine is not None and machine.started:
        machine.run_for(seconds_arg(ctx, 0), ctx.where)
    return ""


def cmd_path(ctx: Context) -> str:
    ctx.count(1, 2, "add|set|reset [@folder]")
    sub = ctx.args[0].text
    if sub == "reset":
        ctx.monitor.paths.clear()
        return ""
    if sub not in ("add", "set") or len(ctx.args) != 2:
        raise ctx.fail("expected add @folder, set @folder or reset")
    folder = ctx.args[1].text
    from pathlib import Path

    p = Path(folder) if Path(folder).is_absolute() else ctx.monitor.origin / folder
    if not p.is_dir():
        raise ctx.fail(f"{folder}: no such folder")
    if sub == "set":
        ctx.monitor.paths.clear()
    ctx.monitor.paths.append(p)
    return ""


# machine ---------------------------------------------------------------------------------
def cmd_load_platform(ctx: Context) -> str:
    ctx.count(1, 1, "@file.repl")
    _word(ctx).add_platform_file(ctx.path_arg(0, "platform"), ctx.where)
    return ""


def cmd_load_platform_string(ctx: Context) -> str:
    ctx.count(1, 1, 'a string ("""...""")')
    if ctx.args[0].kind != "string":
        raise ctx.fail(f"expected a string, got {ctx.args[0].show()}")
    pseudo = ctx.monitor.origin / f"{ctx.st.path.rsplit('/', 1)[-1]}:{ctx.st.line}.repl"
    _word(ctx).add_platform_text(ctx.args[0].text, pseudo, ctx.where)
    return ""


def cmd_machine_reset(ctx: Context) -> str:
    machine = _word(ctx)
    machine.rebuild(ctx.where)
    if "reset" in ctx.monitor.macros:
        return run_macro(ctx, "reset")
    machine.reload(ctx.where)
    return ""


# sysbus ----------------------------------------------------------------------------------
def cmd_load_elf(ctx: Context) -> str:
    ctx.count(1, 1, "@file.elf")
    machine = _word(ctx)
    image = machine.load_elf(ctx.path_arg(0, "ELF"), ctx.where)
    del image
    return ""


def cmd_load_binary(ctx: Context) -> str:
    ctx.count(2, 2, "@file ADDRESS")
    _word(ctx).load_binary(ctx.path_arg(0, "binary"), ctx.int_arg(1, "address"), ctx.where)
    return ""


def cmd_load_symbols(ctx: Context) -> str:
    ctx.count(1, 1, "@file.elf")
    _word(ctx).load_symbols(ctx.path_arg(0, "ELF"), ctx.where)
    return ""


def _access(size: int, write: bool) -> Handler:
    width = size * 2

    def handler(ctx: Context) -> str:
        board = _word(ctx).ensure_board(ctx.where)
        ctx.count(2 if write else 1, 2 if write else 1, "ADDRESS VALUE" if write else "ADDRESS")
        addr = ctx.int_arg(0, "address")
        if not 0 <= addr <= (1 << 32) - size:
            raise ctx.fail(f"address 0x{addr:x} is outside the 32-bit address space")
        if write:
            value = ctx.int_arg(1, "value")
            if not -(1 << (8 * size - 1)) <= value < 1 << (8 * size):
                raise ctx.fail(f"value {value:#x} does not fit in {size} byte(s)")
            board.bus_write(addr, size, value & ((1 << (8 * size)) - 1))
            _check_bus(ctx, board, addr)
            return ""
        value = board.bus_read(addr, size)
        _check_bus(ctx, board, addr)
        return f"0x{value:0{width}X}"

    return handler


def _check_bus(ctx: Context, board: object, addr: int) -> None:
    from tandem.machine.board import Board

    assert isinstance(board, Board)
    fault, board.bus.fault = board.bus.fault, None
    if fault is not None:
        raise ctx.fail(f"nothing at 0x{addr:08x} (no memory or peripheral of {board.platform.name})")
    error, board.bus.error = board.bus.error, None
    if error is not None:
        raise ScriptError(f"{ctx.name}: {error}", ctx.st.path, ctx.st.line)


def cmd_tag(ctx: Context) -> str:
    ctx.count(2, 3, '<start, end> "name" [value]')
    rng = ctx.args[0]
    if rng.kind != "range" or not isinstance(rng.value, tuple):
        raise ctx.fail(f"expected a range <start, end>, got {rng.show()}")
    base, size = rng.value
    value = ctx.int_arg(2, "value") if len(ctx.args) == 3 else 0
    note = _word(ctx).add_tag(Tag(ctx.args[1].text, base, size, value))
    if note:
        ctx.monitor.emit(note)
    return ""


# cpu -------------------------------------------------------------------------------------
def cmd_vector_table(ctx: Context) -> str:
    ctx.count(0, 1, "[ADDRESS]")
    machine = _word(ctx)
    if not ctx.args:
        vt = machine.vector_table if machine.board is None else machine.board.platform.cpu.vector_table
        return f"0x{vt or 0:08X}"
    addr = ctx.int_arg(0, "address")
    if addr & 0x7F or not 0 <= addr < 1 << 32:
        raise ctx.fail(f"0x{addr:x} is not a vector table address (a multiple of 0x80)")
    machine.vector_table = addr
    if machine.board is not None:
        from dataclasses import replace

        board = machine.board
        board.platform = replace(board.platform, cpu=replace(board.platform.cpu, vector_table=addr))
    return ""


def _reg_command(name: str) -> Handler:
    def handler(ctx: Context) -> str:
        ctx.count(0, 1, "[VALUE]")
        board = _word(ctx).core(ctx.where)
        if ctx.args:
            board.cpu.set_reg(name, ctx.int_arg(0, "value"))
            board.counter.invalidate()
            return ""
        return f"0x{board.cpu.reg(name):X}"

    return handler


def cmd_set_register(ctx: Context) -> str:
    ctx.count(2, 2, "REGISTER VALUE")
    name, value = register_name(ctx, 0), ctx.int_arg(1, "value")
    _word(ctx).core(ctx.where).cpu.set_reg(name, value)
    return ""


def cmd_get_register(ctx: Context) -> str:
    ctx.count(1, 1, "REGISTER")
    name = register_name(ctx, 0)
    return f"0x{_word(ctx).core(ctx.where).cpu.reg(name):X}"


def cmd_step(ctx: Context) -> str:
    ctx.count(0, 1, "[COUNT]")
    count = ctx.int_arg(0, "count") if ctx.args else 1
    if not 1 <= count <= 1_000_000:
        raise ctx.fail(f"count {count} is outside 1..1,000,000")
    machine = _word(ctx)
    board = machine.core(ctx.where)
    from tandem.renode.step import step

    step(board, count)
    return f"0x{board.cpu.reg('pc'):X}"


def cmd_performance(ctx: Context) -> str:
    ctx.monitor.emit("cpu PerformanceInMips has no meaning in tandem: time follows the cycle model "
                     "(the core's clock and its instruction timings), not an instructions-per-second rate")
    return ""


def cmd_executed(ctx: Context) -> str:
    board = _word(ctx).ensure_board(ctx.where)
    return str(board.counter.instructions)


def cmd_start_gdb(ctx: Context) -> str:
    """``machine StartGdbServer PORT [autostart] [cpu]``: tandem serves GDB (tandem.debug) when the
    script ends, with the machine where the script left it; 127.0.0.1 only, as ``tandem run --gdb``."""
    ctx.count(1, 3, "PORT [autostart] [cpu]")
    port = ctx.int_arg(0, "port")
    if not 0 <= port <= 65535:
        raise ctx.fail(f"port {port} is not 0..65535")
    machine = _word(ctx)
    machine.gdb = ("127.0.0.1", port)
    machine.started = True
    return ""


# emulation -------------------------------------------------------------------------------
def cmd_run_for(ctx: Context) -> str:
    ctx.count(1, 1, '"seconds"')
    machine = _word(ctx)
    machine.run_for(seconds_arg(ctx, 0), ctx.where)
    machine.started = False
    return ""


def register(mon: Session) -> None:
    mon.top.update({
        "mach": cmd_mach, "using": cmd_using, "include": cmd_include, "i": cmd_include,
        "macro": cmd_macro, "runMacro": cmd_run_macro, "showAnalyzer": cmd_show_analyzer,
        "sa": cmd_show_analyzer, "start": cmd_start, "s": cmd_start, "pause": cmd_pause, "p": cmd_pause,
        "quit": cmd_quit, "q": cmd_quit, "logLevel": cmd_log_level, "logFile": cmd_log_file,
        "sleep": cmd_sleep, "path": cmd_path,
    })
    mon.commands["machine"].update({
        "LoadPlatformDescription": cmd_load_platform,
        "LoadPlatformDescriptionFromString": cmd_load_platform_string,
        "Reset": cmd_machine_reset, "Start": cmd_start, "Pause": cmd_pause, "StartGdbServer": cmd_start_gdb,
    })
    mon.commands["sysbus"].update({
        "LoadELF": cmd_load_elf, "LoadBinary": cmd_load_binary, "LoadSymbolsFrom": cmd_load_symbols,
        "ReadDoubleWord": _access(4, False), "ReadWord": _access(2, False), "ReadByte": _access(1, False),
        "WriteDoubleWord": _access(4, True), "WriteWord": _access(2, True), "WriteByte": _access(1, True),
        "Tag": cmd_tag,
    })
    mon.commands["cpu"].update({
        "VectorTableOffset": cmd_vector_table, "PC": _reg_command("pc"), "SP": _reg_command("sp"),
        "SetRegister": cmd_set_register, "GetRegister": cmd_get_register, "Step": cmd_step,
        "PerformanceInMips": cmd_performance, "ExecutedInstructions": cmd_executed,
    })
    mon.commands["emulation"].update({"RunFor": cmd_run_for})
