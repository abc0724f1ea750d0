"""kill -9 of the store under a steady stream of applications: nothing acknowledged is lost.

The store runs with ``appendfsync everysec`` (the usual production setting, where Redis may
reply before the AOF is on disk): the guarantee must come from WAITAOF, not from the setting.
Clients retry whatever had no answer with the same idempotency key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from liveevent.store.connect import Durability
from liveevent.web.appkeys import STORE
from tests.ledger import Ledger
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ApplyStream, ValkeyProcess, eventually
from tests.support import LiveServer

CRASHES = 3


@pytest.mark.slow
async def test_store_crash_loses_and_duplicates_nothing(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> None:
    store = await valkey(appendfsync="everysec")
    settings = fault_settings(store.url, tmp_path)
    server = await live_on(settings)
    assert server.app[STORE].durability is Durability.WAITAOF
    event = await server.create_event()
    ledger = Ledger()
    stream = ApplyStream(server.url, event.id, ledger, workers=16)
    task = asyncio.create_task(stream.run())

    recoveries: list[float] = []
    began = time.monotonic()
    for _ in range(CRASHES):
        await asyncio.sleep(2.0)
        store.kill()
        await asyncio.sleep(0.5)
        await store.start()
        back = time.monotonic()
        # Writes accepted again within 5 s of the store answering.

        def accepted(since: float = back) -> bool:
            return stream.first_ack_after(since) is not None

        await eventually(accepted, 5.0)
        first = stream.first_ack_after(back)
        assert first is not None, f"no write accepted within 5 s of the restart: {stream.errors}"
        recoveries.append(first - back)
    # Some more writes acknowledged after the recovery, then stop.
    more = len(stream.acks) + 20
    assert await eventually(lambda: len(stream.acks) >= more, 10.0)
    stream.stop()
    await task
    elapsed = time.monotonic() - began

    report = await ledger.check(store.url, settings.key_prefix, event.id)
    print(
        f"\nstore crash x{CRASHES}: {report.summary()}; "
        f"{report.acknowledged / elapsed:.0f} acknowledged applications/s overall; "
        f"recovery after restart {', '.join(f'{r:.2f}' for r in recoveries)} s; "
        f"errors {stream.errors}"
    )
    assert report.lost == [] and report.duplicated == [], report.summary()
    assert report.unexpected == [] and report.mismatched == [], report.summary()
    assert report.acknowledged == report.attempted, "every application got through in the end"
    assert max(recoveries) < 5.0
