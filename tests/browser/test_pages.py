"""The four pages in a real browser against a real server and store."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, README_SHOTS, Pages
from tests.support import JOBS, Event, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

LIVE = '#conn[data-state="live"]'


def viewer_url(server: LiveServer, event: Event, query: str = "") -> str:
    return f"{server.url}/e/{event.id}{query}"


def host_url(server: LiveServer, event: Event) -> str:
    return f"{server.url}/host/{event.id}#token={event.host_token}"


def staff_url(server: LiveServer, event: Event) -> str:
    return f"{server.url}/staff/{event.id}#token={event.staff_token}"


async def open_viewer(
    pages: Pages,
    server: LiveServer,
    event: Event,
    name: str,
    query: str = "",
    viewport: dict[str, int] = PHONE,
) -> Any:
    page = await pages.open(viewer_url(server, event, query), name=name, viewport=viewport)
    await page.wait_for_selector(LIVE, timeout=10_000)
    return page


async def card_job(page: Any) -> str | None:
    return await page.get_attribute("#card-slot .card", "data-job-id")  # type: ignore[no-any-return]


async def test_host_push_reaches_two_viewers_within_a_second(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    first = await open_viewer(pages, server, event, "viewer-1")
    second = await open_viewer(pages, server, event, "viewer-2")
    host = await pages.open(host_url(server, event), name="host", viewport=DESKTOP)
    await host.wait_for_selector(LIVE)

    started = time.monotonic()
    await host.click('.job-row[data-job-id="j1"] .push-btn')
    await asyncio.gather(
        first.wait_for_selector('#card-slot .card[data-job-id="j1"]', timeout=1000),
        second.wait_for_selector('#card-slot .card[data-job-id="j1"]', timeout=1000),
    )
    assert time.monotonic() - started < 1.0
    assert "片区运营主管" in await first.inner_text("#card-slot")
    assert "9-15千/月" in await second.inner_text("#card-slot")
    # Screen readers hear it: the live region names the job.
    await first.wait_for_function(
        "document.querySelector('#announcer').textContent.includes('片区运营主管')"
    )
    assert await first.get_attribute("#announcer", "aria-live") == "assertive"
    await host.wait_for_selector('.job-row.is-current[data-job-id="j1"]')
    assert "片区运营主管" in await host.inner_text("#now")

    # The host withdraws (keyboard shortcut W): the card leaves every screen.
    await host.keyboard.press("w")
    await first.wait_for_selector("#card-slot .card", state="detached", timeout=2000)
    await second.wait_for_selector("#card-slot .card", state="detached", timeout=2000)
    # ... and the jobs shown so far still list it, with an apply button.
    assert await first.locator('#shown-list li[data-job-id="j1"] .apply-btn').count() == 1

    # The queue: line up two jobs, reorder, push the first with N.
    await host.click('.job-row[data-job-id="j2"] .queue-btn')
    await host.click('.job-row[data-job-id="j3"] .queue-btn')
    await host.click('#queue li[data-job-id="j3"] button >> nth=0')  # move j3 up
    order = await host.eval_on_selector_all("#queue li", "els => els.map(e => e.dataset.jobId)")
    assert order == ["j3", "j2"]
    await host.keyboard.press("n")
    await first.wait_for_selector('#card-slot .card[data-job-id="j3"]', timeout=2000)
    await host.wait_for_function(
        "Array.from(document.querySelectorAll('#queue li'))"
        ".map(e => e.dataset.jobId).join() === 'j2'"
    )
    await pages.shot(first, "viewer")
    await pages.shot(host, "host")
    assert pages.errors() == []


async def fill_and_apply(page: Any, name: str, phone: str) -> None:
    await page.fill("#f-name", name)
    await page.fill("#f-phone", phone)
    await page.check("#f-consent")
    await page.click("#submit")


async def test_viewer_applies_and_the_host_number_rises(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    host = await pages.open(host_url(server, event), name="host", viewport=DESKTOP)
    await host.wait_for_selector(LIVE)
    await host.wait_for_function("document.querySelector('#n-current').textContent === '0'")
    viewer = await open_viewer(pages, server, event, "viewer")
    await viewer.wait_for_selector('#card-slot .card[data-job-id="j1"]')

    await viewer.click("#card-slot .apply-btn")
    await viewer.wait_for_selector("#sheet:not([hidden])")
    assert await viewer.evaluate("document.activeElement.id") == "f-name"
    # Specific errors: a bad phone number and no consent are named, nothing is sent.
    await viewer.fill("#f-name", "李卫国")
    await viewer.fill("#f-phone", "12345")
    await viewer.click("#submit")
    assert "11 位手机号" in await viewer.inner_text("#e-phone")
    assert "勾选同意" in await viewer.inner_text("#e-consent")
    assert await viewer.get_attribute("#f-phone", "aria-invalid") == "true"
    await pages.shot(viewer, "form-errors")

    await fill_and_apply(viewer, "李卫国", "+86 139 1234 5678")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    number = (await viewer.inner_text("#result-number")).strip()
    assert number
    assert "报名成功" in await viewer.inner_text("#result-title")
    assert "139****5678" in await viewer.inner_text("#result-note")
    await pages.shot(viewer, "applied")

    # The host's numbers go up over the websocket, without a reload.
    await host.wait_for_function(
        "document.querySelector('#n-current').textContent === '1'", timeout=5000
    )
    assert await host.inner_text("#n-applications") == "1"
    await pages.shot(host, "host-after-apply")

    # Closing the confirmation leaves the card marked as applied, with the number.
    await viewer.click("#sheet-result [data-close]")
    assert number in await viewer.inner_text("#card-slot .applied-note")

    # The next card: name and phone are remembered on the device. It is another employer, so
    # the form opens filled in for that employer's own consent (docs/privacy.md).
    await server.push(event, "j2")
    await viewer.wait_for_selector('#card-slot .card[data-job-id="j2"]')
    assert "李卫国" in await viewer.inner_text("#card-slot .as-who")
    await viewer.click("#card-slot .apply-btn")
    await viewer.wait_for_selector("#sheet:not([hidden])")
    assert await viewer.input_value("#f-phone") == "13912345678"
    assert "国家电网北京电力公司" in await viewer.inner_text("#f-consent + span")
    await viewer.check("#f-consent")
    await viewer.click("#submit")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    assert (await viewer.inner_text("#result-number")).strip() not in ("", number)
    await host.wait_for_function(
        "document.querySelector('#n-applications').textContent === '2'", timeout=5000
    )

    # Another phone (a fresh device) with the same number: already applied, same number.
    other = await pages.open(viewer_url(server, event, "?job=j1"), name="other-device")
    await other.wait_for_selector("#sheet:not([hidden])")
    assert "片区运营主管" in await other.inner_text("#sheet-job")
    await fill_and_apply(other, "李卫国", "13912345678")
    await other.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    assert "已经报过" in await other.inner_text("#result-title")
    assert (await other.inner_text("#result-number")).strip() == number
    await pages.shot(other, "duplicate")
    assert (await server.stats(event))["applications"] == 2
    assert pages.errors() == []


async def test_staff_marks_hired_and_totals_change(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    status, body = await server.apply(event, "j1", "13800000001", name="赵铁柱")
    assert status == 201, body
    for n, job in enumerate(("j1", "j2", "j3")):
        await server.apply(event, job, f"1370000000{n}", name=f"报名人{n}")
    await server.push(event, "j2")
    staff = await pages.open(staff_url(server, event), name="staff", viewport=DESKTOP)
    await staff.wait_for_selector(LIVE)
    row = staff.locator(f'#apps tr[data-application-id="{body["application_id"]}"]')
    await row.wait_for()
    assert "赵铁柱" in await row.inner_text()
    assert "13800000001" in await row.inner_text()  # staff see the full number
    assert await staff.inner_text("#n-applications") == "4"
    assert await staff.inner_text("#n-hires") == "0"

    await row.locator("select").select_option("hired")
    await staff.wait_for_function(
        "document.querySelector('#n-hires').textContent === '1'", timeout=5000
    )
    await staff.wait_for_selector(
        f'#apps tr[data-application-id="{body["application_id"]}"][data-status="hired"]'
    )
    job_row = staff.locator('#jobs tr[data-job-id="j1"]')
    assert (await job_row.locator("td.hires").inner_text()) == "1"
    assert (await server.stats(event))["hires"] == 1

    # Filter by job, then bulk-change what is left.
    await staff.select_option("#filter-job", "j1")
    await staff.wait_for_function("document.querySelectorAll('#apps tr').length === 2")
    await staff.select_option("#filter-status", "applied")
    await staff.wait_for_function("document.querySelectorAll('#apps tr').length === 1")
    await staff.select_option("#filter-job", "")
    await staff.wait_for_function("document.querySelectorAll('#apps tr').length === 3")
    await staff.check("#select-all")
    await staff.select_option("#bulk-status", "contacted")
    await staff.click("#bulk-apply")
    await staff.wait_for_function("document.querySelectorAll('#apps tr').length === 0")
    await staff.select_option("#filter-status", "contacted")
    await staff.wait_for_function("document.querySelectorAll('#apps tr').length === 3")

    # The chart has a marker per push; the exports download with the bearer token.
    await staff.wait_for_selector(".chart-svg .push >> nth=1")
    assert await staff.locator(".chart-svg .bar").count() >= 1
    async with staff.expect_download() as info:
        await staff.click("#export-hires")
    download = await info.value
    path = await download.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("单位,岗位编号,岗位名称,招聘人数,报名数,录用数")
    await staff.select_option("#filter-status", "")
    await staff.wait_for_function("document.querySelectorAll('#apps tr').length === 4")
    await pages.shot(staff, "staff")
    assert pages.errors() == []


async def test_staff_chart_polls_only_what_changed(server: LiveServer, pages: Pages) -> None:
    """The chart follows new applications and pushes with ``/activity?since=`` (only the
    minutes and pushes since the last poll), merged into what the page drew."""
    event = await server.create_event()
    await server.push(event, "j1")
    await server.apply(event, "j1", "13800000001")
    staff = await pages.open(staff_url(server, event), name="staff", viewport=DESKTOP)
    asked: list[str] = []
    staff.on("request", lambda request: asked.append(request.url))
    await staff.wait_for_selector(LIVE)
    await staff.wait_for_selector(".chart-svg .push")
    for n in range(3):
        await server.apply(event, "j2", f"1370000000{n}")
    await server.push(event, "j2")
    await staff.wait_for_selector(".chart-svg .push >> nth=1", timeout=10_000)
    assert any("/activity?since=" in url for url in asked), asked
    await staff.wait_for_function(
        "document.querySelector('.chart-svg').getAttribute('aria-label').includes('共 4 份')"
    )

    async def drawn() -> tuple[str, int, int, str]:
        return (
            await staff.get_attribute(".chart-svg", "aria-label"),
            await staff.locator(".chart-svg .bar").count(),
            await staff.locator(".chart-svg .push").count(),
            await staff.inner_text("#chart-legend"),
        )

    merged = await drawn()
    await staff.reload()  # the whole chart, fetched at once
    await staff.wait_for_selector(".chart-svg .push >> nth=1")
    assert await drawn() == merged
    assert pages.errors() == []


async def test_overlay_shows_the_card_with_its_qr(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    overlay = await pages.open(
        f"{server.url}/overlay/{event.id}?token={event.overlay_token}",
        name="overlay",
        viewport={"width": 1920, "height": 1080},
    )
    assert await overlay.locator("#card").is_hidden()
    await server.push(event, "j1")
    await overlay.wait_for_selector('#card[data-job-id="j1"]', state="visible", timeout=2000)
    assert "片区运营主管" in await overlay.inner_text("#card")
    src = await overlay.get_attribute("#ov-qr", "src")
    assert src is not None and src.endswith("qr.svg?job=j1")
    await overlay.wait_for_function(
        "document.querySelector('#ov-qr').complete"
        " && document.querySelector('#ov-qr').naturalWidth > 0"
    )
    # The page is transparent for OBS.
    background = await overlay.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgba(0, 0, 0, 0)"
    await overlay.wait_for_timeout(600)  # let the slide-in finish for the picture
    await pages.shot(overlay, "overlay")
    status, _ = await server.call(
        "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
    )
    assert status == 204
    await overlay.wait_for_selector("#card", state="hidden", timeout=2000)
    # Without a token the overlay is refused.
    status, _ = await server.call("GET", f"/overlay/{event.id}")
    assert status == 401
    assert pages.errors() == []


async def test_viewer_resumes_after_losing_its_connection(
    server: LiveServer,
    pages: Pages,
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    viewer = await open_viewer(pages, server, event, "viewer")
    await viewer.wait_for_selector('#card-slot .card[data-job-id="j1"]')
    sockets: list[str] = []
    viewer.on("websocket", lambda ws: sockets.append(ws.url))

    other = await make_server()  # another node on the same store
    await server.stop()
    await viewer.wait_for_selector('#conn[data-state="reconnecting"]', timeout=5000)
    await pages.shot(viewer, "reconnecting")
    # While this viewer is away, the host pushes through the other node.
    await other.push(event, "j2")
    await other.push(event, "j3")
    await server.start()  # the same port again

    await viewer.wait_for_selector('#card-slot .card[data-job-id="j3"]', timeout=15_000)
    await viewer.wait_for_selector(LIVE)
    assert any("since=" in url for url in sockets), sockets
    shown = await viewer.eval_on_selector_all(
        "#shown-list li", "els => els.map(e => e.dataset.jobId)"
    )
    assert shown == ["j3", "j2", "j1"]
    await pages.shot(viewer, "resumed")
    assert pages.errors() == []


async def test_viewer_fits_a_small_phone_and_is_keyboard_usable(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    for job in ("j2", "j3", "j1"):
        await server.push(event, job)
    for width, height in ((360, 740), (320, 568)):
        viewer = await open_viewer(
            pages, server, event, f"viewer-{width}", viewport={"width": width, "height": height}
        )
        await viewer.wait_for_selector('#card-slot .card[data-job-id="j1"]')
        await viewer.wait_for_selector("#shown-list li >> nth=2")
        assert await viewer.evaluate("document.documentElement.scrollWidth") <= width
        sizes = await viewer.eval_on_selector_all(
            "button, a.button, input[type=checkbox]",
            "els => els.filter(e => e.offsetParent).map(e => [e.textContent.trim(),"
            " Math.max(e.getBoundingClientRect().height, e.closest('label')"
            "  ? e.closest('label').getBoundingClientRect().height : 0)])",
        )
        assert all(h >= 44 for _, h in sizes), sizes
        await pages.shot(viewer, f"viewer-{width}")

    # Keyboard only: Tab to the card's apply button, Enter opens the form, Escape closes it
    # and focus goes back where it was.
    await viewer.focus("#card-slot .apply-btn")
    await viewer.keyboard.press("Enter")
    await viewer.wait_for_selector("#sheet:not([hidden])")
    assert await viewer.evaluate("document.activeElement.id") == "f-name"
    assert await viewer.evaluate("document.documentElement.scrollWidth") <= 320
    await pages.shot(viewer, "apply-form-320")
    await viewer.keyboard.press("Escape")
    await viewer.wait_for_selector("#sheet", state="hidden")
    assert await viewer.evaluate("document.activeElement.classList.contains('apply-btn')")

    # English is one click away, and stays chosen.
    await viewer.click("[data-lang-toggle]")
    await viewer.wait_for_function("document.documentElement.lang === 'en'")
    assert "Apply" in await viewer.inner_text("#card-slot .apply-btn")
    assert "Jobs shown so far" in await viewer.inner_text("#shown-h")
    await viewer.reload()
    await viewer.wait_for_selector(LIVE)
    assert "Job on screen now" in await viewer.inner_text("#current-h")
    assert pages.errors() == []


async def test_viewer_before_the_start_counts_down(server: LiveServer, pages: Pages) -> None:
    status, body = await server.call(
        "POST",
        "/api/events",
        token="admin-test-token-0123456789",
        json_body={
            "title": "春季退役军人招聘会",
            "starts_at": "2099-03-01T02:00:00Z",
            "stream_url": "https://live.example.com/room/123",
        },
    )
    assert status == 201, body
    event = Event(body["id"], body["host_token"], body["staff_token"], body["overlay_token"])
    status, _ = await server.call(
        "POST", f"/api/events/{event.id}/jobs", token=event.staff_token, json_body=JOBS
    )
    assert status == 201
    viewer = await open_viewer(pages, server, event, "viewer")
    await viewer.wait_for_selector("#before:not([hidden])")
    assert "即将开始" in await viewer.inner_text("#state-badge")
    assert "天" in await viewer.inner_text("#countdown")
    assert await viewer.get_attribute("#ics", "href") == f"/api/events/{event.id}/calendar.ics"
    status, ics = await server.call("GET", f"/api/events/{event.id}/calendar.ics")
    assert status == 200 and "DTSTART:20990301T020000Z" in ics
    link = viewer.locator("#stream a")
    assert await link.get_attribute("href") == "https://live.example.com/room/123"
    await pages.shot(viewer, "before-start")
    # The host goes live from the console: the page follows without a reload.
    host = await pages.open(host_url(server, event), name="host", viewport=DESKTOP)
    await host.wait_for_selector(LIVE)
    assert await host.locator("#end").is_hidden()
    await host.click("#go-live")
    await host.wait_for_selector("#end", state="visible")
    await host.wait_for_selector(".job-row[data-job-id] .push-btn:not([disabled]) >> nth=0")
    await viewer.wait_for_selector("#before", state="hidden", timeout=3000)
    assert "直播中" in await viewer.inner_text("#state-badge")
    assert pages.errors() == []


async def test_readme_screenshots(server: LiveServer, pages: Pages) -> None:
    """Pictures of the viewer (with a card) and the host console for the README.

    Saved under test-output/; set LIVEEVENT_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots.
    """
    jobs = [
        *JOBS,
        {
            "id": "j4",
            "employer": "中国石化销售股份有限公司",
            "title": "加油站站长",
            "openings": 6,
            "salary": "8-12千/月",
            "location": "北京-朝阳区",
            "description": "欢迎退役军人报名，部队经历优先，提供住宿。",
        },
        {
            "id": "j5",
            "employer": "比亚迪股份有限公司",
            "title": "生产班组长",
            "openings": 50,
            "salary": "7-11千/月",
            "location": "西安-高新区",
        },
    ]
    event = await server.create_event("退役军人专场直播招聘会", jobs=jobs)
    await server.push(event, "j2")
    await server.push(event, "j4")
    for n in range(7):
        await server.apply(event, "j4" if n % 3 else "j2", f"1350000{n:04d}", name=f"观众{n}")
    host = await pages.open(
        host_url(server, event), name="host", viewport={"width": 1440, "height": 860}
    )
    await host.wait_for_selector(LIVE)
    for job in ("j1", "j5", "j3"):
        await host.click(f'.job-row[data-job-id="{job}"] .queue-btn')
    viewer = await open_viewer(
        pages, server, event, "viewer", viewport={"width": 390, "height": 844}
    )
    await viewer.wait_for_function("document.querySelector('#viewers').textContent !== ''")
    await host.wait_for_function("document.querySelector('#n-viewers').textContent === '1'")
    await viewer.wait_for_timeout(1800)  # the slide-in and its glow have finished
    await host.mouse.move(0, 0)
    viewer_png = await pages.shot(viewer, "readme-viewer")
    host_png = viewer_png.with_name(f"{pages.test_name}-readme-host.png")
    await host.screenshot(path=str(host_png))
    if os.environ.get("LIVEEVENT_UPDATE_SCREENSHOTS"):
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        await viewer.screenshot(path=str(README_SHOTS / "viewer.png"))
        shutil.copy(host_png, README_SHOTS / "host.png")
    assert pages.errors() == []
