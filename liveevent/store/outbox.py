"""The notifier's durable outbox: notices wait here until due, then until a sender confirms them.

Theory of operation (the keys are in ``store/keys.py``; the moves in ``domain.notices``):

1. ``enqueue`` writes a notice under its key (the idempotency key) in the ``due`` sorted set,
   scored by its due time. A key is written once: enqueueing it again (a retried sign-up, a
   second go-live) changes nothing, whatever state it reached, so nothing is sent twice
   because it was *asked* twice.
2. ``move_due`` (any process, every ``notify_poll_s``) moves the due notices, in one atomic
   script, from the sorted set to the ``queue`` stream. A notice is in one of the two, never
   both, so two processes moving at once cannot queue it twice.
3. Senders read the stream through one consumer group (``XREADGROUP``): each entry goes to one
   sender and stays in the group's pending list until that sender acknowledges it with the
   outcome (``complete``, ``retry``, ``kill``, ``bury``, ``skip``), each one atomic script
   that also ``XACK``s and ``XDEL``s the entry (``retry``, ``kill`` and ``bury`` share one,
   ``SETTLE``, given the state to move the notice to). An entry whose sender died stays
   pending; after ``notify_claim_idle_s`` another sender takes it over with ``XAUTOCLAIM``
   and sends it again, with the same key: the one way a receiver can see a notice twice.

Every script here is safe when redis-py runs it twice (a reply lost, the command sent again):
``ENQUEUE`` is ``HSETNX``-guarded, ``MOVE_DUE`` moves what is due *now* (a second run finds the
first run's notices gone from the sorted set), and the outcomes only act on a notice still
``queued`` (``COMPLETE`` sets ``sent`` whatever came before: a confirmed delivery wins).
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

from liveevent.domain.notices import Notice, NoticeState
from liveevent.errors import CorruptEntry
from liveevent.store import codec
from liveevent.store.connect import StoreConnection, store_errors

GROUP = "senders"
ENQUEUE_CALL_MAX = 200  # notices per ENQUEUE call (one call stays ~1 ms)
CANCEL_CALL_MAX = 500  # notices per CANCEL_MANY call

# KEYS: state notices due byevent; ARGV: key blob due_ms, repeated -> how many were new
ENQUEUE = """
local new = 0
for i = 1, #ARGV, 3 do
  local key = ARGV[i]
  if redis.call('HSETNX', KEYS[1], key, 'scheduled') == 1 then
    redis.call('HSET', KEYS[2], key, ARGV[i + 1])
    redis.call('ZADD', KEYS[3], ARGV[i + 2], key)
    redis.call('SADD', KEYS[4], key)
    new = new + 1
  end
end
return new
"""

# KEYS: due state queue; ARGV: now_ms limit -> how many were moved to the queue
MOVE_DUE = """
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
for _, key in ipairs(due) do
  redis.call('ZREM', KEYS[1], key)
  redis.call('HSET', KEYS[2], key, 'queued')
  redis.call('XADD', KEYS[3], '*', 'k', key)
end
return #due
"""

# KEYS: state notices queue due; ARGV: key entry group
COMPLETE = """
redis.call('HSET', KEYS[1], ARGV[1], 'sent')
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return 1
"""

# KEYS: state notices queue due; ARGV: group, then key entry pairs (COMPLETE for many)
COMPLETE_MANY = """
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], 'sent')
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('ZREM', KEYS[4], ARGV[i])
  redis.call('XACK', KEYS[3], ARGV[1], ARGV[i + 1])
  redis.call('XDEL', KEYS[3], ARGV[i + 1])
