"""Removing applicants' names and phones from an event, keeping its anonymous counts.

Theory of operation. Names and phones live in three places: the ``d`` record of each entry in the
applications stream, the dedupe hash (``job|phone``) and the applicants hash (keyed by phone).
Stream entries cannot be edited in place, and deleting and re-adding would change their ids
(which the application index points at). So the purge

1. marks the event ``purged_at`` first: from then on the APPLY script refuses new applications,
   so nothing personal arrives behind the purge;
2. copies the applications stream, page by page, into a new stream with the *same* entry ids
   (XADD with an explicit id), each record with the name and phone blanked;
3. swaps the copy in with RENAME inside a script that first checks no entry arrived after the
   last one copied (if one did, it is copied too and the swap tried again);
4. replaces the applicants hash by one keyed by a salted SHA-256 of each phone, the salt
   random and never stored, so ``applicants`` (HLEN) stays right but cannot be reversed; and
   deletes the dedupe and idempotency hashes and the applicants-by-city hash.

Counters, statuses, the status stream, the timeline and the audit stream hold no personal data
and are left as they are. Running the purge again is harmless.

Every step is safe when redis-py sends a command again after its reply was lost: marking uses
HSETNX, the deletes and the HSET of digests write the same thing twice, a copied entry that the
copy refuses as "not after the last one" is checked to be there already, and both swaps find
the swap done and do nothing (``scripts.PURGE_SWAP``, ``scripts.RENAME_IF_EXISTS``).

Then the files. The store still has every name and phone in its append-only file (the commands
that wrote them) until it rewrites that file from what it holds now; the embedded store would
wait for 512 MB of AOF. So a purge ends with ``forget_on_disk``: it asks each server for a rewrite
(``BGREWRITEAOF``) and waits until one that started after the purge has finished, then writes an
RDB snapshot again where the server keeps them. What it cannot do (replicas, backups, a server
that refuses ``CONFIG``) it returns as sentences for the operator.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from liveevent.domain.cards import TimelineKind
from liveevent.domain.events import EventState
from liveevent.domain.questions import PUBLIC, Question
from liveevent.errors import StoreUnavailable
from liveevent.store import codec, scripts
from liveevent.store.connect import StoreConnection, store_errors
from liveevent.store.outbox import Outbox
from liveevent.store.pipeline import PAGE, stream_pages

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What ``purge_event`` rewrote: the event's applications and its distinct applicants.

    Counts, not ids; raises nothing.
    """

    event_id: str
    applications: int
    applicants: int


async def purge_event(conn: StoreConnection, event_id: str, *, now: int) -> PurgeReport:
    """Remove names and phones from ``event_id``; returns what was rewritten.

    The caller checks that the event exists and may be purged. Raises ``StoreUnavailable``.
    """
    k = conn.keys.event(event_id)
    redis = conn.reader
    with store_errors():
        await redis.hsetnx(k.meta, "purged_at", now)
        applications = await _rewrite_applications(conn, event_id)
        applicants = await _rewrite_applicants(conn, event_id)
        # Check-ins at venues (names, phones) go whole; their counts stay in the counters.
        await redis.delete(k.dedupe, k.idem, k.checkins, k.checkin_dedupe, k.applicants_city)
        # Sign-ups (issue 17) hold names and phones too, as do their notices not yet sent.
        await redis.delete(k.signups, k.signup_index)
        await Outbox(conn).forget(event_id)
        await _forget_question_names(conn, event_id)
    log.info("purged applicants' data of event %s (%d applications)", event_id, applications)
    return PurgeReport(event_id, applications, applicants)


