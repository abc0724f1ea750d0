"""Headcount ranges on the pages: the JS rule against the shared table, then the viewer's card,
its list of earlier jobs, the overlay and the staff page's job list, in a real Chromium.

The cases are ``tests/data/headcounts.json``, which also runs against the Python rule
(``tests/domain/test_headcounts.py``), so the pages and the files say the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, Pages
from tests.browser.test_pages import LIVE, host_url, open_viewer, staff_url
from tests.support import LiveServer
from tests.web.test_headcounts import CASES, jobs_for_cases

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

# Run in the page: every case through headcountText, full and short, in the page's language.
_ALL_CASES = """async (cases) => {
  const { headcountText } = await import("/static/js/cards.js");
  return cases.map((c) => {
    const job = {};
    for (const k of ["openings", "openings_max"]) if (k in c) job[k] = c[k];
    return [headcountText(job), headcountText(job, { short: true })];
  });
}"""
_SET_LANG = """async (lang) => { const i18n = await import("/static/js/i18n.js");
  await i18n.setLang(lang); return i18n.lang(); }"""


async def test_the_pages_rule_matches_the_table(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    viewer = await open_viewer(pages, server, event, "viewer")
    for lang, full, short in (("zh-CN", "zh", "zh_short"), ("en", "en", "en_short")):
        assert await viewer.evaluate(_SET_LANG, lang) == lang
        got = await viewer.evaluate(_ALL_CASES, CASES)
        assert got == [[case[full], case[short]] for case in CASES], lang


# Several jobs' headcounts added up (the staff page's totals): jobs as (openings, openings_max).
TOTALS = [
    ([(8, 8), (20, None)], "28人以上"),
    ([(8, 8), (None, 10)], "8-18人"),
    ([(10, 20), (5, 5)], "15-25人"),
    ([(None, 10), (None, 10)], "20人以内"),
    ([(None, 10), (None, None)], "若干人"),
    ([(3, 3), (None, None)], "3人以上"),
    ([(None, None)], "若干人"),
    ([], "若干人"),
]
_TOTALS = """async (cases) => {
  const { headcountText, totalHeadcount } = await import("/static/js/cards.js");
  return cases.map((jobs) => headcountText(
    totalHeadcount(jobs.map(([openings, openings_max]) => ({ openings, openings_max }))),
    { short: true }));
}"""


async def test_totals_add_up_ranges(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    viewer = await open_viewer(pages, server, event, "viewer")
    got = await viewer.evaluate(_TOTALS, [jobs for jobs, _ in TOTALS])
    assert got == [want for _, want in TOTALS]


async def _card_text(page: Any, job_id: str) -> str:
    card = page.locator(f'#card-slot .card[data-job-id="{job_id}"]')
    await card.wait_for(timeout=10_000)
    return str(await card.locator(".facts").inner_text())


async def test_viewer_card_list_overlay_and_staff_show_the_range(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event(jobs=jobs_for_cases())
    viewer = await open_viewer(pages, server, event, "viewer")
    overlay = await pages.open(
        f"{server.url}/overlay/{event.id}?token={event.overlay_token}", name="overlay",
        viewport=DESKTOP,
    )  # fmt: skip
    pushed = list(range(len(CASES)))
    for index in pushed:
        await server.push(event, f"h{index}")
        facts = await _card_text(viewer, f"h{index}")
        # The card: 招聘 / 10-20人 (the label says "openings"; the value the short form).
        assert facts.split("\n")[-1].strip() == CASES[index]["zh_short"], facts
        await overlay.wait_for_selector(f'#card[data-job-id="h{index}"]:not([hidden])')
        assert CASES[index]["zh"] in (await overlay.inner_text("#ov-facts")).split("\n")
    await pages.shot(viewer, "headcount-card")
    # The list of earlier jobs: each with its full phrase (招10-20人, 招若干人...).
    for index in pushed:
        meta = viewer.locator(f'#shown-list .shown-item[data-job-id="h{index}"] .meta >> nth=0')
        assert await meta.inner_text() == CASES[index]["zh"]
    # In English, the same card and list in English words.
    await viewer.click("[data-lang-toggle]")
    last = pushed[-1]
    await viewer.wait_for_function("document.documentElement.lang === 'en'")
    facts = await _card_text(viewer, f"h{last}")
    assert facts.split("\n")[-1].strip() == CASES[last]["en_short"], facts
    for index in pushed:
        meta = viewer.locator(f'#shown-list .shown-item[data-job-id="h{index}"] .meta >> nth=0')
        assert await meta.inner_text() == CASES[index]["en"]
    await pages.shot(viewer, "headcount-card-en")

    staff = await pages.open(staff_url(server, event), name="staff", viewport=DESKTOP)
    await staff.wait_for_selector(LIVE)
    for index, case in enumerate(CASES):
        cell = staff.locator(f'#jobs tr[data-job-id="h{index}"] td.openings')
        await cell.wait_for()
        assert await cell.inner_text() == case["zh_short"], case
    # The total: the known low ends added up; a top end left open by any job stays open.
    assert await staff.inner_text("#n-openings") == "12154人以上"
    await pages.shot(staff, "headcount-staff")

    host = await pages.open(host_url(server, event), name="host", viewport=DESKTOP)
    await host.wait_for_selector(LIVE)
    for index, case in enumerate(CASES):
        meta = host.locator(f'.job-row[data-job-id="h{index}"] .meta')
        await meta.wait_for()
        assert case["zh"] in (await meta.inner_text()).split(" · "), case
