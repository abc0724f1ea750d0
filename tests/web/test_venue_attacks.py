"""Attacks on venues, check-in and the station route, through a real server on a real store
(review r1 of issue 16 part 4). Each test names what a hostile client tried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.support import LiveServer, eventually
from tests.web.test_venues import _station_apply, _venue, stored_applications

MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_a_viewer_cannot_credit_a_venue_or_claim_the_station_source(
    server: LiveServer,
) -> None:
    # A hostile viewer copies a venue id from the public check-in link and sends the apply
    # body a station would: without a station token it must not count as made on site.
    event = await server.create_event()
    venue_id = (await _venue(server, event))["venue"]["id"]
    forged: list[dict[str, Any]] = [
        {"venue": venue_id, "source": "station"},
        {"venue": venue_id},
        {"source": "station"},
    ]
    for index, extra in enumerate(forged):
        status, answer = await server.apply(event, "j1", f"1380013800{index}", **extra)
        assert status == 422, (extra, answer)
        assert set(answer["error"]["fields"]) == set(extra), answer
    viewer = await server.viewer(event)
    await viewer.next()
    await viewer.send(
        {
            "type": "apply",
            "ref": "w",
            "job_id": "j1",
            "name": "王五",
            "phone": "13700001111",
            "venue": venue_id,
            "source": "station",
        }
    )
    error = await viewer.next_of("error")
    assert error["ref"] == "w" and set(error["fields"]) == {"venue", "source"}
    await viewer.close()
    assert await stored_applications(server, event) == []
    # What a viewer may say of itself still goes through: its city, and live (replay has
    # its own rules: an ended event with a recording, tests/web/test_replays.py).
    cities = {"cities": ["宁波"]}  # a city must be one of the event's (web/attribution.py)
    status, _ = await server.call(
        "PUT", f"/api/events/{event.id}/cities", token=event.staff_token, json_body=cities
    )
    assert status == 200
    status, _ = await server.apply(event, "j1", "13800138009", city="宁波", source="live")
    assert status == 201
    (row,) = await stored_applications(server, event)
    assert (row.get("venue"), row["source"], row["city"]) == (None, "live", "宁波")


async def test_a_lost_station_token_can_be_revoked(server: LiveServer) -> None:
    # A tablet is lost, or its desk link photographed: whoever holds the token can apply for
    # anyone, credited to the venue, past the per-address limit. Staff must be able to stop
    # it, and give the desk a new token.
    event = await server.create_event()
    hall = await _venue(server, event)
    other = await _venue(server, event, name="宁波分会场")
    hall_id, lost = hall["venue"]["id"], hall["station"]["token"]
    status, spare = await server.call(
        "POST", f"/api/events/{event.id}/venues/{hall_id}/stations", token=event.staff_token
    )
    assert status == 201
    assert (await _station_apply(server, event, hall_id, lost, phone="13700137001"))[0] == 201
    path = f"/api/events/{event.id}/venues/{hall_id}/stations"
    for token in (None, lost, event.host_token, other["station"]["token"]):
        status, answer = await server.call("DELETE", path, token=token)
        assert status in (401, 403), (token, answer)
    status, _ = await server.call(
        "DELETE", f"/api/events/{event.id}/venues/nope/stations", token=event.staff_token
    )
    assert status == 404
    status, answer = await server.call("DELETE", path, token=event.staff_token)
    assert (status, answer) == (200, {"revoked": 2})

    async def refused() -> bool:
        status, _ = await _station_apply(server, event, hall_id, lost, phone="13700137002")
        return status == 403

    assert await eventually(refused, 10)  # each node forgets a known token within seconds
    status, _ = await _station_apply(server, event, hall_id, spare["token"], phone="13700137003")
    assert status == 403
    # The other venue's desk is untouched, and a new token for the hall works.
    other_id, other_token = other["venue"]["id"], other["station"]["token"]
    assert (await _station_apply(server, event, other_id, other_token))[0] == 201
    status, fresh = await server.call("POST", path, token=event.staff_token)
    assert status == 201
    status, _ = await _station_apply(server, event, hall_id, fresh["token"], phone="13700137004")
    assert status == 201
    # Revoking again is harmless (a retry): nothing left to revoke but the new one.
    status, answer = await server.call("DELETE", path, token=event.staff_token)
    assert (status, answer) == (200, {"revoked": 1})
