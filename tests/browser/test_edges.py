"""The pages at their edges, in Chromium: a refused token, one-tap apply from the list of
earlier jobs, and the staff page on a phone (360x740)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.browser.test_pages import LIVE, fill_and_apply, open_viewer
from tests.support import Event, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the browser context's zone (tests/browser/conftest.py)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


# -- a wrong or expired token -----------------------------------------------------------------


async def _made_up(server: LiveServer, event: Event, role: str) -> str:
    return "wrongtoken0123456789abcdefABCDEF"


async def _other_events(server: LiveServer, event: Event, role: str) -> str:
    other = await server.create_event("另一场招聘会", live=False)
    return str(getattr(other, f"{role}_token"))


async def _cut_short(server: LiveServer, event: Event, role: str) -> str:
    # A link copied without its last characters (a chat app cut it at the line end).
    return str(getattr(event, f"{role}_token"))[:-3]


TOKENS: dict[str, Callable[[LiveServer, Event, str], Awaitable[str]]] = {
    "made up": _made_up,
    "another event's": _other_events,
    "cut short": _cut_short,
}


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("role", ["staff", "host"])
async def test_a_refused_token_shows_a_lasting_banner_that_says_what_to_do(
    role: str, token: str, server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    bad = await TOKENS[token](server, event, role)
    page = await pages.open(
        f"{server.url}/{role}/{event.id}#token={bad}", name=role, viewport=DESKTOP
    )
    await page.wait_for_selector("#auth-error:not([hidden])", timeout=10_000)
    banner = await page.inner_text("#auth-error")
    assert "失效" in banner and "新的完整链接" in banner  # why, and what to do instead
    # The connection line says it will not connect, rather than "connecting…" for ever.
    await page.wait_for_selector('#conn[data-state="refused"]')
    assert "连接中" not in await page.inner_text("#conn")
    assert await page.is_hidden("#toast")
    if token == "made up":
        # Still there after the old toast would have gone (6 s), and in the other language.
        await asyncio.sleep(7)
        assert await page.is_visible("#auth-error")
        assert await page.get_attribute("#conn", "data-state") == "refused"
        await page.click("[data-lang-toggle]")
        await page.wait_for_function("document.documentElement.lang === 'en'")
        assert "new full link" in await page.inner_text("#auth-error")
        assert "refused" in (await page.inner_text("#conn")).lower()
    await pages.shot(page, f"{role}-refused")
    assert [e for e in pages.errors() if "401" not in e and "403" not in e] == []


# -- one-tap apply from the list of earlier jobs ----------------------------------------------


async def test_one_tap_apply_in_the_list_shows_whose_details_and_lets_them_be_changed(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    for job in ("j1", "j2", "j3"):
        await server.push(event, job)
    viewer = await open_viewer(pages, server, event, "viewer")
    await viewer.wait_for_selector('#card-slot .card[data-job-id="j3"]')
    # Applying once with "remember me" (checked by default) saves name and phone.
    await viewer.click("#card-slot .apply-btn")
    await fill_and_apply(viewer, "李卫国", "13912345678")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    await viewer.click("#sheet-result [data-close]")

    # Every earlier job in the list says whose details one tap would send.
    for job in ("j1", "j2"):
        item = f'#shown-list li[data-job-id="{job}"]'
        who = await viewer.inner_text(f"{item} .as-who")
        assert "李卫国" in who and "139****5678" in who, who
        assert await viewer.is_visible(f"{item} .as-who button")
    await pages.shot(viewer, "list-shows-who")

    # ... with a way to change them before sending: the form, filled in.
    await viewer.click('#shown-list li[data-job-id="j2"] .as-who button')
    await viewer.wait_for_selector("#sheet:not([hidden])")
    assert "输电线路运维员" in await viewer.inner_text("#sheet-job")
    assert await viewer.input_value("#f-name") == "李卫国"
    assert await viewer.input_value("#f-phone") == "13912345678"
    await fill_and_apply(viewer, "韩梅梅", "13800138000")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    await viewer.click("#sheet-result [data-close]")

    # The changed details are the ones sent, and the list now shows them for the next tap.
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications?job_id=j2", token=event.staff_token
    )
    assert status == 200, body
    assert [(a["name"], a["phone"]) for a in body["applications"]] == [("韩梅梅", "13800138000")]
    who = await viewer.inner_text('#shown-list li[data-job-id="j1"] .as-who')
    assert "韩梅梅" in who and "138****8000" in who, who
    # A tap for an employer this phone has not yet consented to opens the form, filled in,
    # with that employer's consent unticked: consent is separate per recipient (PIPL Art. 23,
    # docs/privacy.md). One tap stays one tap for an employer already consented to.
    await viewer.click('#shown-list li[data-job-id="j1"] .apply-btn')
    await viewer.wait_for_selector("#sheet:not([hidden])")
    assert await viewer.input_value("#f-name") == "韩梅梅"
    assert "顺丰速运有限公司" in await viewer.inner_text("#f-consent + span")
    assert not await viewer.is_checked("#f-consent")
    await viewer.check("#f-consent")
    await viewer.click("#submit")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    assert (await server.stats(event))["applications"] == 3
    assert pages.errors() == []


# -- the staff page on a phone ----------------------------------------------------------------


async def _one_line(page: Any, selector: str) -> tuple[int, float, float]:
    """(line boxes of the element's text, its height, the height it has with one line of text)
    in CSS px: the larger of its min-height and one line plus its padding and borders."""
    return tuple(
        await page.eval_on_selector(
            selector,
            """el => {
                const range = document.createRange();
                range.selectNodeContents(el);
                const lines = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
                const s = getComputedStyle(el);
                const px = (v) => parseFloat(v) || 0;
                const line = px(s.lineHeight) || px(s.fontSize) * 1.5;
                const one = Math.max(px(s.minHeight), line + px(s.paddingTop)
                    + px(s.paddingBottom) + px(s.borderTopWidth) + px(s.borderBottomWidth));
                return [lines.size, el.getBoundingClientRect().height, one];
            }""",
        )
    )


def _minutes_from_now(label: str, now: datetime) -> int:
    """An x-axis label ("HH:MM", Beijing time as the page shows it) minus now, in minutes,
    within half a day either way (so a chart across midnight still compares right)."""
    hours, minutes = (int(part) for part in label.split(":"))
    diff = hours * 60 + minutes - (now.hour * 60 + now.minute)
    return (diff + 720) % 1440 - 720


async def _x_labels(page: Any) -> list[tuple[str, float, float, float]]:
    """The chart's time labels: (text, left, right, height) on screen, in CSS px."""
    return [
        (text, left, right, height)
        for text, left, right, height in await page.eval_on_selector_all(
            "#chart svg text.axis",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [e.textContent, r.left, r.right, r.height]; })",
        )
        if ":" in text
    ]


