"""Employers at the table through a real server: access, own applicants, consent, progress."""

from __future__ import annotations

from typing import Any

import pytest

from liveevent.domain.consent import CURRENT_VERSION
from liveevent.store import codec
from liveevent.web import employers
from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer

JOBS = [
    {"id": "sf1", "employer": "顺丰速运（杭州）有限公司", "title": "快递员", "openings": 5},
    {"id": "sf2", "employer": "顺丰速运(杭州)有限公司 ", "title": "仓管", "openings": 2},
    {"id": "nb1", "employer": "宁波港集团", "title": "理货员", "openings": 3},
]
SF = "顺丰速运（杭州）有限公司"


async def grant(server: LiveServer, event: Event, name: str, contact: str | None = None) -> str:
    body: dict[str, Any] = {"name": name}
    if contact is not None:
        body["contact"] = contact
    status, reply = await server.call(
        "POST", f"/api/events/{event.id}/employers", token=event.staff_token, json_body=body
    )
    assert status == 201, reply
    assert reply["link"] == f"/employer/{event.id}#token={reply['token']}"
    return str(reply["token"])


def consent_for(employer: str) -> dict[str, Any]:
    return {"consent": True, "consent_version": CURRENT_VERSION, "consent_to": employer}


async def test_staff_give_access_by_the_name_on_the_jobs_in_any_spacing_or_width(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    path = f"/api/events/{event.id}/employers"
    status, reply = await server.call(
        "POST",
        path,
        token=event.staff_token,
        json_body={"name": " 顺丰速运 (杭州) 有限公司", "contact": "王经理 0571-8888"},
    )
    assert status == 201, reply
    assert reply["employer"] == SF  # as its first job writes it
    # A name no job has is refused, naming the field; so is a missing one, or an extra field.
    for body in ({"name": "顺丰速运"}, {}, {"name": SF, "token": "x"}):
        status, reply = await server.call("POST", path, token=event.staff_token, json_body=body)
        assert status == 422, reply
    status, reply = await server.call("POST", path, token=event.staff_token, json_body={})
    assert "name" in reply["error"]["fields"]
    # Only staff (and admin) give access.
    for token in (event.host_token, event.overlay_token, reply.get("token", "nope")):
        status, _ = await server.call("POST", path, token=token, json_body={"name": SF})
        assert status == 403
    # The apply form's consent names each employer's contact (null when staff gave none).
    status, reply = await server.call("GET", f"/api/events/{event.id}/recipients")
    assert status == 200
    assert reply["version"] == CURRENT_VERSION
    assert reply["recipients"] == {
        SF: "王经理 0571-8888",
        "顺丰速运(杭州)有限公司": "王经理 0571-8888",  # (stored trimmed)
        "宁波港集团": None,
    }


async def test_an_employer_sees_only_its_own_applicants_in_full_only_under_consent(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    sf = await grant(server, event, SF, "王经理")
    await grant(server, event, "宁波港集团")
    await server.push(event, "sf1")
    applied = [
        await server.apply(event, "sf1", "13700000001", "李卫国", **consent_for(SF)),
        # the same employer written another way, on its other job
        await server.apply(
            event, "sf2", "13700000002", "韩梅梅", **consent_for(" 顺丰速运(杭州)有限公司")
        ),
        await server.apply(event, "sf1", "13700000003", "王强", consent=True),  # old form
        await server.apply(event, "sf1", "13700000004", "赵敏", **consent_for("宁波港集团")),
        await server.apply(event, "sf2", "13700000005", "孙丽"),  # no consent at all
        await server.apply(event, "nb1", "13700000006", "周杰", **consent_for("宁波港集团")),
    ]
    assert all(status == 201 for status, _ in applied), applied

    status, page = await server.call(
        "GET", f"/api/events/{event.id}/employer/applications", token=sf
    )
    assert status == 200, page
    assert page["total"] == 5
    rows = {row["phone"][-4:]: row for row in page["applications"]}
    assert list(rows) == ["0005", "0004", "0003", "0002", "0001"]  # newest first
    assert rows["0001"]["phone"] == "13700000001" and rows["0001"]["name"] == "李卫国"
    assert rows["0002"]["phone"] == "13700000002" and rows["0002"]["consented"] is True
    for masked in ("0003", "0004", "0005"):
        assert rows[masked]["phone"] == f"137****{masked}", rows[masked]
        assert rows[masked]["consented"] is False
        assert rows[masked]["name"].endswith("*")
    assert "13700000006" not in str(page) and "周杰" not in str(page)

    status, one_job = await server.call(
        "GET", f"/api/events/{event.id}/employer/applications?job_id=sf2&limit=1", token=sf
    )
    assert status == 200 and one_job["total"] == 2
    assert [r["phone"] for r in one_job["applications"]] == ["137****0005"]
    for query in ("job_id=nb1", "offset=x", "offset=9990&limit=20"):
        status, reply = await server.call(
            "GET", f"/api/events/{event.id}/employer/applications?{query}", token=sf
        )
        assert status == 422, (query, reply)

    status, overview = await server.call("GET", f"/api/events/{event.id}/employer", token=sf)
    assert status == 200
    assert overview["employer"] == SF and overview["contact"] == "王经理"
    assert [job["id"] for job in overview["jobs"]] == ["sf1", "sf2"]
    assert overview["applications"] == 5
    assert overview["card"]["job"]["id"] == "sf1"  # its job is on screen


async def test_an_employer_records_intent_then_outcomes_on_its_own_applications_only(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    sf = await grant(server, event, SF)
    nb = await grant(server, event, "宁波港集团")
    _, mine = await server.apply(event, "sf1", "13700000001", **consent_for(SF))
    _, theirs = await server.apply(event, "nb1", "13700000002", **consent_for("宁波港集团"))
    base = f"/api/events/{event.id}/employer/applications"
    status, before = await server.call("GET", f"/api/events/{event.id}/employer", token=sf)
    assert status == 200

    for target in ("intent", "contacted", "interviewed", "offered", "hired"):
        status, reply = await server.call(
            "PATCH", f"{base}/{mine['application_id']}", token=sf, json_body={"status": target}
        )
        assert status == 200, reply
        assert reply["status"] == target
    status, reply = await server.call(
        "PATCH", f"{base}/{mine['application_id']}", token=sf, json_body={"status": "hired"}
    )
    assert status == 409  # already hired
    for bad in ({"status": "applied"}, {"status": "bogus"}, {"status": "hired", "x": 1}):
        status, reply = await server.call(
            "PATCH", f"{base}/{mine['application_id']}", token=sf, json_body=bad
        )
        assert status == 422, (bad, reply)
    # Another employer's application: refused, and nothing changed.
    status, reply = await server.call(
        "PATCH", f"{base}/{theirs['application_id']}", token=sf, json_body={"status": "hired"}
    )
    assert status == 403, reply
    status, reply = await server.call(
        "PATCH", f"{base}/99999", token=sf, json_body={"status": "hired"}
    )
    assert status == 404
    stats = await server.stats(event)
    assert stats["hires"] == 1
    assert {j["job_id"]: j["hires"] for j in stats["jobs"]} == {"sf1": 1, "sf2": 0, "nb1": 0}

    # Every change is in the status stream with who (the grant's name) and the role.
    store = server.app[STORE]
    entries = await store.reader.xrange(store.keys.event(event.id).status)
    records = [codec.unpack(fields[b"d"]) for _, fields in entries]
    assert [(r["to"], r["by"], r.get("role")) for r in records] == [
        (s, SF, "employer") for s in ("intent", "contacted", "interviewed", "offered", "hired")
    ]

    status, after = await server.call("GET", f"/api/events/{event.id}/employer", token=sf)
    assert after["cursor"] != before["cursor"]
    assert after["jobs"][0]["hires"] == 1
    status, other = await server.call("GET", f"/api/events/{event.id}/employer", token=nb)
    assert [job["id"] for job in other["jobs"]] == ["nb1"]
    assert other["card"] is None


async def test_staff_see_every_employers_progress_including_who_has_not_reported(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    sf = await grant(server, event, SF, "王经理")
    await grant(server, event, SF)  # a second person at the table
    ids = []
    for n, job in enumerate(("sf1", "sf1", "sf2", "nb1")):
        _, body = await server.apply(event, job, f"1370000000{n}", **consent_for(SF))
        ids.append(body["application_id"])
    base = f"/api/events/{event.id}/employer/applications"
    for app_id, target in ((ids[0], "intent"), (ids[1], "hired"), (ids[2], "no_show")):
        status, _ = await server.call(
            "PATCH", f"{base}/{app_id}", token=sf, json_body={"status": target}
        )
        assert status == 200

    status, reply = await server.call(
        "GET", f"/api/events/{event.id}/employers", token=event.staff_token
    )
    assert status == 200, reply
    by_name = {row["employer"]: row for row in reply["employers"]}
    assert list(by_name) == [SF, "宁波港集团"]
    sf_row, nb_row = by_name[SF], by_name["宁波港集团"]
    assert {k: sf_row[k] for k in ("jobs", "applications", "intents", "reported", "open")} == {
        "jobs": 2,
        "applications": 3,
        "intents": 1,
        "reported": 2,
        "open": 1,
    }
    assert sf_row["hires"] == 1 and sf_row["tokens"] == 2 and sf_row["contact"] == "王经理"
    assert sf_row["last_report_at"] is not None
    # 宁波港集团 has no token and has reported nothing: staff see that.
    assert nb_row["tokens"] == 0 and nb_row["reported"] == 0 and nb_row["open"] == 1
    assert nb_row["last_report_at"] is None
    assert "token" not in str(reply).replace("tokens", "")
    # A staff change counts as a report too (staff enter what an employer phoned in).
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{ids[3]}",
        token=event.staff_token,
        json_body={"status": "contacted"},
    )
    assert status == 200
    _, reply = await server.call(
        "GET", f"/api/events/{event.id}/employers", token=event.staff_token
    )
    nb_row = reply["employers"][1]
    assert nb_row["reported"] == 1 and nb_row["last_report_at"] is not None
    for token in (event.host_token, sf):
        status, _ = await server.call("GET", f"/api/events/{event.id}/employers", token=token)
        assert status == 403


async def test_the_number_of_employer_links_is_limited(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(employers, "MAX_GRANTS", 2)
    event = await server.create_event(jobs=JOBS)
    await grant(server, event, SF)
    await grant(server, event, SF)
    status, reply = await server.call(
        "POST",
        f"/api/events/{event.id}/employers",
        token=event.staff_token,
        json_body={"name": SF},
    )
    assert status == 422 and "name" in reply["error"]["fields"]
