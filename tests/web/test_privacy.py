"""Applicants' personal data: masking per role, purge and retention, nothing in the logs."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from liveevent.store.purge import ended_at, purge_expired
from liveevent.web.appkeys import STORE
from tests.support import ADMIN_TOKEN, Event, LiveServer

PHONES = ("13811112222", "13933334444")
NAMES = ("欧阳娜娜", "Zhang Wei")


async def _fair(server: LiveServer) -> tuple[Event, list[str]]:
    event = await server.create_event()
    await server.push(event, "j1")
    ids = []
    for phone, name in zip(PHONES, NAMES, strict=True):
        status, body = await server.apply(event, "j1", phone, name=name, consent=True)
        assert status == 201, body
        ids.append(body["application_id"])
    await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{ids[0]}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    return event, ids


async def _everything_stored(server: LiveServer, event: Event) -> bytes:
    """Every key, field and value of the event in the store, as one blob to search."""
    conn = server.app[STORE]
    out = []
    async for key in conn.reader.scan_iter(match=f"{conn.keys.prefix}:{{{event.id}}}:*"):
        kind = (await conn.reader.type(key)).decode()
        out.append(key)
        if kind == "stream":
            for _sid, fields in await conn.reader.xrange(key):
                out.extend(k + v for k, v in fields.items())
        elif kind == "hash":
            out.extend(k + v for k, v in (await conn.reader.hgetall(key)).items())
    return b"\n".join(out)


async def test_hosts_see_masked_phones_staff_full(server: LiveServer) -> None:
    event, _ = await _fair(server)
    path = f"/api/events/{event.id}/applications"
    _, host = await server.call("GET", path, token=event.host_token)
    _, staff = await server.call("GET", path, token=event.staff_token)
    assert [a["phone"] for a in host["applications"]] == ["138****2222", "139****4444"]
    assert [a["phone"] for a in staff["applications"]] == list(PHONES)
    assert all(a["consent"] is True for a in staff["applications"])  # stored with the record
    for export in ("applications.csv", "applications.xlsx", "workbook.xlsx"):
        status, _ = await server.call(
            "GET", f"/api/events/{event.id}/export/{export}", token=event.host_token
        )
        assert status == 403
    _, stats = await server.call("GET", f"/api/events/{event.id}/stats", token=event.host_token)
    assert not any(p in str(stats) for p in PHONES)


async def test_purge_removes_names_and_phones_keeps_counts(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    event, ids = await _fair(server)
    purge = f"/api/events/{event.id}/purge"
    assert (await server.call("POST", purge, token=event.staff_token))[0] == 403
    assert (await server.call("POST", purge, token=ADMIN_TOKEN))[0] == 409  # still live
    before = await server.stats(event)
    blob = await _everything_stored(server, event)
    assert all(p.encode() in blob for p in PHONES) and NAMES[0].encode() in blob
    await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    status, body = await server.call("POST", purge, token=ADMIN_TOKEN)
    assert status == 200 and body["applications"] == 2 and body["applicants"] == 2

    blob = await _everything_stored(server, event)
    for secret in (*PHONES, *NAMES, "2222", "4444"):
        assert secret.encode() not in blob, secret
    after = await server.stats(event)
    for key in ("applications", "applicants", "hires", "cards_pushed"):
        assert after[key] == before[key], key
    _, listed = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    assert [a["application_id"] for a in listed["applications"]] == ids
    assert [a["status"] for a in listed["applications"]] == ["hired", "applied"]
    _, csv_text = await server.call(
        "GET", f"/api/events/{event.id}/export/applications.csv", token=event.staff_token
    )
    assert not any(s in csv_text for s in (*PHONES, *NAMES))
    assert (await server.apply(event, "j1", "13755556666"))[0] == 409  # takes no more
    assert (await server.call("POST", purge, token=ADMIN_TOKEN))[0] == 200  # harmless again
    # Nothing personal reached the server's logs at any point.
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert not any(s in logged for s in (*PHONES, *NAMES))


async def test_retention_purges_events_ended_long_ago(server: LiveServer) -> None:
    event, _ = await _fair(server)
    conn = server.app[STORE]
    await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    ended = await ended_at(conn, event.id)
    assert ended is not None
    assert await purge_expired(conn, [event.id], retention_days=30, now=ended + 86_400_000) == []
    done = await purge_expired(conn, [event.id], retention_days=30, now=ended + 31 * 86_400_000)
    assert [r.event_id for r in done] == [event.id]
    assert PHONES[0].encode() not in await _everything_stored(server, event)


async def test_summary_is_admin_only_with_peak_viewers(server: LiveServer) -> None:
    event, _ = await _fair(server)
    viewer = await server.viewer(event)
    await viewer.next()
    assert (await server.call("GET", "/api/summary", token=event.staff_token))[0] == 403
    for _ in range(50):
        status, report = await server.call("GET", "/api/summary", token=ADMIN_TOKEN)
        assert status == 200
        row = next(e for e in report["events"] if e["event_id"] == event.id)
        if row["viewers_peak"] >= 1:
            break
        await asyncio.sleep(0.1)
    assert row["viewers_peak"] == 1
    assert (row["applications"], row["applicants"], row["hires"]) == (2, 2, 1)
    sf = next(e for e in row["employers"] if e["employer"] == "顺丰速运有限公司")
    assert (sf["jobs"], sf["openings"], sf["applications"], sf["hires"]) == (1, 20, 2, 1)
    assert not any(p in str(report) for p in PHONES)
    await viewer.close()


async def test_summary_is_readable_utf8_json(server: LiveServer) -> None:
    """Employers' names come as written, not as ``\\uXXXX`` escapes (issue 14, part 4)."""
    await _fair(server)
    assert server.session is not None
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with server.session.get(server.url + "/api/summary", headers=headers) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        assert resp.charset == "utf-8"
        body = await resp.read()
    assert "顺丰速运有限公司".encode() in body
    assert b"\\u" not in body
    names = {e["employer"] for e in json.loads(body.decode("utf-8"))["employers"]}
    assert "顺丰速运有限公司" in names
