"""The ledger checker: what a test tried to store, against what the store holds.

A test records every apply attempt (``attempted``), and each answer it got: ``acknowledged``
(201/200 or websocket ``applied``, with the id), ``failed`` (a clear refusal: nothing stored) or
``unknown`` (no answer: a timeout, a reset). At the end, ``check`` reads the applications stream
back and reports:

- lost: acknowledged, but not in the stream;
- duplicated: in the stream more than once;
- unexpected: in the stream, but never attempted;
- mismatched: acknowledged with an id other than the one stored.

An application is identified by (job_id, normalized phone): the dedupe key, so each attempt in a
test uses its own phone number.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from liveevent.store import codec
from liveevent.store.keys import Keys


class Outcome(enum.Enum):
    ATTEMPTED = "attempted"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass
class Entry:
    job_id: str
    phone: str
    outcome: Outcome = Outcome.ATTEMPTED
    application_id: str | None = None
    tries: int = 0


@dataclass
class Report:
    attempted: int
    acknowledged: int
    stored: int
    lost: list[tuple[str, str]] = field(default_factory=list)
    duplicated: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[tuple[str, str]] = field(default_factory=list)
    mismatched: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.mismatched)

    def summary(self) -> str:
        return (
            f"attempted={self.attempted} acknowledged={self.acknowledged} stored={self.stored} "
            f"lost={len(self.lost)} duplicated={len(self.duplicated)} "
            f"unexpected={len(self.unexpected)} mismatched={len(self.mismatched)}"
        )


class Ledger:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], Entry] = {}

    def attempted(self, job_id: str, phone: str) -> Entry:
        key = (job_id, phone)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = Entry(job_id, phone)
        entry.tries += 1
        return entry

    def acknowledged(self, job_id: str, phone: str, application_id: str) -> None:
        entry = self.entries[(job_id, phone)]
        entry.outcome = Outcome.ACKNOWLEDGED
        entry.application_id = application_id

    def failed(self, job_id: str, phone: str) -> None:
        entry = self.entries[(job_id, phone)]
        if entry.outcome is not Outcome.ACKNOWLEDGED:
            entry.outcome = Outcome.FAILED

    def unknown(self, job_id: str, phone: str) -> None:
        entry = self.entries[(job_id, phone)]
        if entry.outcome is not Outcome.ACKNOWLEDGED:
            entry.outcome = Outcome.UNKNOWN

    def count(self, outcome: Outcome) -> int:
        return sum(1 for e in self.entries.values() if e.outcome is outcome)

    async def check(self, url: str, key_prefix: str, event_id: str) -> Report:
        """Read the event's applications stream from the store at ``url`` and compare."""
        client = aioredis.Redis.from_url(url, socket_timeout=10)
        try:
            stream = Keys(key_prefix).event(event_id).apps
            stored: list[tuple[str, str, str]] = []
            after = "-"
            while True:
                page = await client.xrange(stream, min=after, max="+", count=5000)
                for _sid, fields in page:
                    record = codec.unpack(fields[b"d"])
                    stored.append((record["job_id"], record["phone"], fields[b"id"].decode()))
                if len(page) < 5000:
                    break
                after = "(" + page[-1][0].decode()
        finally:
            await client.aclose()
        return self.compare(stored)

    def compare(self, stored: list[tuple[str, str, str]]) -> Report:
        counts = Counter((job, phone) for job, phone, _ in stored)
        ids = {(job, phone): app_id for job, phone, app_id in stored}
        acked = [e for e in self.entries.values() if e.outcome is Outcome.ACKNOWLEDGED]
        report = Report(attempted=len(self.entries), acknowledged=len(acked), stored=len(stored))
        for entry in acked:
            key = (entry.job_id, entry.phone)
            if key not in counts:
                report.lost.append(key)
            elif ids[key] != entry.application_id:
                report.mismatched.append(key)
        report.duplicated = sorted(key for key, n in counts.items() if n > 1)
        report.unexpected = sorted(key for key in counts if key not in self.entries)
        return report
