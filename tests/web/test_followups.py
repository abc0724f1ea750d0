"""Follow-up after hire through a real server on a real store: marks by staff and by the
employer (own hires only), due checks, corrections, the retention figures."""

from __future__ import annotations

import time
from typing import Any

from liveevent.domain.applications import Status
from liveevent.domain.followups import DAY_MS
from liveevent.store.followups import FollowUpBook
from liveevent.web.appkeys import APPLICATIONS, STORE
from tests.support import ADMIN_TOKEN, Event, LiveServer
from tests.web.test_employers import JOBS, SF, consent_for, grant

NB = "宁波港集团"


async def hire(server: LiveServer, event: Event, app_id: str, days_ago: float) -> None:
    """Hire through the store's own status change, dated ``days_ago`` (a test cannot wait a
    week; the web layer stamps the present)."""
    now = int(time.time() * 1000 - days_ago * DAY_MS)
    await server.app[APPLICATIONS].change_status(
        event.id, app_id, Status.HIRED, by="staff", now=now
    )


async def applied(server: LiveServer, event: Event, job: str, phone: str, **extra: Any) -> str:
    status, reply = await server.apply(event, job, phone, "李卫国", **extra)
    assert status == 201, reply
    return str(reply["application_id"])


def mark(checkpoint: str, result: str) -> dict[str, str]:
    return {"checkpoint": checkpoint, "result": result}


