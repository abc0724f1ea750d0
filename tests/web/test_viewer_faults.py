"""Viewers that misbehave: one that stops reading, one that never answers pings."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from liveevent.web.appkeys import HUB
from tests.reliability.rawws import RawViewer
from tests.reliability.support import Watcher
from tests.support import JOBS, LiveServer

WRITE_BUFFER_LIMIT = 64 * 1024
# Cards of about 12 KB each (4,000 characters of description), so a stalled viewer's buffers
# fill after a few dozen pushes.
BIG_JOBS = [dict(job, description="岗位职责：" + "负责片区运营与客户服务。" * 332) for job in JOBS]


async def _push_and_time(
    server: LiveServer, event_id: str, token: str, fast: list[Watcher], job_id: str
) -> float:
    """Push one card; seconds until every fast viewer has it."""
    started = time.monotonic()
    status, body = await server.call(
        "POST", f"/api/events/{event_id}/cards", token=token, json_body={"job_id": job_id}
    )
    assert status == 201, body
    for viewer in fast:
        while True:
            card = await viewer.next_of("card")
            if card["card"]["card_id"] == body["card_id"]:
                break
    return time.monotonic() - started


@pytest.mark.slow
async def test_slow_viewer_is_dropped_and_others_are_unaffected(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    server = await make_server(write_buffer_limit_bytes=WRITE_BUFFER_LIMIT)
    event = await server.create_event(jobs=BIG_JOBS)
    assert server.session is not None
    fast = [
        Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
        for _ in range(5)
    ]
    for viewer in fast:
        await viewer.next_of("hello")

    baseline = [
        await _push_and_time(server, event.id, event.host_token, fast, f"j{n % 3 + 1}")
        for n in range(30)
    ]
    # The slow viewer: a tiny receive window, reads its hello and then nothing more.
    slow = await RawViewer.connect(server.port, f"/ws/events/{event.id}", rcvbuf=4096)
    assert (await slow.message())["type"] == "hello"
    channel = server.app[HUB].channels[event.id]
    assert channel.count == 6

    stalled_at = time.monotonic()
    pushes_until_dropped = None
    dropped_after_s = None
    during = []
    for n in range(300):
        during.append(
            await _push_and_time(server, event.id, event.host_token, fast, f"j{n % 3 + 1}")
        )
        if pushes_until_dropped is None and channel.dropped >= 1:
            pushes_until_dropped, dropped_after_s = n + 1, time.monotonic() - stalled_at
    slow.close()

    p95_before = statistics.quantiles(baseline, n=20)[-1]
    p95_during = statistics.quantiles(during, n=20)[-1]
    print(
        f"\nslow viewer: dropped after {pushes_until_dropped} pushes "
        f"({dropped_after_s or -1:.2f} s, ~{(pushes_until_dropped or 0) * 12} KB of cards); "
        f"fast viewers' delivery p95 {p95_before * 1000:.1f} ms before, "
        f"{p95_during * 1000:.1f} ms with a stalled viewer"
    )
    assert pushes_until_dropped is not None, "the stalled viewer was never dropped"
    assert dropped_after_s is not None and dropped_after_s < 10
    assert channel.count == 5
    assert all(not v.closed for v in fast)
    assert p95_during < 3 * p95_before + 0.05
    for viewer in fast:
        await viewer.close()


async def test_dead_peer_is_closed_by_the_heartbeat(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    server = await make_server(ping_interval_s=0.5)
    event = await server.create_event()
    assert server.session is not None
    url = f"{server.url}/ws/events/{event.id}"
    healthy = Watcher(await server.session.ws_connect(url))
    dead = await server.session.ws_connect(url, autoping=False)  # never answers a ping

    started = time.monotonic()
    pings = 0
    kind = None
    while time.monotonic() - started < 5:
        msg = await dead.receive(timeout=5)
        if msg.type == aiohttp.WSMsgType.PING:
            pings += 1
            continue
        if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            continue
        kind = msg.type
        break
    closed_after = time.monotonic() - started
    print(f"\ndead peer: closed after {closed_after:.2f} s ({pings} unanswered pings), {kind}")
    assert kind in (
        aiohttp.WSMsgType.CLOSE,
        aiohttp.WSMsgType.CLOSING,
        aiohttp.WSMsgType.CLOSED,
        aiohttp.WSMsgType.ERROR,
    )
    assert closed_after < 2.0
    await asyncio.sleep(1.0)
    assert not healthy.closed, "a viewer answering pings must stay"
    assert server.app[HUB].local_viewers(event.id) == 1
    await healthy.close()
    await dead.close()
