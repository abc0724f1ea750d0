"""The list indexes on one Redis and on a cluster: the scripts write them in the event's slot."""

from __future__ import annotations

from liveevent.web.appkeys import STORE
from tests.support import LiveServer


async def test_filtered_pages_and_bulk_status_work_on_every_store(server: LiveServer) -> None:
    event = await server.create_event()
    ids = []
    for n in range(12):
        code, body = await server.apply(event, ("j1", "j2")[n % 2], f"136{n:08d}")
        assert code == 201, body
        ids.append(body["application_id"])
    code, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications",
        token=event.staff_token,
        json_body={"application_ids": ids[:6], "status": "contacted"},
    )
    assert code == 200 and body["changed"] == ids[:6], body
    code, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{ids[2]}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert code == 200, body

    async def page(query: str) -> tuple[int, list[str]]:
        code, body = await server.call(
            "GET", f"/api/events/{event.id}/applications?{query}", token=event.staff_token
        )
        assert code == 200, body
        return body["total"], [row["application_id"] for row in body["applications"]]

    assert await page("job_id=j1&status=contacted") == (2, [ids[0], ids[4]])
    assert await page("status=hired") == (1, [ids[2]])
    assert await page("job_id=j2&status=applied&offset=1&limit=2") == (3, [ids[9], ids[11]])
    assert await page("offset=10") == (12, ids[10:])
    code, activity = await server.call(
        "GET", f"/api/events/{event.id}/activity", token=event.staff_token
    )
    assert code == 200 and sum(b["applications"] for b in activity["buckets"]) == 12
    # The indexes are there, kept by the scripts (on a cluster: in the event's slot, or the
    # scripts could not have written them).
    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    assert await conn.reader.lrange(k.by_job("j1"), 0, -1) == [i.encode() for i in ids[0::2]]
    assert await conn.reader.zrange(k.by_status("contacted", "j2"), 0, -1) == [
        ids[1].encode(),
        ids[3].encode(),
        ids[5].encode(),
    ]
