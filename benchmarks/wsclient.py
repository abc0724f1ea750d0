"""A lean websocket client: the handshake and frame codec done by hand on an asyncio protocol.

The load generator must hold thousands of sockets per process and timestamp every card frame
without becoming the bottleneck it measures, so a connection here is one small ``__slots__``
protocol object with no task, no queue and no per-message allocation beyond the payload bytes.
A library client (a task and a queue per socket, a deflate context offered by default) would
cost the generator several times the CPU and memory of the server under test.

Only what a viewer needs is implemented (RFC 6455): the client handshake without extensions,
unmasked server frames (text, binary, continuation, ping, close) and masked client frames.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import Callable
from typing import Protocol, cast

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_PROTOCOL_ERROR = 1002


class HandshakeError(Exception):
    """The server did not answer the upgrade with a valid 101."""


class Sink(Protocol):
    """Where a connection delivers what it reads (the worker's recorder or apply client)."""

    def message(self, conn: ViewerConnection, payload: bytes, t_ns: int) -> None: ...

    def lost(self, conn: ViewerConnection, exc: Exception | None) -> None: ...


def handshake_request(host: str, port: int, path: str, key: bytes) -> bytes:
    """Return the HTTP/1.1 upgrade request. No Origin header: this is a non-browser client."""
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n"
    ).encode()


def accept_for(key: bytes) -> bytes:
    """Return the Sec-WebSocket-Accept value a server must send back for ``key``."""
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """Return one final client frame; clients must mask (RFC 6455 5.3)."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    # XOR as one big integer: a C-speed loop instead of a Python one per byte.
    keystream = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(n, "big")
    return header + mask + masked


class ViewerConnection(asyncio.Protocol):
    """One viewer socket. ``upgraded`` resolves once the 101 is checked, or fails."""

    __slots__ = (
        "_buf",
        "_fragments",
        "_key",
        "_request",
        "close_code",
        "closed",
        "sink",
        "transport",
        "upgraded",
    )

    def __init__(
        self, sink: Sink, host: str, port: int, path: str, upgraded: asyncio.Future[None]
    ) -> None:
        self.sink = sink
        self._key = base64.b64encode(os.urandom(16))
        self._request = handshake_request(host, port, path, self._key)
        self._buf = b""
        self._fragments: list[bytes] | None = None
        self.upgraded = upgraded
        self.transport: asyncio.Transport | None = None
        self.closed = False
        # The server's close code (1006 when the socket died without one): why a viewer left.
        self.close_code = 1006

    # asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # create_connection: a stream
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        # Take the clock first: what is measured is when the bytes reached this process.
        t_ns = time.time_ns()
        if not self.upgraded.done():
            self._handshake(data)
            return
        buf = self._buf
        # Fast path: one whole small frame in one read, the common case for a card push.
        if not buf and len(data) >= 2 and data[0] in (0x81, 0x82) and data[1] == len(data) - 2:
            self.sink.message(self, data[2:], t_ns)
            return
        self._buf = buf + data if buf else data
        self._parse(t_ns)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or HandshakeError("closed during handshake"))
        self.sink.lost(self, exc)

    # sending ----------------------------------------------------------------------------
    def send_text(self, payload: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(masked_frame(OP_TEXT, payload))

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(masked_frame(OP_CLOSE, struct.pack("!H", 1000)))
            self.transport.close()

    # parsing ----------------------------------------------------------------------------
    def _handshake(self, data: bytes) -> None:
        self._buf += data
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > 16384:
                self._fail(HandshakeError("oversized handshake response"))
            return
        head, self._buf = self._buf[:end], self._buf[end + 4 :]
        lines = head.split(b"\r\n")
        if len(lines[0].split()) < 2 or lines[0].split()[1] != b"101":
            self._fail(HandshakeError(lines[0].decode(errors="replace")))
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"sec-websocket-accept") != accept_for(self._key):
            self._fail(HandshakeError("bad Sec-WebSocket-Accept"))
            return
        self.upgraded.set_result(None)
        if self._buf:
            self._parse(time.time_ns())

    def _fail(self, exc: Exception) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _parse(self, t_ns: int) -> None:
        buf = self._buf
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            at = pos + 2
            if n == 126:
                if end - at < 2:
                    break
                (n,) = struct.unpack_from("!H", buf, at)
                at += 2
            elif n == 127:
                if end - at < 8:
                    break
                (n,) = struct.unpack_from("!Q", buf, at)
                at += 8
            if end - at < n:
                break
            payload = buf[at : at + n]
            pos = at + n
            if b0 & 0x70 or b1 & 0x80:
                # RSV bits without a negotiated extension, or a masked server frame: the stream
                # is not websocket frames (a server writing HTTP after the 101, say). Stop here.
                self.close_code = CLOSE_PROTOCOL_ERROR
                self._buf = b""
                if self.transport is not None:
                    self.transport.abort()
                return
            self._frame(b0 & 0x80, b0 & 0x0F, payload, t_ns)
        self._buf = buf[pos:]

    def _frame(self, fin: int, opcode: int, payload: bytes, t_ns: int) -> None:
        if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
            if opcode != OP_CONT:
                self._fragments = None
            if not fin:
                self._fragments = [*(self._fragments or []), payload]
                return
            if self._fragments is not None:
                payload = b"".join([*self._fragments, payload])
                self._fragments = None
            self.sink.message(self, payload, t_ns)
        elif opcode == OP_PING:
            if self.transport is not None:
                self.transport.write(masked_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            if len(payload) >= 2:
                (self.close_code,) = struct.unpack_from("!H", payload)
            self.close()


async def open_viewer(
    sink: Sink,
    host: str,
    port: int,
    path: str,
    *,
    source_ip: str | None = None,
    timeout_s: float = 10.0,
    factory: Callable[..., ViewerConnection] = ViewerConnection,
) -> ViewerConnection:
    """Connect and upgrade one viewer; raise ``HandshakeError`` or ``OSError`` on failure."""
    loop = asyncio.get_running_loop()
    upgraded: asyncio.Future[None] = loop.create_future()
    _, conn = await loop.create_connection(
        lambda: factory(sink, host, port, path, upgraded),
        host,
        port,
        local_addr=(source_ip, 0) if source_ip else None,
    )
    try:
        async with asyncio.timeout(timeout_s):
            await upgraded
    except BaseException:
        if conn.transport is not None:
            conn.transport.abort()
        raise
    return conn
