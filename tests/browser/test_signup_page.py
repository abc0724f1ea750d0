"""Signing up (预约) on the viewer page before go-live, on a 360x740 phone in Chromium: the form,
its errors, the confirmation with the calendar file, and "watched" once the event is live."""

from __future__ import annotations

import pytest

from liveevent.web.appkeys import OUTBOX, SIGNUPS
from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, PHONE, Pages
from tests.browser.test_pages import LIVE, viewer_url
from tests.support import LiveServer, eventually
from tests.web.test_signups import go_live, in_days, scheduled_event, sign_up

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


async def test_a_viewer_signs_up_before_go_live_and_is_counted_as_watching(
    server: LiveServer, pages: Pages
) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    page = await pages.open(viewer_url(server, event, ""), name="viewer", viewport=PHONE)
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.wait_for_selector("#signup-form", timeout=10_000)
    await pages.shot(page, "form")
    # Nothing typed, no consent: each field says what is wrong, nothing is sent.
    await page.click("#signup-submit")
    assert await page.text_content("#se-name")
    assert await page.text_content("#se-consent")
    assert await server.app[SIGNUPS].count(event.id) == 0
    await page.fill("#s-name", "王建国")
    await page.fill("#s-phone", "138 1111 2222")
    await page.fill("#s-city", "深圳")
    await page.check("#s-consent")
    await page.click("#signup-submit")
    await page.wait_for_selector("#signup-ics", timeout=10_000)
    await pages.shot(page, "done")
    assert await page.text_content("#signup-h") == "预约成功"
    assert await page.locator("#signup-reminders li").count() == 2  # 1 day and 30 min before
    assert "null" not in (await page.text_content("#signup") or "")
    href = await page.get_attribute("#signup-ics", "href")
    assert href == f"/api/events/{event.id}/calendar.ics"
    # Nothing wider than the phone's screen.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert await server.app[SIGNUPS].count(event.id) == 1
    assert (await server.app[OUTBOX].counts(event.id))["scheduled"] == 2
    # A reload remembers the sign-up; going live hides the block and counts "watched".
    await page.reload()
    await page.wait_for_selector("#signup-ics", timeout=10_000)
    await go_live(server, event)
    await page.wait_for_selector("#signup", state="hidden", timeout=10_000)

    async def watched() -> bool:
        return len(await server.app[SIGNUPS].watched(event.id)) == 1

    assert await eventually(watched, 10)
    assert pages.errors() == []


async def test_staff_see_the_funnel_with_the_show_up_rate(server: LiveServer, pages: Pages) -> None:
    event = await scheduled_event(server, starts_at=None)
    tokens = []
    for phone in ("13811112222", "13933334444"):
        status, body = await sign_up(server, event, phone)
        assert status == 201
        tokens.append(body["watch_token"])
    await go_live(server, event)
    path = f"/api/events/{event.id}/signups/{tokens[0]}/watched"
    assert (await server.call("POST", path, json_body={}))[0] == 200
    assert (await server.apply(event, "j1", "13811112222"))[0] == 201
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=PHONE
    )
    await staff.wait_for_selector("#funnel #f-rate", timeout=10_000)
    await pages.shot(staff, "funnel")
    assert await staff.text_content("#f-signed") == "2"
    assert await staff.text_content("#f-watched") == "1"
    assert await staff.text_content("#f-applied") == "1"
    assert await staff.text_content("#f-rate") == "50.0%"
    assert "null" not in (await staff.text_content("#funnel") or "")
    assert await staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert pages.errors() == []


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large-text"])
async def test_the_sign_up_form_fits_a_320_px_phone(
    server: LiveServer, pages: Pages, elder: bool
) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    small = {"width": 320, "height": 568}
    page = await pages.open(viewer_url(server, event, ""), name="viewer", viewport=small)
    await page.wait_for_selector("#signup-form", timeout=10_000)
    if elder:
        await page.click("[data-elder-toggle]")
        assert await page.evaluate("document.documentElement.classList.contains('elder')")
    await page.click("#signup-submit")  # the errors, at their longest
    await pages.shot(page, "small")
    assert await page.evaluate("document.documentElement.scrollWidth") <= small["width"]
    for selector in ("#signup-submit", "#s-name", "#s-phone", "#s-consent"):
        box = await page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= small["width"]
    assert pages.errors() == []
