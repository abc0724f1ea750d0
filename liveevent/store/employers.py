"""Employers in the store: their records (name, contact), their figures, their applicants.

An employer's access itself is a named grant (``EventStore.add_grant``); this module keeps
what staff said about the employer (its contact, named by the apply form's consent) and reads
the figures and applicants of its jobs from the indexes the APPLY and STATUS scripts keep,
never the whole applications stream.
"""

from __future__ import annotations

import heapq
from typing import Any

from liveevent.domain.applications import Application, Status
from liveevent.domain.employers import JobFigures
from liveevent.store import codec, keys
from liveevent.store.applications import ApplicationLog
from liveevent.store.connect import StoreConnection, store_call

# The statuses with an index (every one but "applied", which is what is in none).
_INDEXED = tuple(s for s in Status if s is not Status.APPLIED)
MAX_WINDOW = 10_000  # offset + limit of an employer's list: its newest 10,000 applications


class EmployerBook:
    """The employers of every event, on a ``StoreConnection``. Methods raise
    ``StoreUnavailable`` when the store does not answer; times are Unix ms."""

    def __init__(self, conn: StoreConnection, applications: ApplicationLog) -> None:
        self.conn = conn
        self.keys = conn.keys
        self.applications = applications

    async def save(
        self, event_id: str, key: str, *, name: str, contact: str | None, now: int
    ) -> None:
        """Keep employer ``key``'s ``name`` and ``contact``: a newer call replaces them, but
        a ``contact`` of None keeps the one given before.

        Naturally idempotent: a retried HSET writes the same record. Raises
        ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        if contact is None:
            before = await store_call(self.conn.reader.hget(k.employers, key))
            contact = codec.unpack(before).get("contact") if before else None
        record = {"name": name, "contact": contact, "updated_at": now}
        await store_call(self.conn.reader.hset(k.employers, key, codec.pack(record)))

    async def records(self, event_id: str) -> dict[str, dict[str, Any]]:
        """Every employer record: ``{employer key: {"name", "contact", "updated_at"}}``.
        Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        raw = await store_call(self.conn.reader.hgetall(k.employers))
        return {codec.text(key): codec.unpack(value) for key, value in raw.items()}

    async def figures(self, event_id: str, job_ids: list[str]) -> dict[str, JobFigures]:
        """Per job of ``job_ids``: its applications, how many are in each indexed status and
        its last report time, in one pipelined round trip (1 + 8 commands a job, each O(1)).
        Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        if not job_ids:
            return {}
        async with self.conn.reader.pipeline(transaction=False) as pipe:
            pipe.hmget(k.counters, [keys.job_applications(j) for j in job_ids])
            pipe.hmget(k.reports, job_ids)
            for job_id in job_ids:
                for status in _INDEXED:
                    pipe.zcard(k.by_status(str(status), job_id))
            replies = await store_call(pipe.execute())
        counts, reports, cards = replies[0], replies[1], replies[2:]
        out = {}
        n = len(_INDEXED)
        for i, job_id in enumerate(job_ids):
            row = cards[i * n : (i + 1) * n]
            out[job_id] = JobFigures(
                applications=int(counts[i] or 0),
                by_status={s: int(c) for s, c in zip(_INDEXED, row, strict=True) if int(c)},
                last_report_at=int(reports[i]) if reports[i] else None,
            )
        return out

    async def newest(
        self, event_id: str, job_ids: list[str], *, offset: int, limit: int
    ) -> tuple[int, list[tuple[Application, Status]]]:
        """The applications to ``job_ids``, newest first: (how many there are, the ``limit``
        from position ``offset``). ``offset + limit`` is capped at ``MAX_WINDOW``.

        Reads each job's list of ids (``byjob``, oldest first) from its end, merges them by
        id (ids grow with time) and reads only the page's applications: two round trips,
        whatever the event's size. Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        window = max(0, min(offset + limit, MAX_WINDOW))
        if not job_ids or window == 0:
            return 0, []
        async with self.conn.reader.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.llen(k.by_job(job_id))
                pipe.lrange(k.by_job(job_id), -window, -1)
            replies = await store_call(pipe.execute())
        total = sum(int(n) for n in replies[0::2])
        tails = [[int(codec.text(i)) for i in reversed(ids)] for ids in replies[1::2]]
        merged = list(heapq.merge(*tails, reverse=True))
        wanted = [str(i) for i in merged[offset:window]]
        return total, await self.applications.by_ids(event_id, wanted)