end
return 1
"""

# KEYS: state notices queue [parked]; ARGV: key entry group target [blob score] -> 1 if the
# notice was still 'queued' and is now in state ``target`` (else 0: only acknowledged). The
# one script of the three outcomes that take a queued notice off the queue:
#   retry: target 'scheduled', parked = due, score = due_ms (sent again then);
#   kill:  target 'dead', parked = the event's dead list, score = now_ms (when it died);
#   bury:  target 'dead', no parked set, no blob (a record that cannot be read: never sent,
#          counted dead, its record left as it is).
# With a blob, the record is replaced (attempts counted, last error) and the key scored in
# ``parked``. The entry is acknowledged and deleted in every case, so that it blocks nothing.
SETTLE = """
local done = 0
if redis.call('HGET', KEYS[1], ARGV[1]) == 'queued' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  if ARGV[5] then
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
    redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
  end
  done = 1
end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
return done
"""

# KEYS: queue; ARGV: entry group (a notice no longer to be sent: cancelled, sent, unknown)
SKIP = """
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
"""

# KEYS: state notices due; ARGV: keys -> how many of them were cancelled now (those still
# scheduled or queued; a queued one's stream entry is skipped by its sender, which finds it
# cancelled). Called with at most CANCEL_CALL_MAX keys: one call holds the store ~5 ms.
CANCEL_MANY = """
local n = 0
for _, key in ipairs(ARGV) do
  local state = redis.call('HGET', KEYS[1], key)
  if state == 'scheduled' or state == 'queued' then
    redis.call('HSET', KEYS[1], key, 'cancelled')
    redis.call('HDEL', KEYS[2], key)
    redis.call('ZREM', KEYS[3], key)
    n = n + 1
  end
end
return n
"""

# KEYS: state notices due; ARGV: key -> 1 if it was cancelled now
CANCEL_ONE = """
local state = redis.call('HGET', KEYS[1], ARGV[1])
if state ~= 'scheduled' and state ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'cancelled')
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""


# KEYS: state due notices; ARGV: key due_ms, repeated -> how many scheduled notices changed
# (due_ms -1: cancel it)
RESCHEDULE = """
local changed = 0
for i = 1, #ARGV, 2 do
  local key, at = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('HGET', KEYS[1], key) == 'scheduled' then
    if at < 0 then
      redis.call('HSET', KEYS[1], key, 'cancelled')
      redis.call('HDEL', KEYS[3], key)
      redis.call('ZREM', KEYS[2], key)
      changed = changed + 1
    else
      local now = redis.call('ZSCORE', KEYS[2], key)
      if now and tonumber(now) ~= at then
        redis.call('ZADD', KEYS[2], at, key)
        changed = changed + 1
      end
    end
  end
end
return changed
"""


