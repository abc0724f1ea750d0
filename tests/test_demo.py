"""``liveevent demo``'s two-city fair (issue 16): what it makes, and that every printed link's
token opens what it says."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from liveevent.demo import CHANNELS, CITIES, HOSTS, VENUES, demo_links, link_lines, seed_demo
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


def _columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_the_printed_links_are_each_listed_once_with_their_urls_in_one_column() -> None:
    # Found by review r3: the demo printed four links twice (a short block, then the list),
    # and the list's URLs started at a different column on every line with Chinese names.
    info = {
        "event_id": "e1",
        "host_token": "h",
        "staff_token": "s",
        "overlay_token": "o",
        "hosts": [{"name": "宁波演播室", "token": "h2"}],
        "venues": [{"id": "00000001", "name": "鄞州区退役军人服务站", "station_token": "t"}],
        "channels": [{"id": "c1", "name": "视频号"}],
        "employers": [{"name": "顺丰速运（杭州）有限公司", "token": "m"}],
    }
    links = demo_links(info, "http://127.0.0.1:8080")
    assert links[0] == ("Viewer page", "http://127.0.0.1:8080/e/e1")
    urls = [url for _, url in links]
    assert len(urls) == len(set(urls))
    lines = link_lines(links)
    assert lines[0].startswith("Viewer page:")
    starts = {_columns(line[: line.index("http://")]) for line in lines}
    assert len(starts) == 1, lines