async def _forget_question_names(conn: StoreConnection, event_id: str) -> None:
    """Questions keep their text and answers (no phone is ever in them) but lose the asker's
    name, in the record and in what viewers are greeted with (``store/questions.py``).
    Naturally idempotent: the records are rewritten with the name blank, again on a retry.
    The timeline's question entries keep the masked name (``张**``) they were shown with."""
    k = conn.keys.event(event_id)
    redis = conn.reader
    stored = await redis.hgetall(k.questions)
    if not stored:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for qid, blob in stored.items():
            question = replace(Question.from_record(codec.unpack(blob)), name=None)
            pipe.hset(k.questions, qid, codec.pack(question.to_record()))
            if question.status in PUBLIC:
                shown = k.questions_shown(question.card_id)
                pipe.hset(shown, qid, codec.pack(question.public_wire()))
        await pipe.execute()


async def _rewrite_applications(conn: StoreConnection, event_id: str) -> int:
    k = conn.keys.event(event_id)
    redis = conn.reader
    swap = redis.register_script(scripts.PURGE_SWAP)
    await redis.delete(k.apps_purge)  # the leftovers of an interrupted purge
    after, last, copied = "-", "", 0
    while True:
        async for entries in stream_pages(redis, k.apps, after=after):
            async with redis.pipeline(transaction=False) as pipe:
                for sid, fields in entries:
                    record = codec.unpack(fields[b"d"])
                    record["name"] = ""
                    record["phone"] = ""
                    record.pop("idempotency_key", None)  # a client may have put a phone there
                    blanked = dict(fields)
                    blanked[b"d"] = codec.pack(record)
                    pipe.xadd(k.apps_purge, blanked, id=sid)
                added = await pipe.execute(raise_on_error=False)
            await _check_copied(redis, k.apps_purge, [e[0] for e in entries], added)
            copied += len(entries)
            last = codec.text(entries[-1][0])
            after = "(" + last
        outcome, _ = await swap(keys=[k.apps, k.apps_purge], args=[last])
        if codec.text(outcome) == "ok":
            return copied


async def _rewrite_applicants(conn: StoreConnection, event_id: str) -> int:
    k = conn.keys.event(event_id)
    redis = conn.reader
    salt = secrets.token_bytes(16)  # never stored: the digests cannot be turned back to phones
    await redis.delete(k.applicants_purge)
    cursor, total = 0, 0
    while True:
        cursor, page = await redis.hscan(k.applicants, cursor, count=PAGE)
        if page:
            mapping = {
                "h:" + hashlib.sha256(salt + _digest_input(phone)).hexdigest()[:24]: count
                for phone, count in page.items()
            }
            await redis.hset(k.applicants_purge, mapping=mapping)
            total += len(mapping)
        if cursor == 0:
            break
    if total:
        rename = redis.register_script(scripts.RENAME_IF_EXISTS)
        await rename(keys=[k.applicants_purge, k.applicants])
    return total


async def _check_copied(redis: Redis, copy: str, ids: list[bytes], added: list[object]) -> None:
    """Raise the first refusal among ``added`` (XADD replies) unless its entry is in ``copy``.

    A page sent again after its reply was lost is refused entry by entry ("equal or smaller
    than the target stream top item"): those entries were copied by the first run. Only this
    purge writes ``copy``, in id order, so an entry found there is the one we meant to add.
    """
    refused = [(sid, r) for sid, r in zip(ids, added, strict=True) if isinstance(r, ResponseError)]
    if not refused:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for sid, _ in refused:
            pipe.xrange(copy, min=sid, max=sid)
        found = await pipe.execute()
    for (_, error), entries in zip(refused, found, strict=True):
        if not entries:
            raise error


def _digest_input(phone: bytes | str) -> bytes:
    return phone if isinstance(phone, bytes) else phone.encode()


