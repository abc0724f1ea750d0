"""Who did it (issue 16): a status change made through ``PATCH /applications[/{id}]`` or an
outcome sheet, an export and a venue's tokens record the caller's grant NAME (and role) in the
status stream's ``by`` and in the audit entries, as an employer's page does. A real server on
a real store; the streams are read back from the store."""

from __future__ import annotations

from typing import Any

from liveevent.domain.access import Grant, Role
from liveevent.store.codec import unpack
from liveevent.web.appkeys import EVENTS
from tests.support import ADMIN_TOKEN, Event, LiveServer

NAME = "杭州招聘专员"


async def _stream(server: LiveServer, event: Event, which: str) -> list[dict[str, Any]]:
    store = server.app[EVENTS].conn
    key = getattr(store.keys.event(event.id), which)
    return [unpack(f[b"d"]) for _, f in await store.reader.xrange(key)]


async def test_status_changes_and_audits_name_the_grant(server: LiveServer) -> None:
    event = await server.create_event()
    token = await server.app[EVENTS].add_grant(event.id, Grant(role=Role.STAFF, name=NAME))
    ids = []
    for phone in ("13800000001", "13800000002", "13800000003"):
        status, body = await server.apply(event, "j1", phone)
        assert status == 201
        ids.append(body["application_id"])
    base = f"/api/events/{event.id}/applications"
    status, _ = await server.call(
        "PATCH", f"{base}/{ids[0]}", token=token, json_body={"status": "contacted"}
    )
    assert status == 200
    status, _ = await server.call(
        "PATCH",
        base,
        token=event.staff_token,
        json_body={"application_ids": ids[1:], "status": "intent"},
    )
    assert status == 200
    status, _ = await server.call(
        "PATCH", f"{base}/{ids[2]}", token=ADMIN_TOKEN, json_body={"status": "hired"}
    )
    assert status == 200
    sheet = "手机号,职位编号,结果\r\n13800000001,j1,录用\r\n"
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=token,
        data=sheet.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, report
    status, _ = await server.call(
        "GET", f"/api/events/{event.id}/export/applications.csv", token=token
    )
    assert status == 200

    changes = [
        (c["application_id"], c["to"], c["by"], c.get("role"))
        for c in await _stream(server, event, "status")
    ]
    assert changes == [
        (ids[0], "contacted", NAME, "staff"),
        (ids[1], "intent", "staff", "staff"),
        (ids[2], "intent", "staff", "staff"),
        (ids[2], "hired", "admin", "admin"),
        (ids[0], "hired", NAME, "staff"),  # the outcome sheet
    ]
    audits = {a["what"]: a for a in await _stream(server, event, "audit")}
    assert (audits["outcomes import"]["by"], audits["outcomes import"]["role"]) == (NAME, "staff")
    assert (audits["export"]["by"], audits["export"]["role"]) == (NAME, "staff")
    assert token not in repr(audits)


async def test_venue_tokens_are_audited_with_who_made_them(server: LiveServer) -> None:
    event = await server.create_event()
    token = await server.app[EVENTS].add_grant(event.id, Grant(role=Role.STAFF, name=NAME))
    status, made = await server.call(
        "POST", f"/api/events/{event.id}/venues", token=token, json_body={"name": "宁波一厅"}
    )
    assert status == 201, made
    venue = made["venue"]["id"]
    stations = f"/api/events/{event.id}/venues/{venue}/stations"
    assert (await server.call("POST", stations, token=event.staff_token))[0] == 201
    assert (await server.call("DELETE", stations, token=ADMIN_TOKEN))[0] == 200
    audits = [
        (a["what"], a["venue"], a["by"], a["role"])
        for a in await _stream(server, event, "audit")
        if "venue" in a
    ]
    assert audits == [
        ("venue", venue, NAME, "staff"),
        ("station_grant", venue, NAME, "staff"),
        ("station_grant", venue, "staff", "staff"),
        ("stations_revoked", venue, "admin", "admin"),
    ]
    assert made["station"]["token"] not in repr(audits)
