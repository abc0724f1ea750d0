"""Counts that are viewers: the OBS overlay and ``liveevent watch`` get every card but are not
counted as viewers, nor in the event's peak; claiming their role takes nobody else out.
(The real overlay page, in Chromium: tests/browser/test_overlay_count.py.)"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import aiohttp
import pytest

from liveevent.watch import watch
from liveevent.web.appkeys import APPLICATIONS
from tests.reliability.support import Watcher, eventually
from tests.support import Event, LiveServer


async def settled_count(server: LiveServer, event: Event, expected: int) -> int:
    """viewers_online once it has held still for two publishing rounds (or 5 s passed)."""
    interval = server.settings.viewers_interval_s
    count = -1
    for _ in range(int(5 / interval)):
        count = (await server.stats(event))["viewers_online"]
        if count == expected:
            await asyncio.sleep(2 * interval)  # a moment more: the peak is published too
            return int((await server.stats(event))["viewers_online"])
        await asyncio.sleep(interval)
    return int(count)


async def peak(server: LiveServer, event: Event) -> int:
    counters = await server.app[APPLICATIONS].counters(event.id)
    return int(counters.get("viewers_peak", 0))


async def _watch_printed(out: io.StringIO, text: str) -> bool:
    return await eventually(lambda: text in out.getvalue(), 5.0)


async def test_overlay_and_watch_are_not_viewers(server: LiveServer) -> None:
    event = await server.create_event()
    assert server.session is not None
    base = f"{server.url}/ws/events/{event.id}"
    phones = [Watcher(await server.session.ws_connect(base)) for _ in range(3)]
    overlay = Watcher(await server.session.ws_connect(base + "?role=overlay"))
    out = io.StringIO()
    watching = asyncio.create_task(watch(f"{server.url}/e/{event.id}", out=out))
    try:
        assert await _watch_printed(out, "(no card on screen)")
        assert await settled_count(server, event, 3) == 3
        assert await peak(server, event) == 3
        # Uncounted, but served: the overlay and the terminal both get the card.
        card = await server.push(event, "j1")
        assert (await overlay.next_of("card"))["card"]["card_id"] == card["card_id"]
        assert await _watch_printed(out, "片区运营主管")
        for phone in phones:
            assert (await phone.next_of("card"))["card"]["card_id"] == card["card_id"]
        # What phones are told is the same count.
        told = await phones[0].next_of("viewers")
        assert told["count"] == 3
        # A phone leaving lowers it; the overlay alone keeps nothing counted.
        await phones[2].close()
        assert await settled_count(server, event, 2) == 2
        assert await peak(server, event) == 3
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
        for w in [*phones, overlay]:
            await w.close()


async def test_an_uncounted_role_takes_no_one_else_out_and_cannot_apply(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    assert server.session is not None
    base = f"{server.url}/ws/events/{event.id}"
    phones = [Watcher(await server.session.ws_connect(base)) for _ in range(2)]
    # A phone claiming to be a monitor, many times over, only takes itself out of the count.
    monitors = [await server.session.ws_connect(base + "?role=monitor") for _ in range(5)]
    try:
        assert await settled_count(server, event, 2) == 2
        ws = monitors[0]
        assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
        await ws.send_str(
            json.dumps(
                {"type": "apply", "ref": 1, "job_id": "j1", "name": "张三", "phone": "13812345678"}
            )
        )
        reply = await _next_reply(ws)
        assert reply["type"] == "error" and reply["code"] == "forbidden"
        assert "role" in reply["fields"]
        assert (await server.stats(event))["applications"] == 0
    finally:
        for w in phones:
            await w.close()
        for m in monitors:
            await m.close()


@pytest.mark.parametrize("role", ["host", "VIEWER", "", "overlay,viewer"])
async def test_an_unknown_role_is_refused_naming_the_field(server: LiveServer, role: str) -> None:
    event = await server.create_event()
    assert server.session is not None
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await server.session.ws_connect(f"{server.url}/ws/events/{event.id}?role={role}")
    assert refused.value.status == 422
    status, body = await server.call("GET", f"/ws/events/{event.id}?role={role}")
    assert status == 422 and "role" in body["error"]["fields"]
    assert (await server.stats(event))["viewers_online"] == 0


async def _next_reply(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads((await ws.receive(timeout=5)).data)
        if message["type"] not in ("viewers", "hello"):
            return message
