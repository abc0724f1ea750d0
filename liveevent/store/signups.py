"""Sign-ups (预约) in the store: the signups stream is the record of truth; the index hash
(phone dedupe, idempotency keys, known ids) is derived from it and rebuilt by ``rebuild``.

Durability: a sign-up is acknowledged when the store answered the script (on the embedded
store, which runs ``appendfsync always``, that is after the fsync); it is not batched behind a
``WAITAOF`` as applications are: a few sign-ups a second, days before the broadcast.

Exactly once under retry: ``SIGNUP`` is told the attempt it serves and keeps it next to the
phone in the index (as ``scripts.APPLY`` does), so a retry of a run whose reply was lost
answers that run's id as new, and counts nothing twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from liveevent.domain.signups import Funnel, SignupRequest
from liveevent.errors import Conflict, NotFound, RateLimited
from liveevent.store import codec
from liveevent.store.applications import idempotency_digest
from liveevent.store.connect import StoreConnection, new_attempt, store_errors
from liveevent.store.pipeline import stream_pages

# KEYS: meta signups index rate('' key when not limited)
# ARGV: phone idem_digest('' = none) attempt blob signup_id rate_limit(0 = none) window_s
# -> {'new'|'dup', id} | {'noevent'} | {'purged'} | {'closed', state} | {'rate'}
SIGNUP = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'noevent'} end
if redis.call('HEXISTS', KEYS[1], 'purged_at') == 1 then return {'purged'} end
local phone_field = 'p:' .. ARGV[1]
local existing = redis.call('HGET', KEYS[3], phone_field)
if existing then
  local sep = string.find(existing, '|', 1, true)
  if string.sub(existing, sep + 1) == ARGV[3] then
    return {'new', string.sub(existing, 1, sep - 1)}
  end
end
local limit = tonumber(ARGV[6])
if limit > 0 then
  local seen = redis.call('INCR', KEYS[4])
  if seen == 1 then redis.call('EXPIRE', KEYS[4], ARGV[7]) end
  if seen > limit then return {'rate'} end
end
if ARGV[2] ~= '' then
  local known = redis.call('HGET', KEYS[3], ARGV[2])
  if known then return {'idem', known} end
end
if existing then
  return {'dup', string.sub(existing, 1, string.find(existing, '|', 1, true) - 1)}
end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'scheduled' then return {'closed', state} end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[5], 'd', ARGV[4])
redis.call('HSET', KEYS[3], phone_field, ARGV[5] .. '|' .. ARGV[3], 'i:' .. ARGV[5], '1')
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[5] .. '|0') end
return {'new', ARGV[5]}
"""

# KEYS: meta index watched; ARGV: signup_id -> 1 newly watched, 0 already, -1 unknown id,
# -2 the event is not live
WATCHED = """
if redis.call('HEXISTS', KEYS[2], 'i:' .. ARGV[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'live' then return -2 end
return redis.call('SADD', KEYS[3], ARGV[1])
"""


