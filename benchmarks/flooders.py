"""Flooder worker: ``count`` sockets that send tiny (or not so tiny) frames as fast as the
server takes them and never read a byte after the handshake.

Config: ``host, port, path, count, source_ip, payload_bytes`` (the ``ref`` padding of each
``{"type": "ping"}``; 0 for the smallest frame), ``reconnect`` (true: a cut flooder comes back
after 50 ms, as an attacker would). Commands: ``start`` (connect and flood), ``stop`` (close
every socket, then report ``{"connects", "cut", "frames_sent", "cpu_s"}``).

Each socket asks for a small receive buffer and, after the handshake, is never read: the
server's replies back up in its kernel buffer, then in the server's own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any

from benchmarks import channel, wsclient

FRAMES_PER_WRITE = 1000
RECONNECT_PAUSE_S = 0.05


def ping_frames(payload_bytes: int, count: int) -> bytes:
    """``count`` masked ping messages, each padded with a ``ref`` of ``payload_bytes``."""
    message: dict[str, Any] = {"type": "ping"}
    if payload_bytes:
        message["ref"] = "r" * payload_bytes
    frame = wsclient.masked_frame(wsclient.OP_TEXT, json.dumps(message).encode())
    return frame * count


@dataclass
class Tally:
    connects: int = 0
    cut: int = 0
    frames_sent: int = 0


async def _connect(cfg: dict[str, Any]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # A small send buffer too: the server's window is small, so a bigger one would only let
    # this process copy megabytes into its own kernel per connection (load-generator CPU, not
    # pressure on the server), and lose them when the connection is cut.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    try:
        if cfg.get("source_ip"):
            sock.bind((cfg["source_ip"], 0))
        await loop.sock_connect(sock, (cfg["host"], cfg["port"]))
    except BaseException:
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16))
    writer.write(wsclient.handshake_request(cfg["host"], cfg["port"], cfg["path"], key))
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        writer.close()
        raise wsclient.HandshakeError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return reader, writer


async def _flood(cfg: dict[str, Any], tally: Tally, stop: asyncio.Event, blob: bytes) -> None:
    while not stop.is_set():
        writer: asyncio.StreamWriter | None = None
        try:
            _, writer = await _connect(cfg)
            tally.connects += 1
            while not stop.is_set():
                writer.write(blob)
                await writer.drain()
                tally.frames_sent += FRAMES_PER_WRITE
        except (OSError, asyncio.IncompleteReadError, wsclient.HandshakeError):
            tally.cut += 1
        finally:
            if writer is not None:
                writer.transport.abort()
        if not cfg.get("reconnect", True):
            return
        await asyncio.sleep(RECONNECT_PAUSE_S)


async def main_async(cfg: dict[str, Any]) -> None:
    tally = Tally()
    stop = asyncio.Event()
    blob = ping_frames(int(cfg.get("payload_bytes", 0)), FRAMES_PER_WRITE)
    tasks: list[asyncio.Task[None]] = []
    channel.emit({"event": "ready", "cpu_s": channel.cpu_seconds()})
    async for cmd in channel.commands():
        if cmd["cmd"] == "start":
            tasks = [
                asyncio.create_task(_flood(cfg, tally, stop, blob)) for _ in range(cfg["count"])
            ]
        elif cmd["cmd"] == "stop":
            stop.set()
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
            channel.emit(
                {
                    "event": "report",
                    "connects": tally.connects,
                    "cut": tally.cut,
                    "frames_sent": tally.frames_sent,
                    "cpu_s": channel.cpu_seconds(),
                }
            )


def main() -> int:
    cfg = json.loads(sys.argv[1])
    channel.raise_fd_limit()
    asyncio.run(main_async(cfg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
