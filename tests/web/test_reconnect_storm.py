"""Reconnect storm: 2,000 viewers drop at once and come back with jittered backoff; all resume
with no gap within 15 s."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import pytest

from liveevent.web.appkeys import HUB
from tests.reliability.rawws import RawViewer
from tests.support import LiveServer

VIEWERS = 2000
MISSED = 3
JITTER_S = 3.0


async def _connect(port: int, path: str) -> RawViewer:
    """Connect with exponential backoff and jitter, as the viewer page does."""
    delay = 0.2
    for _ in range(12):
        try:
            return await RawViewer.connect(port, path)
        except (ConnectionError, OSError):
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)
    raise ConnectionError("could not reconnect")


@pytest.mark.slow
async def test_reconnect_storm_all_resume_without_gaps(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    server = await make_server(max_sockets_per_ip=VIEWERS * 2)
    event = await server.create_event()
    await server.push(event, "j1")
    path = f"/ws/events/{event.id}"

    viewers: list[RawViewer] = []
    for start in range(0, VIEWERS, 200):  # connected a few hundred at a time
        viewers += await asyncio.gather(
            *(_connect(server.port, path) for _ in range(start, min(start + 200, VIEWERS)))
        )
    hellos = await asyncio.gather(*(v.message() for v in viewers))
    cursors = [h["cursor"] for h in hellos]
    assert len(set(cursors)) == 1
    assert server.app[HUB].local_viewers(event.id) == VIEWERS

    dropped_at = time.monotonic()
    for viewer in viewers:
        viewer.abort()
    missed = [(await server.push(event, f"j{n % 3 + 1}"))["cursor"] for n in range(MISSED)]

    async def come_back(cursor: str) -> tuple[RawViewer, float]:
        await asyncio.sleep(random.uniform(0, JITTER_S))
        viewer = await _connect(server.port, f"{path}?since={cursor}")
        hello = await viewer.message()
        assert hello["resumed"] is True, hello
        got = [(await viewer.message())["cursor"] for _ in range(MISSED)]
        assert got == missed, "a gap or a duplicate in the replay"
        return viewer, time.monotonic()

    results = await asyncio.wait_for(asyncio.gather(*(come_back(c) for c in cursors)), 15)
    resumed_in = max(t for _, t in results) - dropped_at
    back = [v for v, _ in results]
    live = await server.push(event, "j2")
    finals = await asyncio.gather(*(v.message() for v in back))
    all_done = time.monotonic() - dropped_at
    print(
        f"\nreconnect storm: {VIEWERS} viewers resumed {MISSED} missed cards within "
        f"{resumed_in:.2f} s of dropping (jitter {JITTER_S:.0f} s); all had the next live card "
        f"at {all_done:.2f} s"
    )
    assert all(f["cursor"] == live["cursor"] for f in finals)
    assert all_done < 15
    for viewer in back:
        viewer.close()
