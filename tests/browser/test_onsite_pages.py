"""The on-site pages in Chromium: a venue's station on a tablet through a network cut, and
the check-in page on a small phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, PHONE, Pages
from tests.support import Event, LiveServer, eventually
from tests.web.test_venues import stored_applications

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

TABLET = {"width": 800, "height": 1280}
PEOPLE = [
    ("孙一", "13500135001", "j1"),
    ("周二", "13500135002", "j2"),
    ("吴三", "13500135003", "j1"),
]
# What a page cut off from the network logs by itself: not a page bug.
OFFLINE_NOISE = ("ERR_INTERNET_DISCONNECTED", "Failed to load resource", "Failed to fetch")


async def _venue(server: LiveServer, event: Event, **body: Any) -> dict[str, Any]:
    status, answer = await server.call(
        "POST",
        f"/api/events/{event.id}/venues",
        token=event.staff_token,
        json_body={"name": "宁波退役军人服务站", "kind": "station", **body},
    )
    assert status == 201, answer
    return answer  # type: ignore[no-any-return]


async def _count(page: Any, selector: str) -> int:
    return len(await page.query_selector_all(selector))


def _counts(page: Any, selector: str, wanted: int) -> Any:
    """A check for ``eventually``: ``selector`` matches ``wanted`` elements."""

    async def check() -> bool:
        return await _count(page, selector) == wanted

    return check


async def _enter(page: Any, name: str, phone: str, job: str) -> None:
    await page.select_option("#s-job", job)
    await page.fill("#s-name", name)
    await page.fill("#s-phone", phone)
    await page.check("#s-consent")
    await page.click("#s-submit")


async def test_the_station_keeps_and_sends_through_a_network_cut(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    created = await _venue(server, event)
    venue_id = created["venue"]["id"]
    page = await pages.open(created["station"]["url"], name="station", viewport=TABLET)
    await page.wait_for_selector("body[data-ready=true]")
    assert "宁波退役军人服务站" in await page.inner_text("#venue-name")
    # The page (kept by its service worker) must open again without network.
    assert await page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    await page.context.set_offline(True)
    for name, phone, job in PEOPLE:
        await _enter(page, name, phone, job)
    assert await _count(page, "#unsent li") == 3
    assert await page.get_attribute("#net", "data-online") == "false"
    await pages.shot(page, "offline-three-queued")

    # A reload while offline: the queue is still there, nothing was sent.
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    assert await _count(page, "#unsent li") == 3
    assert await page.inner_text("#unsent-count") == "3"
    assert (await server.stats(event))["applications"] == 0

    await page.context.set_offline(False)
    assert await eventually(_counts(page, "#unsent li", 0), 15), await page.inner_text("#unsent")
    states = await page.eval_on_selector_all("#sent li", "els => els.map(e => e.dataset.state)")
    assert states == ["applied", "applied", "applied"]
    assert await _count(page, "#unsent li") == 0
    await pages.shot(page, "online-all-sent")

    stored = await stored_applications(server, event)
    assert sorted((r["name"], r["phone"], r["job_id"]) for r in stored) == sorted(PEOPLE)
    assert {(r["venue"], r["source"]) for r in stored} == {(venue_id, "station")}
    assert (await server.stats(event))["applications"] == 3
    # The sent list keeps the name and a masked phone only.
    sent_text = await page.inner_text("#sent")
    assert "135****5001" in sent_text and "13500135001" not in sent_text
    real = [e for e in pages.errors() if not any(noise in e for noise in OFFLINE_NOISE)]
    assert real == []


async def test_a_lost_answer_is_retried_and_stored_once(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    created = await _venue(server, event)
    page = await pages.open(created["station"]["url"], name="station", viewport=TABLET)
    await page.wait_for_selector("body[data-ready=true]")
    lost: list[str] = []

    async def lose_first_answer(route: Any) -> None:
        # The request reaches the server (and is stored); the page never hears back.
        await route.fetch()
        if not lost:
            lost.append(route.request.post_data or "")
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route("**/applications", lose_first_answer)
    await _enter(page, *PEOPLE[0])
    assert await eventually(_counts(page, "#sent li[data-state=applied]", 1), 15)
    assert len(lost) == 1
    stored = await stored_applications(server, event)
    assert [(r["name"], r["phone"]) for r in stored] == [PEOPLE[0][:2]]


async def test_check_in_on_a_small_phone(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    created = await _venue(server, event, name="杭州主会场", kind="hall")
    url = created["checkin_url"]
    page = await pages.open(url, name="checkin", viewport=PHONE)
    await page.wait_for_function(
        "document.querySelector('#venue-name').textContent.includes('杭州主会场')"
    )
    # Nothing is wider than the screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.click("#c-submit")
    for field in ("name", "phone", "consent"):
        assert await page.inner_text(f"#ce-{field}"), field
    await page.fill("#c-name", "郑四")
    await page.fill("#c-phone", "139 0013 9999")
    await page.check("#c-consent")
    await pages.shot(page, "filled")
    await page.click("#c-submit")
    await page.wait_for_selector("#checkin-done:not([hidden])")
    assert await page.inner_text("#done-title") == "签到成功"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await pages.shot(page, "done")
    onsite = (await server.stats(event))["onsite"]
    assert onsite["by_venue"][created["venue"]["id"]]["checked_in"] == 1
    # The same person again (another scan): told so, counted once.
    again = await pages.open(url, name="again", viewport=PHONE)
    await again.wait_for_function(
        "document.querySelector('#venue-name').textContent.includes('杭州主会场')"
    )
    await again.fill("#c-name", "郑四")
    await again.fill("#c-phone", "13900139999")
    await again.check("#c-consent")
    await again.click("#c-submit")
    await again.wait_for_selector("#checkin-done:not([hidden])")
    assert await again.inner_text("#done-title") == "您已经签到过了"
    assert (await server.stats(event))["onsite"]["checked_in"] == 1
    assert pages.errors() == []


async def test_the_on_site_pages_run_under_their_csp(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    created = await _venue(server, event)
    station = await pages.open(
        created["station"]["url"], name="station", viewport=TABLET, bypass_csp=False
    )
    await station.wait_for_selector("body[data-ready=true]")
    checkin = await pages.open(created["checkin_url"], name="checkin", bypass_csp=False)
    await checkin.wait_for_selector("#event-title:not(:empty)")
    assert pages.errors() == []
