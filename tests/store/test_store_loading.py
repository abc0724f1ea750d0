"""A store restarting with a large AOF answers ``LOADING``: applies get a retryable error, never
an acknowledgement, and go through once it has loaded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.ledger import Ledger
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ApplyStream, ValkeyProcess, eventually
from tests.support import LiveServer

KEYS = 30_000
# Slow the load down (microseconds per key) and answer LOADING often while loading, so the
# window is a few seconds whatever the disk.
SLOW_LOAD = "key-load-delay 15\nloading-process-events-interval-bytes 1024"


@pytest.mark.slow
async def test_applies_during_loading_are_refused_then_accepted(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> None:
    store = await valkey()
    settings = fault_settings(store.url, tmp_path)
    server = await live_on(settings)
    event = await server.create_event()
    admin = store.client()
    try:
        await admin.execute_command("DEBUG", "POPULATE", KEYS, "filler", 64)
        await admin.bgrewriteaof()
        await asyncio.sleep(0.2)
        for _ in range(200):
            info = await admin.info("persistence")
            if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                break
            await asyncio.sleep(0.05)
    finally:
        await admin.aclose()

    ledger = Ledger()
    stream = ApplyStream(server.url, event.id, ledger, workers=8)
    task = asyncio.create_task(stream.run())
    assert await eventually(lambda: len(stream.acks) >= 20, 10.0), "the stream never got going"
    store.kill()
    store.extra = SLOW_LOAD
    await store.start(wait=False)
    loading_seen = False
    still_loading = loading_from = time.monotonic()
    admin = store.client()
    try:
        for _ in range(3000):  # INFO answers while loading: watch until it is done
            try:
                info = await admin.info("persistence")
            except Exception:
                await asyncio.sleep(0.02)
                continue
            if not info["loading"]:
                break
            if not loading_seen:
                loading_seen, loading_from = True, time.monotonic()
            still_loading = time.monotonic()
            await asyncio.sleep(0.01)
    finally:
        await admin.aclose()
    loaded = time.monotonic()
    await eventually(lambda: stream.first_ack_after(loaded) is not None, 5.0)
    # Some more writes acknowledged after the recovery, then stop.
    more = len(stream.acks) + 20
    assert await eventually(lambda: len(stream.acks) >= more, 10.0)
    stream.stop()
    await task

    report = await ledger.check(store.url, settings.key_prefix, event.id)
    # An acknowledgement received before the store was last seen loading was a write it
    # accepted while loading.
    during = stream.acks_between(loading_from, still_loading)
    first = stream.first_ack_after(loaded)
    print(
        f"\nLOADING: {KEYS} keys loaded in {loaded - loading_from:.2f} s; {report.summary()}; "
        f"acks while loading {during}; first ack {first - loaded if first else -1:.2f} s "
        f"after; {stream.errors}"
    )
    assert loading_seen, "the store was never seen loading: the test proved nothing"
    assert still_loading - loading_from > 1.0
    assert during == 0
    assert any(k.startswith("503") for k in stream.errors), stream.errors
    assert report.lost == [] and report.duplicated == [], report.summary()
    assert report.unexpected == [] and report.mismatched == [], report.summary()
    assert report.acknowledged == report.attempted
