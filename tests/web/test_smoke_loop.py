"""The whole loop once: push reaches a viewer, an application lands in stats."""

from __future__ import annotations

from tests.support import LiveServer


async def test_push_reaches_viewer_and_application_counts(server: LiveServer) -> None:
    event = await server.create_event()
    viewer = await server.viewer(event)
    hello = await viewer.next()
    assert hello["type"] == "hello" and hello["card"] is None
    pushed = await server.push(event, "j1")
    card = await viewer.next_of("card")
    assert card["card"]["card_id"] == pushed["card_id"]
    assert card["card"]["job"]["employer"] == "顺丰速运有限公司"
    status, body = await server.apply(event, "j1", "13812345678")
    assert status == 201 and body["duplicate"] is False
    stats = await server.stats(event)
    assert stats["applications"] == 1 and stats["viewers_online"] == 1
    await viewer.close()
