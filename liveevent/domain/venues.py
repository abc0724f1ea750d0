"""Venues of a hybrid fair, and the people who check in at them.

Theory of operation: a fair broadcast online can also have **venues**: the on-site halls where
employers sit at tables (``VenueKind.HALL``), and service stations (a veterans' service station,
a community centre) that project the stream to the people who come (``VenueKind.STATION``).
Staff create a venue; it gets a check-in link (and its QR code) and a station token for the
tablet at its door.

People who arrive open the check-in link on their own phone and check in with their name, their
phone and their consent: that counts them as on-site attendees of that venue. The same phone at
the same venue is the same check-in (a second one answers the first, ``duplicate``), so a retry
or a second scan never counts anyone twice; the same person at two venues counts at each.

At the station page, staff or volunteers apply on behalf of the people present: each person
gives their own phone and consent, and the application is credited to the venue
(``Application.venue`` = the venue id, ``source`` = ``station``), taken from the station's
token and never from what the page sends.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.applications import ApplyRequest, Source
from liveevent.domain.phones import normalize_phone
from liveevent.errors import InvalidInput

MAX_VENUES = 200  # per event: a fair across a province has dozens of halls and stations
MAX_VENUE_NAME = 50
MAX_VENUE_ADDRESS = 200
MAX_CITY = 20  # as ``ApplyRequest.city``
MAX_CHECKIN_NAME = 50  # as an applicant's name


class VenueKind(enum.StrEnum):
    """What a venue is: an on-site hall of the fair (the default), or a service station that
    projects the stream. The value is the wire and store text; ``VenueKind(text)`` raises
    ``ValueError`` for any other.
    """

    HALL = "hall"
    STATION = "station"


@dataclass(frozen=True, slots=True)
class Venue:
    """One venue: ``id`` (8 hex characters, made by the server), ``name``, ``kind``, optional
    ``city`` and ``address``, ``created_at`` (Unix ms).

    Build it with ``parse`` (which raises ``InvalidInput``); the constructor checks nothing.
    """

    id: str
    name: str
    kind: VenueKind = VenueKind.HALL
    city: str | None = None
    address: str | None = None
    created_at: int = 0

    @classmethod
    def parse(cls, data: object, *, venue_id: str, now: int) -> Venue:
        """A venue from a request body ``{"name", "kind"?, "city"?, "address"?}``.

        ``name`` 1-50 characters, ``kind`` a ``VenueKind`` (default ``hall``), ``city`` up to
        20 and ``address`` up to 200. Raises ``InvalidInput`` naming every bad or unknown field.
        """
        body = values.only_fields(data, frozenset({"name", "kind", "city", "address"}), what="body")
        parsed = values.check_all(
            {
                "name": lambda: values.text(body, "name", max_len=MAX_VENUE_NAME),
                "kind": lambda: _kind(body),
                "city": lambda: values.optional_text(body, "city", max_len=MAX_CITY),
                "address": lambda: values.optional_text(body, "address", max_len=MAX_VENUE_ADDRESS),
            },
            what="venue",
        )
        return cls(id=venue_id, created_at=now, **parsed)

    def to_record(self) -> dict[str, Any]:
        """The stored form (also the wire form: nothing in it is secret). Raises nothing."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": str(self.kind),
            "city": self.city,
            "address": self.address,
            "created_at": self.created_at,
        }

    def to_wire(self) -> dict[str, Any]:
        """``to_record`` with ``created_at`` as ISO 8601 UTC text. Raises nothing."""
        wire = self.to_record()
        wire["created_at"] = values.iso(self.created_at)
        return wire

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Venue:
        """The inverse of ``to_record``. Raises ``KeyError`` (no id or name) or ``ValueError``
        (an unknown kind)."""
        return cls(
            id=record["id"],
            name=record["name"],
            kind=VenueKind(record.get("kind", "hall")),
            city=record.get("city"),
            address=record.get("address"),
            created_at=record.get("created_at", 0),
        )


def _kind(body: dict[str, Any]) -> VenueKind:
    raw = body.get("kind")
    if raw is None:
        return VenueKind.HALL
    try:
        return VenueKind(raw) if isinstance(raw, str) else VenueKind("")
    except ValueError:
        why = "must be one of " + ", ".join(k.value for k in VenueKind)
        raise InvalidInput(f"kind {why}", fields={"kind": why}) from None


def require_consent(body: object) -> bool:
    """``consent`` must be ``true``: a check-in, or an application made at a station for
    someone, is only taken with the person's own consent. Returns True; raises
    ``InvalidInput`` naming ``consent`` otherwise."""
    if not isinstance(body, dict) or body.get("consent") is not True:
        why = "must be true: the person's own consent is required"
        raise InvalidInput(f"consent {why}", fields={"consent": why})
    return True


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A person checking in at a venue: ``name``, ``phone`` (normalised by the one phone rule,
    ``domain.phones``), ``consent`` (always True once parsed).

    Build it with ``parse``; the constructor checks nothing.
    """

    name: str
    phone: str
    consent: bool = True

    @classmethod
    def parse(cls, data: object) -> CheckIn:
        """A check-in body ``{"name", "phone", "consent": true}``.

        Raises ``InvalidInput`` naming every bad, missing or unknown field (``consent`` other
        than ``true`` included).
        """
        body = values.only_fields(data, frozenset({"name", "phone", "consent"}), what="body")
        parsed = values.check_all(
            {
                "name": lambda: values.text(body, "name", max_len=MAX_CHECKIN_NAME),
                "phone": lambda: normalize_phone(body.get("phone")),
                "consent": lambda: require_consent(body),
            },
            what="check-in",
        )
        return cls(**parsed)

    def dedupe_key(self, venue_id: str) -> str:
        """Same venue and same phone is the same check-in: ``"<venue>|<phone>"``. Raises
        nothing."""
        return f"{venue_id}|{self.phone}"


# Why a public apply may not say where it was made: only a station's token credits a venue.
_STATION_ONLY = "only a venue's station may set this (it comes from the station's token)"


def viewer_attribution(req: ApplyRequest) -> ApplyRequest:
    """``req`` unchanged when it is one a viewer may make (the public apply, over HTTP or the
    websocket): a viewer may declare its ``city``, the ``channel`` it came through and a
    ``source`` of ``live`` or ``replay``, but an application made at a venue (``venue``, or
    ``source = station``) is credited only by a station's token (``web.venues``), never by
    what a body says: a venue id is printed in every check-in QR code.

    Raises ``InvalidInput`` naming ``venue`` and/or ``source``; nothing is stored then.
    """
    problems: dict[str, str] = {}
    if req.venue is not None:
        problems["venue"] = _STATION_ONLY
    if req.source is Source.STATION:
        problems["source"] = _STATION_ONLY
    if problems:
        raise InvalidInput("an application made at a venue needs its station", fields=problems)
    return req
