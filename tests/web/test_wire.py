"""Where viewer frames go (``web/wire.py``): the raw path's preconditions on the aiohttp in use,
and the fallback through aiohttp's own sending when they do not hold.

If aiohttp starts negotiating permessage-deflate on viewer sockets, or changes how its writer
writes (the attributes the raw path relies on), the first test fails: the fallback keeps
viewers correct meanwhile, and the pin in ``pyproject.toml`` is then to be revisited.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import msgpack
import pytest
from aiohttp import web

from liveevent.store.embedded import free_port
from liveevent.web.appkeys import HUB
from liveevent.web.frames import BINARY, PING_FRAME, TEXT, Outgoing, frame, unframe
from liveevent.web.wire import SocketSink, raw_path_ok, sink_for
from tests.support import LiveServer, eventually


async def test_viewer_sockets_take_the_raw_path_and_refuse_compression(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    assert server.session is not None
    # The client offers permessage-deflate; the server must not take it.
    ws = await server.session.ws_connect(f"{server.url}/ws/events/{event.id}", compress=15)
    try:
        assert "Sec-WebSocket-Extensions" not in ws._response.headers
        assert ws.compress == 0
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        channel = server.app[HUB].channels[event.id]
        [viewer] = channel.live | channel.joining
        # The hub writes onto the asyncio transport itself: aiohttp still writes there, unmasked,
        # synchronously, with no compression (``raw_path_ok``).
        assert not isinstance(viewer.transport, SocketSink)
        assert isinstance(viewer.transport, asyncio.Transport)
        pushed = await server.push(event, "j1")
        card = await ws.receive_json(timeout=5)
        assert card["card"]["card_id"] == pushed["card_id"]
    finally:
        await ws.close()


# -- the fallback, on a real aiohttp server that negotiates compression -----------------------

Sinks = asyncio.Queue[tuple[object, web.WebSocketResponse]]


@pytest.fixture
async def deflating() -> AsyncIterator[tuple[str, Sinks]]:
    """A websocket endpoint that accepts permessage-deflate, as a future aiohttp might; each
    connection's ``sink_for`` answer and socket are put on the queue."""
    sinks: Sinks = asyncio.Queue()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=True)
        await ws.prepare(request)
        await sinks.put((sink_for(ws, request), ws))
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/ws", sinks
    finally:
        await runner.cleanup()


async def test_with_compression_frames_go_through_aiohttp_in_order(
    deflating: tuple[str, Sinks],
) -> None:
    url, sinks = deflating
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url, compress=15, autoping=False)
        assert ws.compress == 15  # negotiated: raw frames would be wrong here
        sink, server_ws = await asyncio.wait_for(sinks.get(), 5)
        assert isinstance(sink, SocketSink)
        assert not raw_path_ok(server_ws, sink.transport)
        card = {"type": "card", "title": "仓储管理员", "n": 3}
        big = {"type": "card", "text": "岗" * 30000}  # a 64-bit length frame
        out, large = Outgoing(card), Outgoing(big)
        for data in (out.text_frame(), out.binary_frame(), PING_FRAME, large.text_frame()):
            sink.write(data)
        assert sink.get_write_buffer_size() > 0  # counted while queued
        first = await ws.receive(timeout=5)
        assert (first.type, json.loads(first.data)) == (aiohttp.WSMsgType.TEXT, card)
        second = await ws.receive(timeout=5)
        assert second.type == aiohttp.WSMsgType.BINARY
        assert msgpack.unpackb(second.data, raw=False) == card
        assert (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.PING
        fourth = await ws.receive(timeout=5)
        assert json.loads(fourth.data) == big
        assert await eventually(lambda: sink._queued == 0, 5)
        assert not sink.is_closing()
        sink.abort()
        gone = await ws.receive(timeout=5)
        assert gone.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert sink.is_closing()


def test_without_a_transport_there_is_no_raw_path() -> None:
    assert not raw_path_ok(web.WebSocketResponse(), None)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_unframe_inverts_frame(size: int, opcode: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    assert unframe(frame(payload, opcode)) == (opcode, payload)


@pytest.mark.parametrize(
    "data", [b"", b"\x81", b"\x81\x85abcd", frame(b"ab", TEXT) + b"x", frame(b"ab", TEXT)[:-1]]
)
def test_unframe_refuses_what_is_not_one_unmasked_frame(data: bytes) -> None:
    with pytest.raises(ValueError):
        unframe(data)