async def test_staff_page_on_a_phone_keeps_buttons_on_one_line_and_a_readable_chart(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    for n in range(3):
        status, body = await server.apply(event, "j1", f"1391234{n:04d}")
        assert status == 201, body
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=PHONE
    )
    await staff.wait_for_selector(LIVE)
    await staff.wait_for_selector("#chart svg text.axis")
    assert await staff.is_hidden("#auth-error")  # the right token: no banner
    await pages.shot(staff, "staff-360")

    # Every button in the header, "English" first, is one line of text.
    for selector in ("[data-lang-toggle]", "#export-apps", "#export-hires"):
        lines, height, one = await _one_line(staff, selector)
        assert lines == 1, (selector, lines)
        assert height <= one + 1, (selector, height, one)
    assert await staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The axis labels are drawn at a size a person can read (>= 11 CSS px), and none overlap.
    sizes = await staff.eval_on_selector_all(
        "#chart svg text.axis", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert sizes and all(height >= 11 for height in sizes), sizes
    labels = await _x_labels(staff)
    spans = sorted((left, right) for _, left, right, _ in labels)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans

    # The x-axis ends now: its last label is this minute, not minutes into the future.
    now = datetime.now(SHANGHAI)
    last = max(_minutes_from_now(text, now) for text, *_ in labels)
    assert -2 <= last <= 0, (last, [text for text, *_ in labels])


async def test_staff_chart_on_a_desktop_still_spans_fifteen_minutes(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    await server.push(event, "j2")
    status, body = await server.apply(event, "j2", "13912340000")
    assert status == 201, body
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=DESKTOP
    )
    await staff.wait_for_selector("#chart svg .bar")
    now = datetime.now(SHANGHAI)
    minutes = sorted(_minutes_from_now(text, now) for text, *_ in await _x_labels(staff))
    # The minutes before the first application fill the width; none after the present.
    assert minutes[-1] - minutes[0] >= 10, minutes
    assert -2 <= minutes[-1] <= 0, minutes
    # The one bar is at the right-hand end (this minute), not at the left edge.
    bar = await staff.eval_on_selector("#chart svg .bar", "e => e.getBoundingClientRect().right")
    width = await staff.eval_on_selector("#chart svg", "e => e.getBoundingClientRect().right")
    assert bar > width * 0.85
