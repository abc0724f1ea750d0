"""Open consoles share one ``stats`` computation per event per tick (``web/stats_feed.py``):
N host and staff sockets cost the store what one does, and each still gets fresh figures."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from liveevent.web.appkeys import APPLICATIONS, STATS_FEED
from liveevent.web.host import INTERVAL_S
from tests.support import Event, LiveServer, eventually

CONSOLES = 8


async def _console(server: LiveServer, event: Event, token: str) -> aiohttp.ClientWebSocketResponse:
    assert server.session is not None
    ws = await server.session.ws_connect(f"{server.url}/ws/host/{event.id}")
    await ws.send_json({"type": "auth", "token": token})
    assert (await ws.receive_json(timeout=5))["type"] == "welcome"
    return ws


class _Latest:
    """Reads a console's stats messages in the background, keeping the latest."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.stats: dict[str, Any] = {}
        self.task = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                message = msg.json()
                if message.get("type") == "stats":
                    self.stats = message


def _all_show(readers: list[_Latest], applications: int) -> bool:
    return all(r.stats.get("applications") == applications for r in readers)


async def test_n_consoles_cause_one_computation_per_tick(server: LiveServer) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    # Count the reads of the event's counters hash with MONITOR (a real count of store calls).
    assert server.settings.redis_url is not None
    counters_key = server.app[APPLICATIONS].keys.event(event.id).counters
    counters_key = counters_key.decode() if isinstance(counters_key, bytes) else counters_key
    reads: list[str] = []
    markers: list[str] = []
    monitor_client = aioredis.from_url(server.settings.redis_url.reveal())
    marker_client = aioredis.from_url(server.settings.redis_url.reveal())

    async def watch() -> None:
        async with monitor_client.monitor() as monitor:
            async for command in monitor.listen():
                text = command["command"]
                if text.upper().startswith(f"HGETALL {counters_key}".upper()):
                    reads.append(text)
                elif text.startswith("ECHO stats-feed-marker"):
                    markers.append(text)

    async def mark() -> None:
        """Wait until MONITOR has shown every command sent before this call."""
        seen = len(markers)

        async def echoed() -> bool:  # resent until seen: MONITOR may not have started yet
            await marker_client.execute_command("ECHO", "stats-feed-marker")
            return len(markers) > seen

        assert await eventually(echoed, 5.0, step_s=0.05)

    watcher = asyncio.create_task(watch())
    consoles: list[aiohttp.ClientWebSocketResponse] = []
    readers: list[_Latest] = []
    try:
        await mark()
        # How many counters reads one computation of the figures makes (GET /stats computes
        # them once, as one tick does).
        await server.stats(event)
        await mark()
        per_computation = len(reads)
        assert per_computation >= 1

        consoles = [
            await _console(server, event, event.host_token if i % 2 else event.staff_token)
            for i in range(CONSOLES)
        ]
        readers = [_Latest(ws) for ws in consoles]
        assert await eventually(lambda: all(r.stats for r in readers), 5.0)
        assert server.app[STATS_FEED].consoles(event.id) == CONSOLES

        await mark()
        began, before = time.monotonic(), len(reads)
        for n, phone in enumerate(("13800000001", "13800000002"), start=1):
            status, _ = await server.apply(event, "j1", phone)
            assert status in (200, 201, 202)
            # Fresh figures on every console, every round.
            assert await eventually(functools.partial(_all_show, readers, n), 5.0), [
                r.stats.get("applications") for r in readers
            ]
        await mark()
        elapsed = time.monotonic() - began
        computations = (len(reads) - before) / per_computation
        # One per tick for all eight (not eight per tick), give or take the window's edges.
        assert computations <= elapsed / INTERVAL_S + 2, (computations, elapsed)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await monitor_client.aclose()
        await marker_client.aclose()
        for ws in consoles:
            await ws.close()
        for reader in readers:
            await asyncio.gather(reader.task, return_exceptions=True)
    # The last console out stops the event's ticker.
    assert await eventually(lambda: server.app[STATS_FEED].consoles(event.id) == 0, 5.0)
