"""Figures by city and channel on a single store and on a Redis Cluster alike (issue 16): the
APPLY counters, the unique viewers' HyperLogLogs (PFCOUNT, which a cluster pipeline refuses)
and the hired index all live in the event's slot."""

from __future__ import annotations

from tests.support import LiveServer, eventually


async def test_figures_by_city_and_channel_on_every_store(server: LiveServer) -> None:
    event = await server.create_event(
        jobs=[
            {"id": "nb1", "employer": "宁波港", "title": "理货员", "openings": 5, "city": "宁波市"}
        ]
    )
    status, body = await server.call(
        "PUT",
        f"/api/events/{event.id}/cities",
        token=event.staff_token,
        json_body={"cities": ["宁波"]},
    )
    assert status == 200, body
    status, channel = await server.call(
        "POST",
        f"/api/events/{event.id}/channels",
        token=event.staff_token,
        json_body={"name": "抖音"},
    )
    assert status == 201, channel
    status, body = await server.apply(
        event, "nb1", "13800000001", city="宁波", channel=channel["id"]
    )
    assert status == 201, body
    status, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{body['application_id']}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200, body
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    await viewer.send({"type": "hello", "viewer": "v1", "city": "宁波", "channel": channel["id"]})

    async def counted() -> bool:
        return bool((await server.stats(event))["unique_viewers"] == 1)

    assert await eventually(counted, 5)
    stats = await server.stats(event)
    assert stats["by_city"] == [
        {"city": "宁波", "viewers": 1, "applications": 1, "applicants": 1, "hires": 1,
         "jobs": 1, "openings": 5},
    ]  # fmt: skip
    assert stats["by_channel_city"] == [
        {"channel": channel["id"], "name": "抖音", "city": "宁波", "viewers": 1,
         "applications": 1, "hires": 1},
    ]  # fmt: skip
    await viewer.close()
