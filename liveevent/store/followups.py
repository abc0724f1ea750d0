"""Follow-up marks after hire in the store (issue 17 part 4; rules in ``domain.followups``).

The ``followups`` stream is the record of truth: every mark, corrections included. The
``followup`` hash (``"<application id>|<checkpoint>"`` -> the latest mark) is derived: the
FOLLOW_UP script writes both in one step, and ``rebuild`` derives the hash again from the
stream. Hire dates are read from the status stream (the last move into ``hired`` of each
application whose current status is ``hired``): one pass over the status changes, which a fair
has far fewer of than applications; nothing else is kept for them.
"""

from __future__ import annotations

from typing import Any

from liveevent.domain.applications import Status
from liveevent.domain.followups import Checkpoint, Hire, Mark
from liveevent.store import codec, scripts
from liveevent.store.connect import StoreConnection, new_attempt, store_errors
from liveevent.store.pipeline import stream_pages


def _field(application_id: str, checkpoint: Checkpoint) -> str:
    return f"{application_id}|{checkpoint}"


class FollowUpBook:
    """Follow-up marks and hire dates of every event, on a ``StoreConnection``.

    Every method raises ``StoreUnavailable`` when the store does not answer; times are Unix ms.
    """

    def __init__(self, conn: StoreConnection) -> None:
        self.conn = conn
        self.keys = conn.keys
        self._follow_up = conn.reader.register_script(scripts.FOLLOW_UP)

    async def record(self, event_id: str, mark: Mark) -> str:
        """Append ``mark`` and make it the check's latest; returns its stream id.

        Exactly once under retry: a once key per call (``scripts.FOLLOW_UP``), so a retry of
        a run whose reply was lost writes nothing and answers the same id. A second call with
        the same mark (a client sending its request again) is a second entry that changes
        nothing in the index: a correction to the same value. Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        once = self.keys.once(event_id, new_attempt())
        with store_errors():
            sid = await self._follow_up(
                keys=[k.followups, k.followup, once],
                args=[
                    codec.pack(mark.to_record()),
                    _field(mark.application_id, mark.checkpoint),
                    self.conn.once_ttl_s,
                ],
            )
        return codec.text(sid)

    async def marks(self, event_id: str) -> dict[tuple[str, Checkpoint], Mark]:
        """The latest mark of every check marked so far, by (application id, checkpoint).

        Raises ``StoreUnavailable``, ``CorruptEntry`` for an undecodable entry.
        """
        k = self.keys.event(event_id)
        with store_errors():
            raw = await self.conn.reader.hgetall(k.followup)
        marks = (Mark.from_record(codec.unpack(blob)) for blob in raw.values())
        return {(m.application_id, m.checkpoint): m for m in marks}

    async def history(self, event_id: str) -> list[Mark]:
        """Every mark in the order recorded (corrections included). Raises
        ``StoreUnavailable``, ``CorruptEntry``."""
        k = self.keys.event(event_id)
        out: list[Mark] = []
        with store_errors():
            async for entries in stream_pages(self.conn.reader, k.followups):
                out += [Mark.from_record(codec.unpack(f[b"d"])) for _sid, f in entries]
        return out

    async def hire_dates(self, event_id: str) -> dict[str, int]:
        """Application id -> hire date (Unix ms of its last move into ``hired``), for every
        application whose last status change moved it into ``hired``; oldest hire first.

        Raises ``StoreUnavailable``, ``CorruptEntry``.
        """
        k = self.keys.event(event_id)
        last: dict[str, tuple[str, int]] = {}
        with store_errors():
            async for entries in stream_pages(self.conn.reader, k.status):
                for _sid, fields in entries:
                    change = codec.unpack(fields[b"d"])
                    last[change["application_id"]] = (change["to"], int(change["at"]))
        hired = [(at, app) for app, (to, at) in last.items() if to == Status.HIRED]
        return {app: at for at, app in sorted(hired)}

    async def hires(self, event_id: str, employer_of_job: dict[str, str]) -> list[Hire]:
        """The event's current hires with their employers (``employer_of_job``: job id ->
        employer as on the job; a job not in it gives ""). Oldest hire first.

        Raises ``StoreUnavailable``, ``CorruptEntry``.
        """
        dates = await self.hire_dates(event_id)
        if not dates:
            return []
        k = self.keys.event(event_id)
        ids = list(dates)
        with store_errors():
            where = await self.conn.reader.hmget(k.appidx, ids)
        out = []
        for app, idx in zip(ids, where, strict=True):
            job = codec.text(idx).partition("|")[2] if idx is not None else ""
            out.append(Hire(app, employer_of_job.get(job, ""), dates[app]))
        return out

    async def rebuild(self, event_id: str) -> int:
        """Derive the ``followup`` index again from the stream and swap it in atomically;
        returns how many checks it holds. Raises ``StoreUnavailable``, ``CorruptEntry``."""
        k = self.keys.event(event_id)
        latest: dict[str, bytes] = {}
        for mark in await self.history(event_id):
            latest[_field(mark.application_id, mark.checkpoint)] = codec.pack(mark.to_record())
        with store_errors():
            pipe = self.conn.reader.pipeline(transaction=True)
            pipe.delete(k.followup)
            if latest:
                mapping: dict[Any, Any] = latest
                pipe.hset(k.followup, mapping=mapping)
            await pipe.execute()
        return len(latest)
