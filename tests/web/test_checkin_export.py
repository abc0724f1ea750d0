"""The check-ins export (issue 16 part 4): ``/export/checkins.csv|.xlsx`` for staff, through
the export machinery, with the applications' rules: staff and admin only, audited, formula
cells escaped, worded for people or raw, and no name or phone left after the event's purge.
A real server on a real store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from liveevent.office.checkin_table import CHECKIN_COLUMNS
from tests.support import ADMIN_TOKEN, Event, LiveServer


async def _get(server: LiveServer, path: str, token: str) -> tuple[int, bytes]:
    assert server.session is not None
    headers = {"Authorization": f"Bearer {token}"}
    async with server.session.get(server.url + path, headers=headers) as resp:
        return resp.status, await resp.read()


async def _fair(server: LiveServer) -> tuple[Event, dict[str, str]]:
    """Two venues in two cities; three people check in (one at both), one twice."""
    event = await server.create_event()
    venues = {}
    for name, city in (("杭州主会场", "杭州"), ("宁波服务站", "宁波")):
        status, made = await server.call(
            "POST",
            f"/api/events/{event.id}/venues",
            token=event.staff_token,
            json_body={"name": name, "city": city},
        )
        assert status == 201, made
        venues[city] = made["venue"]["id"]
    for city, person, phone in (
        ("杭州", "张三", "13800000001"),
        ("杭州", "=cmd|' /C calc'!A0", "13800000002"),
        ("宁波", "张三", "13800000001"),
        ("杭州", "张三", "138 0000 0001"),  # again: the same check-in
    ):
        status, _ = await server.call(
            "POST",
            f"/api/events/{event.id}/venues/{venues[city]}/checkins",
            json_body={"name": person, "phone": phone, "consent": True},
        )
        assert status in (200, 201)
    return event, venues


async def test_staff_export_the_check_ins(server: LiveServer, tmp_path: Path) -> None:
    event, venues = await _fair(server)
    base = f"/api/events/{event.id}/export"
    status, raw = await _get(server, f"{base}/checkins.csv?form=raw", event.staff_token)
    assert status == 200
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CHECKIN_COLUMNS
    got = [(r["venue_id"], r["venue"], r["city"], r["name"], r["phone"]) for r in rows]
    assert got == [
        (venues["杭州"], "杭州主会场", "杭州", "张三", "13800000001"),
        (venues["杭州"], "杭州主会场", "杭州", "'=cmd|' /C calc'!A0", "13800000002"),
        (venues["宁波"], "宁波服务站", "宁波", "张三", "13800000001"),
    ]
    assert all(r["consent"] == "True" or r["consent"] == "TRUE" for r in rows)
    stats = await server.stats(event)
    assert len(rows) == stats["onsite"]["checked_in"] == 3

    status, people = await _get(server, f"{base}/checkins.csv", event.staff_token)
    assert status == 200
    header = people.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("签到编号,会场编号,会场,城市,姓名,手机号") and "北京时间" in header

    status, xlsx = await _get(server, f"{base}/checkins.xlsx?lang=en", ADMIN_TOKEN)
    assert status == 200
    (tmp_path / "c.xlsx").write_bytes(xlsx)
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    assert sheet is not None and sheet.title == "check-ins"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["check-in ID", "venue ID", "venue"] and len(values) == 4

    # Staff only (a host, an overlay, a station, anonymous: refused), and audited.
    station = await _station(server, event, venues["杭州"])
    for token in (event.host_token, event.overlay_token, station):
        assert (await _get(server, f"{base}/checkins.csv", token))[0] == 403


async def _station(server: LiveServer, event: Event, venue: str) -> str:
    status, made = await server.call(
        "POST", f"/api/events/{event.id}/venues/{venue}/stations", token=event.staff_token
    )
    assert status == 201
    return str(made["token"])


async def test_no_name_or_phone_after_the_purge(server: LiveServer) -> None:
    event, _ = await _fair(server)
    status, _ = await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    assert status == 200
    status, _ = await server.call("POST", f"/api/events/{event.id}/purge", token=ADMIN_TOKEN)
    assert status == 200
    status, raw = await _get(
        server, f"/api/events/{event.id}/export/checkins.csv?form=raw", event.staff_token
    )
    assert status == 200
    text = raw.decode("utf-8-sig")
    assert text.splitlines() == [",".join(CHECKIN_COLUMNS)]
    assert "张三" not in text and "13800000001" not in text
    assert (await server.stats(event))["onsite"]["checked_in"] == 3  # the counts stay
