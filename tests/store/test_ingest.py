"""Batched ingest against a real store: every caller answered, nothing kept once answered."""

from __future__ import annotations

import asyncio

from liveevent.domain.applications import ApplyRequest
from liveevent.domain.events import LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import ApplicationLog, Applied, PendingApply
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.ingest import SWEEP_INTERVAL_S, ApplicationIngest
from tests.support import eventually


async def test_answered_applies_are_not_kept_until_their_deadline(
    conn: StoreConnection,
) -> None:
    events = EventStore(conn)
    await events.create_event(LiveEvent("e1", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("e1", [Job("j1", "A", "B")])
    ingest = ApplicationIngest(ApplicationLog(conn), max_batch=64, answer_within_s=60.0)
    ingest.start()
    try:
        futures = [
            ingest.enqueue(
                PendingApply(
                    "e1",
                    ApplyRequest(
                        job_id="j1",
                        name="n",
                        phone=f"1380000{n:04d}",
                        idempotency_key=None,
                        consent=True,
                    ),
                    "ws",
                    n,
                )
            )
            for n in range(500)
        ]
        assert ingest.watched == 500
        answers = await asyncio.gather(*futures)
        assert sorted(int(a.application_id) for a in answers) == list(range(1, 501))
        assert all(isinstance(a, Applied) and not a.duplicate for a in answers)
        # Well before the 60 s deadline, the sweep lets go of every answered apply (held
        # until then, they made each full garbage collection tens of ms longer under load).
        assert await eventually(lambda: ingest.watched == 0, 20 * SWEEP_INTERVAL_S)
    finally:
        await ingest.stop()
