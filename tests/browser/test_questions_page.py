"""Questions on the card in Chromium: a viewer asks, the host shows and answers it in the host
console, and a second viewer sees it under the card with the asker's name masked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.support import Event, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

LIVE = '#conn[data-state="live"]'


async def _viewer(pages: Pages, server: LiveServer, event: Event, name: str) -> Any:
    page = await pages.open(f"{server.url}/e/{event.id}", name=name, viewport=PHONE)
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.wait_for_selector('#card-slot .card[data-job-id="j1"]', timeout=5000)
    return page


async def test_a_viewer_asks_the_host_answers_and_another_viewer_sees_it_masked(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    asker = await _viewer(pages, server, event, "asker")
    other = await _viewer(pages, server, event, "other")
    host = await pages.open(
        f"{server.url}/host/{event.id}#token={event.host_token}", name="host", viewport=DESKTOP
    )
    await host.wait_for_selector(LIVE)

    # A question with a phone number in it is refused on the page, naming why.
    await asker.click("#ask summary")
    await asker.fill("#q-text", "请打我电话 13800138000")
    await asker.click("#ask-form button[type=submit]")
    await asker.wait_for_function(
        "document.querySelector('#q-note').textContent.includes('电话号码')"
    )
    await asker.fill("#q-text", "包吃住吗？")
    await asker.fill("#q-name", "张三丰")
    await asker.click("#ask-form button[type=submit]")
    await asker.wait_for_selector("#q-note.good")

    # The host console's queue shows it (the name in full, for moderation) ...
    row = host.locator("#question-queue li.host-question")
    await row.first.wait_for(timeout=5000)
    assert "张三丰" in await row.first.inner_text() and "包吃住吗" in await row.first.inner_text()
    await pages.shot(host, "host-queue")
    # ... the host shows it, then answers it.
    await row.first.locator('button[data-action="approve"]').click()
    shown = other.locator("#question-list li.question")
    await shown.first.wait_for(timeout=5000)
    text = await shown.first.inner_text()
    assert "张**" in text and "包吃住吗" in text and "张三丰" not in text
    answer = host.locator("#question-shown textarea").first
    await answer.wait_for(timeout=5000)
    await answer.fill("包住，公司宿舍四人间")
    await host.locator('#question-shown button[data-action="answer"]').first.click()
    await other.wait_for_function(
        "document.querySelector('#question-list').textContent.includes('公司宿舍四人间')"
    )
    await asker.wait_for_function(
        "document.querySelector('#question-list').textContent.includes('公司宿舍四人间')"
    )
    # A viewer who opens the page now sees it at once (the socket's hello).
    late = await _viewer(pages, server, event, "late")
    await late.wait_for_selector("#question-list li.question", timeout=5000)
    assert "张**" in await late.inner_text("#question-list")
    assert await host.locator("#question-queue li").count() == 0
    await pages.shot(other, "viewer-answered")

    # A new card: the questions of the last one leave the screen.
    await server.push(event, "j2")
    await other.wait_for_selector('#card-slot .card[data-job-id="j2"]', timeout=5000)
    await other.wait_for_selector("#question-empty", timeout=5000)
    no_scroll = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert await other.evaluate(no_scroll)
    # The one refusal (422, the phone number) is logged by the browser as a failed load.
    assert [e for e in pages.errors() if "status of 422" not in e] == []


async def test_an_employer_answers_its_own_jobs_question_on_its_page(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")  # 顺丰速运有限公司
    links = {}
    for name in ("顺丰速运有限公司", "京东物流"):
        status, reply = await server.call(
            "POST",
            f"/api/events/{event.id}/employers",
            token=event.staff_token,
            json_body={"name": name, "contact": "王经理"},
        )
        assert status == 201, reply
        links[name] = f"{server.url}{reply['link']}"
    status, asked = await server.call(
        "POST",
        f"/api/events/{event.id}/questions",
        json_body={"card_id": card["card_id"], "name": "李四", "text": "要求有驾照吗？"},
    )
    assert status == 201, asked
    viewer = await _viewer(pages, server, event, "viewer")
    jd = await pages.open(links["京东物流"], name="jd", viewport=DESKTOP)
    sf = await pages.open(links["顺丰速运有限公司"], name="sf", viewport=DESKTOP)
    item = sf.locator("#employer-question-list li.host-question")
    await item.first.wait_for(timeout=8000)
    assert "要求有驾照吗" in await item.first.inner_text()
    assert "片区运营主管" in await item.first.inner_text()  # the job's title
    assert "李四" not in await sf.inner_text("#employer-questions")  # employers see no names
    await item.first.locator("textarea").fill("需要C1驾照")
    await item.first.locator('button[data-action="answer"]').click()
    await viewer.wait_for_function(
        "document.querySelector('#question-list') &&"
        " document.querySelector('#question-list').textContent.includes('需要C1驾照')"
    )
    assert "李*" in await viewer.inner_text("#question-list")
    # The other employer never sees it.
    await jd.wait_for_selector("#employer-questions h2", timeout=8000)
    assert "要求有驾照吗" not in await jd.inner_text("#employer-questions")
    await pages.shot(sf, "employer")
    assert pages.errors() == []
