"""Where a viewer's frames go: straight onto aiohttp's transport, or through aiohttp.

The fan-out (``web.hub``) builds each message's frame once (``web.frames``) and writes the same
bytes to every viewer. The fast way is to write them onto the connection's asyncio transport,
past aiohttp's ``WebSocketResponse``: no coroutine, no task, no per-viewer framing. That is
correct only while aiohttp itself would have written the same bytes there, that is while:

- no per-message compression was negotiated (``ws.compress`` is 0): a compressed connection's
  frames carry RSV1 and deflated payloads, which plain frames are not;
- aiohttp's writer writes frames unmasked, synchronously, onto that same transport
  (``WebSocketWriter.transport is request.transport``, ``use_mask`` false): then a frame we
  write and one aiohttp writes (a reply, a close) land whole and in order.

``sink_for`` checks those preconditions once per connection and answers the transport itself
when they hold, or a ``SocketSink`` that hands each frame's payload to aiohttp's own
``send_frame`` (in order, one task per viewer at a time) when they do not, so that an aiohttp
that negotiates compression or changes how it writes stays correct, only slower. This is the
one module that reaches into aiohttp's websocket internals (``ws._writer``): its test
(``tests/web/test_wire.py``) fails if they change, and ``pyproject.toml`` pins the aiohttp
range it was verified on.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.http_websocket import WebSocketWriter

from liveevent.web.frames import unframe

log = logging.getLogger(__name__)


def raw_path_ok(ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> bool:
    """Whether frames may be written straight onto ``transport`` for this prepared ``ws``
    (the preconditions in the module docstring). Raises nothing."""
    if transport is None or ws.compress:
        return False
    # Private, on purpose: whether aiohttp writes straight to this transport is nowhere public.
    writer = getattr(ws, "_writer", None)
    return (
        type(writer) is WebSocketWriter
        and writer.transport is transport
        and not writer.use_mask
        and not writer.compress
    )


class SocketSink:
    """A transport-like sink for one viewer that sends through aiohttp (the fallback).

    ``write(frame)`` takes a complete frame as ``web.frames`` builds it and queues its payload
    for ``WebSocketResponse.send_frame``; frames go out in the order written, by one task at a
    time. ``get_write_buffer_size`` counts what is queued plus what the transport holds, so the
    fan-out's slow-viewer cut works as on the raw path; ``abort`` drops the connection. None of
    its methods raise: a send that fails aborts the connection.
    """

    __slots__ = ("_queue", "_queued", "_task", "transport", "ws")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self.transport = transport
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued = 0
        self._task: asyncio.Task[None] | None = None

    def write(self, data: bytes) -> None:
        """Queue one complete frame (``frames.frame``, or ``PING_FRAME``). Never waits."""
        self._queue.append(data)
        self._queued += len(data)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send())

    def get_write_buffer_size(self) -> int:
        """Bytes queued here and still unsent in the transport."""
        held = self.transport.get_write_buffer_size() if self.transport is not None else 0
        return self._queued + held

    def is_closing(self) -> bool:
        """True once the connection is closed or closing."""
        return self.ws.closed or self.transport is None or self.transport.is_closing()

    def abort(self) -> None:
        """Drop the connection at once; what is queued is discarded."""
        self._queue.clear()
        self._queued = 0
        if self.transport is not None:
            self.transport.abort()

    async def _send(self) -> None:
        while self._queue:
            data = self._queue.popleft()
            opcode, payload = unframe(data)
            try:
                await self.ws.send_frame(payload, WSMsgType(opcode))
            except (ConnectionError, RuntimeError):  # closed meanwhile (aiohttp's own errors)
                self.abort()
                return
            finally:
                self._queued = max(0, self._queued - len(data))


_warned = False


def sink_for(ws: web.WebSocketResponse, request: web.Request) -> Any:
    """Where the fan-out writes this prepared viewer socket's frames: ``request.transport``
    when ``raw_path_ok``, else a ``SocketSink`` (logged once per process as a warning: the
    fan-out is slower that way). Either has ``write``, ``get_write_buffer_size``,
    ``is_closing`` and ``abort``. Raises nothing."""
    global _warned
    transport = request.transport
    if raw_path_ok(ws, transport):
        return transport
    if not _warned:
        _warned = True
        log.warning(
            "viewer frames go through aiohttp's send_frame: the raw path's preconditions fail"
        )
    return SocketSink(ws, transport)
