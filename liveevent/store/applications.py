"""Applications in the store: batched durable appends, status changes, reading back."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from liveevent.domain.applications import Application, ApplyRequest, Status, check_transition
from liveevent.domain.attribution import dimensions_of
from liveevent.errors import (
    Conflict,
    LiveEventError,
    NotFound,
    RateLimited,
    StoreUnavailable,
)
from liveevent.store import codec, keys, scripts
from liveevent.store.connect import Durability, StoreConnection, new_attempt, store_errors
from liveevent.store.pipeline import Command, chain, send_script_batch


@dataclass(frozen=True, slots=True)
class Applied:
    """A stored application: its id, and ``duplicate`` True when the store already held it
    (same applicant and job, or same idempotency key) and nothing new was written.

    Built by the store from its reply; raises nothing.
    """

    application_id: str
    duplicate: bool


MINUTE_MS = 60_000  # the activity chart's bucket (the minutes index of scripts.APPLY)
CALL_MAX = 64  # applications per APPLY call (see ``ApplicationLog._apply_once``)

# Unique per attempt across processes and restarts: a random prefix per process and a
# counter (cheaper than fresh randomness for every application).
_ATTEMPT_PREFIX = secrets.token_hex(4)
_ATTEMPTS = itertools.count()


def attribution_fields(req: ApplyRequest) -> str:
    """The attribution counters one new application moves (``domain.attribution.dimensions_of``
    named by ``keys.by_dimension``), joined by newlines for ``scripts.APPLY``. Raises nothing."""
    pairs = dimensions_of(
        city=req.city,
        channel=req.channel,
        venue=req.venue,
        source=str(req.source) if req.source is not None else None,
    )
    return "\n".join(keys.by_dimension(str(d), v) for d, v in pairs)


def idempotency_digest(key: str | None) -> str | None:
    """What is stored for a client's ``idempotency_key``: ``"k:"`` + 32 hex digits of its
    SHA-256 (128 bits), or None for no key.

    Clients are free to put anything in the key, and some put the applicant's phone there; the
    digest still dedupes a retry (same key, same digest) but is not the phone. It is unsalted, so
    a guessable key (a phone) can be found by trying them all: the purge deletes it too.
    Raises nothing.
    """
    if key is None:
        return None
    return "k:" + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(slots=True)
class PendingApply:
    """One application waiting for its batch (``ApplicationLog.apply_batch``).

    ``now`` is the arrival time in Unix milliseconds; ``via`` names the way in (``"http"``,
    ...); ``attempt`` is filled with a fresh process-unique id when left empty. Raises nothing.
    """

    event_id: str
    request: ApplyRequest
    via: str
    now: int
    ip: str = ""  # the caller's address, for the per-address rate limit ("" = not limited)
    # A random token for this attempt: if a reply is lost and the batch is sent again, the
    # script recognises its own earlier write and answers as it did the first time.
    attempt: str = ""

    def __post_init__(self) -> None:
        if not self.attempt:
            self.attempt = f"{_ATTEMPT_PREFIX}{next(_ATTEMPTS):x}"


class ApplicationLog:
    """The applications of every event, their statuses, counters and audit trail, in the store.

    One per process, on a ``StoreConnection``. Methods raise ``StoreUnavailable`` when the
    store does not answer (``store_errors``), except ``apply_batch``, which answers each item
    with its error instead of raising. ``apply_rate_per_ip`` applications per address per
    ``rate_window_s`` seconds, across nodes (0: no limit). Times are Unix milliseconds.
    """

    def __init__(
        self, conn: StoreConnection, *, apply_rate_per_ip: int = 0, rate_window_s: int = 60
    ) -> None:
        self.conn = conn
        self.keys = conn.keys
        # Global across nodes: counted in the store (scripts.APPLY), 0 = no limit.
        self.apply_rate_per_ip = apply_rate_per_ip
        self.rate_window_s = rate_window_s
        self.retries = 0  # batches sent again after a dropped connection (for the metrics)
        self._apply = conn.writer.register_script(scripts.APPLY)
        self._status = conn.reader.register_script(scripts.STATUS)
        self._audit = conn.reader.register_script(scripts.AUDIT)
        self._status_many = conn.reader.register_script(scripts.STATUS_MANY)
        self._list_page = conn.reader.register_script(scripts.LIST_PAGE)

    async def apply_batch(self, batch: list[PendingApply]) -> list[Applied | LiveEventError]:
        """Append a batch in one pipeline and confirm it is on disk before answering.

        Each item gets an ``Applied`` or the error for it. A connection failure is retried
        once (safe: see ``scripts.APPLY``); after that, every item gets ``StoreUnavailable``
        and none is acknowledged. Returns one answer per item, in order; an item's error is
        ``StoreUnavailable``, ``NotFound`` (event or job), ``RateLimited`` or ``Conflict``
        (purged event). A ``redis.RedisError`` is never raised; on a cluster, a slot that no
        master serves raises ``StoreUnavailable`` (``NodeBatches.run``).
        """
        # Not store_errors: a batch answers each item with its error instead of raising, and a
        # dropped connection is retried here first.
        for attempt in range(2):
            try:
                return await self._apply_once(batch)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                if attempt == 1:
                    error = StoreUnavailable(f"the store did not confirm: {type(exc).__name__}")
                    return [error for _ in batch]
                self.retries += 1
            except RedisError as exc:
                error = StoreUnavailable(f"the store refused the batch: {type(exc).__name__}")
                return [error for _ in batch]
        raise AssertionError("unreachable")

    def _call(self, event_id: str, items: list[PendingApply]) -> tuple[list[str], list[Any]]:
        """The APPLY script's keys and arguments for one event's applications."""
        k = self.keys.event(event_id)
        keys = [k.dedupe, k.idem, k.apps, k.counters, k.applicants, k.meta, k.appidx, k.jobs]
        keys.append(k.minutes)
        args: list[Any] = [self.apply_rate_per_ip, self.rate_window_s, k.base]
        rate_keys: dict[str, int] = {}  # address -> its key's index after the first 9 keys
        for item in items:
            req = item.request
            idem = idempotency_digest(req.idempotency_key)
            record = {
                "job_id": req.job_id,
                "name": req.name,
                "phone": req.phone,
                "applied_at": item.now,
                "consent": req.consent,
                "via": item.via,
                # Kept (as its digest) so that the idempotency index can be rebuilt.
                "idempotency_key": idem,
            }
            # Attribution (issue 16), only when set: a live application from a link without
            # city or channel stores no more than before.
            if req.city is not None:
                record["city"] = req.city
            if req.channel is not None:
                record["channel"] = req.channel
            if req.venue is not None:
                record["venue"] = req.venue
            if req.source is not None:
                record["source"] = str(req.source)
            # A replay application's card (issue 17), checked by web/replays.py: after the
            # broadcast no card is on screen, so the stream entry's card field is empty and
            # readers take this one (``_applications``).
            if req.card_id is not None:
                record["card_id"] = req.card_id
            # What the consent said (domain.consent), only when the form sent it.
            if req.consent_version is not None:
                record["consent_version"] = req.consent_version
            if req.consent_to is not None:
                record["consent_to"] = req.consent_to
            if req.notify_status is not None:  # issue 17 part 4: status notices
                record["notify_status"] = req.notify_status
            rate_key = 0  # not limited: no address (the CLI, the fill of a benchmark)
            if item.ip and self.apply_rate_per_ip:
                rate_key = rate_keys.get(item.ip, 0)
                if not rate_key:
                    keys.append(self.keys.apply_rate(event_id, item.ip))
                    rate_key = rate_keys[item.ip] = len(rate_keys) + 1
            args += (
                req.dedupe_key(),
                idem or "",
                item.attempt,
                req.job_id,
                req.phone,
                codec.pack(record),
                rate_key,
                item.now // MINUTE_MS,
                attribution_fields(req),
                req.city or "",
            )
        return keys, args

    async def _apply_once(self, batch: list[PendingApply]) -> list[Applied | LiveEventError]:
        # One script call per event in the batch (usually one event: the one on air), and per
        # CALL_MAX applications of it: the store runs a call without serving anyone else, so a
        # call is kept to about a millisecond, and a host's push or a viewer's catch-up never
        # waits behind a whole batch (the store reads the next call while serving others).
        by_event: dict[str, list[int]] = {}
        for index, item in enumerate(batch):
            by_event.setdefault(item.event_id, []).append(index)
        groups = [
            (event_id, indexes[first : first + CALL_MAX])
            for event_id, indexes in by_event.items()
            for first in range(0, len(indexes), CALL_MAX)
        ]
        calls = [self._call(event_id, [batch[i] for i in indexes]) for event_id, indexes in groups]
        if self.conn.batches is not None:
            waitaof = self.conn.durability is Durability.WAITAOF
            replies = await self.conn.batches.run(
                scripts.APPLY,
                calls,
                waitaof_timeout_ms=self.conn.waitaof_timeout_ms if waitaof else None,
            )
        else:
            tail: list[Command] = []
            if self.conn.durability is Durability.WAITAOF:
                tail.append(("WAITAOF", 1, 0, self.conn.waitaof_timeout_ms))
            replies = await send_script_batch(self.conn.writer, self._apply, calls, tail=tail)
            if self.conn.durability is Durability.WAITAOF:
                fsynced = replies.pop()
                if isinstance(fsynced, Exception) or int(fsynced[0]) < 1:
                    error = StoreUnavailable("the store did not confirm the write reached disk")
                    return [error for _ in batch]
        results: list[Applied | LiveEventError] = [None] * len(batch)  # type: ignore[list-item]
        for (event_id, indexes), reply in zip(groups, replies, strict=True):
            for n, index in enumerate(indexes):
                results[index] = _result(reply, n, event_id)
        return results

    async def change_status(
        self,
        event_id: str,
        application_id: str,
        target: Status,
        *,
        by: str,
        now: int,
        role: str | None = None,
    ) -> tuple[Status, Status]:
        """Record a status change; returns (from, to). ``NotFound``/``Conflict`` change nothing.

        Exactly once under retry: the STATUS script gets this call's once key, so a retry of
        a run whose reply was lost answers (from, to) as that run did, instead of "already".
        Raises ``NotFound`` for an unknown application, ``Conflict`` for a move
        ``domain.applications`` forbids (checked by the script against the status it finds,
        in the same step as the write: one round trip), ``StoreUnavailable``. ``now`` is
        Unix ms; ``by`` names who made the change, ``role`` (stored when given) the role they
        made it in (``employer`` for an employer's page).
        A move into or out of ``hired`` also appends one ``openings`` timeline entry (the
        job's new hire count, ``cards.openings_record``) in the same atomic step; a retry
        appends none. The job's last report time (``reports``) is set after the change.
        """
        k = self.keys.event(event_id)
        once = self.keys.once(event_id, new_attempt())
        record: dict[str, Any] = {
            "application_id": application_id,
            "to": str(target),
            "by": by,
            "at": now,
        }
        if role is not None:
            record["role"] = role
        # "from" last and open: the script appends the status it finds there, and refuses a
        # move to the status the application already has (``check_transition``), so no read
        # is needed first (a hire reaches viewers after one round trip, like a card push).
        with store_errors():
            reply = await self._status(
                keys=[k.current, k.status, k.counters, k.appidx, k.meta, k.timeline, once],
                args=[
                    application_id,
                    "",
                    str(target),
                    codec.pack_open({**record, "from": None}),
                    self.conn.once_ttl_s,
                    k.base,
                    now,
                ],
            )
        outcome, detail = codec.text(reply[0]), codec.text(reply[1])
        if outcome == "noapp":
            raise NotFound(f"no application {application_id!r} in this event")
        current = Status(detail)
        if outcome != "ok":
            check_transition(current, target)  # raises Conflict: it is already there
            raise Conflict(f"the application is already {current}")  # not reached
        # After the change, not in it (see _note_reports): one more read for the job.
        await self._note_reports(event_id, [await self.job_of(event_id, application_id)], now)
        return current, target

    async def change_status_many(
        self,
        event_id: str,
        application_ids: list[str],
        target: Status,
        *,
        by: str,
        now: int,
        role: str | None = None,
    ) -> tuple[list[str], list[str]]:
        """Move every application of ``application_ids`` to ``target`` in one store call
        (``scripts.STATUS_MANY``); returns (changed, unchanged), each in the order given.

        Those already in ``target`` are unchanged (an id given twice: changed once, then
        unchanged). One unknown id raises ``NotFound`` naming it and changes nothing; a store
        that does not answer raises ``StoreUnavailable``. Exactly once under retry (a once key).
        Each job whose hire count changed gets one ``openings`` timeline entry (its new count),
        in the same atomic step.
        """
        k = self.keys.event(event_id)
        once = self.keys.once(event_id, new_attempt())
        args: list[Any] = [str(target), self.conn.once_ttl_s, k.base, now]
        for application_id in application_ids:
            record: dict[str, Any] = {
                "application_id": application_id,
                "to": str(target),
                "by": by,
                "at": now,
            }
            if role is not None:
                record["role"] = role
            # "from" last and open: the script appends the status it finds there.
            args += (application_id, codec.pack_open({**record, "from": None}))
        with store_errors():
            reply = await self._status_many(
                keys=[k.current, k.status, k.counters, k.appidx, k.meta, k.timeline, once],
                args=args,
            )
        if codec.text(reply[0]) == "noapp":
            raise NotFound(f"no application {codec.text(reply[1])!r} in this event")
        changed = codec.text(reply[1]).split(",") if reply[1] else []
        if changed:
            with store_errors():
                where = await self.conn.reader.hmget(k.appidx, changed)
            jobs = {codec.text(w).partition("|")[2] for w in where if w}
            await self._note_reports(event_id, sorted(jobs), now)
        # An id given twice is changed by its first mention only.
        remaining = list(changed)
        unchanged = []
        for application_id in application_ids:
            if remaining and remaining[0] == application_id:
                remaining.pop(0)
            else:
                unchanged.append(application_id)
        return changed, unchanged

    async def _note_reports(self, event_id: str, job_ids: list[str], now: int) -> None:
        """Set ``now`` as the last report time of ``job_ids`` (the ``reports`` hash).

        Naturally idempotent (a retried HSET writes the same). Not in the STATUS scripts'
        atomic step: it is a "last activity" figure for the staff page, and a crash between
        the change and this write leaves it at the previous change."""
        if not job_ids:
            return
        k = self.keys.event(event_id)
        with store_errors():
            await self.conn.reader.hset(k.reports, mapping=dict.fromkeys(job_ids, now))

    async def reports(self, event_id: str) -> dict[str, int]:
        """Each job's last report time: ``{job id: Unix ms}`` (jobs never changed are
        absent). Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        with store_errors():
            raw = await self.conn.reader.hgetall(k.reports)
        return {codec.text(job): int(at) for job, at in raw.items()}

    async def job_of(self, event_id: str, application_id: str) -> str:
        """The job id of an application. Raises ``NotFound`` for an application unknown in
        this event, ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        with store_errors():
            where = await self.conn.reader.hget(k.appidx, application_id)
        if where is None:
            raise NotFound(f"no application {application_id!r} in this event")
        return codec.text(where).partition("|")[2]

    async def by_ids(
        self, event_id: str, application_ids: list[str]
    ) -> list[tuple[Application, Status]]:
        """The applications of ``application_ids`` with their statuses, in the order given
        (unknown ids left out), in one store call. Raises ``StoreUnavailable``."""
        if not application_ids:
            return []
        k = self.keys.event(event_id)
        keys = [k.appidx, k.apps, k.current, k.counters]
        flat = await self._read_page(keys, ["ids", 0, len(application_ids), *application_ids])
        return _applications(flat[1:])

    async def page(
        self,
        event_id: str,
        *,
        offset: int,
        limit: int,
        job_id: str | None = None,
        status: Status | None = None,
        phone: str | None = None,
        job_ids: list[str] | None = None,
    ) -> tuple[int, list[tuple[Application, Status]]]:
        """One page of the applications that match every filter given, oldest first:
        (how many match, the ``limit`` (>= 0) of them from position ``offset`` (>= 0)).

        ``phone`` must be in its stored form (``normalize_phone``) and needs ``job_ids``, the
        event's jobs: an application is found by its job and phone (the dedupe index), so the
        search reads at most one application per job. Otherwise the store's indexes
        (``scripts.LIST_PAGE``) serve the page in one call whose cost does not grow with the
        number of applications. Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        if phone is not None:
            return await self._page_by_phone(
                event_id,
                phone,
                job_ids or [],
                job_id=job_id,
                status=status,
                offset=offset,
                limit=limit,
            )
        keys = [k.appidx, k.apps, k.current, k.counters]
        others = [str(s) for s in Status if s is not Status.APPLIED]
        if status is Status.APPLIED:
            with_list = "1" if job_id is not None else "0"
            args: list[Any] = [str(Status.APPLIED), offset, limit, with_list]
            if job_id is not None:
                keys.append(k.by_job(job_id))
            keys += [k.by_status(s, job_id) for s in others]
        elif status is not None:
            args = ["set", offset, limit]
            keys.append(k.by_status(str(status), job_id))
        elif job_id is not None:
            args = ["job", offset, limit]
            keys.append(k.by_job(job_id))
        else:
            args = ["all", offset, limit]
        flat = await self._read_page(keys, args)
        return int(flat[0]), _applications(flat[1:])

    async def _page_by_phone(
        self,
        event_id: str,
        phone: str,
        job_ids: list[str],
        *,
        job_id: str | None,
        status: Status | None,
        offset: int,
        limit: int,
    ) -> tuple[int, list[tuple[Application, Status]]]:
        k = self.keys.event(event_id)
        jobs = [job_id] if job_id is not None else job_ids
        with store_errors():
            found = await self.conn.reader.hmget(k.dedupe, [f"{j}|{phone}" for j in jobs])
        ids = sorted((codec.text(v).partition("|")[0] for v in found if v), key=int)
        if not ids:
            return 0, []
        keys = [k.appidx, k.apps, k.current, k.counters]
        flat = await self._read_page(keys, ["ids", 0, len(ids), *ids])
        rows = [
            (application, current)
            for application, current in _applications(flat[1:])
            if application.phone == phone and (status is None or current is status)
        ]
        return len(rows), rows[offset : offset + limit]

    async def _read_page(self, keys: list[str], args: list[Any]) -> list[Any]:
        with store_errors():
            return await self._list_page(keys=keys, args=args)  # type: ignore[no-any-return]

    async def minutes(self, event_id: str) -> dict[int, int]:
        """Applications per minute: {minute (ms since the epoch // 60000): count}, from the
        index ``scripts.APPLY`` keeps (no read of the stream). Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        with store_errors():
            raw = await self.conn.reader.hgetall(k.minutes)
        return {int(minute): int(count) for minute, count in raw.items()}

    async def status_of(self, event_id: str, application_id: str) -> Status:
        """The application's current status (``APPLIED`` until one is set).

        Raises ``NotFound`` for an application unknown in this event, ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        with store_errors():
            exists, status = (
                await self.conn.reader.hexists(k.appidx, application_id),
                await self.conn.reader.hget(k.current, application_id),
            )
        if not exists:
            raise NotFound(f"no application {application_id!r} in this event")
        return Status(codec.text(status)) if status else Status.APPLIED

    async def iterate(
        self, event_id: str, *, page: int = 1000
    ) -> AsyncIterator[list[tuple[Application, Status]]]:
        """Every application with its current status, oldest first, a page at a time.

        Memory stays constant whatever the number of applications. The store reads the next
        page while this one is decoded (``pipeline.chain``); a page holds the store for about
        a millisecond per 250 entries, small enough not to delay a live broadcast's
        applications and pushes while an export runs. Yields lists of at most ``page``
        ``(Application, Status)`` pairs; an unknown event yields nothing. Raises
        ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)

        def page_after(start: bytes | str) -> Command:
            return ("EVALSHA", sha, 2, k.apps, k.current, start, page)

        def next_page(flat: list[Any]) -> Command | None:
            return page_after(b"(" + flat[-5]) if len(flat) == page * 5 else None

        with store_errors():
            client = self.conn.client_for(k.apps)
            sha = await client.script_load(scripts.APPLICATIONS_PAGE)
            async for flat in chain(client, page_after("-"), next_page):
                if flat:
                    yield _applications(flat)

    async def counters(self, event_id: str) -> dict[str, int]:
        """The event's counters hash as ``{name: count}``, plus ``applicants`` (distinct
        applicants); an unknown event has only ``applicants: 0``. Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        with store_errors():
            raw = await self.conn.reader.hgetall(k.counters)
            applicants = await self.conn.reader.hlen(k.applicants)
        counters = {codec.text(key): int(value) for key, value in raw.items()}
        counters["applicants"] = int(applicants)
        return counters

    async def audit(self, event_id: str, entry: dict[str, Any]) -> None:
        """Append ``entry`` to the event's audit stream, exactly once even under retry (a once
        key: ``scripts.AUDIT``). Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        once = self.keys.once(event_id, new_attempt())
        with store_errors():
            await self._audit(keys=[k.audit, once], args=[codec.pack(entry), self.conn.once_ttl_s])


_STATUSES = {status.value.encode(): status for status in Status}


def _applications(flat: list[Any]) -> list[tuple[Application, Status]]:
    """A page from ``scripts.APPLICATIONS_PAGE``: (stream id, id, card, record, status) * n.

    Runs once per row of an export (a million times): the loop is kept plain.
    """
    records = codec.unpack_many(flat[3::5])
    statuses, applied = _STATUSES, Status.APPLIED
    return [
        (
            Application(
                app_id.decode(),
                record["job_id"],
                record["name"],
                record["phone"],
                record["applied_at"],
                card.decode() if card else record.get("card_id"),
                record.get("consent"),
                record.get("via", "http"),
                # Attribution (issue 16): absent in most records; .get costs ~30 ns each.
                record.get("city"),
                record.get("channel"),
                record.get("venue"),
                record.get("source"),
                record.get("consent_version"),
                record.get("consent_to"),
                record.get("notify_status"),
            ),
            statuses.get(status, applied),
        )
        for app_id, card, record, status in zip(
            flat[1::5], flat[2::5], records, flat[4::5], strict=True
        )
    ]


def _result(reply: Any, n: int, event_id: str) -> Applied | LiveEventError:
    """The answer for the ``n``-th application of one script call's ``reply``."""
    if isinstance(reply, ResponseError):
        if str(reply).startswith("OOM"):
            return StoreUnavailable("the store is out of memory; nothing was stored")
        return StoreUnavailable("the store refused the write")
    if isinstance(reply, LiveEventError):
        return reply
    if isinstance(reply, Exception):
        return StoreUnavailable("the store did not answer")
    if len(reply) == 1:  # {'noevent'}: the whole call
        return NotFound(f"no event {event_id!r}")
    kind, value = codec.text(reply[2 * n]), codec.text(reply[2 * n + 1])
    if kind == "rate":
        return RateLimited("too many applications from this address; wait a minute")
    if kind == "nojob":
        return NotFound("no such job in this event", fields={"job_id": "unknown job"})
    if kind == "purged":
        return Conflict("this event's applicant data was purged; it takes no more applications")
    if kind == "idem":
        app_id, _, flag = value.partition("|")
        return Applied(app_id, duplicate=flag == "1")
    return Applied(value, duplicate=kind == "dup")
