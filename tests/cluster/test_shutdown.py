"""SIGTERM: a node stops taking viewers, closes its sockets with 1001, finishes in-flight applies.

Also ``--workers 2``: two processes on one port, each a node, both drained by one SIGTERM.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator

import aiohttp
import pytest

from tests.cluster.nodes import NodeProcess
from tests.support import Event, LiveServer, eventually

pytestmark = pytest.mark.slow


async def test_sigterm_refuses_new_viewers_then_closes_with_1001(
    server: LiveServer, node_process: Callable[..., Awaitable[NodeProcess]]
) -> None:
    event = await server.create_event()
    # Four clients apply as fast as they can from one address: no per-address limit here
    # (a faster store, such as one without fsync, would otherwise meet it and answer 429).
    node = await node_process("leaving", LIVEEVENT_APPLY_RATE_PER_IP="0")
    acknowledged: set[str] = set()
    phones = (f"137{n:08d}" for n in itertools.count())
    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(f"{node.url}/ws/events/{event.id}") for _ in range(20)]
        for ws in sockets:
            assert (await ws.receive_json(timeout=5))["type"] == "hello"
        stop = asyncio.Event()
        appliers = [
            asyncio.create_task(keep_applying(session, node, event, phones, acknowledged, stop))
            for _ in range(4)
        ]
        assert await eventually(lambda: len(acknowledged) > 0, 10.0)  # applying under way
        node.terminate()
        closes = []
        for ws in sockets:
            msg = await ws.receive(timeout=10)
            while msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                msg = await ws.receive(timeout=10)
            # The code the node sent (ws.close_code may read 1006 when the node has already
            # hung up by the time this client answers the close).
            closes.append(msg.data if msg.type == aiohttp.WSMsgType.CLOSE else msg.type)
            if len(closes) == 1:
                # Sockets are being closed: the node is no longer taking anybody.
                with pytest.raises(aiohttp.ClientError):
                    await session.ws_connect(f"{node.url}/ws/events/{event.id}")
        assert closes == [1001] * 20
        assert await node.wait() == 0
        stop.set()
        await asyncio.gather(*appliers)
    stats = await server.stats(event)
    assert len(acknowledged) > 0
    assert stats["applications"] >= len(acknowledged)  # every acknowledged one was stored


async def keep_applying(
    session: aiohttp.ClientSession,
    node: NodeProcess,
    event: Event,
    phones: Iterator[str],
    acknowledged: set[str],
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        phone = next(phones)
        body = {"job_id": "j1", "name": "王五", "phone": phone}
        try:
            async with session.post(
                f"{node.url}/api/events/{event.id}/applications", json=body
            ) as resp:
                if resp.status == 201:
                    acknowledged.add((await resp.json())["application_id"])
                else:
                    assert resp.status == 503
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)  # the node is gone: nothing was acknowledged


async def test_two_workers_share_the_port_and_drain_together(
    server: LiveServer, node_process: Callable[..., Awaitable[NodeProcess]]
) -> None:
    event = await server.create_event()
    node = await node_process("multi", LIVEEVENT_WORKERS="2")
    # A connection of its own each time: the kernel picks the worker per connection.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        assert await workers_seen(session, node) == {"multi-0", "multi-1"}
        sockets = [await session.ws_connect(f"{node.url}/ws/events/{event.id}") for _ in range(24)]
        for ws in sockets:
            assert (await ws.receive_json(timeout=5))["type"] == "hello"
        assert await wait_count(server, event, 24)
        node.terminate()
        for ws in sockets:
            msg = await ws.receive(timeout=10)
            while msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
        assert await node.wait() == 0


async def workers_seen(session: aiohttp.ClientSession, node: NodeProcess) -> set[str]:
    """The node labels /metrics answers with, over many connections (both workers up)."""
    seen: set[str] = set()
    for _ in range(100):
        async with session.get(f"{node.url}/metrics") as resp:
            text = await resp.text()
        seen.update(
            line.split('node="')[1].split('"')[0]
            for line in text.splitlines()
            if line.startswith("liveevent_viewers{")
        )
        if len(seen) == 2:
            break
        await asyncio.sleep(0.05)
    return seen


async def wait_count(server: LiveServer, event: Event, want: int) -> bool:
    for _ in range(80):
        if (await server.stats(event))["viewers_online"] == want:
            return True
        await asyncio.sleep(0.1)
    return False
