"""An attacker's review of employers at the table (issue 16), through a real server and store.

Each test is one way in that was open, now closed: an employer link that leaked (forwarded
to a WeChat group, a lost phone) could not be taken back, and an employer's token could flood
every viewer with positions-remaining messages by toggling a hire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from liveevent.domain.consent import CURRENT_VERSION
from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer, eventually

JOBS = [
    {"id": "sf1", "employer": "顺丰速运（杭州）有限公司", "title": "快递员", "openings": 5},
    {"id": "nb1", "employer": "宁波港集团", "title": "理货员", "openings": 3},
]
SF, NB = "顺丰速运（杭州）有限公司", "宁波港集团"


async def _grant(server: LiveServer, event: Event, name: str) -> str:
    status, reply = await server.call(
        "POST",
        f"/api/events/{event.id}/employers",
        token=event.staff_token,
        json_body={"name": name},
    )
    assert status == 201, reply
    return str(reply["token"])


async def _apply(server: LiveServer, event: Event, job: str, phone: str, employer: str) -> str:
    status, body = await server.apply(
        event,
        job,
        phone,
        "李卫国",
        consent=True,
        consent_version=CURRENT_VERSION,
        consent_to=employer,
    )
    assert status == 201, body
    return str(body["application_id"])


async def test_a_leaked_employer_link_can_be_revoked(server: LiveServer) -> None:
    # An employer's link opens its applicants' names and phones in full. Links get forwarded
    # (a WeChat group, a lost phone): staff must be able to stop every token of that employer
    # and give it a new one, leaving the other employers' links working.
    event = await server.create_event(jobs=JOBS)
    leaked = await _grant(server, event, SF)
    second = await _grant(server, event, " 顺丰速运(杭州)有限公司")  # the same employer
    nb = await _grant(server, event, NB)
    await _apply(server, event, "sf1", "13700000001", SF)
    mine = f"/api/events/{event.id}/employer/applications"
    status, page = await server.call("GET", mine, token=leaked)
    assert status == 200 and page["applications"][0]["phone"] == "13700000001"

    # Written any way (spaces, widths), percent-encoded in the path.
    path = f"/api/events/{event.id}/employers/{quote('顺丰速运 (杭州)有限公司', safe='')}/tokens"
    for token in (None, leaked, nb, event.host_token, event.overlay_token):
        status, answer = await server.call("DELETE", path, token=token)
        assert status in (401, 403), (token, answer)
    status, answer = await server.call("DELETE", path, token=event.staff_token)
    assert (status, answer) == (200, {"employer": SF, "revoked": 2}), answer

    async def refused(token: str) -> bool:
        status, _ = await server.call("GET", mine, token=token)
        return status == 403

    assert await eventually(lambda: refused(leaked), 10)  # each node forgets within seconds
    assert await eventually(lambda: refused(second), 10)
    status, _ = await server.call("GET", mine, token=nb)
    assert status == 200  # the other employer is untouched
    fresh = await _grant(server, event, SF)
    status, _ = await server.call("GET", mine, token=fresh)
    assert status == 200
    status, reply = await server.call(
        "GET", f"/api/events/{event.id}/employers", token=event.staff_token
    )
    assert {row["employer"]: row["tokens"] for row in reply["employers"]} == {SF: 1, NB: 1}
    # A retry revokes nothing more than what was made since; an unknown name revokes nothing.
    status, answer = await server.call("DELETE", path, token=event.staff_token)
    assert (status, answer) == (200, {"employer": SF, "revoked": 1})
    status, answer = await server.call(
        "DELETE",
        f"/api/events/{event.id}/employers/{quote('顺丰')}/tokens",
        token=event.staff_token,
    )
    assert (status, answer) == (200, {"employer": "顺丰", "revoked": 0})
    status, _ = await server.call("GET", mine, token=nb)
    assert status == 200


async def _openings_entries(server: LiveServer, event: Event) -> int:
    store = server.app[STORE]
    entries = await store.reader.xrange(store.keys.event(event.id).timeline)
    return sum(1 for _, f in entries if codec.unpack(f[b"d"]).get("kind") == "openings")


async def test_an_employer_cannot_flood_every_viewer_by_toggling_a_hire(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    # Every move into or out of "hired" is a timeline entry that every viewer's phone gets
    # (positions remaining) and that stays in the timeline for every resume. An employer's
    # token (or a buggy page) toggling one applicant hired/rejected in a loop must be stopped
    # by a limit on the employer's status changes, counted across nodes; staff and the other
    # employers keep working.
    server = await make_server(employer_status_rate=6)
    other_node = await make_server(employer_status_rate=6)
    event = await server.create_event(jobs=JOBS)
    sf, nb = await _grant(server, event, SF), await _grant(server, event, NB)
    mine = await _apply(server, event, "sf1", "13700000001", SF)
    theirs = await _apply(server, event, "nb1", "13700000002", NB)
    viewer = await server.viewer(event)
    await viewer.next_of("hello")

    answers: list[int] = []
    for i in range(40):
        node = server if i % 2 else other_node  # the limit holds across nodes
        status, reply = await node.call(
            "PATCH",
            f"/api/events/{event.id}/employer/applications/{mine}",
            token=sf,
            json_body={"status": "hired" if i % 2 == 0 else "rejected"},
        )
        answers.append(status)
        if status == 429:
            assert "error" in reply
    assert answers[:6] == [200] * 6 and set(answers[6:]) == {429}, answers
    assert await _openings_entries(server, event) == 6
    got: list[dict[str, Any]] = [await viewer.next_of("openings") for _ in range(6)]
    assert [m["hires"] for m in got] == [1, 0, 1, 0, 1, 0]

    # The other employer and staff are not held by this employer's limit.
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/employer/applications/{theirs}",
        token=nb,
        json_body={"status": "hired"},
    )
    assert status == 200
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{mine}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    stats = await server.stats(event)
    assert {j["job_id"]: j["hires"] for j in stats["jobs"]} == {"sf1": 1, "nb1": 1}


async def test_corrections_never_drive_positions_remaining_wrong(server: LiveServer) -> None:
    # Hired -> rejected -> hired by the employer, a staff bulk change naming the same
    # application twice, an outcome sheet with the same row twice: the hire count (and so what
    # every viewer's card says is left) is always the number of applications now hired.
    event = await server.create_event(jobs=JOBS)
    sf = await _grant(server, event, SF)
    ids = [await _apply(server, event, "sf1", f"1370000000{n}", SF) for n in range(4)]
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    mine = f"/api/events/{event.id}/employer/applications"
    for target in ("hired", "rejected", "hired"):
        status, _ = await server.call(
            "PATCH", f"{mine}/{ids[0]}", token=sf, json_body={"status": target}
        )
        assert status == 200
    status, body = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications",
        token=event.staff_token,
        json_body={"application_ids": [ids[1], ids[1], ids[0], ids[2]], "status": "hired"},
    )
    assert status == 200, body
    sheet = "手机号,职位编号,结果\r\n13700000003,sf1,录用\r\n13700000003,sf1,录用\r\n"
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data=sheet.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, report
    seen = [(await viewer.next_of("openings"))["hires"] for _ in range(5)]
    assert seen == [1, 0, 1, 3, 4], seen
    stats = await server.stats(event)
    [job] = [j for j in stats["jobs"] if j["job_id"] == "sf1"]
    assert (job["hires"], job["remaining"]["low"]) == (4, 1)
    assert stats["hires"] == 4
    # Undo them all: never below zero, the card is back to 5 left.
    for app_id in ids:
        status, _ = await server.call(
            "PATCH", f"{mine}/{app_id}", token=sf, json_body={"status": "declined"}
        )
        assert status == 200
    stats = await server.stats(event)
    [job] = [j for j in stats["jobs"] if j["job_id"] == "sf1"]
    assert (job["hires"], job["remaining"]["low"], stats["hires"]) == (0, 5, 0)


async def test_a_holders_name_and_an_employers_contact_are_one_line(server: LiveServer) -> None:
    # A host's name is shown as "pushed by" on every console and export row, an employer's
    # contact inside the consent text every applicant reads: a line break or tab in them
    # forges a line of its own there (and in a terminal). Refused, naming the field.
    event = await server.create_event(jobs=JOBS)
    for name in ("杭州演播室\n宁波演播室 撤下", "杭州\r演播室", "杭州\t演播室"):
        status, reply = await server.call(
            "POST",
            f"/api/events/{event.id}/hosts",
            token=event.staff_token,
            json_body={"name": name},
        )
        assert status == 422, (name, reply)
        assert "name" in reply["error"]["fields"]
        status, reply = await server.call(
            "POST",
            f"/api/events/{event.id}/employers",
            token=event.staff_token,
            json_body={"name": SF, "contact": name},
        )
        assert status == 422, (name, reply)
        assert "contact" in reply["error"]["fields"]
    status, reply = await server.call(
        "GET", f"/api/events/{event.id}/hosts", token=event.staff_token
    )
    assert [h["name"] for h in reply["hosts"]] == ["host"]
    status, reply = await server.call(
        "GET", f"/api/events/{event.id}/employers", token=event.staff_token
    )
    assert [row["tokens"] for row in reply["employers"]] == [0, 0]
