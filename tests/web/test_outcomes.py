"""Employers' outcome sheets through POST /api/events/{id}/outcomes."""

from __future__ import annotations

from typing import Any

from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer


async def _event_with_applications(server: LiveServer) -> tuple[Event, dict[str, str]]:
    event = await server.create_event()
    await server.push(event, "j1")
    ids = {}
    for job, phone in (("j1", "13800000001"), ("j2", "13800000002"), ("j3", "13800000003")):
        status, body = await server.apply(event, job, phone)
        assert status == 201, body
        ids[phone] = body["application_id"]
    return event, ids


async def post(
    server: LiveServer, event: Event, sheet: str, query: str = "", token: str | None = None
) -> tuple[int, Any]:
    return await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes{query}",
        token=token or event.staff_token,
        data=sheet.encode("gbk"),
        headers={"Content-Type": "text/csv"},
    )


SHEET = (
    "手机号,职位名称,职位编号,结果\r\n"
    "138 0000 0001,片区运营主管,,录用\r\n"  # by phone + title
    "+86 13800000002,,j2,不合适\r\n"  # by phone + job id
    "13900000009,仓储管理员,,录用\r\n"  # nobody with this phone: unmatched
)


async def test_dry_run_then_apply_by_phone_and_job(server: LiveServer) -> None:
    event, ids = await _event_with_applications(server)
    status, report = await post(server, event, SHEET, "?dry_run=1")
    assert status == 200, report
    assert report["dry_run"] is True and report["changed"] == 2
    assert [(c["application_id"], c["from"], c["to"]) for c in report["changes"]] == [
        (ids["13800000001"], "applied", "hired"),
        (ids["13800000002"], "applied", "rejected"),
    ]
    assert [u["row"] for u in report["unmatched"]] == [4]
    assert "13900000009" not in str(report)  # the report carries no phone numbers
    assert (await server.stats(event))["hires"] == 0  # a dry run changes nothing

    status, report = await post(server, event, SHEET)
    assert status == 200 and report["changed"] == 2 and len(report["unmatched"]) == 1
    stats = await server.stats(event)
    assert stats["hires"] == 1
    # Every change is in the status stream with who, when, from and to.
    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).status)
    moves = [codec.unpack(fields[b"d"]) for _sid, fields in entries]
    assert {(m["application_id"], m["from"], m["to"], m["by"]) for m in moves} == {
        (ids["13800000001"], "applied", "hired", "staff"),
        (ids["13800000002"], "applied", "rejected", "staff"),
    }
    assert all(isinstance(m["at"], int) for m in moves)
    # The same sheet again changes nothing.
    status, report = await post(server, event, SHEET)
    assert report["changed"] == 0 and report["unchanged"] == 2


async def test_by_application_id_problems_and_roles(server: LiveServer) -> None:
    event, ids = await _event_with_applications(server)
    sheet = (
        "申请编号,状态\r\n"
        f"{ids['13800000003']},已面试\r\n"
        "999999,录用\r\n"
        f"{ids['13800000001']},不知道\r\n"
    )
    status, report = await post(server, event, sheet)
    assert status == 200, report
    assert [(c["application_id"], c["to"]) for c in report["changes"]] == [
        (ids["13800000003"], "interviewed")
    ]
    assert [u["row"] for u in report["unmatched"]] == [3]
    assert [p["row"] for p in report["problems"]] == [4]
    assert (await post(server, event, sheet, token=event.host_token))[0] == 403
    status, body = await post(server, event, "name,comment\r\na,b\r\n")
    assert status == 422 and "file" in body["error"]["fields"]
