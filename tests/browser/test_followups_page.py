"""Follow-up after hire in Chromium: the staff page lists the hires due for a check and records
a mark with one tap; the employer page does the same for its own hires only (issue 17.4)."""

from __future__ import annotations

import pytest

from liveevent.domain.consent import CURRENT_VERSION
from liveevent.web.appkeys import APPLICATIONS
from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.browser.test_employer_page import employer_link
from tests.browser.test_pages import open_viewer, staff_url
from tests.support import LiveServer, eventually
from tests.web.test_followups import hire

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

SF = "顺丰速运有限公司"  # j1 in tests.support.JOBS


async def test_staff_and_employer_record_checks_from_their_pages(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    ids = {}
    for job, phone, name in (("j1", "13700000001", "李卫国"), ("j3", "13700000002", "周杰伦")):
        status, reply = await server.apply(
            event, job, phone, name, consent=True, consent_version=CURRENT_VERSION, consent_to=SF
        )
        assert status == 201, reply
        ids[name] = reply["application_id"]
        await hire(server, event, reply["application_id"], 8)  # the 7-day check is due
    base = f"/api/events/{event.id}/followups"

    staff = await pages.open(staff_url(server, event), name="staff", viewport=DESKTOP)
    row = f'#fu-list li[data-application="{ids["周杰伦"]}"]'
    await staff.wait_for_selector(row)
    assert "7天回访" in await staff.inner_text(row)
    await staff.click(f'{row} .fu-check[data-check="7d"] button[data-result="left"]')

    async def staff_mark() -> bool:
        _, listing = await server.call("GET", base, token=event.staff_token)
        return bool(listing["retention"]["7d"]["left"] == 1)

    assert await eventually(staff_mark, 10)
    # Marked, so no longer due: it leaves the list of due checks.
    await staff.wait_for_selector(row, state="detached")
    assert "留存率 0%" in await staff.inner_text("#fu-rates")

    employer = await pages.open(
        await employer_link(server, event, SF, "王经理"), name="employer", viewport=PHONE
    )
    own = f'#fu-list li[data-application="{ids["李卫国"]}"]'
    await employer.wait_for_selector(own)
    text = await employer.inner_text("#fu-list")
    assert "周杰伦" not in text and "13700000001" in text  # its own hire only, consented
    await employer.click(f'{own} .fu-check[data-check="7d"] button[data-result="retained"]')

    async def employer_mark() -> bool:
        _, listing = await server.call("GET", base, token=event.staff_token)
        row = next(r for r in listing["hires"] if r["application_id"] == ids["李卫国"])
        mark = row["checks"]["7d"]["mark"]
        return mark is not None and mark["role"] == "employer" and mark["result"] == "retained"

    assert await eventually(employer_mark, 10)
    await employer.wait_for_selector(own, state="detached")
    # Every hire, with "all hires" ticked: the mark shows and can be corrected.
    await employer.check("#fu-all")
    await employer.wait_for_selector(f'{own} button[data-result="retained"][aria-pressed="true"]')
    assert await employer.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert pages.errors() == []


async def test_staff_switch_status_notices_on_and_the_apply_form_asks_separately(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    staff = await pages.open(staff_url(server, event), name="staff", viewport=DESKTOP)
    await staff.wait_for_selector("#sn-enabled:not([disabled])")
    assert not await staff.is_checked("#sn-enabled")
    # Off: the apply form has no such box.
    viewer = await open_viewer(pages, server, event, "viewer-off")
    await viewer.click("#card-slot .apply-btn")
    await viewer.wait_for_selector("#sheet:not([hidden])")
    assert await viewer.query_selector("#f-notify") is None

    await staff.check("#sn-enabled")

    async def on() -> bool:
        _, body = await server.call("GET", f"/api/events/{event.id}/status-notices")
        return bool(body["enabled"])

    assert await eventually(on, 10)
    viewer = await open_viewer(pages, server, event, "viewer-on")
    await viewer.click("#card-slot .apply-btn")
    await viewer.wait_for_selector("#f-notify")
    assert "短信" in await viewer.inner_text("#f-notify-text")
    assert not await viewer.is_checked("#f-notify")  # unticked until the applicant ticks it
    await viewer.fill("#f-name", "李卫国")
    await viewer.fill("#f-phone", "13912345678")
    await viewer.check("#f-consent")
    await viewer.check("#f-notify")
    await viewer.click("#submit")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    application_id = (await viewer.inner_text("#result-number")).strip()
    (found,) = await server.app[APPLICATIONS].by_ids(event.id, [application_id])
    assert found[0].notify_status is True
    assert await viewer.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert pages.errors() == []
