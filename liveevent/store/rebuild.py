"""Rebuilding an event's derived keys from its streams.

The streams are the record of truth: applications, status changes, the timeline. Everything
else (counters, the current card and state, the dedupe, idempotency and application indexes,
current statuses, applicants, the list indexes by job and by status, applications per minute)
is derived, and this module derives it again: after a restore
from a partial backup, a bug, or a hand edit. It reads the streams a page at a time, builds the
derived values in memory (a few dozen bytes per application) and swaps them in with one
MULTI/EXEC, so readers never see a half-rebuilt event. Run it while the event takes no
applications (an application that arrives during the rebuild would be left out of the indexes
until the next rebuild; it is still in the stream).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from liveevent.domain.applications import Status, hires
from liveevent.domain.attribution import dimensions_of
from liveevent.domain.cards import TimelineKind
from liveevent.domain.events import EventState
from liveevent.domain.screen import Screen
from liveevent.errors import NotFound
from liveevent.store import codec, keys
from liveevent.store.applications import MINUTE_MS
from liveevent.store.connect import StoreConnection, store_errors
from liveevent.store.followups import FollowUpBook
from liveevent.store.pipeline import PAGE, stream_pages
from liveevent.store.signups import rebuild_signups


@dataclass
class Derived:
    """What the streams say the derived keys should hold.

    Each field mirrors the derived key of the same name (``store/keys.py``); ``purged`` is
    True once the event's applicants' data was purged (dedupe, idem and applicants are then
    left empty). Built by ``derive``; its own methods raise nothing.
    """

    counters: Counter[str] = field(default_factory=Counter)
    dedupe: dict[str, str] = field(default_factory=dict)
    idem: dict[str, str] = field(default_factory=dict)
    appidx: dict[str, str] = field(default_factory=dict)
    applicants: Counter[str] = field(default_factory=Counter)
    current: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    purged: bool = False
    job_of: dict[str, str] = field(default_factory=dict)  # application id -> job
    by_job: dict[str, list[str]] = field(default_factory=dict)  # job -> ids, oldest first
    minutes: Counter[int] = field(default_factory=Counter)  # minute -> applications
    # "city|phone" -> applications (``EventKeys.applicants_city``; empty once purged)
    applicants_city: Counter[str] = field(default_factory=Counter)

    def by_status(self) -> dict[tuple[str, str | None], list[str]]:
        """(status, job or None for all jobs) -> the ids in that status (not "applied").

        A fresh dict each call; raises nothing.
        """
        sets: dict[tuple[str, str | None], list[str]] = {}
        for app_id, status in self.current.items():
            sets.setdefault((status, None), []).append(app_id)
            sets.setdefault((status, self.job_of.get(app_id, "")), []).append(app_id)
        return sets


async def _pages(conn: StoreConnection, key: str) -> Any:
    async for entries in stream_pages(conn.reader, key):
        for entry in entries:
            yield entry


async def derive(conn: StoreConnection, event_id: str) -> Derived:
    """Read an event's streams and compute its derived keys (nothing is written).

    Holds all of them in memory. Raises ``NotFound`` for an unknown event,
    ``StoreUnavailable``, and ``CorruptEntry`` (or ``KeyError``/``ValueError``) for a stream
    entry that cannot be decoded or read.
    """
    k = conn.keys.event(event_id)
    with store_errors():
        state = await conn.reader.hget(k.meta, "state")
        if state is None:
            raise NotFound(f"no event {event_id!r}")
        derived = Derived(purged=bool(await conn.reader.hexists(k.meta, "purged_at")))
        jobs: dict[str, str] = {}
        async for sid, fields in _pages(conn, k.apps):
            app_id, record = codec.text(fields[b"id"]), codec.unpack(fields[b"d"])
            job = record["job_id"]
            jobs[app_id] = job
            derived.appidx[app_id] = f"{codec.text(sid)}|{job}"
            derived.counters[keys.Counter.APPLICATIONS] += 1
            derived.counters[keys.job_applications(job)] += 1
            derived.by_job.setdefault(job, []).append(app_id)
            derived.minutes[record["applied_at"] // MINUTE_MS] += 1
            derived.counters[keys.Counter.SEQ] = max(
                derived.counters[keys.Counter.SEQ], int(app_id)
            )
            for dimension, value in dimensions_of(
                city=record.get("city"),
                channel=record.get("channel"),
                venue=record.get("venue"),
                source=record.get("source"),
            ):
                derived.counters[keys.by_dimension(str(dimension), value)] += 1
            if not derived.purged:
                city = record.get("city")
                if city is not None:
                    pair = f"{city}|{record['phone']}"
                    if not derived.applicants_city[pair]:
                        derived.counters[keys.city_applicants(city)] += 1
                    derived.applicants_city[pair] += 1
                derived.dedupe[f"{job}|{record['phone']}"] = f"{app_id}|rebuilt"
                derived.applicants[record["phone"]] += 1
                if record.get("idempotency_key"):
                    derived.idem[record["idempotency_key"]] = f"{app_id}|0"
        statuses: dict[str, Status] = {}
        async for _sid, fields in _pages(conn, k.status):
            change = codec.unpack(fields[b"d"])
            statuses[change["application_id"]] = Status(change["to"])
        # The hire counts as the moves' ``hire_delta`` left them (``domain.applications``):
        # one per application whose last status is hired, per job and in all.
        for app_id, status in statuses.items():
            if status is not Status.APPLIED:  # "applied" has no entry: it is everything else
                derived.current[app_id] = str(status)
            hired = hires([status])
            derived.counters[keys.Counter.HIRES] += hired
            derived.counters[keys.job_hires(jobs.get(app_id, ""))] += hired
        # The screen as the timeline left it (``domain.screen``: the same rules the TIMELINE
        # script applies), and the stored card of the card on screen.
        screen = Screen(EventState(codec.text(state)))
        cards: dict[str, bytes] = {}
        cursor = "0-0"
        async for sid, fields in _pages(conn, k.timeline):
            entry = codec.unpack(fields[b"d"])
            cursor = codec.text(sid)
            if TimelineKind(entry["kind"]) is TimelineKind.CARD:
                derived.counters[keys.Counter.CARDS_PUSHED] += 1
                cards = {entry["card"]["card_id"]: codec.pack(entry["card"])}
            screen = screen.after(entry)
        meta: dict[str, Any] = {"state": str(screen.state), "cursor": cursor}
        meta["card"], meta["card_id"] = b"", ""
        if screen.card_id is not None:
            meta["card"], meta["card_id"] = cards[screen.card_id], screen.card_id
        derived.meta = meta
        derived.job_of = jobs
    return derived


async def rebuild(conn: StoreConnection, event_id: str) -> Derived:
    """Replace an event's derived keys with what its streams say; returns what was written.

    The writes go in one MULTI/EXEC transaction, so a connection lost before EXEC replaces
    nothing; ``viewers_peak`` and ``repeats`` survive, as the streams do not hold them.
    Raises what ``derive`` raises, and ``StoreUnavailable``.
    """
    derived = await derive(conn, event_id)
    k = conn.keys.event(event_id)
    # Counters that are not derived from the streams survive the rebuild (questions: counted
    # from the questions hash, itself a record of truth, not a stream).
    kept = {"viewers_peak", "repeats", "questions"}
    with store_errors():
        if derived.purged:
            # A city's distinct applicants need the phones, which the purge took away.
            names = [codec.text(n) for n in await conn.reader.hkeys(k.counters)]
            kept |= {n for n in names if n.startswith(keys.CITY_APPLICANTS_PREFIX)}
        old = await conn.reader.hmget(k.counters, sorted(kept))
        # Every index key there may be: of each job known to the event or to its streams.
        jobs = {codec.text(job) for job in await conn.reader.hkeys(k.jobs)} | set(derived.by_job)
        others = [str(s) for s in Status if s is not Status.APPLIED]
        indexes = [k.minutes] + [k.by_job(job) for job in sorted(jobs)]
        indexes += [k.by_status(s, j) for s in others for j in [None, *sorted(jobs)]]
        async with conn.reader.pipeline(transaction=True) as pipe:
            replaced = [k.counters, k.appidx, k.current, *indexes]
            if not derived.purged:
                replaced += [k.dedupe, k.idem, k.applicants, k.applicants_city]
            pipe.delete(*replaced)
            counters = {key: value for key, value in derived.counters.items() if value}
            counters.update({n: int(v) for n, v in zip(sorted(kept), old, strict=True) if v})
            for key, mapping in (
                (k.counters, counters),
                (k.appidx, derived.appidx),
                (k.current, derived.current),
                (k.dedupe, derived.dedupe),
                (k.idem, derived.idem),
                (k.applicants, derived.applicants),
                (k.applicants_city, derived.applicants_city),
                (k.minutes, derived.minutes),
            ):
                if mapping:
                    pipe.hset(key, mapping=dict(mapping))
            for job, ids in derived.by_job.items():
                for first in range(0, len(ids), PAGE):
                    pipe.rpush(k.by_job(job), *ids[first : first + PAGE])
            for (status, of_job), ids in derived.by_status().items():
                for first in range(0, len(ids), PAGE):
                    chunk = ids[first : first + PAGE]
                    pipe.zadd(k.by_status(status, of_job), {i: int(i) for i in chunk})
            pipe.hset(k.meta, mapping=derived.meta)
            await pipe.execute()
    await rebuild_signups(conn, event_id)  # the sign-ups' index, from their stream (issue 17)
    await FollowUpBook(conn).rebuild(event_id)  # the latest follow-up marks (issue 17.4)
    return derived