async def test_staff_record_checks_when_due_correct_them_and_see_the_rate(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    old = await applied(server, event, "sf1", "13700000001")  # hired 31 days ago
    week = await applied(server, event, "nb1", "13700000002")  # hired 8 days ago
    new = await applied(server, event, "sf2", "13700000003")  # hired today
    never = await applied(server, event, "sf1", "13700000004")  # not hired
    await hire(server, event, old, 31)
    await hire(server, event, week, 8)
    await hire(server, event, new, 0)
    base = f"/api/events/{event.id}/followups"
    staff = event.staff_token

    status, listing = await server.call("GET", base + "?due=1", token=staff)
    assert status == 200, listing
    due = {row["application_id"]: row["due"] for row in listing["hires"]}
    assert due == {old: ["7d", "30d"], week: ["7d"]}  # today's hire has nothing due
    assert listing["retention"]["7d"] == {
        "retained": 0, "left": 0, "unknown": 0, "pending": 2, "not_due": 1, "rate": None,
    }  # fmt: skip

    # Bad input names the field and records nothing; "retained" before due is refused.
    for body, field in (
        (mark("14d", "retained"), "checkpoint"),
        (mark("7d", "gone"), "result"),
        ({**mark("7d", "left"), "note": "x"}, "note"),
        (mark("7d", "retained"), "result"),  # for today's hire: not yet due
    ):
        status, reply = await server.call("PUT", f"{base}/{new}", token=staff, json_body=body)
        assert status == 422, reply
        assert field in reply["error"]["fields"], reply
    status, reply = await server.call(
        "PUT", f"{base}/{never}", token=staff, json_body=mark("7d", "left")
    )
    assert status == 409, reply
    status, reply = await server.call(
        "PUT", f"{base}/nope", token=staff, json_body=mark("7d", "left")
    )
    assert status == 404, reply
    # Hosts and viewers may not.
    for token in (event.host_token, None):
        status, _ = await server.call(
            "PUT", f"{base}/{old}", token=token, json_body=mark("7d", "left")
        )
        assert status in (401, 403)
    assert await FollowUpBook(server.app[STORE]).history(event.id) == []

    # "left" may be said any time after the hire; the others once due.
    for app_id, body in (
        (old, mark("7d", "retained")),
        (old, mark("30d", "left")),
        (week, mark("7d", "unknown")),
        (new, mark("7d", "left")),
    ):
        status, reply = await server.call("PUT", f"{base}/{app_id}", token=staff, json_body=body)
        assert status == 200, reply
        assert reply["by"] == "staff" and reply["role"] == "staff"
    # A correction: the week-old hire was reached after all.
    status, reply = await server.call(
        "PUT", f"{base}/{week}", token=staff, json_body=mark("7d", "retained")
    )
    assert status == 200 and reply["result"] == "retained"

    status, listing = await server.call("GET", base, token=staff)
    fair = listing["retention"]
    assert fair["hires"] == 3
    assert fair["7d"] == {
        "retained": 2, "left": 1, "unknown": 0, "pending": 0, "not_due": 0, "rate": 0.6667,
    }  # fmt: skip
    assert fair["30d"] == {
        "retained": 0, "left": 1, "unknown": 0, "pending": 0, "not_due": 2, "rate": 0.0,
    }  # fmt: skip
    by_employer = {row["employer"]: row for row in listing["by_employer"]}
    assert by_employer[NB]["7d"]["rate"] == 1.0
    assert by_employer["顺丰速运（杭州）有限公司"]["7d"]["rate"] == 0.5
    assert listing["hires"][0]["application_id"] == new  # newest hire first
    assert listing["hires"][-1]["checks"]["30d"]["mark"]["result"] == "left"
    # Every mark is kept, the correction too; the index holds the latest.
    book = FollowUpBook(server.app[STORE])
    assert len(await book.history(event.id)) == 5
    before = await book.marks(event.id)
    await server.app[STORE].reader.delete(server.app[STORE].keys.event(event.id).followup)
    assert await book.rebuild(event.id) == 4
    assert await book.marks(event.id) == before

    # A hire undone: its marks leave the figures.
    await server.app[APPLICATIONS].change_status(
        event.id, new, Status.REJECTED, by="staff", now=int(time.time() * 1000)
    )
    status, listing = await server.call("GET", base, token=staff)
    assert listing["retention"]["hires"] == 2
    assert listing["retention"]["7d"]["left"] == 0


async def test_an_employer_marks_only_its_own_hires_and_sees_only_its_own(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    sf = await grant(server, event, SF, "王经理")
    nb = await grant(server, event, NB)
    own = await applied(server, event, "sf1", "13700000001", **consent_for(SF))
    masked = await applied(server, event, "sf2", "13700000002")
    other = await applied(server, event, "nb1", "13700000003")
    for app_id in (own, masked, other):
        await hire(server, event, app_id, 10)
    base = f"/api/events/{event.id}/employer/followups"

    status, listing = await server.call("GET", base, token=sf)
    assert status == 200, listing
    rows = {row["application_id"]: row for row in listing["hires"]}
    assert set(rows) == {own, masked}
    assert rows[own]["phone"] == "13700000001"
    assert rows[masked]["phone"] == "137****0002" and not rows[masked]["consented"]
    assert listing["retention"]["hires"] == 2

    status, reply = await server.call(
        "PUT", f"{base}/{other}", token=sf, json_body=mark("7d", "left")
    )
    assert status == 403, reply
    status, reply = await server.call(
        "PUT", f"{base}/{own}", token=sf, json_body=mark("7d", "retained")
    )
    assert status == 200, reply
    assert reply["role"] == "employer" and reply["by"] == SF
    # Staff see the employer's mark, with who made it.
    status, listing = await server.call(
        "GET", f"/api/events/{event.id}/followups", token=event.staff_token
    )
    row = next(r for r in listing["hires"] if r["application_id"] == own)
    assert row["checks"]["7d"]["mark"]["role"] == "employer"
    # The staff routes are not an employer's, nor the employer's routes staff's.
    status, _ = await server.call("GET", f"/api/events/{event.id}/followups", token=nb)
    assert status == 403
    status, _ = await server.call("GET", base, token=event.staff_token)
    assert status == 403


async def test_the_summary_shows_retention_per_fair_per_employer_and_across_fairs(
    server: LiveServer,
) -> None:
    ids = []
    for n, result in enumerate(("retained", "left")):
        event = await server.create_event(jobs=JOBS)
        app_id = await applied(server, event, "nb1", f"1370000001{n}")
        await hire(server, event, app_id, 8)
        status, reply = await server.call(
            "PUT",
            f"/api/events/{event.id}/followups/{app_id}",
            token=event.staff_token,
            json_body=mark("7d", result),
        )
        assert status == 200, reply
        ids.append(event.id)
    status, report = await server.call("GET", "/api/summary", token=ADMIN_TOKEN)
    assert status == 200, report
    rows = {row["event_id"]: row for row in report["events"]}
    assert [rows[i]["retention"]["7d"]["rate"] for i in ids] == [1.0, 0.0]
    assert report["retention"]["7d"]["retained"] == 1 and report["retention"]["7d"]["left"] == 1
    assert report["retention"]["7d"]["rate"] == 0.5
    assert report["retention"]["30d"]["not_due"] == 2
    nb = next(r for r in report["retention_by_employer"] if r["employer"] == NB)
    assert nb["hires"] == 2 and nb["7d"]["rate"] == 0.5
