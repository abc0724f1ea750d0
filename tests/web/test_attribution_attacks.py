"""Unique viewers against a script (review r4): one socket is one viewer. A socket that says
hello again under other viewer ids (a loop inflating the event's unique viewers, its cities'
and its channels') is answered with an error naming ``viewer`` and counted once. A real
server, store and websocket."""

from __future__ import annotations

import asyncio

from liveevent.web.appkeys import ATTRIBUTION
from tests.support import LiveServer, eventually
from tests.web.test_attribution import _two_city_event


async def test_one_socket_counts_as_one_viewer_whatever_ids_it_sends(
    server: LiveServer,
) -> None:
    event = await _two_city_event(server)
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    await viewer.send({"type": "hello", "viewer": "v-0", "city": "宁波"})

    async def one() -> bool:
        return (await server.app[ATTRIBUTION].figures(event.id)).unique_viewers == 1

    assert await eventually(one, 5)
    for i in range(1, 20):
        await viewer.send({"type": "hello", "ref": i, "viewer": f"v-{i}", "city": "宁波"})
    error = await asyncio.wait_for(viewer.next_of("error"), 5)
    assert "viewer" in error["fields"], error
    # The same id again (a change of city) is still a hello, and still one viewer.
    await viewer.send({"type": "hello", "ref": "again", "viewer": "v-0", "city": "杭州"})
    await viewer.send({"type": "ping", "ref": "p"})
    await viewer.next_of("pong")
    figures = await server.app[ATTRIBUTION].figures(event.id)
    assert figures.unique_viewers == 1, figures.unique_viewers
    await viewer.close()
