"""The staff list, the activity chart and the bulk status change cost the same at any size.

Each test runs on a store of its own (the embedded Valkey in the test's directory), so that the
store's own counters (``INFO commandstats``, ``MONITOR``) see only this test's commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from liveevent.config import Secret, Settings
from liveevent.domain.applications import ApplyRequest
from liveevent.store.applications import PendingApply
from liveevent.store.embedded import EmbeddedStore
from liveevent.web.appkeys import APPLICATIONS
from tests.support import Event, LiveServer


@pytest.fixture
async def own(settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[LiveServer, str]]:
    """A server on a store that no other test uses, and that store's URL."""
    store = EmbeddedStore(tmp_path / "own")
    url = await store.start()
    live = LiveServer(replace(settings, redis_url=Secret(url)))
    await live.start()
    try:
        yield live, url
    finally:
        await live.stop()
        await store.stop()


async def add(server: LiveServer, event: Event, count: int, *, first: int = 0) -> None:
    """``count`` applications over jobs j1-j3 through the store's batched path."""
    log = server.app[APPLICATIONS]
    for start in range(first, first + count, 500):
        batch = [
            PendingApply(
                event.id,
                ApplyRequest.parse(
                    {"job_id": f"j{n % 3 + 1}", "name": "应聘者", "phone": f"137{n:08d}"}
                ),
                "http",
                now=1_767_222_000_000 + 50 * n,
            )
            for n in range(start, min(start + 500, first + count))
        ]
        results = await log.apply_batch(batch)
        assert all(hasattr(r, "application_id") for r in results), results[0]


async def store_time_us(
    store: aioredis.Redis, call: Callable[[], Awaitable[Any]], *, runs: int = 5
) -> float:
    """The median time the store spent serving ``call`` (``INFO commandstats`` usec)."""

    async def used() -> int:
        stats = await store.info("commandstats")
        return sum(int(v["usec"]) for k, v in stats.items() if k != "cmdstat_info")

    spent = []
    for _ in range(runs):
        before = await used()
        await call()
        spent.append(await used() - before)
    return statistics.median(spent)


async def test_a_page_and_the_chart_cost_the_store_the_same_at_twenty_times_the_size(
    own: tuple[LiveServer, str],
) -> None:
    server, url = own
    event = await server.create_event()
    await server.push(event, "j2")
    store = aioredis.from_url(url)
    base = f"/api/events/{event.id}"
    calls = {
        "unfiltered": f"{base}/applications?limit=50",
        "job": f"{base}/applications?job_id=j2&limit=50",
        "status": f"{base}/applications?status=applied&limit=50",
        "job and status": f"{base}/applications?job_id=j2&status=applied&limit=50&offset=40",
        "activity": f"{base}/activity",
    }

    async def measure() -> dict[str, float]:
        times = {}
        for name, path in calls.items():

            async def get(path: str = path) -> None:
                status, body = await server.call("GET", path, token=event.staff_token)
                assert status == 200, body

            times[name] = await store_time_us(store, get)
        return times

    try:
        await add(server, event, 300)
        small = await measure()
        await add(server, event, 5700, first=300)
        large = await measure()
    finally:
        await store.aclose()
    # A full scan costs ~20x here; the indexes keep it flat (2 ms of slack for a busy box).
    grew = {n: (small[n], large[n]) for n in calls if large[n] > 2 * small[n] + 2000}
    assert not grew, grew


async def test_bulk_status_change_is_one_store_call_whatever_the_number_of_ids(
    own: tuple[LiveServer, str],
) -> None:
    server, url = own
    event = await server.create_event()
    await add(server, event, 200)
    store = aioredis.from_url(url)
    marker = aioredis.from_url(url)
    await marker.ping()  # connected before: its handshake is not counted

    async def commands_of(ids: list[str], status: str) -> list[str]:
        """The commands the server sent (not those a script ran) while changing ``ids``."""
        seen: list[str] = []
        async with store.monitor() as monitor:

            async def collect() -> None:
                while True:
                    entry = await monitor.next_command()
                    if entry["command"] == "ECHO end-of-bulk":
                        return
                    if entry["client_type"] != "lua":
                        seen.append(entry["command"].split()[0].upper())

            collector = asyncio.create_task(collect())
            # No wait needed: entering ``monitor()`` read MONITOR's OK, so it is on already.
            code, body = await server.call(
                "PATCH",
                f"/api/events/{event.id}/applications",
                token=event.staff_token,
                json_body={"application_ids": ids, "status": status},
            )
            assert code == 200 and body["changed"] == ids, body
            await marker.echo("end-of-bulk")
            try:
                await asyncio.wait_for(collector, 10)
            finally:
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
        return seen

    try:
        await commands_of(["1"], "contacted")  # the first loads the script
        one = await commands_of(["1"], "interviewed")
        many = await commands_of([str(n) for n in range(2, 201)], "contacted")
    finally:
        await store.aclose()
        await marker.aclose()
    # The token check, then one script call (one per request, not per id).
    assert many == one and many.count("EVALSHA") == 1, (one, many)


async def test_an_unknown_status_filter_is_refused_naming_the_field(server: LiveServer) -> None:
    event = await server.create_event()
    status, body = await server.call(
        "GET",
        f"/api/events/{event.id}/applications?status=hird",
        token=event.staff_token,
    )
    assert status == 422 and "status" in body["error"]["fields"], body


async def test_activity_since_answers_only_what_changed_and_merges_into_the_whole(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    log = server.app[APPLICATIONS]
    minute = int(time.time() * 1000) // 60_000 * 60_000

    async def apply_at(n: int, at_ms: int) -> None:
        request = ApplyRequest.parse({"job_id": "j1", "name": "应聘者", "phone": f"135{n:08d}"})
        [applied] = await log.apply_batch([PendingApply(event.id, request, "http", now=at_ms)])
        assert hasattr(applied, "application_id"), applied

    for n, at in enumerate([-5, -5, -4, -2, -1]):
        await apply_at(n, minute + at * 60_000 + 1_000)
    await server.push(event, "j2")
    path = f"/api/events/{event.id}/activity"
    _, whole = await server.call("GET", path, token=event.staff_token)
    since = whole["since"]
    assert isinstance(since, int) and len(whole["buckets"]) >= 5, whole

    # More in the last minute, and a new push: only those come back.
    await apply_at(10, since * 60_000 + 2_000)
    await server.push(event, "j3")
    code, fresh = await server.call("GET", f"{path}?since={since}", token=event.staff_token)
    assert code == 200, fresh
    assert fresh["start"] == whole["start"]
    assert fresh["buckets"][0]["at"] == whole["buckets"][-1]["at"]
    assert len(fresh["buckets"]) <= 2 and len(fresh["pushes"]) <= 2, fresh
    # Merged as the staff page merges it, it is the whole chart fetched again.
    _, again = await server.call("GET", path, token=event.staff_token)
    cut = fresh["buckets"][0]["at"]
    fresh_ids = {p["card_id"] for p in fresh["pushes"]}
    merged = [b for b in whole["buckets"] if b["at"] < cut] + fresh["buckets"]
    pushes = [p for p in whole["pushes"] if p["card_id"] not in fresh_ids] + fresh["pushes"]
    assert (merged, pushes) == (again["buckets"], again["pushes"])

    code, body = await server.call("GET", f"{path}?since=soon", token=event.staff_token)
    assert code == 422 and "since" in body["error"]["fields"], body
