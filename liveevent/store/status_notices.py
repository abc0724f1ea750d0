"""The status notices' switch and sweep position in the store (issue 17 part 4; the rules are
in ``domain.status_notices``).

The switch is the meta hash's ``status_notices`` field (when it was turned on); the
``<p>:status_notices`` set lists the events that have it on, so a sweep visits only those.
The sweep reads the event's status stream after ``status_notices_cursor``. Turning the switch on
sets the cursor to the end of the stream (``HSETNX``: turning it on again keeps the place), so
changes made while it was off are never told. Turning it off removes both fields.
Each write is naturally idempotent (``HSETNX``, ``SADD``, ``HDEL``, ``SREM``); the set and the
meta hash are in different slots on a Cluster, so they are written one after the other, the
meta hash (the truth) first when turning on and last when turning off.
"""

from __future__ import annotations

from typing import Any

from liveevent.store import codec, keys, scripts
from liveevent.store.connect import StoreConnection, store_errors


class StatusNoticeSwitch:
    """The switch and the sweep's place, per event, on a ``StoreConnection``. Every method
    raises ``StoreUnavailable`` when the store does not answer; times are Unix ms."""

    def __init__(self, conn: StoreConnection) -> None:
        self.conn = conn
        self.keys = conn.keys
        self._advance = conn.reader.register_script(scripts.STATUS_NOTICES_ADVANCE)

    async def turn(self, event_id: str, on: bool, *, now: int) -> bool:
        """Turn the event's status notices on or off; returns whether they are on. Naturally
        idempotent (module docstring). Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        reader = self.conn.reader
        with store_errors():
            if on:
                last = await reader.xrevrange(k.status, count=1)
                cursor = codec.text(last[0][0]) if last else "0-0"
                pipe = reader.pipeline(transaction=True)
                pipe.hsetnx(k.meta, keys.META_STATUS_NOTICES_CURSOR, cursor)
                pipe.hsetnx(k.meta, keys.META_STATUS_NOTICES, now)
                await pipe.execute()
                await reader.sadd(self.keys.status_notice_events, event_id)
            else:
                await reader.srem(self.keys.status_notice_events, event_id)
                await reader.hdel(k.meta, keys.META_STATUS_NOTICES, keys.META_STATUS_NOTICES_CURSOR)
        return on

    async def is_on(self, event_id: str) -> bool:
        """Whether the event's status notices are on. Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        with store_errors():
            return bool(await self.conn.reader.hexists(k.meta, keys.META_STATUS_NOTICES))

    async def events_on(self) -> list[str]:
        """The ids of the events whose status notices are on. Raises ``StoreUnavailable``."""
        with store_errors():
            ids = await self.conn.reader.smembers(self.keys.status_notice_events)
        return sorted(codec.text(i) for i in ids)

    async def changes(
        self, event_id: str, *, count: int = 500
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """Up to ``count`` status changes after the sweep's place, oldest first, as
        ``(entry id, change record)``, and the place they were read from (None: the switch
        is off, nothing is read). Raises ``StoreUnavailable``, ``CorruptEntry``."""
        k = self.keys.event(event_id)
        reader = self.conn.reader
        with store_errors():
            cursor = await reader.hget(k.meta, keys.META_STATUS_NOTICES_CURSOR)
            if cursor is None:
                return [], None
            place = codec.text(cursor)
            entries = await reader.xrange(k.status, min="(" + place, max="+", count=count)
        return [(codec.text(sid), codec.unpack(f[b"d"])) for sid, f in entries], place

    async def advance(self, event_id: str, place: str, to: str) -> bool:
        """Move the sweep's place from ``place`` to ``to`` (an entry id), only if it is still
        at ``place`` and the switch is on (a sweep of another node that moved it meanwhile
        wins; its notices have the same keys). Returns whether it moved. Raises
        ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        with store_errors():
            moved = await self._advance(
                keys=[k.meta], args=[keys.META_STATUS_NOTICES_CURSOR, place, to]
            )
        return bool(moved)
