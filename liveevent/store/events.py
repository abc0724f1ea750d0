"""Events, jobs, the timeline and live counts in the store."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from liveevent.domain.access import EVENT_ROLES, GRANT_ROLES, Grant, Role
from liveevent.domain.cards import (
    JobCard,
    TimelineKind,
    card_entry,
    card_fields,
    is_timeline_record,
    state_record,
    withdraw_record,
)
from liveevent.domain.events import EventState, LiveEvent, check_transition
from liveevent.domain.jobs import Job
from liveevent.domain.screen import check_push, check_withdraw
from liveevent.errors import Conflict, CorruptEntry, NotFound
from liveevent.store import codec, keys, scripts
from liveevent.store.connect import TAIL_BLOCK_MS, StoreConnection, new_attempt, store_call

ROLES = ("host", "staff", "overlay")

# A token's role, once confirmed, is remembered this long per process: the host console calls
# several times a second, and a card push under load should not wait for a store round trip
# only to learn again what a token is. Tokens never change after an event is created; the
# time bounds how long one would outlive a change if that ever comes.
ROLE_MEMORY_S = 5.0
ROLE_MEMORY_MAX = 4096


def token_digest(token: str) -> str:
    """The SHA-256 of ``token`` (UTF-8), as 64 lowercase hex characters; raises nothing.

    What the store keeps of a token (``tok:<role>`` fields): a leaked store does not leak them.
    """
    return hashlib.sha256(token.encode()).hexdigest()


# Letters and digits only: a token people copy into a shell or a chat must not begin with
# "-" (read as an option) or break at "-"/"_" when double-clicked. 33 of 62 symbols is
# 196 bits, as much as the 24 random bytes of ``secrets.token_urlsafe(24)`` it replaces.
_TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 33


def new_token() -> str:
    """A fresh secret token: ``TOKEN_LENGTH`` characters from ``[A-Za-z0-9]`` (no ``-`` or
    ``_`` anywhere, so never a leading ``-``), from the ``secrets`` CSPRNG, about 196 bits.

    Raises nothing."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as a viewer sees it on connect: record, state, card on screen, cursor.

    ``cursor`` is the timeline stream id (``"<ms>-<seq>"``) of the last entry the view
    includes, ``"0-0"`` for none; ``card`` is None when nothing is on screen. Raises nothing.
    """

    event: LiveEvent
    state: EventState
    card: JobCard | None
    cursor: str

    def to_wire(self) -> dict[str, Any]:
        """The event's JSON object (``LiveEvent.to_wire``) plus ``current_card`` (a card's
        wire object, or None). A fresh dict each call; raises nothing."""
        wire = self.event.to_wire(self.state)
        wire["current_card"] = self.card.to_wire() if self.card else None
        return wire


log = logging.getLogger(__name__)

TIMELINE_PAGE = 1000  # entries per XRANGE when a whole timeline is read

# A timeline entry as the fan-out reads it: (stream id, record), the record None when the
# entry cannot be decoded, so that one bad entry is skipped rather than stopping the event.
TimelineEntry = tuple[str, dict[str, Any] | None]


def _entries(raw: list[Any]) -> list[TimelineEntry]:
    out: list[TimelineEntry] = []
    for sid, fields in raw:
        try:
            record: dict[str, Any] | None = codec.unpack(fields[b"d"])
        except (CorruptEntry, KeyError):
            record = None
        out.append((codec.text(sid), record))
    return out


class EventStore:
    """Events, their jobs, their timelines and their viewer counts, in the store.

    One per process, on a ``StoreConnection``; safe to share between tasks. Every method that
    reaches the store raises ``StoreUnavailable`` when it does not answer (``store_call``),
    except ``tail``, which lets redis-py's errors through. Times are Unix
    milliseconds (ints) unless a name says ``_s``; cursors are timeline stream ids
    (``"<ms>-<seq>"``). Writes that append to a timeline are exactly once under redis-py's
    retries (a once key per attempt); the others are naturally idempotent.
    """

    def __init__(self, conn: StoreConnection, *, role_memory_s: float = ROLE_MEMORY_S) -> None:
        self.conn = conn
        self.keys = conn.keys
        self.role_memory_s = role_memory_s
        # (event, roles asked, token digest) -> (role, monotonic time it is remembered until)
        self._roles: dict[tuple[str, tuple[str, ...], str], tuple[str, float]] = {}
        self._grants: dict[tuple[str, tuple[str, ...], str], tuple[Grant, float]] = {}
        self._timeline = conn.reader.register_script(scripts.TIMELINE)
        self._peak = conn.reader.register_script(scripts.VIEWERS_PEAK)

    # events -------------------------------------------------------------------------------
    async def create_event(self, event: LiveEvent, tokens: dict[str, str]) -> None:
        """Store a new event and list it. Raises ``StoreUnavailable``.

        Naturally idempotent under retry: the same fields set again and a set member added
        again change nothing, and no one else can write to the event before the caller,
        which alone knows its fresh id, is answered.
        """
        k = self.keys.event(event.id)
        fields: dict[str, Any] = {
            "record": codec.pack(event.to_record()),
            "state": str(EventState.SCHEDULED),
            "card": b"",
            "card_id": "",
            "cursor": "0-0",
        }
        for role, token in tokens.items():
            fields[f"tok:{role}"] = token_digest(token)
        if "overlay" in tokens:
            fields["overlay_token"] = tokens["overlay"]  # see overlay_token()
        if self.conn.is_cluster:
            # The event and the global index live in different slots, where MULTI cannot
            # span both: the event first, then its index entry (the index never names an
            # event that does not exist; a failure between leaves an unlisted event, which
            # the caller was told about and does not use).
            await self._call(self.conn.reader.hset(k.meta, mapping=fields))
            await self._call(self.conn.reader.sadd(self.keys.events, event.id))
            return
        async with self.conn.reader.pipeline(transaction=True) as pipe:
            pipe.hset(k.meta, mapping=fields)
            pipe.sadd(self.keys.events, event.id)
            await self._run(pipe)

    async def event_view(self, event_id: str) -> EventView:
        """The event as a viewer sees it on connect (one round trip).

        Raises ``NotFound`` for an unknown event, ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        record, state, card, cursor = await self._call(
            self.conn.reader.hmget(k.meta, ["record", "state", "card", "cursor"])
        )
        if record is None:
            raise NotFound(f"no event {event_id!r}")
        return EventView(
            event=LiveEvent.from_record(codec.unpack(record)),
            state=EventState(codec.text(state)),
            card=JobCard.from_record(codec.unpack(card)) if card else None,
            cursor=codec.text(cursor) or "0-0",
        )

    async def event_ids(self) -> list[str]:
        """Every listed event's id, sorted. Raises ``StoreUnavailable``."""
        ids = await self._call(self.conn.reader.smembers(self.keys.events))
        return sorted(codec.text(i) for i in ids)

    async def event_views(self, event_ids: list[str]) -> list[EventView]:
        """Many events in one round trip per store node (for cross-event summaries).

        The events live in different slots, so this is a plain pipeline (no MULTI); on a
        cluster, redis-py sends each node its part. Unknown ids are left out; the rest come in
        the order of ``event_ids``. Raises ``StoreUnavailable``.
        """
        fields = ["record", "state", "card", "cursor"]
        async with self.conn.reader.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.hmget(self.keys.event(event_id).meta, fields)
            replies = await self._run(pipe)
        views = []
        for record, state, card, cursor in replies:
            if record is None:
                continue
            views.append(
                EventView(
                    event=LiveEvent.from_record(codec.unpack(record)),
                    state=EventState(codec.text(state)),
                    card=JobCard.from_record(codec.unpack(card)) if card else None,
                    cursor=codec.text(cursor) or "0-0",
                )
            )
        return views

    async def check_token(self, event_id: str, roles: tuple[str, ...], token: str) -> str | None:
        """The role ``token`` holds on this event among ``roles``, or None. Constant time.

        A confirmed role is remembered for ``role_memory_s``; a refusal is never remembered.
        The digests are compared with ``hmac.compare_digest``. An unknown event holds no
        role (None, not ``NotFound``). Raises ``StoreUnavailable``.
        """
        offered = token_digest(token)
        memo = (event_id, roles, offered)
        now = time.monotonic()
        known = self._roles.get(memo)
        if known is not None and known[1] > now:
            return known[0]
        k = self.keys.event(event_id)
        digests = await self._call(self.conn.reader.hmget(k.meta, [f"tok:{r}" for r in roles]))
        found = None
        for role, digest in zip(roles, digests, strict=True):
            if digest is not None and hmac.compare_digest(codec.text(digest), offered):
                found = role
        if found is not None and self.role_memory_s > 0:
            if len(self._roles) >= ROLE_MEMORY_MAX:
                self._roles.clear()  # rare (thousands of events or tokens): start over
            self._roles[memo] = (found, now + self.role_memory_s)
        return found

    async def add_grant(self, event_id: str, grant: Grant) -> str:
        """Make a token for ``grant`` on this event and store its digest; returns the token
        (shown once: the store keeps only its SHA-256).

        Naturally idempotent: a retried HSET writes the same field again. A retry after a
        lost reply may leave an extra grant whose token nobody received (it opens nothing).
        Raises ``NotFound`` for an unknown event, ``StoreUnavailable``.
        """
        await self.event_view(event_id)
        token = new_token()
        k = self.keys.event(event_id)
        await self._call(
            self.conn.reader.hset(k.grants, token_digest(token), codec.pack(grant.to_record()))
        )
        return token

    async def grants(self, event_id: str) -> list[Grant]:
        """Every named grant of the event, oldest first (no tokens: the store has none).

        Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        raw = await self._call(self.conn.reader.hvals(k.grants))
        found = [Grant.from_record(codec.unpack(value)) for value in raw]
        return sorted(found, key=lambda g: (g.created_at, g.role, g.name))

    async def grant_of(self, event_id: str, roles: tuple[str, ...], token: str) -> Grant | None:
        """What ``token`` allows on this event among ``roles``: a built-in role's token
        (``check_token``) or a named grant (``add_grant``); None if neither.

        A confirmed grant is remembered for ``role_memory_s`` like a role. Raises
        ``StoreUnavailable``.
        """
        built_in = tuple(r for r in roles if r in EVENT_ROLES)
        if built_in:
            role = await self.check_token(event_id, built_in, token)
            if role is not None:
                return Grant.built_in(Role(role))
        named = tuple(r for r in roles if r in GRANT_ROLES)
        if not named:
            return None
        offered = token_digest(token)
        memo = (event_id, named, offered)
        now = time.monotonic()
        known = self._grants.get(memo)
        if known is not None and known[1] > now:
            return known[0]
        k = self.keys.event(event_id)
        raw = await self._call(self.conn.reader.hget(k.grants, offered))
        if raw is None:
            return None
        grant = Grant.from_record(codec.unpack(raw))
        if grant.role not in named:
            return None
        if self.role_memory_s > 0:
            if len(self._grants) >= ROLE_MEMORY_MAX:
                self._grants.clear()
            self._grants[memo] = (grant, now + self.role_memory_s)
        return grant

    async def overlay_token(self, event_id: str) -> str:
        """The event's overlay token, for the host console to build the OBS overlay's link.

        Kept as it is (not only its digest, like the others): it only opens the overlay page,
        which shows what every viewer sees, and the host must be able to read it back. An
        event made before it was kept gets a new one here (its first overlay token, which was
        never shown to a host, stops working). Raises ``NotFound``, ``StoreUnavailable``.
        """
        await self.event_view(event_id)
        k = self.keys.event(event_id)
        redis = self.conn.reader
        kept, digest = await self._call(redis.hmget(k.meta, ["overlay_token", "tok:overlay"]))
        if not kept:
            # The token is the truth and its digest follows from it: a retried HSETNX (its
            # reply lost) answers 0, and a crash may come between the two writes, so the
            # digest is checked and set again below rather than only after a won HSETNX.
            await self._call(redis.hsetnx(k.meta, "overlay_token", new_token()))
            kept, digest = await self._call(redis.hmget(k.meta, ["overlay_token", "tok:overlay"]))
        token = codec.text(kept)
        if codec.text(digest) != token_digest(token):
            await self._call(redis.hset(k.meta, "tok:overlay", token_digest(token)))
        return token

    # jobs ---------------------------------------------------------------------------------
    async def upsert_jobs(self, event_id: str, jobs: list[Job]) -> tuple[int, int]:
        """Store ``jobs`` in one step; returns (created, updated). Raises ``StoreUnavailable``.

        Naturally idempotent under retry: the records are built once, before the write, so a
        repeated HSET writes the same values, and the counts come from the read before it.
        """
        k = self.keys.event(event_id)
        existing = await self._call(self.conn.reader.hmget(k.jobs, [j.id for j in jobs]))
        now = int(time.time() * 1000)
        mapping: dict[str, bytes] = {}
        for index, (job, previous) in enumerate(zip(jobs, existing, strict=True)):
            record = job.to_record()
            # Keep a job's place in the list when it is updated; new ones in the given order.
            place = [now, index]
            record["added"] = codec.unpack(previous).get("added", place) if previous else place
            mapping[job.id] = codec.pack(record)
        await self._call(self.conn.reader.hset(k.jobs, mapping=mapping))
        created = sum(1 for e in existing if e is None)
        return created, len(jobs) - created

    async def jobs(self, event_id: str) -> list[Job]:
        """The event's jobs in the order they were first added (then by id).

        An unknown event has none (an empty list, not ``NotFound``). Raises
        ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        raw = await self._call(self.conn.reader.hgetall(k.jobs))
        records = [codec.unpack(v) for v in raw.values()]
        records.sort(key=lambda r: (r.get("added", [0, 0]), r["id"]))
        return [Job.from_record(r) for r in records]

    async def job(self, event_id: str, job_id: str) -> Job:
        """One job of the event. Raises ``NotFound`` (field ``job_id``), ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        raw = await self._call(self.conn.reader.hget(k.jobs, job_id))
        if raw is None:
            raise NotFound(f"no job {job_id!r} in this event", fields={"job_id": "unknown job"})
        return Job.from_record(codec.unpack(raw))

    # timeline -----------------------------------------------------------------------------
    async def push_card(
        self,
        event_id: str,
        job_id: str,
        *,
        card_id: str,
        pushed_at: int,
        pushed_by: str | None = None,
    ) -> str:
        """Put the card of ``job_id`` on screen; returns its cursor. ``pushed_by`` (the host's
        grant name) is kept on the card and its timeline record.

        Two hosts pushing at once: the store runs one push after the other, the timeline holds
        both in that order, and the later one is on screen for everyone (both consoles too).

        ``NotFound`` for an unknown job, then ``Conflict`` unless the event is live. The store
        reads the job and appends the card in one step (scripts.TIMELINE), so a push under
        load waits for one round trip, not two; the card carries the job as stored then.
        Exactly once under retry (a once key: ``_timeline_op``). Also raises ``NotFound`` for an
        unknown event, ``StoreUnavailable``.
        """
        fields = card_fields(card_id, pushed_at, None, pushed_by=pushed_by)
        status, detail = await self._timeline_op(
            event_id,
            TimelineKind.CARD,
            codec.pack_open(card_entry(fields)),
            "",
            codec.pack_open(fields),
            card_id,
            "",
            job_id,
        )
        if status == "nojob":
            raise NotFound(f"no job {job_id!r} in this event", fields={"job_id": "unknown job"})
        if status == "notlive":
            check_push(EventState(detail))  # the script refused: the domain's rule says why
            raise Conflict("the store and domain.screen disagree on pushing a card")
        return detail

    async def withdraw_card(self, event_id: str, *, now: int, by: str | None = None) -> str:
        """Take the card on screen down; returns the cursor of the withdrawal (whose record
        names ``by``, the host's grant name, when given).

        Raises ``Conflict`` if there is none, or if it changed between the read and the write;
        ``NotFound`` for an unknown event; ``StoreUnavailable``. ``now`` is Unix ms.
        Exactly once under retry (a once key: ``_timeline_op``).
        """
        view = await self.event_view(event_id)
        card_id = view.card.card_id if view.card is not None else ""
        check_withdraw(card_id, card_id)  # raises if there is none
        status, detail = await self._timeline_op(
            event_id,
            TimelineKind.WITHDRAW,
            codec.pack(withdraw_record(card_id, now, by=by)),
            card_id,
            b"",
            "",
            "",
        )
        if status == "changed":
            check_withdraw(detail, card_id)  # the script refused: the domain's rule says why
            raise Conflict("the store and domain.screen disagree on withdrawing a card")
        return detail

    async def set_state(self, event_id: str, target: EventState, *, now: int) -> str:
        """Move the event to ``target``; returns the cursor of the change.

        ``Conflict`` for a move the state machine forbids (``domain.events``), or if the state
        changed between the read and the write. Exactly once under retry: a retry whose first
        run changed the state answers 'ok' with the same cursor, not "nothing was changed".
        Also raises ``NotFound`` for an unknown event, ``StoreUnavailable``; ``now`` is Unix ms.
        """
        view = await self.event_view(event_id)
        check_transition(view.state, target)
        status, detail = await self._timeline_op(
            event_id,
            TimelineKind.STATE,
            codec.pack(state_record(str(target), now)),
            str(view.state),
            b"",
            "",
            str(target),
        )
        if status == "changed":
            raise Conflict(f"the event became {detail} meanwhile; nothing was changed")
        return detail

    async def _timeline_op(
        self,
        event_id: str,
        op: TimelineKind,
        blob: bytes,
        expected: str,
        card_blob: bytes,
        card_id: str,
        target: str,
        job_id: str = "",
    ) -> tuple[str, str]:
        """One TIMELINE call; a fresh attempt id per call, kept by redis-py's retries of it,
        so that a retry of a run whose reply was lost answers what that run did."""
        k = self.keys.event(event_id)
        once = self.keys.once(event_id, new_attempt())
        reply = await self._call(
            self._timeline(
                keys=[k.meta, k.timeline, k.counters, k.jobs, once],
                args=[
                    str(op),
                    blob,
                    expected,
                    card_blob,
                    card_id,
                    target,
                    job_id,
                    self.conn.once_ttl_s,
                ],
            )
        )
        status, detail = codec.text(reply[0]), codec.text(reply[1])
        if status == "noevent":
            raise NotFound(f"no event {event_id!r}")
        return status, detail

    async def timeline_records(self, event_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every timeline record of the event, oldest first, read a page at a time.

        An entry that cannot be decoded, or is not a timeline record, is skipped with an error
        log naming its id (never its bytes), as the fan-out skips it: one bad entry must not
        make ``GET /cards`` or an export fail for good. Raises ``StoreUnavailable``.
        """
        after = "0-0"
        while True:
            page = await self.timeline_entries(event_id, after, count=TIMELINE_PAGE)
            for sid, record in page:
                if record is None or not is_timeline_record(record):
                    log.error(
                        "skipped timeline entry %s of event %s: it could not be decoded",
                        sid,
                        event_id,
                    )
                    continue
                yield record
            if len(page) < TIMELINE_PAGE:
                return
            after = page[-1][0]

    async def timeline_entries(
        self, event_id: str, after: str, *, count: int = TIMELINE_PAGE
    ) -> list[TimelineEntry]:
        """Up to ``count`` timeline entries strictly after cursor ``after``, oldest first; an
        entry that cannot be decoded comes as ``(sid, None)`` instead of failing the page.

        ``after`` is a stream id (``"0-0"`` for the start); an unknown event has no entries.
        Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        entries = await self._call(
            self.conn.reader.xrange(k.timeline, min=f"({after}", max="+", count=count)
        )
        return _entries(entries)

    async def has_timeline_entry(self, event_id: str, cursor: str) -> bool:
        """Whether the event's timeline holds an entry with stream id ``cursor`` (a resuming
        viewer's ``since``: only then is a replay from it exact).

        ``cursor`` must be a valid stream id (``"<ms>-<seq>"``; the caller checks it first);
        an unknown event holds none (False). Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        entries = await self._call(
            self.conn.reader.xrange(k.timeline, min=cursor, max=cursor, count=1)
        )
        return bool(entries)

    async def timeline_first(self, event_id: str) -> str | None:
        """The stream id of the event's oldest timeline entry, or None if it has none.

        Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        entries = await self._call(self.conn.reader.xrange(k.timeline, count=1))
        return codec.text(entries[0][0]) if entries else None

    async def tail(self, event_id: str, after: str) -> list[TimelineEntry]:
        """Block up to a few seconds for entries after ``after`` (raises on store errors);
        an entry that cannot be decoded comes as ``(sid, None)``.

        Blocks at most ``TAIL_BLOCK_MS`` (5,000 ms) on the ``tail`` client, returns at most 500
        entries, oldest first, and ``[]`` when none came. Unlike the other methods it raises
        ``redis.RedisError`` untranslated (the fan-out's tail loop, ``web.hub``, logs any
        error and tries again after 0.5 s)."""
        k = self.keys.event(event_id)
        reply = await self.conn.tail.xread({k.timeline: after}, block=TAIL_BLOCK_MS, count=500)
        if not reply:
            return []
        return _entries(reply[0][1])

    async def pushed_cards(self, event_id: str) -> list[JobCard]:
        """Every card pushed in this event, oldest first (withdrawn ones too).

        Reads the whole timeline (``timeline_records``). Raises ``StoreUnavailable``.
        """
        return [
            JobCard.from_record(record["card"])
            async for record in self.timeline_records(event_id)
            if record["kind"] == TimelineKind.CARD
        ]

    async def job_hires(self, event_id: str, job_ids: list[str]) -> dict[str, int]:
        """Each job's confirmed hires (the ``hire:<job>`` counters), 0 for none, as ``{job id:
        hires}`` (for positions remaining: ``domain.openings``). One round trip.

        Read after a cursor, these counts are at least as new as that cursor: the status
        scripts move the count and the cursor in one step. Raises ``StoreUnavailable``.
        """
        if not job_ids:
            return {}
        k = self.keys.event(event_id)
        raw = await self._call(
            self.conn.reader.hmget(k.counters, [keys.job_hires(j) for j in job_ids])
        )
        return {job: int(value or 0) for job, value in zip(job_ids, raw, strict=True)}

    # viewers across nodes -----------------------------------------------------------------
    async def publish_viewers(self, event_id: str, node_id: str, count: int, ttl_s: float) -> None:
        """Report this node's ``count`` viewers of the event, valid for ``ttl_s`` seconds.

        Also raises the event's ``viewers_peak`` counter to the total across live nodes if it
        is higher (scripts.VIEWERS_PEAK). Returns None. Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        expires = int((time.time() + ttl_s) * 1000)
        await self._call(self.conn.reader.hset(k.viewers, node_id, f"{count}|{expires}"))
        # The peak across all nodes, for the organisers' summary (counters hash, viewers_peak).
        total = await self.viewers_online(event_id)
        await self._call(self._peak(keys=[k.counters], args=[total]))

    async def forget_node(self, event_id: str, node_id: str) -> None:
        """Drop ``node_id``'s viewer report at once (a node shutting down), rather than at
        its expiry. Returns None. Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        await self._call(self.conn.reader.hdel(k.viewers, node_id))

    async def viewers_online(self, event_id: str, *, exclude: str | None = None) -> int:
        """Viewers on every node whose report has not expired (a dead node drops out).

        ``exclude`` leaves out one node, for a caller that adds its own live count. Returns
        the sum of the counts (0 for an unknown event). Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        raw = await self._call(self.conn.reader.hgetall(k.viewers))
        now = time.time() * 1000
        total = 0
        for node, value in raw.items():
            if exclude is not None and codec.text(node) == exclude:
                continue
            count, _, expires = codec.text(value).partition("|")
            if int(expires) > now:
                total += int(count)
        return total

    # the store itself --------------------------------------------------------------------
    async def store_memory(self) -> tuple[int, int]:
        """The store's memory as ``(used, limit)`` in bytes (INFO memory: ``used_memory``,
        ``maxmemory``), ``limit`` 0 when it has none; for ``GET /healthz``.

        Raises ``StoreUnavailable`` when the store does not answer.
        """
        info = await self._call(self.conn.reader.info("memory"))
        return int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))

    async def interrupt_tails(self) -> None:
        """End every blocking ``tail`` now (shutdown) rather than when its block times out
        (``StoreConnection.interrupt_tails``). Returns None; raises nothing of its own."""
        await self.conn.interrupt_tails()

    # plumbing -----------------------------------------------------------------------------
    async def _call(self, awaitable: Any) -> Any:
        return await store_call(awaitable)

    async def _run(self, pipe: Any) -> Any:
        return await self._call(pipe.execute())
