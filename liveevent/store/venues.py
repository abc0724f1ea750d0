"""Venues and check-ins in the store (``domain.venues``; keys in ``store/keys.py``)."""

from __future__ import annotations

from typing import Any

from liveevent.domain.access import Grant, Role
from liveevent.domain.venues import MAX_VENUES, CheckIn, Venue
from liveevent.errors import Conflict, InvalidInput, NotFound, RateLimited
from liveevent.store import codec, keys, scripts
from liveevent.store.connect import StoreConnection, store_call


class VenueStore:
    """An event's venues, the check-ins at them and each venue station's apply allowance.

    One per process, on a ``StoreConnection``; safe to share between tasks. Every method
    raises ``StoreUnavailable`` when the store does not answer (``store_call``). Times are
    Unix milliseconds.
    """

    def __init__(self, conn: StoreConnection) -> None:
        self.conn = conn
        self.keys = conn.keys
        self._checkin = conn.reader.register_script(scripts.CHECKIN)
        self._count_rate = conn.reader.register_script(scripts.COUNT_RATE)

    async def add_venue(self, event_id: str, venue: Venue) -> None:
        """Store a new venue of an existing event (the caller checked that it exists).

        Naturally idempotent under retry: the record is built once, before the write, and a
        repeated HSET writes the same field again. Raises ``InvalidInput`` (naming ``name``)
        once the event has ``MAX_VENUES``, ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        if await store_call(self.conn.reader.hlen(k.venues)) >= MAX_VENUES:
            why = f"an event has at most {MAX_VENUES} venues"
            raise InvalidInput(why, fields={"name": why})
        await store_call(self.conn.reader.hset(k.venues, venue.id, codec.pack(venue.to_record())))

    async def venues(self, event_id: str) -> list[Venue]:
        """The event's venues, oldest first (then by id). Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        raw = await store_call(self.conn.reader.hvals(k.venues))
        found = [Venue.from_record(codec.unpack(blob)) for blob in raw]
        return sorted(found, key=lambda v: (v.created_at, v.id))

    async def venue(self, event_id: str, venue_id: str) -> Venue:
        """One venue. Raises ``NotFound`` (naming ``venue``), ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        raw = await store_call(self.conn.reader.hget(k.venues, venue_id))
        if raw is None:
            raise NotFound(f"no venue {venue_id!r} in this event", fields={"venue": "unknown"})
        return Venue.from_record(codec.unpack(raw))

    async def checked_in(self, event_id: str) -> tuple[int, dict[str, int]]:
        """(check-ins at every venue, check-ins per venue id). Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        counters = await store_call(self.conn.reader.hgetall(k.counters))
        total = 0
        by_venue: dict[str, int] = {}
        for field, value in counters.items():
            name = codec.text(field)
            if name == keys.Counter.CHECKINS:
                total = int(value)
            elif name.startswith(keys.VENUE_CHECKINS_PREFIX):
                by_venue[name[len(keys.VENUE_CHECKINS_PREFIX) :]] = int(value)
        return total, by_venue

    async def check_in(
        self,
        event_id: str,
        venue_id: str,
        checkin: CheckIn,
        *,
        checkin_id: str,
        now: int,
        ip: str,
        rate_limit: int,
        window_s: int,
    ) -> tuple[str, bool]:
        """Record one person's check-in at a venue; returns (check-in id, duplicate).

        ``duplicate`` is True, with the first check-in's id, when this phone has already
        checked in at this venue (nothing written). Naturally idempotent under retry (see
        ``scripts.CHECKIN``). ``rate_limit`` new check-ins per ``ip`` per ``window_s`` (0: no
        limit). Raises ``NotFound`` (event, or venue naming ``venue``), ``Conflict`` (the
        event's personal data was purged), ``RateLimited``, ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        record = {
            "checkin_id": checkin_id,
            "venue": venue_id,
            "name": checkin.name,
            "phone": checkin.phone,
            "consent": checkin.consent,
            "checked_in_at": now,
        }
        reply = await store_call(
            self._checkin(
                keys=[
                    k.meta,
                    k.venues,
                    k.checkins,
                    k.checkin_dedupe,
                    k.counters,
                    self.keys.checkin_rate(event_id, ip or "-"),
                ],
                args=[
                    venue_id,
                    checkin.dedupe_key(venue_id),
                    codec.pack(record),
                    checkin_id,
                    rate_limit if ip else 0,
                    window_s,
                ],
            )
        )
        kind = codec.text(reply[0])
        if kind == "new":
            return codec.text(reply[1]), False
        if kind == "dup":
            return codec.text(reply[1]), True
        if kind == "noevent":
            raise NotFound(f"no event {event_id!r}")
        if kind == "novenue":
            raise NotFound(f"no venue {venue_id!r} in this event", fields={"venue": "unknown"})
        if kind == "purged":
            raise Conflict("this fair is over and its personal data was removed")
        raise RateLimited("too many check-ins from this address; wait a minute")

    async def checkins(self, event_id: str) -> list[dict[str, Any]]:
        """Every check-in record, oldest first (``CheckIn`` fields plus ``checkin_id``,
        ``venue``, ``checked_in_at``). Reads the whole stream: for exports and tests, not for
        a hot path. Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        entries = await store_call(self.conn.reader.xrange(k.checkins))
        return [codec.unpack(fields[b"d"]) for _, fields in entries]

    async def spend_station_allowance(
        self, event_id: str, venue_id: str, *, limit: int, window_s: int
    ) -> None:
        """Count one application from a venue's station against its own limit: ``limit`` per
        ``window_s`` seconds, across nodes (0: no limit). A ceiling, not a record: a retried
        request counts again. Returns None; raises ``RateLimited`` past the limit,
        ``StoreUnavailable``."""
        if limit <= 0:
            return
        key = self.keys.station_rate(event_id, venue_id)
        used = await store_call(self._count_rate(keys=[key], args=[window_s]))
        if int(used) > limit:
            raise RateLimited("this station has sent too many applications; wait a minute")

    async def revoke_stations(self, event_id: str, venue_id: str) -> int:
        """Delete every station grant of ``venue_id`` (a lost tablet, a leaked desk link);
        returns how many were deleted. Each node stops accepting a revoked token once its
        memory of it lapses (``EventStore.role_memory_s``, seconds).

        Naturally idempotent under retry: a second run finds those grants gone and deletes
        only what was made since. Raises ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        stored = await store_call(self.conn.reader.hgetall(k.grants))
        doomed = []
        for digest, blob in stored.items():
            grant = Grant.from_record(codec.unpack(blob))
            if grant.role is Role.STATION and grant.scope == venue_id:
                doomed.append(digest)
        if not doomed:
            return 0
        return int(await store_call(self.conn.reader.hdel(k.grants, *doomed)))
