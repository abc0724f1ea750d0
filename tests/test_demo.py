"""``liveevent demo``'s two-city fair (issue 16): what it makes, and that every printed link's
token opens what it says."""

from __future__ import annotations

from urllib.parse import urlsplit

from liveevent.demo import CHANNELS, CITIES, HOSTS, VENUES, demo_links, seed_demo
from tests.support import Event, LiveServer


async def test_the_demo_seeds_a_two_city_fair_and_lists_every_link(server: LiveServer) -> None:
    info = await seed_demo(server.app, server.settings)
    assert await seed_demo(server.app, server.settings) == info  # once per data dir
    event_id = info["event_id"]
    base = f"/api/events/{event_id}"
    status, jobs = await server.call("GET", f"{base}/jobs")
    assert status == 200
    assert {job["city"] for job in jobs["jobs"]} == set(CITIES)
    event = Event(event_id, info["host_token"], info["staff_token"], info["overlay_token"])
    stats = await server.stats(event)
    assert [row["city"] for row in stats["by_city"]][:2] == list(CITIES)
    assert [row["name"] for row in stats["by_channel"] if row["channel"]] == list(CHANNELS)
    assert len(info["venues"]) == len(VENUES) and len(info["hosts"]) == len(HOSTS)
    links = dict(demo_links(info, server.url))
    assert links["Viewer page, 宁波"] == f"{server.url}/e/{event_id}?city=宁波"
    # Every token in a link opens its page's API.
    for what, url in links.items():
        token = urlsplit(url).fragment.removeprefix("token=")
        if what.startswith("Employer page"):
            assert (await server.call("GET", f"{base}/employer", token=token))[0] == 200
        elif what.startswith("Station"):
            assert (await server.call("GET", f"{base}/station", token=token))[0] == 200
        elif what.startswith("Host console"):
            status, _ = await server.call("GET", f"{base}/stats", token=token)
            assert status == 200, what
        elif what.startswith("Check-in"):
            venue = urlsplit(url).query.removeprefix("venue=")
            assert (await server.call("GET", f"{base}/venues/{venue}"))[0] == 200
    assert server.session is not None
    async with server.session.get(
        f"{server.url}{base}/export/report.xlsx",
        headers={"Authorization": f"Bearer {info['staff_token']}"},
    ) as resp:
        assert resp.status == 200
