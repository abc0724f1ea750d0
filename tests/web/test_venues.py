"""Venues through a real server: who may create them, check-in, and the station's applies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import ADMIN_TOKEN, Event, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


async def stored_applications(server: LiveServer, event: Event) -> list[dict[str, Any]]:
    """The event's application records as the store holds them (its applications stream).

    Read from the stream itself: the list page on main does not carry the attribution
    fields yet."""
    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).apps)
    return [codec.unpack(fields[b"d"]) for _, fields in entries]


async def _venue(server: LiveServer, event: Event, **body: Any) -> dict[str, Any]:
    status, answer = await server.call(
        "POST",
        f"/api/events/{event.id}/venues",
        token=event.staff_token,
        json_body={"name": "杭州主会场", "city": "杭州", **body},
    )
    assert status == 201, answer
    return answer  # type: ignore[no-any-return]


async def _check_in(
    server: LiveServer, event: Event, venue_id: str, **body: Any
) -> tuple[int, Any]:
    person = {"name": "赵六", "phone": "13900139000", "consent": True, **body}
    return await server.call(
        "POST", f"/api/events/{event.id}/venues/{venue_id}/checkins", json_body=person
    )


async def _station_apply(
    server: LiveServer, event: Event, venue_id: str, token: str, **body: Any
) -> tuple[int, Any]:
    person = {"job_id": "j1", "name": "钱七", "phone": "13700137000", "consent": True, **body}
    return await server.call(
        "POST",
        f"/api/events/{event.id}/venues/{venue_id}/applications",
        token=token,
        json_body=person,
    )


async def test_staff_create_venues_with_links_and_a_station_token(server: LiveServer) -> None:
    event = await server.create_event()
    created = await _venue(server, event, address="杭州市西湖区1号", kind="hall")
    venue = created["venue"]
    assert venue["name"] == "杭州主会场" and venue["kind"] == "hall"
    assert created["checkin_url"] == f"{server.url}/checkin/{event.id}?venue={venue['id']}"
    station = created["station"]
    link = urlsplit(station["url"])
    # The station's token rides in the fragment (never sent, never logged), not the query.
    assert link.path == f"/station/{event.id}" and link.fragment == f"token={station['token']}"
    assert station["token"] not in link.query
    status, qr = await server.call("GET", created["qr_url"])
    assert status == 200 and qr.startswith("<svg")
    status, _ = await server.call("GET", f"/api/events/{event.id}/qr.svg?venue=nope")
    assert status == 404
    await _venue(server, event, name="宁波退役军人服务站", city="宁波", kind="station")
    status, listed = await server.call(
        "GET", f"/api/events/{event.id}/venues", token=event.host_token
    )
    assert status == 200
    assert [(v["name"], v["kind"], v["checked_in"]) for v in listed["venues"]] == [
        ("杭州主会场", "hall", 0),
        ("宁波退役军人服务站", "station", 0),
    ]
    # The public read the check-in page makes: the venue, nothing else.
    status, public = await server.call("GET", f"/api/events/{event.id}/venues/{venue['id']}")
    assert status == 200 and public["name"] == "杭州主会场" and "token" not in str(public)


async def test_only_staff_create_venues(server: LiveServer) -> None:
    event = await server.create_event()
    other = await server.create_event("另一场")
    station = (await _venue(server, event))["station"]["token"]
    path = f"/api/events/{event.id}/venues"
    body = {"name": "会场"}
    for token, expected in (
        (None, 401),
        (event.host_token, 403),
        (event.overlay_token, 403),
        (station, 403),
        (other.staff_token, 403),
        ("x" * 40, 403),
        (ADMIN_TOKEN, 201),
    ):
        status, answer = await server.call("POST", path, token=token, json_body=body)
        assert status == expected, (token, answer)
    for token, expected in ((None, 401), (station, 403), (event.overlay_token, 403)):
        status, _ = await server.call("GET", path, token=token)
        assert status == expected, token
    status, answer = await server.call(
        "POST", path, token=event.staff_token, json_body={"name": "", "kind": "tent"}
    )
    assert status == 422 and set(answer["error"]["fields"]) == {"name", "kind"}
    status, listed = await server.call("GET", path, token=event.staff_token)
    assert len(listed["venues"]) == 2  # the first and admin's; nothing from the refusals


async def test_check_in_is_validated_deduped_and_counted(server: LiveServer) -> None:
    event = await server.create_event()
    hz = (await _venue(server, event))["venue"]["id"]
    nb = (await _venue(server, event, name="宁波分会场"))["venue"]["id"]
    status, answer = await _check_in(server, event, hz, name="", phone="123", consent=False)
    assert status == 422 and set(answer["error"]["fields"]) == {"name", "phone", "consent"}
    status, answer = await _check_in(server, event, hz, consent=None)
    assert status == 422 and set(answer["error"]["fields"]) == {"consent"}
    status, first = await _check_in(server, event, hz)
    assert status == 201 and first["duplicate"] is False
    # A retry (the same person, the phone written another way): the first answer, once.
    status, again = await _check_in(server, event, hz, phone="+86 139 0013 9000")
    assert status == 200 and again == {"checkin_id": first["checkin_id"], "duplicate": True}
    assert (await _check_in(server, event, nb))[0] == 201
    assert (await _check_in(server, event, hz, phone="13900139001"))[0] == 201
    status, _ = await _check_in(server, event, "nope")
    assert status == 404
    status, _ = await server.call(
        "POST", f"/api/events/nope/venues/{hz}/checkins", json_body={"name": ""}
    )
    assert status == 404
    status, _ = await server.call(
        "POST", f"/api/events/{event.id}/venues/{hz}/checkins", data="name=x"
    )
    assert status == 415
    onsite = (await server.stats(event))["onsite"]
    assert onsite["checked_in"] == 3
    assert onsite["by_venue"][hz] == {
        "name": "杭州主会场",
        "kind": "hall",
        "city": "杭州",
        "checked_in": 2,
    }
    assert onsite["by_venue"][nb]["checked_in"] == 1


async def test_check_ins_are_limited_per_address(make_server: MakeServer) -> None:
    server = await make_server(apply_rate_per_ip=2)
    event = await server.create_event()
    hz = (await _venue(server, event))["venue"]["id"]
    assert (await _check_in(server, event, hz, phone="13900139001"))[0] == 201
    assert (await _check_in(server, event, hz, phone="13900139001"))[0] == 200  # not counted
    assert (await _check_in(server, event, hz, phone="13900139002"))[0] == 201
    status, answer = await _check_in(server, event, hz, phone="13900139003")
    assert status == 429, answer
    assert (await server.stats(event))["onsite"]["checked_in"] == 2


async def test_the_station_route_forces_its_venue_and_source(server: LiveServer) -> None:
    event = await server.create_event()
    hz = await _venue(server, event)
    nb = await _venue(server, event, name="宁波分会场")
    hz_id, token = hz["venue"]["id"], hz["station"]["token"]
    status, me = await server.call("GET", f"/api/events/{event.id}/station", token=token)
    assert status == 200 and me["venue"]["id"] == hz_id
    # The body claims another venue and a live source: the token decides.
    status, first = await _station_apply(
        server, event, hz_id, token, venue=nb["venue"]["id"], source="live", idempotency_key="k1"
    )
    assert status == 201 and first["duplicate"] is False
    # The same idempotency key again (a retry from the station's queue): the first answer,
    # stored once.
    status, again = await _station_apply(server, event, hz_id, token, idempotency_key="k1")
    assert (status, again) == (201, first)
    stored = await stored_applications(server, event)
    assert len(stored) == 1
    row = stored[0]
    assert (row["venue"], row["source"], row["via"]) == (hz_id, "station", "station")


async def test_the_station_route_refuses_other_tokens(server: LiveServer) -> None:
    event = await server.create_event()
    other = await server.create_event("另一场")
    hz = await _venue(server, event)
    nb = await _venue(server, event, name="宁波分会场")
    foreign = await _venue(server, other)
    hz_id = hz["venue"]["id"]
    for token, expected in (
        (None, 401),
        (nb["station"]["token"], 403),  # another venue's station
        (foreign["station"]["token"], 403),  # another event's station
        (event.staff_token, 403),
        (event.host_token, 403),
        (event.overlay_token, 403),
    ):
        status, answer = await _station_apply(server, event, hz_id, token)  # type: ignore[arg-type]
        assert status == expected, (token, answer)
    status, _ = await server.call("GET", f"/api/events/{event.id}/station", token=event.staff_token)
    assert status == 403
    status, answer = await _station_apply(
        server, event, hz_id, hz["station"]["token"], consent=False, phone="1"
    )
    assert status == 422 and set(answer["error"]["fields"]) == {"consent", "phone"}
    status, _ = await _station_apply(server, event, hz_id, hz["station"]["token"], job_id="nope")
    assert status == 404
    assert (await server.stats(event))["applications"] == 0


@pytest.mark.parametrize("station_rate", [3])
async def test_a_station_has_its_own_limit_not_the_address_one(
    make_server: MakeServer, station_rate: int
) -> None:
    server = await make_server(apply_rate_per_ip=1, station_apply_rate=station_rate)
    event = await server.create_event()
    hz = await _venue(server, event)
    hz_id, token = hz["venue"]["id"], hz["station"]["token"]
    # The public route: one from this address, then 429.
    assert (await server.apply(event, "j2", "13600136000"))[0] == 201
    assert (await server.apply(event, "j2", "13600136001"))[0] == 429
    # The station, from the same address: its own allowance.
    for index in range(station_rate):
        status, answer = await _station_apply(
            server, event, hz_id, token, phone=f"1370013700{index}"
        )
        assert status == 201, answer
    status, _ = await _station_apply(server, event, hz_id, token, phone="13700137009")
    assert status == 429


async def test_a_station_application_counts_in_its_venues_city(server: LiveServer) -> None:
    # The desk in Ningbo names no city: the application is the venue's city's, when that is
    # one of the event's (review r3: it was counted under "not given"). A city or channel the
    # desk does name must be the event's, as on the public path.
    event = await server.create_event()
    cities = {"cities": ["杭州", "宁波"]}
    path = f"/api/events/{event.id}/cities"
    status, _ = await server.call("PUT", path, token=event.staff_token, json_body=cities)
    assert status == 200
    nb = await _venue(server, event, name="宁波分会场", city="宁波")
    nowhere = await _venue(server, event, name="流动站", city="舟山")
    nb_id, nb_token = nb["venue"]["id"], nb["station"]["token"]
    status, _ = await _station_apply(server, event, nb_id, nb_token)
    assert status == 201
    status, _ = await _station_apply(
        server, event, nb_id, nb_token, phone="13700137001", city="杭州"
    )
    assert status == 201
    status, bad = await _station_apply(
        server, event, nb_id, nb_token, phone="13700137002", city="北京"
    )
    assert status == 422 and "city" in bad["error"]["fields"]
    status, bad = await _station_apply(
        server, event, nb_id, nb_token, phone="13700137003", channel="x"
    )
    assert status == 422 and "channel" in bad["error"]["fields"]
    zs_id, zs_token = nowhere["venue"]["id"], nowhere["station"]["token"]
    status, _ = await _station_apply(server, event, zs_id, zs_token, phone="13700137004")
    assert status == 201
    cities_of = {row["phone"]: row.get("city") for row in await stored_applications(server, event)}
    assert cities_of == {"13700137000": "宁波", "13700137001": "杭州", "13700137004": None}
