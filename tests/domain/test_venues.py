"""Venues and check-ins: the pure rules (no event loop, no store)."""

from __future__ import annotations

import pytest

from liveevent.domain.venues import MAX_VENUE_NAME, CheckIn, Venue, VenueKind, require_consent
from liveevent.errors import InvalidInput


def test_a_venue_parses_with_defaults_and_round_trips() -> None:
    venue = Venue.parse({"name": " 杭州主会场 ", "city": "杭州"}, venue_id="v1", now=5)
    assert venue == Venue("v1", "杭州主会场", VenueKind.HALL, "杭州", None, 5)
    assert Venue.from_record(venue.to_record()) == venue
    station = Venue.parse({"name": "宁波退役军人服务站", "kind": "station"}, venue_id="v2", now=0)
    assert station.kind is VenueKind.STATION
    assert station.to_wire()["kind"] == "station"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name"}),
        ({"name": "x" * (MAX_VENUE_NAME + 1)}, {"name"}),
        ({"name": "会场", "kind": "tent"}, {"kind"}),
        ({"name": "会场", "kind": 1}, {"kind"}),
        ({"name": "", "city": "c" * 21, "address": 3}, {"name", "city", "address"}),
        ({"name": "会场", "token": "x"}, {"token"}),
        ([], {"body"}),
    ],
)
def test_a_bad_venue_names_every_bad_field(body: object, fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        Venue.parse(body, venue_id="v", now=0)
    assert set(caught.value.fields) == fields


def test_a_check_in_needs_name_phone_and_consent() -> None:
    checkin = CheckIn.parse({"name": "李四", "phone": "+86 138-0013-8000", "consent": True})
    assert checkin == CheckIn("李四", "13800138000", True)
    assert checkin.dedupe_key("v1") == "v1|13800138000"
    with pytest.raises(InvalidInput) as caught:
        CheckIn.parse({"name": "", "phone": "12", "consent": False})
    assert set(caught.value.fields) == {"name", "phone", "consent"}
    with pytest.raises(InvalidInput) as caught:
        CheckIn.parse({"name": "李四", "phone": "13800138000"})
    assert set(caught.value.fields) == {"consent"}


@pytest.mark.parametrize("body", [{}, {"consent": False}, {"consent": "true"}, {"consent": 1}, []])
def test_consent_must_be_exactly_true(body: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        require_consent(body)
    assert set(caught.value.fields) == {"consent"}
    assert require_consent({"consent": True}) is True