async def ended_at(conn: StoreConnection, event_id: str) -> int | None:
    """When the event ended (epoch ms), from its timeline; None if it has not ended.

    Reads the timeline newest first, 200 entries a round trip, until the last state change.
    Raises ``StoreUnavailable``, and ``CorruptEntry`` for an entry that cannot be decoded.
    """
    k = conn.keys.event(event_id)
    before = "+"
    with store_errors():
        while True:
            entries = await conn.reader.xrevrange(k.timeline, max=before, min="-", count=200)
            for sid, fields in entries:
                record = codec.unpack(fields[b"d"])
                if record.get("kind") == TimelineKind.STATE:
                    ended = record.get("state") == EventState.ENDED
                    return int(record["at"]) if ended else None
                before = "(" + codec.text(sid)
            if len(entries) < 200:
                return None


async def purge_expired(
    conn: StoreConnection, event_ids: list[str], *, retention_days: int, now: int
) -> list[PurgeReport]:
    """Purge every event of ``event_ids`` that ended over ``retention_days`` ago and is not
    purged yet; returns what was purged, in the order of ``event_ids``.

    ``now`` is epoch ms; a day is 86,400,000 ms. Raises ``StoreUnavailable`` (events purged
    before the failure stay purged), and ``CorruptEntry`` as ``ended_at`` does."""
    done = []
    for event_id in event_ids:
        k = conn.keys.event(event_id)
        with store_errors():
            purged = await conn.reader.hexists(k.meta, "purged_at")
        if purged:
            continue
        ended = await ended_at(conn, event_id)
        if ended is not None and now - ended >= retention_days * 86_400_000:
            done.append(await purge_event(conn, event_id, now=now))
    return done


async def purged_at(conn: StoreConnection, event_id: str) -> int | None:
    """When the event's applicants' data was purged (epoch ms), or None if it was not.

    Raises ``StoreUnavailable``.
    """
    k = conn.keys.event(event_id)
    with store_errors():
        value = await conn.reader.hget(k.meta, "purged_at")
    return int(value) if value else None


# A rewrite of a fair's store takes well under a second; a store of millions of applications
# about a core-second per million (BENCHMARKS.md). Past this the purge says it could not wait.
REWRITE_TIMEOUT_S = 600.0
POLL_S = 0.1


@dataclass(frozen=True, slots=True)
class DiskReport:
    """What ``forget_on_disk`` did: servers whose AOF was rewritten and whose RDB snapshot was
    written again after the purge, and what the operator must still do (one sentence each,
    empty when nothing). Raises nothing."""

    aof_rewritten: int
    rdb_saved: int
    todo: tuple[str, ...]


async def forget_on_disk(
    conn: StoreConnection, *, timeout_s: float = REWRITE_TIMEOUT_S
) -> DiskReport:
    """Make each store server drop purged data from its files; returns what was done.

    For each server (each master of a cluster): with ``appendonly yes``, ``BGREWRITEAOF`` and
    wait for it (a rewrite already running may have forked before the purge, so it is waited
    out and a new one started); where ``save`` is set, ``BGSAVE`` and wait. Raises
    ``StoreUnavailable`` if a server does not answer, a rewrite or save fails or takes longer
    than ``timeout_s`` seconds: the data may still be on that server's disk.
    """
    servers = conn.batches.masters() if conn.batches is not None else [conn.reader]
    aof, rdb, todo = 0, 0, []
    with store_errors():
        for server in servers:
            done_aof, done_rdb, notes = await _forget_on(server, timeout_s)
            aof, rdb = aof + done_aof, rdb + done_rdb
            todo += [n for n in notes if n not in todo]
    for note in todo:
        log.warning("after the purge, the operator must: %s", note)
    log.info("purge on disk: %d AOF rewritten, %d RDB written again", aof, rdb)
    return DiskReport(aof, rdb, tuple(todo))


