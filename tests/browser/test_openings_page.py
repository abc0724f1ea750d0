"""Several hosts and positions remaining on the pages (issue 16), in a real Chromium.

The JS rule (static/js/openings.js) against the shared table (tests/data/openings.json, also
run against the Python rule); two host consoles of two studios pushing; and a viewer's card
whose places left fall live as staff record hires, down to 已招满 and the waiting list.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, Pages
from tests.browser.test_pages import LIVE, open_viewer
from tests.domain.test_openings import CASES
from tests.support import LiveServer, eventually
from tests.web.test_hosts import make_host

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

_ALL_CASES = """async (cases) => {
  const { remaining, remainingText } = await import("/static/js/openings.js");
  return cases.map((c) => {
    const job = {};
    for (const k of ["openings", "openings_max"]) if (k in c) job[k] = c[k];
    const left = remaining(job, c.hires);
    return [left.kind, left.low, left.high, left.filled, remainingText(left)];
  });
}"""
_SET_LANG = """async (lang) => { const i18n = await import("/static/js/i18n.js");
  await i18n.setLang(lang); return i18n.lang(); }"""

JOBS = [
    {"id": "j1", "employer": "宁波港集团", "title": "理货员", "openings": 3},
    {"id": "j2", "employer": "杭州地铁", "title": "站务员", "openings": 10, "openings_max": 20},
]


async def test_the_pages_rule_matches_the_table(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    viewer = await open_viewer(pages, server, event, "viewer")
    for lang, words in (("zh-CN", "zh"), ("en", "en")):
        assert await viewer.evaluate(_SET_LANG, lang) == lang
        got = await viewer.evaluate(_ALL_CASES, CASES)
        want = [[c["kind"], c["low"], c["high"], c["kind"] == "filled", c[words]] for c in CASES]
        assert got == want, lang


async def _hire(server: LiveServer, event: Any, app_id: str) -> None:
    status, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{app_id}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200, body


async def test_a_viewers_card_counts_down_live_to_filled(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event(jobs=JOBS)
    await server.push(event, "j1")
    viewer = await open_viewer(pages, server, event, "viewer")
    overlay = await pages.open(
        f"{server.url}/overlay/{event.id}?token={event.overlay_token}",
        name="overlay",
        viewport=DESKTOP,
    )
    remaining = '#card-slot .card[data-job-id="j1"] .remaining'
    await viewer.wait_for_selector(f"{remaining}:has-text('剩3个名额')", timeout=10_000)
    await overlay.wait_for_selector("#ov-remaining:has-text('剩3个名额')", timeout=10_000)
    ids = []
    for n in range(3):
        status, body = await server.apply(event, "j1", f"1380000000{n}")
        assert status == 201, body
        ids.append(body["application_id"])
    await _hire(server, event, ids[0])
    await viewer.wait_for_selector(f"{remaining}:has-text('剩2个名额')", timeout=5_000)
    # The list of earlier jobs says the same.
    await viewer.wait_for_selector(
        "#shown-list li[data-job-id='j1'] .remaining:has-text('剩2个名额')", timeout=5_000
    )
    # The last two in one bulk change: filled, and the card offers the waiting list.
    status, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications",
        token=event.staff_token,
        json_body={"application_ids": ids[1:], "status": "hired"},
    )
    assert status == 200, body
    await viewer.wait_for_selector(f"{remaining}.filled:has-text('已招满')", timeout=5_000)
    await overlay.wait_for_selector("#ov-remaining.filled:has-text('已招满')", timeout=5_000)
    card = await viewer.inner_text("#card-slot .card")
    assert "候补" in card and "报名候补" in card
    await viewer.wait_for_function(
        "document.querySelector('#announcer').textContent.includes('已招满')"
    )
    # A viewer who opens the page now sees it filled from the start.
    late = await open_viewer(pages, server, event, "late")
    await late.wait_for_selector(f"{remaining}.filled", timeout=5_000)
    await pages.shot(viewer, "filled")
    assert pages.errors() == []


async def test_two_host_consoles_see_one_card_and_who_pushed_it(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event(jobs=JOBS)
    studios = [await make_host(server, event, name) for name in ("杭州演播室", "宁波演播室")]
    consoles = []
    for studio in studios:
        page = await pages.open(
            server.url + studio["console_url"], name=studio["name"], viewport=DESKTOP
        )
        await page.wait_for_selector(LIVE, timeout=10_000)
        consoles.append(page)
    viewer = await open_viewer(pages, server, event, "viewer")
    # Both studios push at once, each its own job.
    await asyncio.gather(
        consoles[0].click('.job-row[data-job-id="j1"] .push-btn'),
        consoles[1].click('.job-row[data-job-id="j2"] .push-btn'),
    )
    stats: dict[str, Any] = {}

    async def both_pushed() -> bool:
        stats.update(await server.stats(event))
        return bool(stats["cards_pushed"] == 2)

    assert await eventually(both_pushed, timeout_s=10), stats
    on_screen = stats["current_card"]
    job, by = on_screen["job"]["id"], on_screen["pushed_by"]
    assert by in ("杭州演播室", "宁波演播室")
    for page in (*consoles, viewer):
        slot = "#now" if page is not viewer else "#card-slot"
        await page.wait_for_function(
            "([slot, title]) => document.querySelector(slot).innerText.includes(title)",
            arg=[slot, on_screen["job"]["title"]],
            timeout=5_000,
        )
    for page in consoles:
        await page.wait_for_selector(f'.job-row.is-current[data-job-id="{job}"]', timeout=5_000)
        await page.wait_for_selector(f"#now .pushed-by:has-text('推送人：{by}')", timeout=5_000)
    assert await viewer.get_attribute("#card-slot .card", "data-job-id") == job
    await pages.shot(consoles[0], "hangzhou")
    assert pages.errors() == []
