"""The pages work under their Content-Security-Policy (issue 12, item 9), in real Chromium.

The other browser tests bypass the CSP (Playwright's ``wait_for_function`` needs eval); here
it is enforced: every page reaches its working state with no console error (a blocked script
or style would be one), and an injected inline script is refused.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, Pages
from tests.support import ADMIN_TOKEN, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

LIVE = '#conn[data-state="live"]'

# Inline script, as an XSS would add it: CSP script-src 'self' must refuse to run it.
INJECT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__injected = true";
  document.head.append(script);
  return window.__injected === true;
}"""


async def test_pages_run_under_their_csp(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    for name, path, ready in [
        ("viewer", f"/e/{event.id}", LIVE),
        ("host", f"/host/{event.id}#token={event.host_token}", LIVE),
        ("staff", f"/staff/{event.id}#token={event.staff_token}", LIVE),
        ("overlay", f"/overlay/{event.id}?token={event.overlay_token}", '#card[data-job-id="j1"]'),
        ("admin", f"/admin#token={ADMIN_TOKEN}", LIVE),  # the report across fairs
    ]:
        viewport = DESKTOP if name in ("host", "staff", "admin") else {"width": 360, "height": 740}
        page = await pages.open(server.url + path, name=name, viewport=viewport, bypass_csp=False)
        await page.wait_for_selector(ready, timeout=10_000)
        assert pages.errors() == [], name
        assert await page.evaluate(INJECT) is False, f"{name}: inline script ran"
        refused = pages.opened[-1].errors  # the browser reports the refusal: expected here
        assert any("Content Security Policy" in e for e in refused), refused
        refused.clear()
