"""Positions remaining, live (issue 16, part 3), through a real server and real sockets.

A hire recorded by staff (one change, a bulk change, an outcome sheet) reaches every viewer as
an ``openings`` message, like a card push; a viewer that connects later gets the count in its
hello, one that resumes gets the message replayed, and ``GET /cards`` and the stats carry it.
"""

from __future__ import annotations

from typing import Any

from liveevent.store.codec import unpack
from liveevent.store.keys import Keys
from liveevent.web.appkeys import EVENTS
from tests.support import Event, LiveServer

JOBS = [
    {"id": "j1", "employer": "宁波港集团", "title": "理货员", "openings": 2},
    {"id": "j2", "employer": "杭州地铁", "title": "站务员", "openings": 10, "openings_max": 20},
]


async def _hire(server: LiveServer, event: Event, app_id: str, status: str = "hired") -> None:
    got, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{app_id}",
        token=event.staff_token,
        json_body={"status": status},
    )
    assert got == 200, body


async def _applications(server: LiveServer, event: Event, job: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        status, body = await server.apply(event, job, f"1390000{len(job)}{i:03d}")
        assert status == 201, body
        ids.append(body["application_id"])
    return ids


async def test_a_hire_reaches_every_viewer_and_later_ones_learn_it(server: LiveServer) -> None:
    event = await server.create_event(jobs=JOBS)
    await server.push(event, "j1")
    viewers = [await server.viewer(event) for _ in range(3)]
    hellos = [await v.next_of("hello") for v in viewers]
    assert all(h["hires"] == {"j1": 0} for h in hellos)
    before = hellos[0]["cursor"]
    ids = await _applications(server, event, "j1", 3)
    await _hire(server, event, ids[0])
    for viewer in viewers:
        message = await viewer.next_of("openings")
        assert {k: message[k] for k in ("job_id", "hires")} == {"job_id": "j1", "hires": 1}
    # A bulk change: one message with the job's new count.
    status, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications",
        token=event.staff_token,
        json_body={"application_ids": ids[1:], "status": "hired"},
    )
    assert status == 200, body
    bulk = await viewers[0].next_of("openings")
    assert (bulk["job_id"], bulk["hires"]) == ("j1", 3)
    # A viewer connecting now: the count in its hello; one resuming: the messages replayed.
    late = await server.viewer(event)
    hello = await late.next_of("hello")
    assert hello["hires"] == {"j1": 3} and hello["cursor"] == bulk["cursor"]
    back = await server.viewer(event, since=before)
    resumed = await back.next_of("hello")
    assert resumed["resumed"] is True
    assert [(await back.next_of("openings"))["hires"] for _ in range(2)] == [1, 3]
    _, cards = await server.call("GET", f"/api/events/{event.id}/cards")
    assert cards["hires"] == {"j1": 3} and cards["cursor"] == bulk["cursor"]
    stats = await server.stats(event)
    [j1] = [j for j in stats["jobs"] if j["job_id"] == "j1"]
    assert j1["remaining"] == {"kind": "filled", "low": 0, "high": 0, "hires": 3, "filled": True}
    # A filled job still takes applications (the waiting list).
    assert (await server.apply(event, "j1", "13700000001"))[0] == 201
    for viewer in (*viewers, late, back):
        await viewer.close()


async def test_an_outcome_sheet_hire_is_live_too(server: LiveServer) -> None:
    event = await server.create_event(jobs=JOBS)
    await server.push(event, "j2")
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    status, body = await server.apply(event, "j2", "13800000001")
    assert status == 201, body
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data="手机号,职位编号,结果\r\n13800000001,j2,录用\r\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200 and report["changed"] == 1, report
    message = await viewer.next_of("openings")
    assert (message["job_id"], message["hires"]) == ("j2", 1)
    stats = await server.stats(event)
    [j2] = [j for j in stats["jobs"] if j["job_id"] == "j2"]
    assert j2["remaining"]["kind"] == "range"
    assert (j2["remaining"]["low"], j2["remaining"]["high"]) == (9, 19)
    # The stored record is the domain's: epoch ms as an integer, not a float.
    k = Keys(server.settings.key_prefix).event(event.id)
    entries = await server.app[EVENTS].conn.reader.xrange(k.timeline)
    records: list[dict[str, Any]] = [unpack(f[b"d"]) for _, f in entries]
    [record] = [r for r in records if r["kind"] == "openings"]
    assert isinstance(record["at"], int) and record["at"] > 1_600_000_000_000
    await viewer.close()
