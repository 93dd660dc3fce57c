"""What every console UART model shares: the board console behind a one-byte receive buffer,
and the interrupt lines a ``.repl`` entry connects by source name.

Transmission is instantaneous in every model (the byte reaches the console on the write that
sends it), so status flags saying "transmitter ready" never make polling code wait. Received
bytes are taken from the console (``--stdin``, ``BoardConsole.feed``) one at a time, when the
firmware looks at the receiver's status or data. A line can also be given bytes of its own
(:meth:`ConsoleLine.inject`, read before the console's) and watched (``taps``): a Renode
monitor's ``showAnalyzer`` and a Robot test's terminal tester are tied to one UART, not to the
board's console.
"""
from __future__ import annotations

from collections.abc import Callable

from tandem.peripherals.base import BoardContext
from tandem.platform.model import PeripheralSpec


class ConsoleLine:
    """The console end of one UART: ``send`` bytes out, ``peek``/``take`` one received byte."""

    def __init__(self, ctx: BoardContext) -> None:
        self.ctx = ctx
        self.pending: int | None = None
        self.taps: list[Callable[[bytes], None]] = []  # called with every byte string sent
        self._input = bytearray()  # bytes for this UART only, before the console's
        self.on_input: Callable[[], None] | None = None  # the model's: raise its receive interrupt

    def send(self, data: bytes) -> None:
        self.ctx.console.write(data)
        for tap in self.taps:
            tap(data)

    def inject(self, data: bytes) -> None:
        """Queue ``data`` for this UART's receiver (read before the console's input); the model
        sees it at once (``on_input``), so an interrupt-driven receiver is interrupted."""
        self._input.extend(data)
        if self.on_input is not None:
            self.on_input()

    def peek(self) -> int | None:
        """The received byte waiting in the receive buffer, fetching one from the console."""
        if self.pending is None:
            if self._input:
                self.pending = self._input.pop(0)
            else:
                self.pending = self.ctx.console.read_byte()
        return self.pending

    def take(self) -> int | None:
        value = self.peek()
        self.pending = None
        return value


def irq_lines(spec: PeripheralSpec, *sources: str) -> tuple[int, ...]:
    """The NVIC lines of ``spec``'s connections whose source is one of ``sources`` ("" is the
    unnamed default output, as in ``-> nvic@2``)."""
    return tuple(c.number for c in spec.irqs if c.source in sources)


class IrqOutputs:
    """Named interrupt outputs of one peripheral, each driven to the level the model computes."""

    def __init__(self, spec: PeripheralSpec, ctx: BoardContext, outputs: dict[str, tuple[str, ...]]) -> None:
        self.ctx = ctx
        self.lines = {name: irq_lines(spec, *aliases) for name, aliases in outputs.items()}

    def drive(self, name: str, level: bool) -> None:
        for line in self.lines.get(name, ()):
            self.ctx.set_irq(line, level)


__all__ = ["ConsoleLine", "IrqOutputs", "irq_lines"]
