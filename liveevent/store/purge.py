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
   deletes the dedupe and idempotency hashes.

Counters, statuses, the status stream, the timeline and the audit stream hold no personal data
and are left as they are. Running the purge again is harmless.

Every step is safe when redis-py sends a command again after its reply was lost: marking uses
HSETNX, the deletes and the HSET of digests write the same thing twice, a copied entry that the
copy refuses as "not after the last one" is checked to be there already, and both swaps find
the swap done and do nothing (``scripts.PURGE_SWAP``, ``scripts.RENAME_IF_EXISTS``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from liveevent.errors import StoreUnavailable
from liveevent.store import codec, scripts
from liveevent.store.connect import StoreConnection
from liveevent.store.events import _s

log = logging.getLogger(__name__)

PAGE = 2000


@dataclass(frozen=True, slots=True)
class PurgeReport:
    event_id: str
    applications: int
    applicants: int


async def purge_event(conn: StoreConnection, event_id: str, *, now: int) -> PurgeReport:
    """Remove names and phones from ``event_id``; returns what was rewritten.

    The caller checks that the event exists and may be purged. Raises ``StoreUnavailable``.
    """
    k = conn.keys.event(event_id)
    redis = conn.reader
    try:
        await redis.hsetnx(k.meta, "purged_at", now)
        applications = await _rewrite_applications(conn, event_id)
        applicants = await _rewrite_applicants(conn, event_id)
        await redis.delete(k.dedupe, k.idem)
    except RedisError as exc:
        raise StoreUnavailable(f"the store did not answer: {type(exc).__name__}") from exc
    log.info("purged applicants' data of event %s (%d applications)", event_id, applications)
    return PurgeReport(event_id, applications, applicants)


async def _rewrite_applications(conn: StoreConnection, event_id: str) -> int:
    k = conn.keys.event(event_id)
    redis = conn.reader
    swap = redis.register_script(scripts.PURGE_SWAP)
    await redis.delete(k.apps_purge)  # the leftovers of an interrupted purge
    after, last, copied = "-", "", 0
    while True:
        entries = await redis.xrange(k.apps, min=after, max="+", count=PAGE)
        if entries:
            async with redis.pipeline(transaction=False) as pipe:
                for sid, fields in entries:
                    record = codec.unpack(fields[b"d"])
                    record["name"] = ""
                    record["phone"] = ""
                    blanked = dict(fields)
                    blanked[b"d"] = codec.pack(record)
                    pipe.xadd(k.apps_purge, blanked, id=sid)
                added = await pipe.execute(raise_on_error=False)
            await _check_copied(redis, k.apps_purge, [e[0] for e in entries], added)
            copied += len(entries)
            last = _s(entries[-1][0])
            after = "(" + last
            if len(entries) == PAGE:
                continue
        outcome, _ = await swap(keys=[k.apps, k.apps_purge], args=[last])
        if _s(outcome) == "ok":
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
    """When the event ended (epoch ms), from its timeline; None if it has not ended."""
    k = conn.keys.event(event_id)
    before = "+"
    try:
        while True:
            entries = await conn.reader.xrevrange(k.timeline, max=before, min="-", count=200)
            for sid, fields in entries:
                record = codec.unpack(fields[b"d"])
                if record.get("kind") == "state":
                    return int(record["at"]) if record.get("state") == "ended" else None
                before = "(" + _s(sid)
            if len(entries) < 200:
                return None
    except RedisError as exc:
        raise StoreUnavailable(f"the store did not answer: {type(exc).__name__}") from exc


async def purge_expired(
    conn: StoreConnection, event_ids: list[str], *, retention_days: int, now: int
) -> list[PurgeReport]:
    """Purge every event of ``event_ids`` that ended over ``retention_days`` ago and is not
    purged yet; returns what was purged."""
    done = []
    for event_id in event_ids:
        k = conn.keys.event(event_id)
        try:
            purged = await conn.reader.hexists(k.meta, "purged_at")
        except RedisError as exc:
            raise StoreUnavailable(f"the store did not answer: {type(exc).__name__}") from exc
        if purged:
            continue
        ended = await ended_at(conn, event_id)
        if ended is not None and now - ended >= retention_days * 86_400_000:
            done.append(await purge_event(conn, event_id, now=now))
    return done


async def purged_at(conn: StoreConnection, event_id: str) -> int | None:
    k = conn.keys.event(event_id)
    try:
        value = await conn.reader.hget(k.meta, "purged_at")
    except RedisError as exc:
        raise StoreUnavailable(f"the store did not answer: {type(exc).__name__}") from exc
    return int(value) if value else None