class Outbox:
    """The outbox of every event's notices (module docstring), on a ``StoreConnection``.

    One per process; safe to share between tasks. Every method raises ``StoreUnavailable``
    when the store does not answer; times are Unix milliseconds. Stream entries are
    ``(entry id, notice key)`` pairs of text.
    """

    def __init__(self, conn: StoreConnection) -> None:
        self.conn = conn
        self.k = conn.keys.outbox
        reader = conn.reader
        self._enqueue = reader.register_script(ENQUEUE)
        self._move = reader.register_script(MOVE_DUE)
        self._complete = reader.register_script(COMPLETE)
        self._complete_many = reader.register_script(COMPLETE_MANY)
        self._settle = reader.register_script(SETTLE)
        self._skip = reader.register_script(SKIP)
        self._cancel_many = reader.register_script(CANCEL_MANY)
        self._cancel_one = reader.register_script(CANCEL_ONE)
        self._reschedule = reader.register_script(RESCHEDULE)

    async def enqueue(self, notices: list[Notice]) -> int:
        """Schedule notices (all of ONE event) at their ``due_at``; returns how many were new.

        Naturally idempotent: a key already known (in any state, sent included) is left as
        it is. Raises ``InvalidInput`` for a bad key (``Notice.check``), ``ValueError`` for
        notices of several events, ``StoreUnavailable``.
        """
        if not notices:
            return 0
        event_id = notices[0].event_id
        if any(n.event_id != event_id for n in notices):
            raise ValueError("enqueue takes the notices of one event")
        new = 0
        keys = [self.k.state, self.k.notices, self.k.due, self.k.by_event(event_id)]
        for first in range(0, len(notices), ENQUEUE_CALL_MAX):
            args: list[Any] = []
            for notice in notices[first : first + ENQUEUE_CALL_MAX]:
                args += (notice.check().key, codec.pack(notice.to_record()), notice.due_at)
            with store_errors():
                new += int(await self._enqueue(keys=keys, args=args))
        return new

    async def move_due(self, now: int, *, limit: int = 500) -> int:
        """Move up to ``limit`` notices due by ``now`` to the send queue; returns how many.

        Raises ``StoreUnavailable``.
        """
        with store_errors():
            return int(
                await self._move(keys=[self.k.due, self.k.state, self.k.queue], args=[now, limit])
            )

    async def ensure_group(self) -> None:
        """Create the queue stream and its consumer group if they do not exist.

        Idempotent; raises ``StoreUnavailable``.
        """
        with store_errors():
            try:
                await self.conn.reader.xgroup_create(self.k.queue, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def read(self, consumer: str, *, count: int, block_ms: int) -> list[tuple[str, str]]:
        """Up to ``count`` new queue entries for ``consumer``, waiting up to ``block_ms``.

        They stay pending for ``consumer`` until an outcome method acknowledges them. A queue
        whose group the store lost is given one again (nothing is read this time). On the
        tail client (a blocking read; never retried: a lost reply leaves the entries pending,
        and ``claim`` takes them back). Raises ``StoreUnavailable``.
        """
        with store_errors():
            try:
                reply = await self.conn.tail.xreadgroup(
                    GROUP, consumer, {self.k.queue: ">"}, count=count, block=block_ms
                )
            except ResponseError as exc:
                await self._lost_group(exc)
                return []
        return [
            (codec.text(sid), codec.text(fields[b"k"]))
            for _stream, entries in reply or []
            for sid, fields in entries
            if fields  # an entry deleted while pending comes back with no fields
        ]

    async def claim(self, consumer: str, *, min_idle_ms: int, count: int) -> list[tuple[str, str]]:
        """Take over up to ``count`` entries pending for longer than ``min_idle_ms`` with any
        consumer (one that crashed), for ``consumer``. Raises ``StoreUnavailable``."""
        with store_errors():
            try:
                reply = await self.conn.reader.xautoclaim(
                    self.k.queue, GROUP, consumer, min_idle_time=min_idle_ms, count=count
                )
            except ResponseError as exc:
                await self._lost_group(exc)
                return []
        out = []
        for sid, fields in reply[1]:
            if fields:
                out.append((codec.text(sid), codec.text(fields[b"k"])))
            else:  # deleted while pending (XAUTOCLAIM of Redis 7 drops these itself)
                await self.skip(codec.text(sid))
        return out

    async def _lost_group(self, exc: ResponseError) -> None:
        """The store answered NOGROUP (it lost the queue: restarted without its data, or
        restored from before the group existed): make the group again, so that the notices
        moved since are read; re-raises any other reply error."""
        if "NOGROUP" not in str(exc):
            raise exc
        await self.ensure_group()

    async def load(self, key: str) -> tuple[NoticeState | None, Notice | None]:
        """A notice's state and record (None, None for an unknown key; the record is None
        once sent or cancelled). Raises ``StoreUnavailable``, ``CorruptEntry``."""
        with store_errors():
            async with self.conn.reader.pipeline(transaction=False) as pipe:
                pipe.hget(self.k.state, key)
                pipe.hget(self.k.notices, key)
                state, blob = await pipe.execute()
        return (
            NoticeState(codec.text(state)) if state is not None else None,
            _notice(blob) if blob is not None else None,
        )

    async def load_many(self, keys: list[str]) -> list[tuple[NoticeState | None, Notice | None]]:
        """``load`` for many keys in one round trip, in order. Raises ``StoreUnavailable``,
        ``CorruptEntry``."""
        if not keys:
            return []
        with store_errors():
            async with self.conn.reader.pipeline(transaction=False) as pipe:
                pipe.hmget(self.k.state, keys)
                pipe.hmget(self.k.notices, keys)
                states, blobs = await pipe.execute()
        return [
            (
                NoticeState(codec.text(state)) if state is not None else None,
                _notice(blob) if blob is not None else None,
            )
            for state, blob in zip(states, blobs, strict=True)
        ]

    async def complete_many(self, done: list[tuple[str, str]]) -> None:
        """``complete`` for many ``(entry, key)`` pairs in one script call. Idempotent;
        raises ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.queue, self.k.due]
        for first in range(0, len(done), ENQUEUE_CALL_MAX):
            args: list[Any] = [GROUP]
            for entry, key in done[first : first + ENQUEUE_CALL_MAX]:
                args += (key, entry)
            with store_errors():
                await self._complete_many(keys=keys, args=args)

    async def complete(self, entry: str, key: str) -> None:
        """The notice was delivered: ``sent``, its record (personal data) dropped, its entry
        acknowledged. Idempotent; raises ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.queue, self.k.due]
        with store_errors():
            await self._complete(keys=keys, args=[key, entry, GROUP])

    async def retry(self, entry: str, notice: Notice, *, due_at: int) -> bool:
        """Schedule ``notice`` (with its attempts counted) again at ``due_at``; acknowledge
        the entry. Returns False (and only acknowledges) if the notice is no longer
        ``queued`` (sent by a sender that took it over, or cancelled). Raises
        ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.queue, self.k.due]
        record = codec.pack(notice.to_record())
        args: list[Any] = [notice.key, entry, GROUP, NoticeState.SCHEDULED.value, record, due_at]
        with store_errors():
            return bool(await self._settle(keys=keys, args=args))

    async def kill(self, entry: str, notice: Notice, *, now: int) -> bool:
        """Give up on ``notice``: ``dead``, kept with its last error in the event's dead
        list; acknowledge the entry. False (only acknowledged) if it was not ``queued``.
        Raises ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.queue, self.k.dead(notice.event_id)]
        record = codec.pack(notice.to_record())
        args: list[Any] = [notice.key, entry, GROUP, NoticeState.DEAD.value, record, now]
        with store_errors():
            return bool(await self._settle(keys=keys, args=args))

    async def bury(self, entry: str, key: str) -> bool:
        """Give up on a notice whose record cannot be read (``CorruptEntry``): ``dead`` (in
        the event's counts, not in its dead list, which shows records), never sent; its entry
        acknowledged so that it holds up nothing. False (only acknowledged) if it was not
        ``queued``. Idempotent; raises ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.queue]  # no record written, none scored
        with store_errors():
            return bool(
                await self._settle(keys=keys, args=[key, entry, GROUP, NoticeState.DEAD.value])
            )

    async def skip(self, entry: str) -> None:
        """Acknowledge and delete an entry whose notice is not to be sent. Idempotent;
        raises ``StoreUnavailable``."""
        with store_errors():
            await self._skip(keys=[self.k.queue], args=[entry, GROUP])

    async def cancel(self, event_id: str, key_prefix: str) -> int:
        """Cancel the event's notices not yet sent whose key starts with ``key_prefix``;
        returns how many. The event's keys are scanned (``SSCAN``) and cancelled
        ``CANCEL_CALL_MAX`` at a time, so the store answers everyone else in between (one
        script over 100,000 notices held it for 2 s at go-live). Each notice's check and
        cancel is atomic; a notice enqueued while this runs may be left (a reminder is still
        dropped at send time once the event is live). Idempotent; raises
        ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.due]
        cancelled, cursor = 0, 0
        with store_errors():
            while True:
                cursor, members = await self.conn.reader.sscan(
                    self.k.by_event(event_id), cursor, count=CANCEL_CALL_MAX
                )
                found = [k for k in map(codec.text, members) if k.startswith(key_prefix)]
                for first in range(0, len(found), CANCEL_CALL_MAX):
                    chunk = found[first : first + CANCEL_CALL_MAX]
                    cancelled += int(await self._cancel_many(keys=keys, args=chunk))
                if int(cursor) == 0:
                    return cancelled

    async def reschedule(self, due: list[tuple[str, int | None]]) -> int:
        """Move notices still ``scheduled`` to new due times (``(key, due_ms)`` pairs; None
        cancels the notice; a key not scheduled, or already at that time, is left alone);
        returns how many changed. Naturally idempotent; raises ``StoreUnavailable``."""
        moved = 0
        for first in range(0, len(due), ENQUEUE_CALL_MAX):
            args: list[Any] = []
            for key, at in due[first : first + ENQUEUE_CALL_MAX]:
                args += (key, -1 if at is None else at)
            keys = [self.k.state, self.k.due, self.k.notices]
            with store_errors():
                moved += int(await self._reschedule(keys=keys, args=args))
        return moved

    async def cancel_one(self, key: str) -> bool:
        """Cancel one notice not yet sent; True if it was cancelled now. Idempotent; raises
        ``StoreUnavailable``."""
        keys = [self.k.state, self.k.notices, self.k.due]
        with store_errors():
            return bool(await self._cancel_one(keys=keys, args=[key]))

    async def forget(self, event_id: str) -> int:
        """Drop the records (names, phones) of every notice of the event, cancelling those
        not yet sent (the purge of an ended event); returns how many records were dropped.
        Idempotent; raises ``StoreUnavailable``."""
        cancelled = await self.cancel(event_id, "")  # their records go with them
        with store_errors():
            members = await self.conn.reader.smembers(self.k.by_event(event_id))
            keys = [codec.text(k) for k in members]
            dropped = 0
            for first in range(0, len(keys), 1000):
                dropped += int(
                    await self.conn.reader.hdel(self.k.notices, *keys[first : first + 1000])
                )
        return cancelled + dropped

    async def counts(self, event_id: str) -> dict[str, int]:
        """How many of the event's notices are in each state (every ``NoticeState`` named,
        0 included). Reads each key's state: O(notices of the event). Raises
        ``StoreUnavailable``."""
        out = {str(s): 0 for s in NoticeState}
        with store_errors():
            members = await self.conn.reader.smembers(self.k.by_event(event_id))
            keys = [codec.text(k) for k in members]
            for first in range(0, len(keys), 1000):
                chunk = keys[first : first + 1000]
                for state in await self.conn.reader.hmget(self.k.state, chunk):
                    if state is not None:
                        out[codec.text(state)] = out.get(codec.text(state), 0) + 1
        return out

    async def dead(self, event_id: str, *, limit: int = 100) -> list[tuple[int, Notice]]:
        """The event's most recent dead notices, newest first, with when they died (Unix
        ms). Raises ``StoreUnavailable``, ``CorruptEntry``."""
        with store_errors():
            pairs = await self.conn.reader.zrevrange(
                self.k.dead(event_id), 0, limit - 1, withscores=True
            )
            keys = [codec.text(k) for k, _ in pairs]
            blobs = await self.conn.reader.hmget(self.k.notices, keys) if keys else []
        return [
            (int(score), _notice(blob))
            for (_, score), blob in zip(pairs, blobs, strict=True)
            if blob is not None
        ]

    async def pending(self) -> int:
        """Notices of every event still to send: scheduled, or queued and not yet
        acknowledged (the entries are deleted on acknowledgement). Raises
        ``StoreUnavailable``."""
        with store_errors():
            async with self.conn.reader.pipeline(transaction=False) as pipe:
                pipe.zcard(self.k.due)
                pipe.xlen(self.k.queue)
                due, queued = await pipe.execute()
        return int(due) + int(queued)


def _notice(blob: bytes) -> Notice:
    """A stored record as a ``Notice``; raises ``CorruptEntry`` for one that is not a
    notice's (undecodable, or a field missing or wrong)."""
    record = codec.unpack(blob)
    try:
        return Notice.from_record(record)
    except (KeyError, ValueError, TypeError) as exc:
        raise CorruptEntry("a stored notice is not a notice") from exc