async def _forget_on(server: Any, timeout_s: float) -> tuple[int, int, list[str]]:
    info = await server.info("persistence")
    todo: list[str] = []
    aof = 0
    if int(info.get("aof_enabled", 0)):
        await _rewrite_aof(server, timeout_s)
        aof = 1
    rdb = 0
    try:
        reply = await server.config_get("save")
        saves = str(reply.get("save", "")).strip() if isinstance(reply, dict) else ""
    except ResponseError:  # CONFIG disabled or renamed (managed services)
        saves = None
    if saves:
        await _save_rdb(server, timeout_s)
        rdb = 1
    elif saves is None:
        todo.append(
            "the store refused CONFIG: if it keeps RDB snapshots (save), run BGSAVE on it "
            "so the last snapshot no longer holds the purged names and phones"
        )
    if not aof and not rdb and saves is not None:
        todo.append(
            "the store keeps neither an AOF nor RDB snapshots: an RDB file or dump made "
            "before the purge (BGSAVE, SAVE, a backup) still holds the purged data; delete it"
        )
    replication = await server.info("replication")
    replicas = int(replication.get("connected_slaves", 0))
    if replicas:
        todo.append(
            f"{replicas} replica(s) keep their own AOF/RDB files: run BGREWRITEAOF (and "
            "BGSAVE where save is set) on each replica"
        )
    return aof, rdb, todo


async def _rewrite_aof(server: Any, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    busy = ("aof_rewrite_in_progress", "aof_rewrite_scheduled")
    # A rewrite running now may have forked before the purge: its file would still hold the
    # data. Let it finish, then start one that sees the purged store.
    info = await _until_done(server, busy, deadline)
    before = int(info.get("aof_rewrites", -1))
    while True:
        try:
            await server.bgrewriteaof()
            break
        except ResponseError as exc:
            if "in progress" not in str(exc):
                raise
            # Someone else's rewrite started between our look and our command.
            info = await _until_done(server, busy, deadline)
            before = int(info.get("aof_rewrites", -1))
    info = await _until_done(server, busy, deadline, counter="aof_rewrites", above=before)
    if info.get("aof_last_bgrewrite_status") != "ok":
        raise StoreUnavailable(
            "the store's AOF rewrite failed (see its log): the purged data is still on its "
            "disk; run BGREWRITEAOF on it"
        )


async def _save_rdb(server: Any, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    busy = ("rdb_bgsave_in_progress",)
    info = await _until_done(server, busy, deadline)
    before = int(info.get("rdb_saves", -1))
    try:
        # SCHEDULE: if an AOF rewrite is running, save as soon as it ends instead of failing.
        await server.bgsave(schedule=True)
    except ResponseError as exc:
        if "in progress" not in str(exc):
            raise
    info = await _until_done(server, busy, deadline, counter="rdb_saves", above=before)
    if info.get("rdb_last_bgsave_status") != "ok":
        raise StoreUnavailable(
            "the store's RDB snapshot failed (see its log): the purged data is still in its "
            "last snapshot; run BGSAVE on it"
        )


_STATUS = {"aof_rewrites": "aof_last_bgrewrite_status", "rdb_saves": "rdb_last_bgsave_status"}


async def _until_done(
    server: Any, flags: tuple[str, ...], deadline: float, *, counter: str = "", above: int = -1
) -> dict[str, Any]:
    """Poll ``INFO persistence`` until every flag is 0 and ``counter`` (if the server has it;
    older ones lack ``aof_rewrites``) is past ``above``; returns that last INFO."""
    while True:
        info: dict[str, Any] = await server.info("persistence")
        idle = not any(int(info.get(flag, 0)) for flag in flags)
        counted = not counter or above < 0 or int(info.get(counter, above + 1)) > above
        # A failed one may leave the counter where it was: the caller reads the status.
        failed = bool(counter) and info.get(_STATUS[counter]) == "err"
        if idle and (counted or failed):
            return info
        if asyncio.get_running_loop().time() > deadline:
            raise StoreUnavailable(
                "the store's rewrite of its files did not finish in time: the purged data "
                "may still be on its disk; check INFO persistence and run BGREWRITEAOF"
            )
        await asyncio.sleep(POLL_S)
