"""Live events and their lifecycle.

Theory of operation: an event is created ``scheduled``; the host takes it ``live`` when the
broadcast starts and ``ended`` when it stops. Cards can only be pushed while live. Every move
is checked against ``TRANSITIONS``; an illegal move raises ``Conflict`` and changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.attribution import parse_cities
from liveevent.errors import Conflict, InvalidInput


class EventState(enum.StrEnum):
    """An event's lifecycle state; the value is the wire and store text. See the module.

    ``EventState(text)`` raises ``ValueError`` for any other text; ``parse_state`` turns a request's
    into ``InvalidInput``.
    """

    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


TRANSITIONS: dict[EventState, frozenset[EventState]] = {
    EventState.SCHEDULED: frozenset({EventState.LIVE, EventState.ENDED}),
    EventState.LIVE: frozenset({EventState.ENDED}),
    EventState.ENDED: frozenset(),
}


def parse_state(data: object) -> EventState:
    """The target state of a body ``{"state": "live" | "ended"}``.

    ``scheduled`` is not a target. Raises ``InvalidInput`` naming ``state`` (or ``body``, or
    each unknown field) otherwise; whether the move is legal is ``check_transition``'s part.
    """
    body = values.only_fields(data, frozenset({"state"}), what="body")
    raw = body.get("state")
    if raw not in (EventState.LIVE, EventState.ENDED):
        why = "must be 'live' or 'ended'"
        raise InvalidInput(f"state {why}", fields={"state": why})
    return EventState(raw)


def check_transition(current: EventState, target: EventState) -> None:
    """Raise ``Conflict`` unless ``current -> target`` is a legal move; returns None."""
    if target not in TRANSITIONS[current]:
        raise Conflict(f"an event that is {current} cannot become {target}")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """An event's record: ``starts_at`` and ``created_at`` in epoch ms, ``stream_url`` an
    http(s) URL or None. Its state is kept apart (``EventState``), as it changes.

    Build it from a request with ``parse`` (which raises ``InvalidInput``); the constructor checks
    nothing.
    """

    id: str
    title: str
    starts_at: int | None
    stream_url: str | None
    created_at: int
    # The cities (or regions) of a multi-city fair (issue 16), in display order; () for none
    # declared (the event then has its jobs' cities: ``domain.attribution.event_cities``).
    cities: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: object, *, event_id: str, now: int) -> LiveEvent:
        """A new event from a create body ``{"title", "starts_at"?, "stream_url"?,
        "cities"?}``.

        ``title`` 1-200 characters, ``starts_at`` ISO 8601 with a zone, ``stream_url``
        http(s), ``cities`` as ``attribution.parse_cities``; ``now`` (epoch ms) becomes
        ``created_at``. Raises ``InvalidInput`` naming the first bad field, or every unknown
        one.
        """
        body = values.only_fields(
            data, frozenset({"title", "starts_at", "stream_url", "cities"}), what="body"
        )
        return cls(
            id=event_id,
            title=values.text(body, "title", max_len=200),
            starts_at=values.timestamp(body, "starts_at"),
            stream_url=values.url(body, "stream_url"),
            created_at=now,
            cities=parse_cities(body),
        )

    def to_record(self) -> dict[str, Any]:
        """The stored form: every field by name. Raises nothing."""
        return {
            "id": self.id,
            "title": self.title,
            "starts_at": self.starts_at,
            "stream_url": self.stream_url,
            "created_at": self.created_at,
            "cities": list(self.cities),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LiveEvent:
        """The inverse of ``to_record``. Raises ``KeyError`` for a record without ``id``,
        ``title`` or ``created_at``."""
        return cls(
            id=record["id"],
            title=record["title"],
            starts_at=record.get("starts_at"),
            stream_url=record.get("stream_url"),
            created_at=record["created_at"],
            cities=tuple(record.get("cities") or ()),
        )

    def to_wire(self, state: EventState) -> dict[str, Any]:
        """The JSON object clients get, with ``state``; times as ISO 8601 UTC text (or
        null). Raises nothing."""
        return {
            "id": self.id,
            "title": self.title,
            "state": str(state),
            "starts_at": values.iso(self.starts_at) if self.starts_at is not None else None,
            "stream_url": self.stream_url,
            "created_at": values.iso(self.created_at),
            "cities": list(self.cities),
        }
