"""Replay with its cards (issue 17, part 3) in real Chromium: a real recording (H.264, MP4 and
HLS, ``tests/data/replay``) served by a local HTTP server standing in for the organiser's
storage; each card must appear at its moment of the recording as it plays, seeks and pauses,
and an application from the replay must carry ``source: replay`` and the card showing.

Debian's Chromium (156 here) plays H.264 in MP4 and through Media Source Extensions, so the
test recording is H.264; it also answers "maybe" for native HLS, but the page uses hls.js
wherever MSE exists (``static/js/viewer-replay.js``), which the HLS test checks.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from liveevent.domain.events import EventState
from liveevent.store import codec
from liveevent.store.embedded import free_port
from liveevent.web.appkeys import EVENTS, STORE
from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, PHONE, Pages
from tests.support import Event, LiveServer, eventually

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

MEDIA = Path(__file__).resolve().parents[1] / "data" / "replay"
LEAD_IN_S = 0.5
# Within this much after its moment a change must be on screen: the page follows the video's
# timeupdate events, which Chromium fires every 250 ms while playing.
LATE_S = 0.6


@pytest.fixture
async def storage() -> AsyncIterator[str]:
    """The organiser's storage: the test recording over HTTP (byte ranges, as a CDN or object
    store serves them), with the CORS header that hls.js's requests need."""

    async def cors(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Access-Control-Allow-Origin"] = "*"

    app = web.Application()
    app.router.add_static("/media/", MEDIA)
    app.on_response_prepare.append(cors)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/media"
    finally:
        await runner.cleanup()


async def broadcast(server: LiveServer) -> tuple[Event, dict[str, str]]:
    """An event whose timeline is set to the millisecond through the real store: live at T0,
    j1 pushed at +2 s and withdrawn at +4.5 s, j2 pushed at +6 s, ended at +9 s. Returns the
    event and its card ids by job."""
    event = await server.create_event(live=False)
    events = server.app[EVENTS]
    t0 = int(time.time() * 1000) - 60_000
    await events.set_state(event.id, EventState.LIVE, now=t0)
    await events.push_card(event.id, "j1", card_id="card-j1", pushed_at=t0 + 2000)
    await events.withdraw_card(event.id, now=t0 + 4500)
    await events.push_card(event.id, "j2", card_id="card-j2", pushed_at=t0 + 6000)
    await events.set_state(event.id, EventState.ENDED, now=t0 + 9000)
    return event, {"j1": "card-j1", "j2": "card-j2"}


async def set_replay(server: LiveServer, event: Event, url: str) -> None:
    status, body = await server.call(
        "PUT",
        f"/api/events/{event.id}/replay",
        token=event.staff_token,
        json_body={"url": url, "lead_in_s": LEAD_IN_S},
    )
    assert status == 200, body


# Records every change of the card on screen with the video's position at that moment.
RECORD = """() => {
  window.__changes = [];
  const video = document.querySelector('#stream video');
  const slot = document.querySelector('#card-slot');
  const note = () => {
    const card = slot.querySelector('.card');
    window.__changes.push([card ? card.dataset.jobId : null, video.currentTime]);
  };
  new MutationObserver(note).observe(slot, { childList: true });
}"""

VIDEO = "document.querySelector('#stream video')"
SHOWING = "() => { const c = document.querySelector('#card-slot .card'); return c ? c.dataset.jobId : null; }"  # noqa: E501


async def open_replay(pages: Pages, server: LiveServer, event: Event, **context: Any) -> Any:
    page = await pages.open(f"{server.url}/e/{event.id}", name="viewer", viewport=PHONE, **context)
    await page.wait_for_selector("#stream video[data-player]", timeout=10_000)

    async def ready() -> bool:
        return await page.evaluate("() => document.querySelector('#stream video').readyState >= 1")  # type: ignore[no-any-return]

    assert await eventually(ready, 10.0), "the recording did not load"
    return page


async def wait_showing(page: Any, job: str | None, within_s: float = 5.0) -> None:
    async def shown() -> bool:
        return await page.evaluate(SHOWING) == job  # type: ignore[no-any-return]

    assert await eventually(shown, within_s), f"{job} is not on screen"


async def play_through(page: Any) -> list[tuple[str | None, float]]:
    """Play the recording from the start to its end, muted (as autoplay allows); the changes
    of the card on screen with the video's position at each."""
    await page.evaluate(RECORD)
    await page.evaluate(f"() => {{ {VIDEO}.muted = true; {VIDEO}.currentTime = 0; }}")
    await page.evaluate(f"() => {VIDEO}.play()")

    async def ended() -> bool:
        return await page.evaluate("() => document.querySelector('#stream video').ended")  # type: ignore[no-any-return]

    assert await eventually(ended, 30.0), "the recording did not play to its end"
    return [(job, float(at)) for job, at in await page.evaluate("() => window.__changes")]


def check_moments(changes: list[tuple[str | None, float]]) -> None:
    """j1 from 1.5 s (its push at 2 s less the lead-in) to 4.5 s (withdrawn), j2 from 5.5 s to
    9 s (the end): each change on screen no earlier than its moment and at most LATE_S after."""
    expected = [("j1", 1.5), (None, 4.5), ("j2", 5.5), (None, 9.0)]
    seen = [(job, at) for job, at in changes if at > 0.05]  # the reset to 0 at the start
    assert [job for job, _ in seen] == [job for job, _ in expected], changes
    for (job, at), (_, moment) in zip(seen, expected, strict=True):
        assert moment - 0.01 <= at <= moment + LATE_S, (job, at, moment, changes)


async def stored(server: LiveServer, event: Event) -> list[dict[str, Any]]:
    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).apps)
    return [codec.unpack(fields[b"d"]) for _, fields in entries]


