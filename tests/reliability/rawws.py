"""A bare websocket client on a plain socket, for tests that need control aiohttp's client
does not give: a viewer that never reads (its kernel buffer fills), a very small receive
window, or thousands of cheap connections."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeRefused(ConnectionError):
    def __init__(self, status: int) -> None:
        super().__init__(f"handshake refused with {status}")
        self.status = status


class RawViewer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.buffer = b""
        self.close_code: int | None = None

    @classmethod
    async def connect(
        cls, port: int, path: str, *, rcvbuf: int | None = None, origin: str | None = None
    ) -> RawViewer:
        """Open and upgrade; raises ``HandshakeRefused`` with the status if not 101."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        viewer = cls(sock)
        try:
            await viewer.loop.sock_connect(sock, ("127.0.0.1", port))
            key = base64.b64encode(os.urandom(16)).decode()
            request = (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                + (f"Origin: {origin}\r\n" if origin else "")
                + "\r\n"
            )
            await viewer.loop.sock_sendall(sock, request.encode())
            while b"\r\n\r\n" not in viewer.buffer:
                chunk = await viewer.loop.sock_recv(sock, 4096)
                if not chunk:
                    raise ConnectionError("closed during the handshake")
                viewer.buffer += chunk
        except BaseException:
            sock.close()
            raise
        head, _, viewer.buffer = viewer.buffer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 101:
            sock.close()
            raise HandshakeRefused(status)
        return viewer

    async def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = await self.loop.sock_recv(self.sock, 65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    async def frame(self) -> tuple[int, bytes]:
        first, second = await self._read(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self._read(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self._read(8))
        return first & 0x0F, await self._read(size)

    async def message(self) -> dict[str, Any]:
        """The next JSON message (answering pings, skipping viewer counts)."""
        while True:
            opcode, payload = await self.frame()
            if opcode == PING:
                await self.send_frame(PONG, payload)
            elif opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                raise ConnectionError(f"closed by the server: {self.close_code}")
            elif opcode == TEXT:
                message: dict[str, Any] = json.loads(payload)
                if message.get("type") != "viewers":
                    return message

    async def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        mask = os.urandom(4)
        size = len(payload)
        first = (0x80 if fin else 0) | opcode
        if size < 126:
            header = struct.pack("!BB", first, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", first, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        await self.loop.sock_sendall(self.sock, header + mask + masked)

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send_frame(TEXT, json.dumps(message).encode())

    def abort(self) -> None:
        """Drop the connection at once (a reset, as when a phone loses its network)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()
