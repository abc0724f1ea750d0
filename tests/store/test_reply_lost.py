"""A TCP fault proxy between the app and the store: replies dropped, delayed, reset, blackholed.

In every case a retried apply is stored exactly once and nothing is acknowledged that is not
stored.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.faultproxy import FaultProxy, Mode
from tests.ledger import Ledger
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ApplyStream, ValkeyProcess, next_phone
from tests.support import Event, LiveServer, eventually


@pytest.fixture
async def proxied(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> AsyncIterator[tuple[ValkeyProcess, FaultProxy, LiveServer, Event]]:
    store = await valkey()
    proxy = FaultProxy("127.0.0.1", store.port)
    await proxy.start()
    server = await live_on(fault_settings(proxy.url, tmp_path))
    event = await server.create_event()
    try:
        yield store, proxy, server, event
    finally:
        await server.stop()
        await proxy.stop()


async def test_lost_reply_then_retry_stores_once(
    proxied: tuple[ValkeyProcess, FaultProxy, LiveServer, Event],
) -> None:
    store, proxy, server, event = proxied
    key, phone = uuid.uuid4().hex, next_phone()
    ledger = Ledger()
    proxy.drop_reply_after(b"WAITAOF", times=1)
    ledger.attempted("j1", phone)
    status, body = await server.apply(event, "j1", phone, idempotency_key=key)
    assert proxy.dropped_replies >= 1, "the fault did not fire"
    if status == 503:  # the app gave up on the lost reply: nothing acknowledged, retry
        ledger.unknown("j1", phone)
        ledger.attempted("j1", phone)
        status, body = await server.apply(event, "j1", phone, idempotency_key=key)
    assert status == 201 and body["duplicate"] is False, body
    ledger.acknowledged("j1", phone, body["application_id"])
    # Once more, as a client that never heard the 201 would.
    status, again = await server.apply(event, "j1", phone, idempotency_key=key)
    assert status == 201 and again["application_id"] == body["application_id"]
    report = await ledger.check(store.url, server.settings.key_prefix, event.id)
    assert report.ok and report.stored == 1, report.summary()


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["drop-replies", "delay", "reset", "blackhole"])
async def test_faulty_link_under_load(
    proxied: tuple[ValkeyProcess, FaultProxy, LiveServer, Event], fault: str
) -> None:
    store, proxy, server, event = proxied
    ledger = Ledger()
    stream = ApplyStream(server.url, event.id, ledger, workers=8)
    task = asyncio.create_task(stream.run())
    assert await eventually(lambda: len(stream.acks) > 0, 10.0), "the stream never got going"
    began = time.monotonic()
    # The other faults last a set time under load (their sleeps are durations, not waits).
    if fault == "drop-replies":
        proxy.drop_reply_after(b"WAITAOF", times=2)
        assert await eventually(lambda: proxy.dropped_replies >= 2, 10.0), "it never fired"
    elif fault == "delay":
        proxy.set_mode(Mode.DELAY, delay_s=0.3)  # every chunk, both ways
        await asyncio.sleep(2.0)
    elif fault == "reset":
        for _ in range(4):
            proxy.set_mode(Mode.RESET)
            await asyncio.sleep(0.2)
            proxy.set_mode(Mode.FORWARD)
            await asyncio.sleep(0.3)
    else:
        proxy.set_mode(Mode.BLACKHOLE)
        await asyncio.sleep(2.0)
        during = stream.acks_between(began + 0.3, time.monotonic())
        assert during == 0, "acknowledged while no reply could come back"
    proxy.set_mode(Mode.FORWARD)
    restored = time.monotonic()
    # Applies are acknowledged again (within the bound asserted below) before the stop.
    await eventually(lambda: stream.first_ack_after(restored) is not None, 5.0)
    stream.stop()
    await task
    report = await ledger.check(store.url, server.settings.key_prefix, event.id)
    first = stream.first_ack_after(restored)
    print(
        f"\nproxy {fault}: {report.summary()}; dropped reply chunks {proxy.dropped_replies}; "
        f"first ack {first - restored if first else -1:.2f} s after the link healed; "
        f"{stream.errors}"
    )
    assert report.lost == [] and report.duplicated == [], report.summary()
    assert report.unexpected == [] and report.mismatched == [], report.summary()
    assert report.acknowledged == report.attempted
    assert first is not None and first - restored < 5.0
