"""A store out of memory (``maxmemory`` + ``noeviction``): writes fail cleanly, nothing is
acknowledged that is not stored, /healthz says so, and nothing already stored disappears. A
store whose eviction policy could drop applications is refused at start."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from liveevent.errors import StoreUnavailable
from liveevent.store.keys import Keys
from tests.ledger import Ledger
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ApplyStream, ValkeyProcess, Watcher, next_phone
from tests.support import LiveServer


@pytest.mark.slow
async def test_out_of_memory_refuses_cleanly_and_keeps_what_was_stored(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> None:
    store = await valkey()
    settings = fault_settings(store.url, tmp_path)
    server = await live_on(settings)
    event = await server.create_event()
    apps_key = Keys(settings.key_prefix).event(event.id).apps
    admin = store.client()
    try:
        used = int((await admin.info("memory"))["used_memory"])
        await admin.config_set("maxmemory", used + 400_000)

        ledger = Ledger()
        stream = ApplyStream(server.url, event.id, ledger, workers=8)
        task = asyncio.create_task(stream.run(settle_s=0.5))
        for _ in range(300):  # until the store starts refusing
            if any(k.startswith("503") for k in stream.errors):
                break
            await asyncio.sleep(0.05)
        assert stream.errors, "the store never ran out of memory"
        await asyncio.sleep(1.0)
        stream.stop()
        await task
        stored_before = await admin.xlen(apps_key)

        status, body = await server.call("GET", "/healthz")
        assert status == 503 and body["store"] == "out of memory", body
        status, body = await server.apply(event, "j1", next_phone())
        assert status == 503 and body["error"]["code"] == "store_unavailable", body
        assert server.session is not None
        viewer = Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
        await viewer.next_of("hello")
        await viewer.send(
            {"type": "apply", "ref": 7, "job_id": "j2", "name": "王五", "phone": next_phone()}
        )
        reply = await viewer.next_of("error")
        assert reply["ref"] == 7 and reply["retry"] is True, reply
        await viewer.close()

        report = await ledger.check(store.url, settings.key_prefix, event.id)
        print(f"\nOOM: {report.summary()}; stored before refusing {stored_before}; {stream.errors}")
        assert report.lost == [] and report.duplicated == [], report.summary()
        assert report.unexpected == [] and report.mismatched == [], report.summary()
        assert report.stored == report.acknowledged == stored_before
        assert await admin.xlen(apps_key) == stored_before

        await admin.config_set("maxmemory", 0)  # memory freed: writes go through again
        status, body = await server.apply(event, "j1", next_phone())
        assert status == 201, body
        status, body = await server.call("GET", "/healthz")
        assert status == 200, body
    finally:
        await admin.aclose()


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
async def test_refuses_to_start_on_a_store_that_evicts(
    valkey: Callable[..., Awaitable[ValkeyProcess]], tmp_path: Path, policy: str
) -> None:
    store = await valkey(extra=f"maxmemory-policy {policy}")
    server = LiveServer(fault_settings(store.url, tmp_path))
    with pytest.raises(StoreUnavailable, match="maxmemory-policy"):
        await server.start()
    await server.stop()