async def test_mp4_replay_shows_each_card_at_its_moment_and_applies_from_it(
    server: LiveServer, pages: Pages, storage: str
) -> None:
    event, cards = await broadcast(server)
    await set_replay(server, event, f"{storage}/replay.mp4")
    page = await open_replay(pages, server, event)
    assert await page.get_attribute("#stream video", "data-player") == "native"
    assert await page.evaluate(SHOWING) is None  # nothing at 0 s

    check_moments(await play_through(page))
    await pages.shot(page, "played")

    # Seeking and pausing: the card is the one of the new position, and stays while paused.
    video = "document.querySelector('#stream video')"
    await page.evaluate(f"() => {{ {video}.pause(); {video}.currentTime = 7; }}")
    await wait_showing(page, "j2")
    await page.evaluate(f"() => {{ {video}.currentTime = 5; }}")
    await wait_showing(page, None)  # between j1's withdrawal and j2's lead-in
    await page.evaluate(f"() => {{ {video}.currentTime = 2.5; }}")
    await wait_showing(page, "j1")
    assert await page.evaluate(f"() => {video}.paused")
    await pages.shot(page, "paused-on-j1")

    # Applying from the card showing in the recording.
    await page.click("#card-slot .card .apply-btn")
    await page.fill("#f-name", "王阿姨")
    await page.fill("#f-phone", "13912345678")
    await page.check("#f-consent")
    await page.click("#submit")
    await page.wait_for_selector("#sheet-result:not([hidden])", timeout=10_000)
    records = await stored(server, event)
    assert [(r["job_id"], r.get("source"), r.get("card_id")) for r in records] == [
        ("j1", "replay", cards["j1"])
    ]
    assert pages.errors() == []


