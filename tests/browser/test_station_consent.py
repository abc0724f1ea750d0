"""A person applied for at a venue's station gives the same separate consent (PIPL Art. 23)
as the apply form: it names the employer and its contact, the purpose, how the data is
processed and what is shared, and the application records which text and which employer.

Before, the station showed the text used before issue 16 ("我本人同意把我的姓名和手机号交给
{employer}…": no contact, no processing) and stored no version: the employer then saw every
on-site applicant masked, and could not call the people it met at the hall.
"""

from __future__ import annotations

import pytest

from liveevent.domain.consent import CURRENT_VERSION
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

EMPLOYER, CONTACT = "顺丰速运有限公司", "王经理 0574-8888"


async def test_the_station_shows_and_records_the_employers_consent(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    status, access = await server.call(
        "POST",
        f"/api/events/{event.id}/employers",
        token=event.staff_token,
        json_body={"name": EMPLOYER, "contact": CONTACT},
    )
    assert status == 201, access
    created = await _venue(server, event)
    page = await pages.open(created["station"]["url"], name="station", viewport=TABLET)
    await page.wait_for_selector("body[data-ready=true]")
    await page.select_option("#s-job", "j1")

    async def names_contact() -> bool:
        return CONTACT in await page.inner_text("#s-consent-text")

    assert await eventually(names_contact, 10), await page.inner_text("#s-consent-text")
    text = await page.inner_text("#s-consent-text")
    for told in (EMPLOYER, "处理目的", "处理方式", "个人信息种类", "撤回"):
        assert told in text, (told, text)
    await pages.shot(page, "station-consent")

    await _enter(page, "孙一", "13500135001", "j1")
    assert await eventually(_counts(page, "#unsent li", 0), 15)
    stored = await stored_applications(server, event)
    assert [(r["consent_version"], r["consent_to"]) for r in stored] == [
        (CURRENT_VERSION, EMPLOYER)
    ]
    # The employer can call the person it met at the hall.
    status, mine = await server.call(
        "GET", f"/api/events/{event.id}/employer/applications", token=access["token"]
    )
    assert status == 200, mine
    row = mine["applications"][0]
    assert (row["phone"], row["consented"]) == ("13500135001", True)
    assert pages.errors() == []
