"""The port convention of a user's RTL peripheral, checked against the Verilated top level.

Verilator writes each top-level port into the model's header as ``VL_IN8(&name,msb,lsb);`` (or
``VL_OUT``, ``VL_IN16``, ``VL_IN``, ``VL_INW`` ...); :func:`read_ports` reads them from there, so
the ports are exactly the ones the model has, parameters applied. :func:`check_ports` holds them
to the convention (docs/bring-your-own-accelerator.md):

* ``clk``: the clock, input, 1 bit (required);
* the reset input named by the ``reset`` property (1 bit; a name ending in ``_n`` is active low);
* the register bus slave, named as cocotbext-axi / cocotbext-apb / cocotbext-wishbone name them:
  AXI4-Lite ``s_axil_*``, APB3 ``s_apb_*``, Wishbone ``s_wb_*``; 32-bit data, address up to 32;
* ``irq``: optional, output, 1 bit;
* with ``memoryBus: axi4``, the AXI4 master ``m_axi_*`` (cocotbext-axi's ``AxiBus`` names): its
  read channels (AR, R), its write channels (AW, W, B) or both; 32-bit data, 32-bit addresses;
  with ``memoryBus: ahb``, an AHB-Lite master ``m_ahb_*`` (``haddr``, ``htrans``, ``hwrite``,
  ``hrdata``, ``hready``, ``hresp``; optional ``hsize``, ``hburst``, ``hwdata``, ``hprot``,
  ``hmastlock``); with ``memoryBus: wishbone``, a classic Wishbone master ``m_wb_*`` (``datwr``
  its data out).

Every other port is an error naming it (an input nobody drives would be undefined).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from tandem.errors import PlatformError

# bus -> (prefix, {signal: (direction, width or 0 = address)}, optional signals)
_AXIL = {
    "awaddr": ("in", 0), "awvalid": ("in", 1), "awready": ("out", 1),
    "wdata": ("in", 32), "wvalid": ("in", 1), "wready": ("out", 1),
    "bvalid": ("out", 1), "bready": ("in", 1),
    "araddr": ("in", 0), "arvalid": ("in", 1), "arready": ("out", 1),
    "rdata": ("out", 32), "rvalid": ("out", 1), "rready": ("in", 1),
    "awprot": ("in", 3), "arprot": ("in", 3), "wstrb": ("in", 4), "bresp": ("out", 2), "rresp": ("out", 2),
}
_APB = {
    "paddr": ("in", 0), "psel": ("in", 1), "penable": ("in", 1), "pwrite": ("in", 1),
    "pwdata": ("in", 32), "pready": ("out", 1), "prdata": ("out", 32),
    "pslverr": ("out", 1), "pstrb": ("in", 4), "pprot": ("in", 3),
}
_WB = {
    "cyc": ("in", 1), "stb": ("in", 1), "we": ("in", 1), "adr": ("in", 0),
    "datwr": ("in", 32), "datrd": ("out", 32), "ack": ("out", 1),
    "sel": ("in", 4), "err": ("out", 1),
}
BUSES: MappingProxyType[str, tuple[str, dict[str, tuple[str, int]], frozenset[str]]] = MappingProxyType({
    "axi4lite": ("s_axil_", _AXIL, frozenset({"awprot", "arprot", "wstrb", "bresp", "rresp"})),
    "apb3": ("s_apb_", _APB, frozenset({"pslverr", "pstrb", "pprot"})),
    "wishbone": ("s_wb_", _WB, frozenset({"sel", "err"})),
})
# the AXI4 master: (required, optional) signals of the read and the write channels
_AXI_READ = {
    "araddr": ("out", 32), "arvalid": ("out", 1), "arready": ("in", 1),
    "rdata": ("in", 32), "rvalid": ("in", 1), "rready": ("out", 1),
}
_AXI_READ_OPT = {
    "arlen": ("out", 8), "arsize": ("out", 3), "arburst": ("out", 2), "arid": ("out", 0),
    "arprot": ("out", 3), "arcache": ("out", 4), "arlock": ("out", 1), "arqos": ("out", 4),
    "rresp": ("in", 2), "rlast": ("in", 1), "rid": ("in", 0),
}
_AXI_WRITE = {
    "awaddr": ("out", 32), "awvalid": ("out", 1), "awready": ("in", 1),
    "wdata": ("out", 32), "wvalid": ("out", 1), "wready": ("in", 1),
    "bvalid": ("in", 1), "bready": ("out", 1),
}
_AXI_WRITE_OPT = {
    "awlen": ("out", 8), "awsize": ("out", 3), "awburst": ("out", 2), "awid": ("out", 0),
    "awprot": ("out", 3), "awcache": ("out", 4), "awlock": ("out", 1), "awqos": ("out", 4),
    "wstrb": ("out", 4), "wlast": ("out", 1), "bresp": ("in", 2), "bid": ("in", 0),
}
_WB_MASTER = {
    "cyc": ("out", 1), "stb": ("out", 1), "we": ("out", 1), "adr": ("out", 32),
    "datwr": ("out", 32), "datrd": ("in", 32), "ack": ("in", 1),
}
_WB_MASTER_OPT = {"sel": ("out", 4), "err": ("in", 1)}
# AHB-Lite master (ARM IHI 0033A 2.2, cocotbext-ahb's names); HREADY is the slave's HREADYOUT
_AHB_MASTER = {
    "haddr": ("out", 32), "htrans": ("out", 2), "hwrite": ("out", 1),
    "hrdata": ("in", 32), "hready": ("in", 1), "hresp": ("in", 1),
}
_AHB_MASTER_OPT = {"hsize": ("out", 3), "hburst": ("out", 3), "hwdata": ("out", 32), "hprot": ("out", 4),
                   "hmastlock": ("out", 1)}
MEMORY_PREFIXES: MappingProxyType[str, str] = MappingProxyType({"axi4": "m_axi_", "ahb": "m_ahb_",
                                                                "wishbone": "m_wb_"})
# bus -> channel groups (name, required, optional)
_MEMORY_GROUPS = MappingProxyType({
    "axi4": (("read", _AXI_READ, _AXI_READ_OPT), ("write", _AXI_WRITE, _AXI_WRITE_OPT)),
    "ahb": (("master", _AHB_MASTER, _AHB_MASTER_OPT),),
    "wishbone": (("master", _WB_MASTER, _WB_MASTER_OPT),),
})
MEMORY_BUSES = ("none", "axi4", "ahb", "wishbone")
_NOT_A_SIGNAL = MappingProxyType({"axi4": "not a signal of cocotbext-axi's AxiBus",
                                  "ahb": "not a signal of an AHB-Lite master",
                                  "wishbone": "not a signal of a Wishbone classic master"})

# the shim's name for each bus (TANDEM_BUS_<name>)
SHIM_BUS: MappingProxyType[str, str] = MappingProxyType({"axi4lite": "AXIL", "apb3": "APB", "wishbone": "WB"})

_PORT = re.compile(r"VL_(IN|OUT|INOUT)(?:8|16|64|W)?\(&(\w+),(\d+),(\d+)(?:,\d+)?\);")


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # "in", "out" or "inout"
    width: int


@dataclass(frozen=True)
class PortCheck:
    """A top level that follows the convention: what the shim needs to know."""

    bus: str
    reset: str | None  # the reset port, if any
    reset_active_low: bool
    has_irq: bool
    optional: frozenset[str]  # optional bus signals present (without the prefix)
    address_bits: int
    memory: str = "none"  # the memory port's bus
    memory_signals: frozenset[str] = frozenset()  # m_axi_* signals present (without the prefix)

    def memory_channels(self) -> tuple[bool, bool]:
        """(reads, writes): which directions the AXI4 memory port has."""
        return "araddr" in self.memory_signals, "awaddr" in self.memory_signals


def read_ports(header: Path) -> list[Port]:
    """The top level's ports from a Verilated model header (``V<top>.h``)."""
    ports = []
    for m in _PORT.finditer(header.read_text()):
        kind, name, msb, lsb = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        ports.append(Port(name, kind.lower(), msb - lsb + 1))
    return ports


