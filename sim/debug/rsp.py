"""GDB remote serial protocol framing over one socket: ``$data#cs`` packets, acknowledgements,
the Ctrl-C byte, binary escapes, and bounds on what a client may send (GDB's manual, "Remote
Protocol", "Overview")."""
from __future__ import annotations

import select
import socket

MAX_PACKET = 0x4000  # PacketSize we announce (bytes of packet data); longer packets are refused
MAX_NAKS = 5  # retransmissions of one reply before it is dropped
OVERSIZED = b"\x00oversized"  # Link.read_packet's marker for a packet that exceeded MAX_PACKET


def checksum(data: bytes) -> bytes:
    return b"%02x" % (sum(data) & 0xFF)


def escape_binary(data: bytes) -> bytes:
    """Escape ``$ # } *`` as the protocol's binary data requires (0x7d, then the byte xor 0x20)."""
    out = bytearray()
    for b in data:
        if b in b"$#}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape_binary(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for b in it:
        out.append((next(it, 0x20) ^ 0x20) if b == 0x7D else b)
    return bytes(out)


class Link:
    """Packet framing over one connected socket: checksums, acknowledgements, Ctrl-C, bounds."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.ack = True  # until QStartNoAckMode
        self.interrupted = False  # a 0x03 arrived
        self.closed = False
        self._last = b""  # the last packet sent, for a retransmission on '-'
        self._naks = 0
        self._skipping = False  # inside an oversized packet: drop bytes up to its '#xx'

    def send(self, data: str | bytes) -> None:
        raw = data.encode("latin-1") if isinstance(data, str) else data
        self._last = b"$" + raw + b"#" + checksum(raw)
        self._naks = 0
        self._write(self._last)

    def _write(self, raw: bytes) -> None:
        if self.closed:
            return
        try:
            self.sock.sendall(raw)
        except OSError:
            self.closed = True

    def poll(self) -> None:
        """Read what has arrived without blocking (while the core runs: Ctrl-C, or a hang-up)."""
        while not self.closed:
            try:
                ready, _, _ = select.select([self.sock], [], [], 0)
            except (OSError, ValueError):
                self.closed = True
                return
            if not ready:
                return
            before = len(self.buf)
            self._recv()
            new = self.buf[before:]
            if b"\x03" in new:  # while the core runs, GDB sends nothing else (all-stop mode)
                self.interrupted = True
                self.buf[before:] = new.replace(b"\x03", b"")
            if len(self.buf) > 2 * MAX_PACKET:  # a client flooding a running core: keep the tail
                del self.buf[:-MAX_PACKET]

    def _recv(self) -> None:
        try:
            data = self.sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self.buf += data

    def read_packet(self) -> bytes | None:
        """The next packet's data (blocking); OVERSIZED for one too long; None once disconnected."""
        while True:
            pkt = self._parse()
            if pkt is not None:
                return pkt
            if self.closed:
                return None
            self._recv()

    def _parse(self) -> bytes | None:
        buf = self.buf
        while buf:
            if self._skipping:
                end = buf.find(b"#")
                if end < 0 or len(buf) < end + 3:
                    if end < 0:
                        buf.clear()
                    return None
                del buf[:end + 3]
                self._skipping = False
                if self.ack:
                    self._write(b"+")
                return OVERSIZED
            c = buf[0]
            if c != 0x24:  # '$'
                del buf[:1]
                if c == 0x03:
                    self.interrupted = True
                elif c == 0x2D and self.ack and self._last and self._naks < MAX_NAKS:  # '-'
                    self._naks += 1
                    self._write(self._last)
                continue
            end = buf.find(b"#")
            restart = buf.find(b"$", 1, end if end >= 0 else len(buf))
            if restart > 0:  # a packet cut short by a new one: drop the fragment
                del buf[:restart]
                continue
            if end < 0:
                if len(buf) > MAX_PACKET + 1:
                    buf.clear()
                    self._skipping = True
                return None
            if len(buf) < end + 3:
                return None
            data, given = bytes(buf[1:end]), bytes(buf[end + 1:end + 3])
            del buf[:end + 3]
            if len(data) > MAX_PACKET:
                if self.ack:
                    self._write(b"+")
                return OVERSIZED
            if self.ack:
                if given.lower() != checksum(data):
                    self._write(b"-")
                    continue
                self._write(b"+")
            return data
        return None


__all__ = ["Link", "MAX_PACKET", "OVERSIZED", "checksum", "escape_binary", "unescape_binary"]
