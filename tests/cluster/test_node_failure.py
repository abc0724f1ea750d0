"""kill -9 of a node: its viewers resume on another node and miss nothing; the count recovers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from tests.cluster.nodes import NodeProcess
from tests.support import LiveServer, ViewerClient

pytestmark = pytest.mark.slow


async def test_kill_9_of_a_node_loses_no_viewer_message(
    server: LiveServer,
    make_server: Callable[..., Awaitable[LiveServer]],
    node_process: Callable[..., Awaitable[NodeProcess]],
) -> None:
    a, c = server, await make_server(node_id="c")
    b = await node_process("b")
    event = await a.create_event()
    await a.push(event, "j1")
    async with aiohttp.ClientSession() as session:
        on_b = []
        for _ in range(12):
            ws = await session.ws_connect(f"{b.url}/ws/events/{event.id}")
            on_b.append(ViewerClient(ws))
        cursors = [(await v.next())["cursor"] for v in on_b]
        on_a = await a.viewer(event)
        await on_a.next()
        assert await count_becomes(a, event, lambda n: n == 13)

        b.kill()
        for viewer in on_b:  # every socket of B is cut, without a close frame
            with pytest.raises(ConnectionError):
                await viewer.next(within_s=5)
        missed = [(await a.push(event, job))["card_id"] for job in ("j2", "j3", "j1")]
        # B's viewers vanish from the count once its report expires (node_ttl_s = 3 s).
        started = time.monotonic()
        assert await count_becomes(a, event, lambda n: n == 1)
        assert time.monotonic() - started < 6

        assert [(await on_a.next_of("card"))["card"]["card_id"] for _ in missed] == missed
        resumed = [await c.viewer(event, since=cursor) for cursor in cursors]
        for viewer in resumed:
            hello = await viewer.next()
            assert hello["type"] == "hello" and hello["resumed"] is True
            got = [(await viewer.next_of("card"))["card"]["card_id"] for _ in missed]
            assert got == missed  # everything missed, in order, nothing twice
        live = await a.push(event, "j2")
        for viewer in [*resumed, on_a]:
            card = await viewer.next_of("card")
            assert card["card"]["card_id"] == live["card_id"]
        assert await count_becomes(a, event, lambda n: n == 13)
        for viewer in [*resumed, on_a]:
            await viewer.close()


async def count_becomes(
    node: LiveServer, event: object, want: Callable[[int], bool], timeout_s: float = 8.0
) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if want((await node.stats(event))["viewers_online"]):  # type: ignore[arg-type]
            return True
        await asyncio.sleep(0.1)
    return False