class SignupLog:
    """The sign-ups of every event (module docstring), on a ``StoreConnection``.

    One per process; every method raises ``StoreUnavailable`` when the store does not answer.
    ``signup_rate_per_ip`` sign-ups per address per ``rate_window_s`` across nodes (0: none).
    """

    def __init__(
        self, conn: StoreConnection, *, signup_rate_per_ip: int = 0, rate_window_s: int = 60
    ) -> None:
        self.conn = conn
        self.keys = conn.keys
        self.signup_rate_per_ip = signup_rate_per_ip
        self.rate_window_s = rate_window_s
        self._signup = conn.reader.register_script(SIGNUP)
        self._watched = conn.reader.register_script(WATCHED)

    async def add(
        self, event_id: str, req: SignupRequest, *, signup_id: str, now: int, ip: str = ""
    ) -> tuple[str, bool]:
        """Store a sign-up; returns (signup id, duplicate).

        The same phone again answers the first sign-up's id with ``duplicate`` True; the same
        ``idempotency_key`` answers what its first request answered. Raises ``NotFound`` (no
        event), ``Conflict`` (the event is live or ended, or purged), ``RateLimited``,
        ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        limited = bool(ip and self.signup_rate_per_ip)
        rate_key = self.keys.signup_rate(event_id, ip) if limited else k.base + ":signuprate:"
        idem = idempotency_digest(req.idempotency_key) or ""
        args: list[Any] = [
            req.phone,
            idem,
            new_attempt(),
            codec.pack(req.to_record(signup_id, now)),
            signup_id,
            self.signup_rate_per_ip if limited else 0,
            self.rate_window_s,
        ]
        with store_errors():
            reply = await self._signup(
                keys=[k.meta, k.signups, k.signup_index, rate_key], args=args
            )
        kind = codec.text(reply[0])
        if kind == "noevent":
            raise NotFound(f"no event {event_id!r}")
        if kind == "purged":
            raise Conflict("this event's personal data was purged; it takes no sign-ups")
        if kind == "closed":
            raise Conflict(f"sign-ups close when the event goes live; it is {codec.text(reply[1])}")
        if kind == "rate":
            raise RateLimited("too many sign-ups from this address; try again in a minute")
        value = codec.text(reply[1])
        if kind == "idem":
            first_id, dup = value.split("|", 1)
            return first_id, dup == "1"
        return value, kind == "dup"

    async def mark_watched(self, event_id: str, signup_id: str) -> bool:
        """Record that the sign-up's page watched the live event; True the first time.

        Naturally idempotent (a set). Raises ``NotFound`` for an unknown sign-up,
        ``Conflict`` when the event is not live, ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        with store_errors():
            done = int(
                await self._watched(
                    keys=[k.meta, k.signup_index, k.signups_watched], args=[signup_id]
                )
            )
        if done == -1:
            raise NotFound("no such sign-up")
        if done == -2:
            raise Conflict("the event is not live")
        return done == 1

    async def count(self, event_id: str) -> int:
        """How many people signed up. Raises ``StoreUnavailable``."""
        with store_errors():
            return int(await self.conn.reader.xlen(self.keys.event(event_id).signups))

    async def watched(self, event_id: str) -> set[str]:
        """The ids of the sign-ups that watched. Raises ``StoreUnavailable``."""
        with store_errors():
            members = await self.conn.reader.smembers(self.keys.event(event_id).signups_watched)
        return {codec.text(m) for m in members}

    async def records(self, event_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every sign-up record (``SignupRequest.to_record``), oldest first, a page at a
        time. Raises ``StoreUnavailable``, ``CorruptEntry``."""
        with store_errors():
            async for entries in stream_pages(self.conn.reader, self.keys.event(event_id).signups):
                for _sid, fields in entries:
                    yield codec.unpack(fields[b"d"])

    async def funnel(self, event_id: str, hired_phones: set[str]) -> Funnel:
        """The event's funnel: sign-ups; of them, those that watched (``mark_watched``),
        those whose phone applied to any job (the applicants index), and those whose phone is
        in ``hired_phones``. Reads every sign-up: O(sign-ups). Raises ``StoreUnavailable``,
        ``CorruptEntry``."""
        k = self.keys.event(event_id)
        phones = [record["phone"] async for record in self.records(event_id)]
        applied = 0
        with store_errors():
            watched = int(await self.conn.reader.scard(k.signups_watched))
            for first in range(0, len(phones), 1000):
                chunk = phones[first : first + 1000]
                counts = await self.conn.reader.hmget(k.applicants, chunk)
                applied += sum(1 for c in counts if c is not None and int(c) > 0)
        return Funnel(
            signed_up=len(phones),
            watched=watched,
            applied=applied,
            hired=sum(1 for phone in phones if phone in hired_phones),
        )


async def rebuild_signups(conn: StoreConnection, event_id: str) -> int:
    """Replace the event's sign-up index with what its signups stream says; returns the
    number of sign-ups. Idempotency keys are not in the stream and are not restored (a retry
    with one still finds its phone: ``duplicate``). One MULTI/EXEC; raises
    ``StoreUnavailable``, ``CorruptEntry``."""
    k = conn.keys.event(event_id)
    index: dict[str, str] = {}
    log = SignupLog(conn)
    async for record in log.records(event_id):
        index.setdefault(f"p:{record['phone']}", f"{record['id']}|rebuilt")
        index[f"i:{record['id']}"] = "1"
    with store_errors():
        async with conn.reader.pipeline(transaction=True) as pipe:
            pipe.delete(k.signup_index)
            if index:
                pipe.hset(k.signup_index, mapping=index)
            await pipe.execute()
    return sum(1 for field in index if field.startswith("i:"))