def _check_memory(by_name: dict[str, Port], memory: str, where: str) -> frozenset[str]:
    """The signals of the memory port (without the prefix), each channel group complete or absent."""
    present: set[str] = set()
    if memory == "none":
        return frozenset()
    prefix = MEMORY_PREFIXES[memory]
    for group, required, optional in _MEMORY_GROUPS[memory]:
        names = {**required, **optional}
        have = [s for s in names if prefix + s in by_name]
        if not have:
            continue
        for sig, (direction, width) in names.items():
            port = by_name.get(prefix + sig)
            if port is None:
                if sig in required:
                    raise PlatformError(f"{where}: the top level has no port {prefix + sig!r} (the {memory} "
                                        f"master's {group} signals need it, as {prefix}{have[0]} is there)")
                continue
            if port.direction != direction or (width and port.width != width):
                raise PlatformError(f"{where}: port {port.name!r} is {port.direction} [{port.width}], the "
                                    f"{memory} convention wants {direction} [{width or 'any'}]")
            if width == 0 and port.width > 32:
                raise PlatformError(f"{where}: port {port.name!r} is {port.width} bits; IDs are at most 32")
            present.add(sig)
    if not present:
        raise PlatformError(f"{where}: memoryBus is {memory} but the top level has no {prefix}* ports")
    return frozenset(present)


