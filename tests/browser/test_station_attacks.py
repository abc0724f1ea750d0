"""The station page under what a venue does to it (review r1 of issue 16 part 4): two tabs of
the page open on one tablet, and one tablet used with two venues' links. Real Chromium, a real
server, a real store."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, Pages
from tests.browser.test_onsite_pages import TABLET, _counts, _enter, _venue
from tests.support import LiveServer, eventually
from tests.web.test_venues import stored_applications

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


async def _tab(page: Any, url: str) -> Any:
    """Another tab of ``page``'s browser (same localStorage, same service worker)."""
    tab = await page.context.new_page()
    await tab.goto(url)
    await tab.wait_for_selector("body[data-ready=true]")
    return tab


async def test_two_tabs_of_the_station_lose_nobody_and_send_nobody_twice(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    created = await _venue(server, event)
    url = created["station"]["url"]
    first = await pages.open(url, name="tab-1", viewport=TABLET)
    await first.wait_for_selector("body[data-ready=true]")
    second = await _tab(first, url)
    posts: list[str] = []
    first.context.on(
        "request",
        lambda r: posts.append(r.post_data or "") if r.method == "POST" else None,
    )

    await first.context.set_offline(True)
    await _enter(first, "孙一", "13500135001", "j1")
    await _enter(second, "周二", "13500135002", "j2")
    # The first tab is closed (the tablet's browser drops a background tab) before the
    # network is back: its person must still be on the device, and sent by the other tab.
    await first.close()
    await second.context.set_offline(False)

    async def both_stored() -> bool:
        return len(await stored_applications(server, event)) == 2

    assert await eventually(both_stored, 15), await second.inner_text("#unsent")
    assert await eventually(_counts(second, "#unsent li", 0), 15)
    stored = await stored_applications(server, event)
    assert sorted(r["name"] for r in stored) == ["周二", "孙一"]

    # Both tabs open and online: one person entered in one tab is sent once, not by each.
    third = await _tab(second, url)
    posts.clear()
    await _enter(third, "吴三", "13500135003", "j1")
    assert await eventually(_counts(third, "#sent li[data-state=applied]", 3), 15)
    assert await eventually(_counts(second, "#sent li[data-state=applied]", 3), 15)
    assert len(await stored_applications(server, event)) == 3
    assert len([p for p in posts if "13500135003" in p]) == 1, posts


async def test_a_queue_made_at_one_venue_is_never_credited_to_another(
    server: LiveServer, pages: Pages
) -> None:
    # One tablet, two venues' links (a volunteer moves from the hall to the service station,
    # or staff test both links on one device): what was queued offline at the first venue
    # must be sent as the first venue's, never under the second venue's token.
    event = await server.create_event()
    hall = await _venue(server, event, name="杭州主会场", kind="hall")
    station = await _venue(server, event)
    page = await pages.open(hall["station"]["url"], name="hall", viewport=TABLET)
    await page.wait_for_selector("body[data-ready=true]")
    await page.context.set_offline(True)
    await _enter(page, "孙一", "13500135001", "j1")
    await page.close()
    # Wait until another page of the tablet sees that queued entry (a closed tab's storage
    # reaches the others a moment later).
    probe = await page.context.new_page()
    await page.context.set_offline(False)
    await probe.goto(f"{server.url}/healthz")
    await probe.wait_for_function("JSON.stringify(localStorage).includes('孙一')")

    other = await page.context.new_page()
    await other.goto(station["station"]["url"])
    await other.wait_for_selector("body[data-ready=true]")
    assert "宁波退役军人服务站" in await other.inner_text("#venue-name")
    await _enter(other, "周二", "13500135002", "j2")

    async def stored_by_venue() -> dict[str, str]:
        return {r["name"]: r["venue"] for r in await stored_applications(server, event)}

    async def second_sent() -> bool:
        return "周二" in await stored_by_venue()

    assert await eventually(second_sent, 15)
    # The hall's person is not credited to the service station (still queued for the hall).
    assert (await stored_by_venue()).get("孙一") in (None, hall["venue"]["id"])
    back = await page.context.new_page()
    await back.goto(hall["station"]["url"])
    await back.wait_for_selector("body[data-ready=true]")

    async def first_sent() -> bool:
        return "孙一" in await stored_by_venue()

    assert await eventually(first_sent, 15)
    assert await stored_by_venue() == {
        "孙一": hall["venue"]["id"],
        "周二": station["venue"]["id"],
    }


async def test_the_desk_forgets_people_sent_long_ago(server: LiveServer, pages: Pages) -> None:
    # The tablet at a public desk is shared: the names of people sent days ago (the fair may
    # be over and purged) must not stay on it for whoever picks it up next.
    event = await server.create_event()
    created = await _venue(server, event)
    page = await pages.open(created["station"]["url"], name="station", viewport=TABLET)
    await page.wait_for_selector("body[data-ready=true]")
    day_ms = 86_400_000
    await page.evaluate(
        """([key, day]) => {
          const now = Date.now();
          const old = {key: "st-old", job_id: "j1", job: "x", name: "旧人", phone: "135****5009",
            consent: true, state: "applied", answer: "7", tries: 1, at: now - 2 * day,
            sent_at: now - 2 * day};
          const recent = {...old, key: "st-new", name: "新人", at: now - 60000,
            sent_at: now - 60000};
          localStorage.setItem(key, JSON.stringify([old, recent]));
        }""",
        [f"liveevent.station.{event.id}.outbox", day_ms],
    )
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    await _enter(page, "孙一", "13500135001", "j1")
    assert await eventually(_counts(page, "#sent li[data-state=applied]", 2), 15)
    sent = await page.inner_text("#sent")
    assert "新人" in sent and "孙一" in sent and "旧人" not in sent
    stored = await page.evaluate(f"localStorage.getItem('liveevent.station.{event.id}.outbox')")
    assert "旧人" not in stored
