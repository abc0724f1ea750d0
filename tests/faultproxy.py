"""A small TCP fault proxy for tests: sits between the app and the store and misbehaves.

Modes (``FaultProxy.mode``), applied to every byte from then on:

- ``FORWARD``: pass both ways.
- ``DELAY``: pass both ways, each chunk held back ``delay_s`` first.
- ``BLACKHOLE``: accept and read everything, forward nothing either way (a dead network path).
- ``RESET``: abort every open connection with a TCP reset, and new ones as they arrive.

And a targeted fault, ``drop_reply_after(marker, times)``: the next ``times`` connections that
send a chunk containing ``marker`` (say ``b"WAITAOF"``) have every reply from then on discarded,
while the command itself reaches the store: the write happens, its acknowledgement is lost.

And ``lose_reply_of(*markers, times)``: the next ``times`` chunks sent to the store that contain
every marker (``resp_arg(b"HSET")``, a script's SHA-1, a key name) are forwarded; the first reply
on that connection is then swallowed and the connection reset both ways. The client sees a
dropped connection after the store ran the command, which is what makes redis-py retry it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct


def resp_arg(word: bytes | str) -> bytes:
    """``word`` as one whole argument of a RESP command (``$4\\r\\nHSET\\r\\n``).

    A marker made of a whole argument cannot match inside a longer one (HSET in HSETNX).
    """
    raw = word.encode() if isinstance(word, str) else word
    return b"$%d\r\n%s\r\n" % (len(raw), raw)


class Mode(enum.Enum):
    FORWARD = "forward"
    DELAY = "delay"
    BLACKHOLE = "blackhole"
    RESET = "reset"


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream = upstream
        self.drop_replies = False
        self.lose_next_reply = False

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    # Linger 0: close() sends RST instead of FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode = Mode.FORWARD
        self.delay_s = 0.0
        self.port = 0
        self.links: set[_Link] = set()
        self.dropped_replies = 0  # chunks discarded by drop_reply_after
        self._drop_marker: bytes | None = None
        self._drop_left = 0
        self._lose_markers: tuple[bytes, ...] = ()
        self._lose_left = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self.links):
            link.client.transport.abort()
            link.upstream.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def set_mode(self, mode: Mode, *, delay_s: float = 0.0) -> None:
        self.mode = mode
        self.delay_s = delay_s
        if mode is Mode.RESET:
            for link in list(self.links):
                link.reset()

    def drop_reply_after(self, marker: bytes, times: int = 1) -> None:
        self._drop_marker = marker
        self._drop_left = times

    def lose_reply_of(self, *markers: bytes, times: int = 1) -> None:
        """Run the next ``times`` commands holding all ``markers``, lose their replies.

        A marker is looked for in one chunk as read from the client (a command's name, script
        SHA-1 and keys are in its first bytes, so they are never split from each other in
        practice). ``dropped_replies`` counts the replies lost.
        """
        if not markers:
            raise ValueError("lose_reply_of needs at least one marker")
        self._lose_markers = markers
        self._lose_left = times

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.RESET:
            _Link(writer, writer).reset()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        link = _Link(writer, up_writer)
        self.links.add(link)
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer, link, upward=True)),
            asyncio.create_task(self._pipe(up_reader, writer, link, upward=False)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: _Link,
        *,
        upward: bool,
    ) -> None:
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if upward and self._drop_left > 0 and not link.drop_replies:
                    if self._drop_marker is not None and self._drop_marker in chunk:
                        self._drop_left -= 1
                        link.drop_replies = True
                if upward and self._lose_left > 0 and not link.lose_next_reply:
                    if all(marker in chunk for marker in self._lose_markers):
                        self._lose_left -= 1
                        # Set before the command goes out: its reply cannot overtake this.
                        link.lose_next_reply = True
                if self.mode is Mode.BLACKHOLE:
                    continue
                if self.mode is Mode.RESET:
                    link.reset()
                    break
                if self.mode is Mode.DELAY and self.delay_s:
                    await asyncio.sleep(self.delay_s)
                if not upward and link.lose_next_reply:
                    self.dropped_replies += 1
                    link.reset()
                    break
                if not upward and link.drop_replies:
                    self.dropped_replies += 1
                    continue
                writer.write(chunk)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            self.links.discard(link)
            with contextlib.suppress(Exception):
                writer.transport.abort()
