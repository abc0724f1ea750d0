"""The viewer's city in a two-city fair, at 360x740 in real Chromium (issue 16): a link with
?city=, remembered on reload, changed with the chooser; "in your city" on the card, the
viewer's city first in the list of earlier jobs, and the city and channel on applications."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.support import ADMIN_TOKEN, Event, LiveServer, eventually

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

LIVE = '#conn[data-state="live"]'
JOBS = [
    {"id": "nb1", "employer": "宁波舟山港", "title": "理货员", "openings": 10, "city": "宁波"},
    {"id": "hz1", "employer": "杭州地铁", "title": "站务员", "openings": 6, "city": "浙江省杭州市"},
    {"id": "nb2", "employer": "宁波港", "title": "叉车司机", "openings": 3, "location": "宁波北仑"},
]


async def _event(server: LiveServer) -> Event:
    status, body = await server.call(
        "POST",
        "/api/events",
        token=ADMIN_TOKEN,
        json_body={"title": "两城联播招聘会", "cities": ["杭州", "宁波"]},
    )
    assert status == 201, body
    event = Event(body["id"], body["host_token"], body["staff_token"], body["overlay_token"])
    for path, token, json_body in (
        (f"/api/events/{event.id}/jobs", event.staff_token, JOBS),
        (f"/api/events/{event.id}/state", event.host_token, {"state": "live"}),
    ):
        status, body = await server.call("POST", path, token=token, json_body=json_body)
        assert status in (200, 201), body
    return event


async def _list_order(page: Any) -> list[str]:
    return await page.eval_on_selector_all(  # type: ignore[no-any-return]
        "#shown-list .shown-item", "items => items.map(i => i.dataset.jobId)"
    )


async def test_the_viewers_city_from_a_link_is_kept_and_shown(
    server: LiveServer, pages: Pages
) -> None:
    event = await _event(server)
    status, channel = await server.call(
        "POST",
        f"/api/events/{event.id}/channels",
        token=event.staff_token,
        json_body={"name": "抖音"},
    )
    assert status == 201
    for job in ("nb1", "hz1", "nb2"):
        await server.push(event, job)
    # The list shows newest first (nb2, hz1, nb1); 宁波 first puts both 宁波 jobs on top.
    page = await pages.open(
        f"{server.url}/e/{event.id}?city=宁波&ch={channel['id']}", name="viewer", viewport=PHONE
    )
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.wait_for_selector('#card-slot .card[data-job-id="nb2"]')
    assert await page.input_value("#city-select") == "宁波"
    assert "在你所在的城市" in await page.inner_text("#card-slot .city-badge.here")
    await page.wait_for_function(
        "document.querySelectorAll('#shown-list .shown-item').length === 3"
    )
    assert await _list_order(page) == ["nb2", "nb1", "hz1"]
    # Nothing spills sideways on a 360 px phone.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await pages.shot(page, "ningbo")

    # The viewer is counted by city and channel (the page's hello).
    async def counted() -> bool:
        stats = await server.stats(event)
        return bool(stats["by_city"][1]["viewers"] == 1 and stats["by_channel"][0]["viewers"] == 1)

    assert await eventually(counted, 5)

    # Remembered on reload, without the query.
    await page.goto(f"{server.url}/e/{event.id}")
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.wait_for_function(
        "document.querySelectorAll('#shown-list .shown-item').length === 3"
    )
    assert await page.input_value("#city-select") == "宁波"
    assert await _list_order(page) == ["nb2", "nb1", "hz1"]

    # The chooser changes it: 杭州's job comes first, the card says where the job is.
    await page.select_option("#city-select", "杭州")
    await page.wait_for_function(
        "document.querySelector('#shown-list .shown-item').dataset.jobId === 'hz1'"
    )
    assert "工作地点：宁波" in await page.inner_text("#card-slot .city-badge")
    await server.push(event, "hz1")
    await page.wait_for_selector('#card-slot .card[data-job-id="hz1"] .city-badge.here')
    await pages.shot(page, "hangzhou")

    # An application carries the city and the channel.
    await page.click("#card-slot .apply-btn")
    await page.wait_for_selector("#sheet:not([hidden])")
    await page.fill("#f-name", "王建国")
    await page.fill("#f-phone", "13912345678")
    await page.check("#f-consent")
    await page.click("#submit")
    await page.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    stats = await server.stats(event)
    assert stats["by_city"][0] == {
        "city": "杭州",
        "viewers": 1,
        "applications": 1,
        "applicants": 1,
        "hires": 0,
        "jobs": 1,
        "openings": 6,
    }
    pairs = {(r["channel"], r["city"]): r for r in stats["by_channel_city"]}
    assert pairs[(channel["id"], "杭州")]["applications"] == 1
    assert pairs[(channel["id"], "杭州")]["viewers"] == 1  # the hello again, on the change
    assert pages.errors() == []


async def test_host_and_staff_show_figures_by_city_and_channel(
    server: LiveServer, pages: Pages
) -> None:
    event = await _event(server)
    status, channel = await server.call(
        "POST",
        f"/api/events/{event.id}/channels",
        token=event.staff_token,
        json_body={"name": "抖音"},
    )
    assert status == 201
    for job, phone, extra in (
        ("nb1", "13800000001", {"city": "宁波", "channel": channel["id"]}),
        ("nb2", "13800000002", {"city": "宁波"}),
        ("hz1", "13800000003", {}),
    ):
        status, body = await server.apply(event, job, phone, **extra)
        assert status == 201, body
    host = await pages.open(
        f"{server.url}/host/{event.id}#token={event.host_token}", name="host", viewport=DESKTOP
    )
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=DESKTOP
    )
    for page in (host, staff):
        await page.wait_for_selector('#by-city tr[data-value="宁波"]', timeout=10_000)
        cells = await page.eval_on_selector_all(
            '#by-city tr[data-value="宁波"] td', "tds => tds.map(td => td.textContent)"
        )
        assert cells[1:4] == ["2", "2", "0"]  # applications, applicants, hires
        assert (
            await page.inner_text('#by-channel tr[data-value="' + channel["id"] + '"] th') == "抖音"
        )
    # Live: a hire reaches both pages without a reload.
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/1",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    for page in (host, staff):
        await page.wait_for_function(
            "document.querySelector('#by-city tr[data-value=\"宁波\"] td:nth-of-type(4)')"
            ".textContent === '1'",
            timeout=10_000,
        )
    await pages.shot(staff, "staff-figures")
    assert pages.errors() == []


async def test_staff_add_a_channel_and_get_its_link_and_qr(
    server: LiveServer, pages: Pages
) -> None:
    event = await _event(server)
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=DESKTOP
    )
    await staff.wait_for_selector("#channels-panel")
    await staff.wait_for_selector("#figures-panel #by-city")
    assert "null" not in await staff.inner_text("#figures-panel")  # no channel table yet
    await staff.fill("#channel-name", "视频号")
    await staff.click("#channel-form button[type=submit]")
    await staff.wait_for_selector("#channels .channel")
    status, listed = await server.call(
        "GET", f"/api/events/{event.id}/channels", token=event.staff_token
    )
    assert status == 200 and [c["name"] for c in listed["channels"]] == ["视频号"]
    made = listed["channels"][0]
    assert await staff.get_attribute("#channels .channel-link", "href") == made["link"]
    # The QR picture loaded (its natural width is not 0).
    await staff.wait_for_function(
        "document.querySelector('#channels .channel img').naturalWidth > 0"
    )
    await pages.shot(staff, "channels")
    assert pages.errors() == []


async def test_a_stale_channel_link_still_applies(server: LiveServer, pages: Pages) -> None:
    event = await _event(server)
    await server.push(event, "nb1")
    page = await pages.open(f"{server.url}/e/{event.id}?ch=gone", name="viewer", viewport=PHONE)
    await page.wait_for_selector(LIVE, timeout=10_000)
    await page.click("#card-slot .apply-btn")
    await page.wait_for_selector("#sheet:not([hidden])")
    await page.fill("#f-name", "赵六")
    await page.fill("#f-phone", "13912345670")
    await page.check("#f-consent")
    await page.click("#submit")
    await page.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    stats = await server.stats(event)
    assert stats["applications"] == 1 and stats["by_channel"][-1]["applications"] == 1
    assert (
        await page.evaluate(
            "localStorage.getItem('liveevent.channel.' + location.pathname.split('/')[2])"
        )
        is None
    )
