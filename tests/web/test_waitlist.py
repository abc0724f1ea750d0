"""An apply's answer says when the application went onto a filled job's waiting list (issue 16,
part 3): ``"waitlist": true`` over HTTP, the viewer socket and a venue's station, by the rule of
``domain/openings.py`` (the one the pages apply), through a real server on a real store."""

from __future__ import annotations

import asyncio
from typing import Any

from liveevent.web.appkeys import WAITLIST
from tests.support import Event, LiveServer

JOBS: list[dict[str, Any]] = [
    {"id": "j1", "employer": "宁波港集团", "title": "理货员", "openings": 1},
    {"id": "j2", "employer": "杭州地铁", "title": "站务员", "openings": 10, "openings_max": 20},
    {"id": "j3", "employer": "顺丰速运", "title": "快递员"},  # 若干: never filled
]


async def _hire(server: LiveServer, event: Event, app_id: str, status: str = "hired") -> None:
    got, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{app_id}",
        token=event.staff_token,
        json_body={"status": status},
    )
    assert got == 200, body


async def _station(server: LiveServer, event: Event) -> tuple[str, str]:
    path, name = f"/api/events/{event.id}/venues", {"name": "一厅"}
    status, made = await server.call("POST", path, token=event.staff_token, json_body=name)
    assert status == 201, made
    return made["venue"]["id"], made["station"]["token"]


async def test_the_answer_says_waitlist_once_the_job_is_filled(server: LiveServer) -> None:
    event = await server.create_event(jobs=JOBS)
    venue, station = await _station(server, event)
    status, first = await server.apply(event, "j1", "13900000001")
    assert status == 201 and first["waitlist"] is False
    for job in ("j2", "j3"):
        status, body = await server.apply(event, job, "13900000001")
        assert status == 201 and body["waitlist"] is False
    await _hire(server, event, first["application_id"])  # j1 (1 opening) is filled

    # HTTP
    status, body = await server.apply(event, "j1", "13900000002")
    assert status == 201 and body["waitlist"] is True
    status, again = await server.apply(event, "j1", "13900000002")
    assert status == 200 and again["duplicate"] is True and again["waitlist"] is True
    status, body = await server.apply(event, "j2", "13900000002")  # 1 of 10-20: places left
    assert status == 201 and body["waitlist"] is False
    # The socket
    viewer = await server.viewer(event)
    await viewer.send(
        {"type": "apply", "ref": 1, "job_id": "j1", "name": "王五", "phone": "13900000003"}
    )
    applied = await viewer.next_of("applied")
    assert applied["waitlist"] is True and applied["duplicate"] is False
    await viewer.send(
        {"type": "apply", "ref": 2, "job_id": "j3", "name": "王五", "phone": "13900000003"}
    )
    assert (await viewer.next_of("applied"))["waitlist"] is False
    # A station
    path = f"/api/events/{event.id}/venues/{venue}/applications"
    body_in = {"job_id": "j1", "name": "赵六", "phone": "13900000004", "consent": True}
    status, body = await server.call("POST", path, token=station, json_body=body_in)
    assert status == 201 and body["waitlist"] is True

    # The hire falls through (a declined offer): the place opens again, and the answer says so.
    await _hire(server, event, first["application_id"], "declined")
    status, body = await server.apply(event, "j1", "13900000005")
    assert status == 201 and body["waitlist"] is False
    await viewer.send(
        {"type": "apply", "ref": 3, "job_id": "j1", "name": "王五", "phone": "13900000006"}
    )
    assert (await viewer.next_of("applied"))["waitlist"] is False
    await viewer.close()


async def test_a_burst_of_answers_shares_its_reads(server: LiveServer) -> None:
    event = await server.create_event(jobs=JOBS)
    book = server.app[WAITLIST]
    reads = 0
    original = book._read

    async def counted(event_id: str, job_id: str) -> bool:
        nonlocal reads
        reads += 1
        return await original(event_id, job_id)

    book._read = counted  # type: ignore[method-assign]
    answers = await asyncio.gather(*(book.filled(event.id, "j1") for _ in range(200)))
    assert answers == [False] * 200
    assert reads == 1
    assert not book._reads  # nothing left behind
