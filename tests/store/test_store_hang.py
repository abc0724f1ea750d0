"""SIGSTOP of the store for 10 s: no false acknowledgement, a quick retryable error."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.ledger import Ledger
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ApplyStream, ValkeyProcess, Watcher, next_phone
from tests.support import LiveServer, eventually

HANG_S = 10.0
TIMEOUT_S = 1.0
# The configured timeout, plus what it takes to answer once it has passed.
ERROR_WITHIN_S = TIMEOUT_S + 0.5


@pytest.mark.slow
async def test_store_hang_gives_retryable_errors_and_keeps_viewers(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> None:
    store = await valkey()
    settings = fault_settings(store.url, tmp_path, store_timeout_s=TIMEOUT_S, ping_interval_s=1.0)
    server = await live_on(settings)
    event = await server.create_event()
    assert server.session is not None
    viewers = [
        Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
        for _ in range(3)
    ]
    for viewer in viewers:
        assert (await viewer.next_of("hello"))["type"] == "hello"

    ledger = Ledger()
    stream = ApplyStream(server.url, event.id, ledger, workers=8)
    task = asyncio.create_task(stream.run())
    assert await eventually(lambda: len(stream.acks) >= 20, 10.0), "the stream never got going"

    store.pause()
    hung_at = time.monotonic()
    try:
        await asyncio.sleep(0.5)
        # One apply over HTTP and one over the viewer socket, timed.
        # A 503 means "unknown": the write may still land when the store wakes up.
        phone = next_phone()
        ledger.attempted("j1", phone)
        ledger.unknown("j1", phone)
        started = time.monotonic()
        status, body = await server.apply(event, "j1", phone)
        http_s = time.monotonic() - started
        assert status == 503, body
        assert body["error"]["code"] == "store_unavailable"
        assert http_s < ERROR_WITHIN_S, f"the error took {http_s:.2f} s"
        started = time.monotonic()
        phone = next_phone()
        ledger.attempted("j1", phone)
        ledger.unknown("j1", phone)
        await viewers[0].send(
            {"type": "apply", "ref": "r1", "job_id": "j1", "name": "王五", "phone": phone}
        )
        reply = await viewers[0].next_of("error")
        ws_s = time.monotonic() - started
        assert reply["ref"] == "r1" and reply["retry"] is True, reply
        assert ws_s < ERROR_WITHIN_S, f"the error took {ws_s:.2f} s"
        await asyncio.sleep(HANG_S - (time.monotonic() - hung_at))
        # Replies the store wrote before it stopped may still arrive in the first moments.
        acks_during = stream.acks_between(hung_at + 0.3, time.monotonic())
    finally:
        store.resume()
    resumed_at = time.monotonic()

    # Viewers stayed connected through the hang (heartbeat every second) and still get pushes.
    pushed = await server.push(event, "j2")
    for viewer in viewers:
        assert not viewer.closed, f"a viewer was disconnected: {viewer.close_code}"
        card = await viewer.next_of("card", 10)
        assert card["card"]["card_id"] == pushed["card_id"]
    # Some more writes acknowledged after the recovery, then stop.
    more = len(stream.acks) + 20
    assert await eventually(lambda: len(stream.acks) >= more, 10.0)
    stream.stop()
    await task

    report = await ledger.check(store.url, settings.key_prefix, event.id)
    first = stream.first_ack_after(resumed_at)
    print(
        f"\nstore hang {HANG_S:.0f} s: {report.summary()}; acks during hang {acks_during}; "
        f"slowest error {stream.max_error_s:.2f} s (http {http_s:.2f} s, ws {ws_s:.2f} s); "
        f"first ack {first - resumed_at if first else -1:.2f} s after SIGCONT; {stream.errors}"
    )
    assert acks_during == 0, "nothing can be acknowledged while the store is stopped"
    assert stream.max_error_s < ERROR_WITHIN_S
    assert report.lost == [] and report.duplicated == [], report.summary()
    assert report.unexpected == [] and report.mismatched == [], report.summary()
    for viewer in viewers:
        await viewer.close()