async def test_hls_replay_plays_through_hls_js_under_the_pages_csp(
    server: LiveServer, pages: Pages, storage: str
) -> None:
    event, _ = await broadcast(server)
    await set_replay(server, event, f"{storage}/hls/index.m3u8")
    # The CSP is enforced here (the other browser tests bypass it): hls.js must work under it.
    page = await open_replay(pages, server, event, bypass_csp=False)
    assert await page.get_attribute("#stream video", "data-player") == "hls.js"
    check_moments(await play_through(page))
    await page.evaluate(
        "() => { const v = document.querySelector('#stream video'); v.currentTime = 6.5; }"
    )
    await wait_showing(page, "j2")
    assert pages.errors() == []


async def test_no_recording_no_player(server: LiveServer, pages: Pages) -> None:
    event, _ = await broadcast(server)
    page = await pages.open(f"{server.url}/e/{event.id}", name="viewer", viewport=PHONE)
    await page.wait_for_selector("#ended:not([hidden])", timeout=10_000)
    await page.wait_for_selector('#conn[data-state="live"]', timeout=10_000)
    assert await page.locator("#stream video").count() == 0
    assert await page.evaluate(SHOWING) is None
    assert pages.errors() == []


# A browser without Media Source Extensions (WeChat and Safari on older iOS) but with HLS of
# its own: the page must hand the playlist to the video element. Chromium answers "maybe" to
# HLS by itself, so taking MSE away shows the page's fallback on a real recording.
NO_MSE = "delete window.MediaSource; delete window.ManagedMediaSource;"


async def test_hls_plays_natively_without_mse(
    server: LiveServer, pages: Pages, storage: str
) -> None:
    event, _ = await broadcast(server)
    await set_replay(server, event, f"{storage}/hls/index.m3u8")
    page = await pages.open(f"{server.url}/e/{event.id}", name="viewer", viewport=PHONE)
    await page.context.add_init_script(NO_MSE)
    await page.reload()
    await page.wait_for_selector("#stream video[data-player]", timeout=10_000)
    assert await page.evaluate("() => 'MediaSource' in window") is False
    assert await page.get_attribute("#stream video", "data-player") == "native"

    async def ready() -> bool:
        return await page.evaluate(f"() => {VIDEO}.readyState >= 1")  # type: ignore[no-any-return]

    assert await eventually(ready, 10.0), "Chromium did not load the HLS playlist natively"
    await page.evaluate(f"() => {{ {VIDEO}.currentTime = 2.5; }}")
    await wait_showing(page, "j1")
    assert pages.errors() == []


async def test_staff_set_the_recording_on_their_page(
    server: LiveServer, pages: Pages, storage: str
) -> None:
    event, _ = await broadcast(server)
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}",
        name="staff",
        viewport={"width": 1280, "height": 900},
    )
    await staff.wait_for_selector("#replay-panel:not([hidden])", timeout=10_000)
    assert await staff.input_value("#replay-url") == ""
    await staff.fill("#replay-url", "ftp://media.example.cn/r.mp4")
    await staff.click("#replay-save")
    await staff.wait_for_selector("#replay-url[aria-invalid]")
    assert await staff.inner_text("#replay-e-url") != ""
    _, body = await server.call("GET", f"/api/events/{event.id}/replay")
    assert body["replay"] is None  # refused: nothing stored

    await staff.fill("#replay-url", f"{storage}/replay.mp4")
    await staff.fill("#replay-lead_in_s", "0.5")
    await staff.click("#replay-save")
    await staff.wait_for_selector("#replay-clear:not([hidden])")
    assert await staff.inner_text("#replay-e-url") == ""
    await pages.shot(staff, "staff-replay-set")
    _, body = await server.call("GET", f"/api/events/{event.id}/replay")
    assert body["replay"]["url"] == f"{storage}/replay.mp4" and body["replay"]["lead_in_s"] == 0.5

    viewer = await open_replay(pages, server, event)
    await viewer.evaluate(f"() => {{ {VIDEO}.currentTime = 6; }}")
    await wait_showing(viewer, "j2")
    # The refused address is a 422 the browser reports as a failed load: expected here.
    assert [e for e in pages.errors() if "status of 422" not in e] == []
