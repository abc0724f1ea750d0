"""No host, staff or admin token in any URL a page builds (issue 12, item 3).

Every page is opened in Chromium as each role that uses it. From each, the test reads every
link, image and form address, every input's value, every URL in the visible text, every QR code
on screen (decoded from a screenshot of it with zxing-cpp, so it is what a phone would read),
and every request and websocket the page itself made. No query string among them may hold a
host, staff or admin token. The OBS overlay's link is the one place a token may sit in a query
(OBS cannot send headers): that must be the overlay's own read-only token, and the server must
refuse the others there.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, Pages
from tests.support import ADMIN_TOKEN, Event, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")
zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp is not installed")
Image = pytest.importorskip("PIL.Image", reason="pillow is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+")

# Every address a page shows or makes, from the DOM as it stands.
COLLECT = """() => {
  const out = [];
  for (const el of document.querySelectorAll("[href], [src], [action], [data-url]")) {
    for (const attr of ["href", "src", "action", "data-url"]) {
      const value = el.getAttribute(attr);
      if (value) out.push(new URL(value, document.baseURI).href);
    }
  }
  for (const el of document.querySelectorAll("input, textarea")) {
    if (el.value) out.push(el.value);
  }
  out.push(document.body.innerText);
  return out;
}"""


def query_leaks(address: str, secrets: dict[str, str]) -> list[str]:
    """The names of ``secrets`` found in the query string of ``address`` (raw or decoded)."""
    query = urlsplit(address).query
    decoded = " ".join(f"{k}={v}" for k, v in parse_qsl(query, keep_blank_values=True))
    return [name for name, value in secrets.items() if value in query or value in decoded]


async def decode_qr_codes(page: Any) -> list[str]:
    """The text of every QR code image on the page, read from what is on screen."""
    texts = []
    for image in await page.query_selector_all("img"):
        if not await image.is_visible():
            continue
        shot = await image.screenshot()
        for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L")):
            texts.append(barcode.text)
    return texts


async def addresses_of(page: Any, made: list[str]) -> list[str]:
    found = list(made)
    for value in await page.evaluate(COLLECT):
        found.append(value)
        found += URL_IN_TEXT.findall(value)
    found += await decode_qr_codes(page)
    return found


async def open_as(pages: Pages, url: str, name: str) -> tuple[Any, list[str]]:
    made: list[str] = []
    ctx_page = await pages.open("about:blank", name=name, viewport=DESKTOP)
    ctx_page.on("request", lambda request: made.append(request.url))
    ctx_page.on("websocket", lambda socket: made.append(socket.url))
    await ctx_page.goto(url)
    return ctx_page, made


async def wait_ready(page: Any) -> None:
    await page.wait_for_selector('#conn[data-state="live"]', timeout=10_000)
    await page.wait_for_load_state("networkidle")


async def test_no_page_puts_a_host_staff_or_admin_token_in_a_query_string(
    server: LiveServer, pages: Pages
) -> None:
    event: Event = await server.create_event()
    await server.push(event, "j1")
    secrets = {"host": event.host_token, "staff": event.staff_token, "admin": ADMIN_TOKEN}
    base = server.url
    opened: dict[str, list[str]] = {}
    overlay_links: list[str] = []

    for role, token in (("host", event.host_token), ("admin", ADMIN_TOKEN)):
        page, made = await open_as(pages, f"{base}/host/{event.id}#token={token}", f"host-{role}")
        await wait_ready(page)
        await page.wait_for_function("document.querySelector('#overlay-link').value !== ''")
        link = await page.input_value("#overlay-link")
        overlay_links.append(link)
        found = await addresses_of(page, made)
        assert any(f"/e/{event.id}" in a for a in await decode_qr_codes(page)), "host QR"
        opened[f"host page as {role}"] = found

    for role, token in (("staff", event.staff_token), ("admin", ADMIN_TOKEN)):
        page, made = await open_as(pages, f"{base}/staff/{event.id}#token={token}", f"staff-{role}")
        await wait_ready(page)
        opened[f"staff page as {role}"] = await addresses_of(page, made)

    page, made = await open_as(pages, f"{base}/e/{event.id}?job=j1", "viewer")
    await page.wait_for_selector('#conn[data-state="live"]', timeout=10_000)
    opened["viewer page"] = await addresses_of(page, made)

    # The overlay, opened from the very link the host console gave (as OBS would).
    page, made = await open_as(pages, overlay_links[0], "overlay")
    await page.wait_for_selector('#card[data-job-id="j1"]', state="visible", timeout=5000)
    await page.wait_for_function(
        "document.querySelector('#ov-qr').complete"
        " && document.querySelector('#ov-qr').naturalWidth > 0"
    )
    await page.wait_for_timeout(600)  # the slide-in, so the QR is read where it stops
    found = await addresses_of(page, made)
    assert any(a.endswith(f"/e/{event.id}?job=j1") for a in await decode_qr_codes(page))
    opened["overlay page"] = found

    leaks = {
        where: [(a, names) for a in found if (names := query_leaks(a, secrets))]
        for where, found in opened.items()
    }
    assert {where: hits for where, hits in leaks.items() if hits} == {}
    assert all(len(found) > 5 for found in opened.values()), opened  # it did read the pages

    # The console's overlay link holds the overlay's own token, whoever opened the console.
    for link in overlay_links:
        assert dict(parse_qsl(urlsplit(link).query)) == {"token": event.overlay_token}, link
    assert pages.errors() == []


async def test_the_overlay_refuses_any_token_but_its_own_in_its_url(server: LiveServer) -> None:
    event = await server.create_event()
    overlay = f"/overlay/{event.id}?token="
    assert (await server.call("GET", overlay + event.overlay_token))[0] == 200
    for token in (event.host_token, event.staff_token, ADMIN_TOKEN):
        status, body = await server.call("GET", overlay + token)
        assert status == 403, body
    # The host reads the overlay token from the API (with its own token in a header).
    path = f"/api/events/{event.id}/overlay-token"
    status, body = await server.call("GET", path, token=event.host_token)
    assert status == 200 and body == {"overlay_token": event.overlay_token}
    assert (await server.call("GET", path, token=event.staff_token))[0] == 403
    assert (await server.call("GET", path))[0] == 401
