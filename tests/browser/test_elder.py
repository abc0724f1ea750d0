"""A page older viewers can read (issue 17, part 5), measured in real Chromium.

At 320x568 and 360x740, in Chinese and English, in the normal and the large-text mode (长辈模式),
with a long card on screen: no horizontal scroll, every visible element inside the viewport and
none clipping its text, targets at least 44 px (48 px in large text); in large text, body text
at least 1.3x its normal size and line spacing at least 1.3. One tap turns it on and a reload
keeps it. The read-aloud button speaks the card in the page's language, and is absent where
the browser has no voice for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, Pages
from tests.support import JOBS, Event, LiveServer, eventually

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

LIVE = '#conn[data-state="live"]'
LONG_JOB = {
    "id": "long1",
    "employer": "中国铁建重工集团股份有限公司长沙第三分公司"
    "（湖南省长沙市经济技术开发区东七线八十八号）",
    "title": "高级盾构机电气维修工程师"
    "（Internationalization项目组，需长期驻外，英语四级以上优先考虑）",
    "openings": 20,
    "openings_max": 120,
    "salary": "8000-12000元/月+绩效奖金+年终奖+五险一金+包吃包住+带薪年假+交通补贴+高温补贴",
    "location": "湖南省长沙市长沙县经济技术开发区星沙产业基地东七线八十八号三号厂房二楼电气车间",
    "description": "负责盾构机电气系统的日常维护、故障诊断与维修；" * 8,
}
PROFILE = '{"name": "欧阳娜娜娜娜娜娜娜娜", "phone": "13912345678"}'
# Body text whose size large text must raise by 1.3x at least (each is on the page).
BODY_TEXT = [
    "#card-slot .employer",
    "#card-slot .facts dd",
    "#card-slot .desc",
    "#card-slot .as-who",
    ".shown-item .meta",
    "#shown-empty, #current-h",
]

MEASURE = (Path(__file__).parent / "measure_layout.js").read_text()

FONT_SIZES = """(selectors) => selectors.map((s) => {
  const el = document.querySelector(s);
  return el ? parseFloat(getComputedStyle(el).fontSize) : null;
})"""


async def long_card_event(server: LiveServer) -> Event:
    event = await server.create_event(
        "2026年长沙市退役军人暨高校毕业生专场直播招聘会（第三场）", jobs=[*JOBS, LONG_JOB]
    )
    for job in ("j1", "j2", "long1"):
        await server.push(event, job)
    return event


async def measure(page: Any, *, elder: bool) -> list[str]:
    return await page.evaluate(MEASURE, [elder, 48 if elder else 44])  # type: ignore[no-any-return]


@pytest.mark.parametrize("viewport", [(320, 568), (360, 740)], ids=["320x568", "360x740"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_large_text_fits_small_phones(
    server: LiveServer, pages: Pages, viewport: tuple[int, int], lang: str
) -> None:
    event = await long_card_event(server)
    width, height = viewport
    page = await pages.open(
        f"{server.url}/e/{event.id}?lang={lang}",
        name=f"viewer-{lang}-{width}",
        viewport={"width": width, "height": height},
    )
    # A returning applicant: the one-tap line with the name and the "change" link shows too.
    await page.evaluate(f"() => localStorage.setItem('liveevent.profile', '{PROFILE}')")
    await page.reload()
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.wait_for_selector('#card-slot .card[data-job-id="long1"]')
    assert await page.evaluate("() => document.documentElement.lang") == lang

    assert await measure(page, elder=False) == []
    normal = await page.evaluate(FONT_SIZES, BODY_TEXT)
    await pages.shot(page, f"{lang}-{width}-normal")

    toggle = page.locator("[data-elder-toggle]")
    assert await toggle.get_attribute("aria-pressed") == "false"
    await toggle.click()  # one tap
    assert await page.evaluate("() => document.documentElement.classList.contains('elder')")
    assert await toggle.get_attribute("aria-pressed") == "true"
    assert await measure(page, elder=True) == []
    large = await page.evaluate(FONT_SIZES, BODY_TEXT)
    for selector, before, after in zip(BODY_TEXT, normal, large, strict=True):
        assert before and after and after / before >= 1.3 - 0.005, (selector, before, after)
    await pages.shot(page, f"{lang}-{width}-elder")

    await page.reload()  # remembered on the device
    await page.wait_for_selector('#card-slot .card[data-job-id="long1"]')
    assert await page.evaluate("() => document.documentElement.classList.contains('elder')")
    assert await toggle.get_attribute("aria-pressed") == "true"

    await page.click("#card-slot .card .edit-who")  # the apply sheet, in large text
    await page.wait_for_selector("#sheet:not([hidden])")
    assert await measure(page, elder=True) == []
    await pages.shot(page, f"{lang}-{width}-elder-sheet")
    await page.click("#sheet .quiet[data-close]")

    await toggle.click()  # and one tap turns it off again
    assert not await page.evaluate("() => document.documentElement.classList.contains('elder')")
    assert await page.evaluate("() => localStorage.getItem('liveevent.elder')") == "false"
    assert pages.errors() == []


# Headless Chromium has no speech voices: the test gives the page two (as a phone has) and
# records what would be spoken instead of sound.
VOICES = """(() => {
  window.__spoken = [];
  const voices = [{ lang: 'zh-CN', name: 'Tingting', default: true, localService: true },
                  { lang: 'en-US', name: 'Samantha', default: false, localService: true }];
  speechSynthesis.getVoices = () => voices;
  speechSynthesis.speak = (u) => window.__spoken.push({ text: u.text, lang: u.lang });
})();"""


async def test_read_aloud_speaks_the_card_in_the_pages_language(
    server: LiveServer, pages: Pages
) -> None:
    event = await long_card_event(server)
    page = await pages.open(f"{server.url}/e/{event.id}", name="viewer")
    await page.wait_for_selector('#card-slot .card[data-job-id="long1"]')
    voices = await page.evaluate("() => speechSynthesis.getVoices().length")
    if voices == 0:  # a browser without a voice shows no button to press
        assert await page.locator("#card-slot .read-aloud").count() == 0

    await page.context.add_init_script(VOICES)
    await page.reload()
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.click("#card-slot .read-aloud")
    spoken = await page.evaluate("() => window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "zh-CN"
    for part in (LONG_JOB["employer"], LONG_JOB["title"], LONG_JOB["salary"], "招20-120人"):
        assert part in spoken[0]["text"], part

    await page.click("[data-lang-toggle]")  # English: read in an English voice

    async def english() -> bool:
        return await page.evaluate("() => document.documentElement.lang") == "en"  # type: ignore[no-any-return]

    assert await eventually(english, 5.0)
    await page.click("#card-slot .read-aloud")
    spoken = await page.evaluate("() => window.__spoken")
    assert spoken[-1]["lang"] == "en-US" and "20-120 openings" in spoken[-1]["text"]
    assert pages.errors() == []
