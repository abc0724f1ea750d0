"""The consoles' on-site parts in Chromium (issue 16): the staff page makes a venue, shows its
check-in link, QR code and count (live), hands out and revokes desk links, and shows the places
left per job; the host console shows the on-site check-ins; the station page says when a
person went onto a filled job's waiting list (the answer's ``waitlist``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, Pages
from tests.support import LiveServer, eventually

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

JOBS = [
    {"id": "j1", "employer": "宁波港集团", "title": "理货员", "openings": 1},
    {"id": "j2", "employer": "杭州地铁", "title": "站务员", "openings": 10, "openings_max": 20},
]


def _text(page: Any, selector: str, wanted: str) -> Any:
    async def check() -> bool:
        element = await page.query_selector(selector)
        return element is not None and wanted in (await element.inner_text())

    return check


async def test_staff_and_host_consoles_show_venues_and_check_ins(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event(jobs=JOBS)
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=DESKTOP
    )
    await staff.wait_for_selector("#venue-form")
    await staff.fill("#venue-name", "宁波主会场")
    await staff.fill("#venue-city", "宁波")
    await staff.click("#venue-form button[type=submit]")
    await staff.wait_for_selector("#venues li.venue")
    venue = await staff.get_attribute("#venues li.venue", "data-venue-id")
    assert venue
    checkin = await staff.inner_text("#venues .checkin-link")
    assert checkin.endswith(f"/checkin/{event.id}?venue={venue}")
    qr = await staff.get_attribute("#venues li.venue img", "src")
    assert qr == f"/api/events/{event.id}/qr.svg?venue={venue}"
    desk = await staff.get_attribute("#venue-desk .station-link", "href")
    assert desk and f"/station/{event.id}#token=" in desk

    host = await pages.open(
        f"{server.url}/host/{event.id}#token={event.host_token}", name="host", viewport=DESKTOP
    )
    # Two people check in: both consoles count them, live.
    for phone in ("13600000001", "13600000002"):
        status, _ = await server.call(
            "POST",
            f"/api/events/{event.id}/venues/{venue}/checkins",
            json_body={"name": "李雷", "phone": phone, "consent": True},
        )
        assert status == 201
    assert await eventually(_text(staff, "#venues .venue-count", "2"), 10)
    assert await eventually(_text(staff, "#venues-total", "2"), 10)
    assert await eventually(_text(host, "#n-onsite", "2"), 10)
    assert "宁波主会场 2" in await host.inner_text("#onsite-venues")
    await pages.shot(host, "host-onsite")

    # Places left per job, live: j1 has one opening; its hire fills it.
    status, applied = await server.apply(event, "j1", "13600000003")
    assert status == 201
    left = '#jobs tr[data-job-id="j1"] .left'
    assert await eventually(_text(staff, left, "剩1个名额"), 10)
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{applied['application_id']}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    assert await eventually(_text(staff, left, "已招满"), 10)
    assert "剩10-20个名额" in await staff.inner_text('#jobs tr[data-job-id="j2"] .left')

    # The station page, through the desk link: a person put onto j1's waiting list.
    station = await pages.open(desk, name="station", viewport={"width": 800, "height": 1280})
    await station.wait_for_selector("body[data-ready=true]")
    await station.select_option("#s-job", "j1")
    await station.fill("#s-name", "韩梅梅")
    await station.fill("#s-phone", "13600000004")
    await station.check("#s-consent")
    await station.click("#s-submit")
    assert await eventually(_text(station, "#sent", "候补"), 15)

    # Revoke the venue's desks: the station's token stops working.
    staff.on("dialog", lambda dialog: dialog.accept())
    await staff.click("#venues .revoke-desks")
    token = desk.split("#token=")[1]
    status, _ = await server.call("GET", f"/api/events/{event.id}/station", token=token)

    async def refused() -> bool:
        got, _ = await server.call("GET", f"/api/events/{event.id}/station", token=token)
        return got == 403

    assert await eventually(refused, 10)
    await pages.shot(staff, "staff-venues")
    assert pages.errors() == []
