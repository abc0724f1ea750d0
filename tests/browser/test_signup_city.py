"""The sign-up (预约) form of a two-city fair on a 360x740 phone in Chromium, opened from a city's
link (``/e/ID?city=宁波``, as ``liveevent demo`` prints them): the form is laid out one field a
row, as the apply sheet is, and its city is the one the link carries (found by review r3)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, PHONE, Pages
from tests.browser.test_pages import LIVE, viewer_url
from tests.support import LiveServer
from tests.web.test_signups import in_days, scheduled_event

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


async def test_a_city_link_fills_the_sign_up_city_and_the_form_is_one_field_a_row(
    server: LiveServer, pages: Pages
) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    status, body = await server.call(
        "PUT",
        f"/api/events/{event.id}/cities",
        token=event.staff_token,
        json_body={"cities": ["杭州", "宁波"]},
    )
    assert status == 200, body
    page = await pages.open(viewer_url(server, event, "?city=宁波"), name="viewer", viewport=PHONE)
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.wait_for_selector("#signup-form #s-city option[value='宁波']", state="attached")
    await pages.shot(page, "form")
    assert await page.input_value("#s-city") == "宁波"
    # One field a row: each label above its field, each field as wide as the form.
    form = await page.locator("#signup-form").bounding_box()
    assert form is not None
    for field in ("s-name", "s-phone", "s-city"):
        label = await page.locator(f"#signup-form label[for='{field}']").bounding_box()
        box = await page.locator(f"#{field}").bounding_box()
        assert label is not None and box is not None
        assert box["y"] >= label["y"] + label["height"] - 1, field
        assert box["width"] >= 0.9 * form["width"], field
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert pages.errors() == []
