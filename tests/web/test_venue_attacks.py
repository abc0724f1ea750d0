"""Attacks on venues, check-in and the station route, through a real server on a real store
(review r1 of issue 16 part 4). Each test names what a hostile client tried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.support import LiveServer
from tests.web.test_venues import _venue, stored_applications

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
    # What a viewer may say of itself still goes through: its city, and live or replay.
    status, _ = await server.apply(event, "j1", "13800138009", city="宁波", source="replay")
    assert status == 201
    (row,) = await stored_applications(server, event)
    assert (row.get("venue"), row["source"], row["city"]) == (None, "replay", "宁波")
