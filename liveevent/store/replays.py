"""An event's recording (``domain.replays.Replay``) and its cues, in the store.

The replay is one field of the event's meta hash (``keys.META_REPLAY``). The cues are derived
from the timeline, which no longer changes once the event has ended (no push, withdrawal or
state change is possible after ``ended``): they are read once per process and event, and kept.
"""

from __future__ import annotations

from liveevent.domain.events import EventState
from liveevent.domain.replays import Cue, Replay, cues_from_timeline
from liveevent.errors import Conflict, NotFound
from liveevent.store import codec
from liveevent.store.connect import StoreConnection, store_call
from liveevent.store.events import EventStore
from liveevent.store.keys import META_REPLAY

# Ended events whose cues are kept per process; past it, the memory starts over (rare).
CUES_MEMORY_MAX = 256


class ReplayStore:
    """Recordings of ended events and the cues of their cards.

    One per process, on the ``EventStore``'s connection; safe to share between tasks. Every
    method that reaches the store raises ``StoreUnavailable`` when it does not answer.
    """

    def __init__(self, conn: StoreConnection, events: EventStore) -> None:
        self.conn = conn
        self.events = events
        self._cues: dict[str, list[Cue]] = {}

    async def set_replay(self, event_id: str, replay: Replay) -> None:
        """Store ``replay`` as the event's recording (replacing any earlier one).

        Only for an ended event: ``ended`` is final, so the check and the write need not be
        one step. Naturally idempotent under retry: the record is built before the call and
        a repeated HSET writes the same bytes. Raises ``NotFound`` for an unknown event,
        ``Conflict`` (409) unless it has ended, ``StoreUnavailable``.
        """
        state = await self._state(event_id)
        if state is not EventState.ENDED:
            raise Conflict(f"a recording can be set once the event has ended (it is {state})")
        k = self.conn.keys.event(event_id)
        await store_call(self.conn.reader.hset(k.meta, META_REPLAY, codec.pack(replay.to_record())))

    async def clear_replay(self, event_id: str) -> None:
        """Remove the event's recording (viewers then see no replay). Naturally idempotent.
        Raises ``NotFound`` for an unknown event, ``StoreUnavailable``."""
        await self._state(event_id)
        k = self.conn.keys.event(event_id)
        await store_call(self.conn.reader.hdel(k.meta, META_REPLAY))

    async def replay(self, event_id: str) -> tuple[EventState, Replay | None]:
        """The event's state and its recording (None if none is set), in one round trip.

        Raises ``NotFound`` for an unknown event, ``StoreUnavailable``.
        """
        k = self.conn.keys.event(event_id)
        state, raw = await store_call(self.conn.reader.hmget(k.meta, ["state", META_REPLAY]))
        if state is None:
            raise NotFound(f"no event {event_id!r}")
        replay = Replay.from_record(codec.unpack(raw)) if raw else None
        return EventState(codec.text(state)), replay

    async def cues(self, event_id: str) -> list[Cue]:
        """The cues of every card of the event (``domain.replays.cues_from_timeline``), in
        push order. Kept in memory once the event has ended (they cannot change then).

        Reads the whole timeline the first time. Raises ``NotFound`` for an unknown event,
        ``StoreUnavailable``.
        """
        kept = self._cues.get(event_id)
        if kept is not None:
            return kept
        state = await self._state(event_id)
        records = [record async for record in self.events.timeline_records(event_id)]
        cues = cues_from_timeline(records)
        if state is EventState.ENDED:
            if len(self._cues) >= CUES_MEMORY_MAX:
                self._cues.clear()
            self._cues[event_id] = cues
        return cues

    async def _state(self, event_id: str) -> EventState:
        k = self.conn.keys.event(event_id)
        state = await store_call(self.conn.reader.hget(k.meta, "state"))
        if state is None:
            raise NotFound(f"no event {event_id!r}")
        return EventState(codec.text(state))
