"""The employer page in Chromium: its own applicants live, an intent while the card is up,
then a hire; another employer's applicants never appear. The apply form's consent names the
employer and its contact, and what it said is what the employer's page honours."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from liveevent.domain.consent import CURRENT_VERSION
from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.browser.test_pages import LIVE, open_viewer, staff_url
from tests.support import Event, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

SF = "顺丰速运有限公司"  # j1 in tests.support.JOBS
JD = "京东物流"  # j3
THEIR_NAME, THEIR_PHONE = "周杰伦", "13900009999"


async def employer_link(server: LiveServer, event: Event, name: str, contact: str) -> str:
    status, reply = await server.call(
        "POST",
        f"/api/events/{event.id}/employers",
        token=event.staff_token,
        json_body={"name": name, "contact": contact},
    )
    assert status == 201, reply
    return f"{server.url}{reply['link']}"


async def status_of(server: LiveServer, event: Event, application_id: str) -> str:
    _, body = await server.call(
        "GET", f"/api/events/{event.id}/applications?limit=500", token=event.staff_token
    )
    row = next(r for r in body["applications"] if r["application_id"] == application_id)
    return str(row["status"])


async def no_other_employer(page: Any) -> None:
    text = await page.inner_text("body")
    assert THEIR_NAME not in text and THEIR_PHONE not in text and "仓储管理员" not in text


async def test_employer_page_sees_its_applicants_records_intent_then_hire(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    sf_link = await employer_link(server, event, SF, "王经理 0755-1234")
    jd_link = await employer_link(server, event, JD, "刘女士")
    # Another employer's applicant, who must never show on 顺丰's page.
    status, _ = await server.apply(
        event,
        "j3",
        THEIR_PHONE,
        THEIR_NAME,
        consent=True,
        consent_version=CURRENT_VERSION,
        consent_to=JD,
    )
    assert status == 201
    await server.push(event, "j1")

    employer = await pages.open(sf_link, name="employer", viewport=PHONE)
    await employer.wait_for_selector(LIVE, timeout=10_000)
    assert SF in await employer.inner_text("#employer-name")
    assert "片区运营主管" in await employer.inner_text("#on-air")
    assert await employer.is_visible("#apps-empty")

    # A viewer applies from the card; the consent names the employer and its contact.
    viewer = await open_viewer(pages, server, event, "viewer")
    await viewer.wait_for_selector('#card-slot .card[data-job-id="j1"]')
    await viewer.click("#card-slot .apply-btn")
    await viewer.wait_for_selector("#sheet:not([hidden])")
    await viewer.wait_for_function(
        "document.querySelector('#f-consent + span').textContent.includes('王经理 0755-1234')"
    )
    consent = await viewer.inner_text("#f-consent + span")
    for part in (SF, "王经理 0755-1234", "单独同意", "处理目的", "处理方式", "个人信息种类"):
        assert part in consent, part
    await viewer.fill("#f-name", "李卫国")
    await viewer.fill("#f-phone", "13912345678")
    await viewer.check("#f-consent")
    await viewer.click("#submit")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    application_id = (await viewer.inner_text("#result-number")).strip()

    # It shows up on the employer's page by itself (the page polls), in full: consented.
    row = f'#apps li[data-application-id="{application_id}"]'
    await employer.wait_for_selector(row, timeout=10_000)
    assert "李卫国" in await employer.inner_text(row)
    assert await employer.get_attribute(f"{row} a.phone", "href") == "tel:13912345678"
    await pages.shot(employer, "applicant-arrived")

    # Intent while the card is up: one tap.
    await employer.click(f"{row} button.intent")
    await employer.wait_for_selector(f'{row}[data-status="intent"]', timeout=5000)
    assert await status_of(server, event, application_id) == "intent"

    # Later, the card gone: the outcome.
    status, _ = await server.call(
        "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
    )
    assert status == 204
    await employer.wait_for_function(
        "!document.querySelector('#on-air').classList.contains('live')", timeout=10_000
    )
    await employer.select_option(f"{row} select.outcome", "hired")
    await employer.wait_for_selector(f'{row}[data-status="hired"]', timeout=5000)
    assert await status_of(server, event, application_id) == "hired"
    assert (await server.stats(event))["hires"] == 1
    await no_other_employer(employer)
    await pages.shot(employer, "hired")

    # The same page on a laptop, and the other employer's page: each sees only its own.
    laptop = await pages.open(sf_link, name="employer-laptop", viewport=DESKTOP)
    await laptop.wait_for_selector(row, timeout=10_000)
    await no_other_employer(laptop)
    other = await pages.open(jd_link, name="other-employer", viewport=PHONE)
    await other.wait_for_selector("#apps li", timeout=10_000)
    text = await other.inner_text("body")
    assert THEIR_NAME in text and "李卫国" not in text and "13912345678" not in text
    assert "139****5678" not in text

    # Staff see both employers' progress: 顺丰 reported, 京东 not yet.
    staff = await pages.open(staff_url(server, event), name="staff", viewport=DESKTOP)
    await staff.wait_for_selector(f'#employers-progress-rows tr[data-employer="{SF}"]')
    assert await staff.get_attribute(f'tr[data-employer="{SF}"]', "data-open") == "0"
    assert await staff.get_attribute(f'tr[data-employer="{JD}"]', "data-open") == "1"
    assert "从未反馈" in await staff.inner_text(f'tr[data-employer="{JD}"]')
    await pages.shot(staff, "progress")
    assert pages.errors() == []


async def test_employer_page_runs_under_its_csp_fits_a_phone_and_speaks_english(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    link = await employer_link(server, event, SF, "王经理 0755-1234")
    status, _ = await server.apply(event, "j1", "13912345678", "李卫国")  # no consent given
    assert status == 201
    page = await pages.open(link, name="employer-csp", viewport=PHONE, bypass_csp=False)
    await page.wait_for_selector("#apps li", timeout=10_000)
    # Without consent to this employer: masked, and the row says why.
    text = await page.inner_text("#apps li")
    assert "139****5678" in text and "李**" in text and "13912345678" not in text
    assert await page.locator("#apps li a.phone").count() == 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.click("[data-lang-toggle]")
    # Not wait_for_function: under the page's own CSP (no 'unsafe-eval') its polling
    # cannot evaluate a string, so it only ever saw the first check.
    await expect(page.locator("#jobs-h")).to_have_text("My jobs", timeout=5000)
    assert "Did not consent" in await page.inner_text("#apps li")
    await pages.shot(page, "english")
    assert pages.errors() == []
