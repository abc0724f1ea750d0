"""The real overlay page (its own socket, in Chromium) is not counted as a viewer."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, Pages
from tests.reliability.support import Watcher
from tests.support import LiveServer
from tests.web.test_counts import peak, settled_count

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


async def test_the_overlay_page_is_not_a_viewer(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    assert server.session is not None
    phones = [
        Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
        for _ in range(3)
    ]
    try:
        overlay = await pages.open(
            f"{server.url}/overlay/{event.id}?token={event.overlay_token}", name="overlay"
        )
        await server.push(event, "j1")
        await overlay.wait_for_selector('#card[data-job-id="j1"]', state="visible", timeout=5000)
        assert await settled_count(server, event, 3) == 3
        assert await peak(server, event) == 3
        assert pages.errors() == []
    finally:
        for phone in phones:
            await phone.close()
