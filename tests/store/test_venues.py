"""Venues and check-ins against a real store: dedupe, retries, limits, purge."""

from __future__ import annotations

import pytest

from liveevent.domain.events import LiveEvent
from liveevent.domain.venues import MAX_VENUES, CheckIn, Venue
from liveevent.errors import Conflict, InvalidInput, NotFound, RateLimited
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.purge import purge_event
from liveevent.store.venues import VenueStore

PERSON = CheckIn("王五", "13800138000")


async def _event(conn: StoreConnection) -> VenueStore:
    await EventStore(conn).create_event(LiveEvent("e1", "t", None, None, 0), {"staff": "s"})
    venues = VenueStore(conn)
    await venues.add_venue("e1", Venue("hz", "杭州主会场", created_at=1))
    await venues.add_venue("e1", Venue("nb", "宁波分会场", created_at=2))
    return venues


async def _check_in(
    venues: VenueStore,
    venue: str,
    person: CheckIn,
    cid: str,
    *,
    ip: str = "1.2.3.4",
    limit: int = 0,
) -> tuple[str, bool]:
    return await venues.check_in(
        "e1", venue, person, checkin_id=cid, now=10, ip=ip, rate_limit=limit, window_s=60
    )


async def test_check_ins_are_deduped_per_venue_by_phone(conn: StoreConnection) -> None:
    venues = await _event(conn)
    assert [v.id for v in await venues.venues("e1")] == ["hz", "nb"]
    assert await _check_in(venues, "hz", PERSON, "c1") == ("c1", False)
    # The same phone again (a retry whose reply was lost, a second scan): the first answer.
    assert await _check_in(venues, "hz", CheckIn("王五五", PERSON.phone), "c2") == ("c1", True)
    # At another venue the same person counts there too.
    assert await _check_in(venues, "nb", PERSON, "c3") == ("c3", False)
    assert await venues.checked_in("e1") == (2, {"hz": 1, "nb": 1})
    records = await venues.checkins("e1")
    assert [(r["checkin_id"], r["venue"], r["name"]) for r in records] == [
        ("c1", "hz", "王五"),
        ("c3", "nb", "王五"),
    ]


async def test_unknown_event_or_venue_is_not_found_and_counts_nothing(
    conn: StoreConnection,
) -> None:
    venues = await _event(conn)
    with pytest.raises(NotFound) as caught:
        await _check_in(venues, "nope", PERSON, "c1")
    assert caught.value.fields == {"venue": "unknown"}
    with pytest.raises(NotFound):
        await venues.check_in(
            "e2", "hz", PERSON, checkin_id="c", now=0, ip="", rate_limit=0, window_s=60
        )
    with pytest.raises(NotFound):
        await venues.venue("e1", "nope")
    assert await venues.checked_in("e1") == (0, {})


async def test_the_address_limit_counts_new_check_ins_only(conn: StoreConnection) -> None:
    venues = await _event(conn)
    first = CheckIn("甲", "13800138001")
    assert not (await _check_in(venues, "hz", first, "c1", limit=2))[1]
    assert (await _check_in(venues, "hz", first, "c1b", limit=2))[1]  # a retry: not counted
    assert not (await _check_in(venues, "hz", CheckIn("乙", "13800138002"), "c2", limit=2))[1]
    with pytest.raises(RateLimited):
        await _check_in(venues, "hz", CheckIn("丙", "13800138003"), "c3", limit=2)
    # Another address has its own allowance.
    await _check_in(venues, "hz", CheckIn("丙", "13800138003"), "c4", ip="5.6.7.8", limit=2)
    assert (await venues.checked_in("e1"))[0] == 3


async def test_a_station_allowance_is_a_ceiling_per_venue(conn: StoreConnection) -> None:
    venues = await _event(conn)
    for _ in range(3):
        await venues.spend_station_allowance("e1", "hz", limit=3, window_s=60)
    with pytest.raises(RateLimited):
        await venues.spend_station_allowance("e1", "hz", limit=3, window_s=60)
    await venues.spend_station_allowance("e1", "nb", limit=3, window_s=60)
    await venues.spend_station_allowance("e1", "hz", limit=0, window_s=60)  # 0: no limit


async def test_a_purge_removes_check_ins_and_keeps_their_counts(conn: StoreConnection) -> None:
    venues = await _event(conn)
    await _check_in(venues, "hz", PERSON, "c1")
    await purge_event(conn, "e1", now=99)
    assert await venues.checkins("e1") == []
    assert await venues.checked_in("e1") == (1, {"hz": 1})
    with pytest.raises(Conflict):
        await _check_in(venues, "hz", CheckIn("新", "13800138009"), "c2")


async def test_an_event_holds_at_most_max_venues(conn: StoreConnection) -> None:
    venues = VenueStore(conn)
    for index in range(MAX_VENUES):
        await venues.add_venue("e9", Venue(f"v{index}", "会场"))
    with pytest.raises(InvalidInput) as caught:
        await venues.add_venue("e9", Venue("one-more", "会场"))
    assert "name" in caught.value.fields
