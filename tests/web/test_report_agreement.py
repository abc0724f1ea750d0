"""The fair report, stats and the cities' rows agree after corrections and a purge (review
r4): hires counted in the overview equal the sum over cities, jobs and employers, before and
after a hire is corrected and after the event's personal data is purged. Real server, store."""

from __future__ import annotations

from typing import Any

from tests.support import ADMIN_TOKEN, LiveServer
from tests.web.test_attribution import _two_city_event


def _hires(report: dict[str, Any], section: str) -> int:
    return sum(row.get("hires") or 0 for row in report[section])


async def _check(server: LiveServer, event: Any, expected: int) -> None:
    status, report = await server.call(
        "GET", f"/api/events/{event.id}/report", token=event.staff_token
    )
    assert status == 200, report
    stats = await server.stats(event)
    assert stats["hires"] == expected, stats
    assert report["overview"]["hires"] == expected, report["overview"]
    for section in ("by_city", "by_job", "by_employer", "by_channel", "by_venue"):
        assert _hires(report, section) == expected, (section, report[section])
    assert sum(row["hires"] for row in stats["by_city"]) == expected


async def test_hires_agree_across_views_after_a_correction_and_a_purge(
    server: LiveServer,
) -> None:
    event = await _two_city_event(server)
    ids = []
    for job, phone, extra in (
        ("nb1", "13800000001", {"city": "宁波"}),
        ("hz1", "13800000002", {"city": "杭州"}),
        ("x1", "13800000003", {}),
    ):
        status, body = await server.apply(event, job, phone, **extra)
        assert status == 201, body
        ids.append(body["application_id"])

    async def mark(application_id: Any, status_word: str) -> None:
        status, body = await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications/{application_id}",
            token=event.staff_token,
            json_body={"status": status_word},
        )
        assert status == 200, body

    for application_id in ids:
        await mark(application_id, "hired")
    await _check(server, event, 3)
    await mark(ids[0], "rejected")  # a correction
    await _check(server, event, 2)
    for state in ("ended",):  # the two-city event is live already
        status, body = await server.call(
            "POST",
            f"/api/events/{event.id}/state",
            token=event.host_token,
            json_body={"state": state},
        )
        assert status == 200, body
    status, body = await server.call(
        "POST", f"/api/events/{event.id}/purge", token=ADMIN_TOKEN, json_body={}
    )
    assert status == 200, body
    await _check(server, event, 2)