def check_ports(ports: list[Port], bus: str, reset: str | None, where: str, memory: str = "none") -> PortCheck:
    """Hold ``ports`` to the convention for ``bus`` (and the ``memory`` port's bus); a one-line
    PlatformError names the port.

    ``reset`` is the ``reset`` property (None: ``rst`` or ``rst_n`` if the top has one)."""
    prefix, signals, optional = BUSES[bus]
    by_name = {p.name: p for p in ports}

    def need(name: str, direction: str, width: int) -> None:
        port = by_name.get(name)
        if port is None:
            raise PlatformError(f"{where}: the top level has no port {name!r} (the {bus} convention needs it)")
        if port.direction != direction or (width and port.width != width):
            raise PlatformError(f"{where}: port {name!r} is {port.direction} [{port.width}], the convention "
                                f"wants {direction} [{width}]")

    need("clk", "in", 1)
    if reset is None:
        reset = next((r for r in ("rst", "rst_n") if r in by_name), None)
    if reset is not None:
        need(reset, "in", 1)
    if "irq" in by_name:
        need("irq", "out", 1)
    present = set()
    address_bits = 0
    for sig, (direction, width) in signals.items():
        name = prefix + sig
        if name not in by_name:
            if sig in optional:
                continue
            need(name, direction, width)
        need(name, direction, width)
        if width == 0:
            address_bits = max(address_bits, by_name[name].width)
            if by_name[name].width > 32:
                raise PlatformError(f"{where}: port {name!r} is {by_name[name].width} bits; addresses are "
                                    "at most 32")
        if sig in optional:
            present.add(sig)
    memory_signals = _check_memory(by_name, memory, where)
    mprefix = MEMORY_PREFIXES.get(memory, "m_")
    known = {"clk", "irq", reset, *(prefix + s for s in signals), *(mprefix + s for s in memory_signals)}
    for port in ports:
        if port.name not in known:
            if port.name.startswith(mprefix) and memory != "none":
                hint = _NOT_A_SIGNAL[memory]
            elif port.name.startswith("m_"):
                hint = ("a memory port needs memoryBus: axi4, ahb or wishbone" if memory == "none"
                        else f"the {memory} memory port's signals are {mprefix}*")
            else:
                hint = f"expected clk, {reset or 'rst'}, irq and {prefix}* ports"
            raise PlatformError(f"{where}: port {port.name!r} does not match the {bus} convention ({hint})")
    return PortCheck(bus=bus, reset=reset, reset_active_low=bool(reset and reset.endswith("_n")),
                     has_irq="irq" in by_name, optional=frozenset(present), address_bits=address_bits,
                     memory=memory, memory_signals=memory_signals)


__all__ = ["BUSES", "MEMORY_BUSES", "MEMORY_PREFIXES", "SHIM_BUS", "Port", "PortCheck", "check_ports", "read_ports"]
