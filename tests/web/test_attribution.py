"""Cities and channels over HTTP and the viewer socket, on a real server and store: roles,
422s naming the field, the stats' by_city/by_channel/... and the QR code of a channel."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import segno

from liveevent.office.summary import summary
from liveevent.web.appkeys import APPLICATIONS, EVENTS
from tests.support import ADMIN_TOKEN, Event, LiveServer, eventually

JOBS = [
    {"id": "nb1", "employer": "宁波港", "title": "理货员", "openings": 10, "city": "浙江省宁波市"},
    {
        "id": "hz1",
        "employer": "宁波港",
        "title": "理货员",
        "openings": 4,
        "location": "杭州市余杭区",
    },
    {"id": "x1", "employer": "某公司", "title": "司机", "openings": 2, "location": "文三路90号"},
]


async def _two_city_event(server: LiveServer) -> Event:
    status, body = await server.call(
        "POST",
        "/api/events",
        token=ADMIN_TOKEN,
        json_body={"title": "两城联播招聘会", "cities": ["杭州", "宁波"]},
    )
    assert status == 201, body
    assert body["cities"] == ["杭州", "宁波"]
    event = Event(body["id"], body["host_token"], body["staff_token"], body["overlay_token"])
    for path, token, json_body in (
        (f"/api/events/{event.id}/jobs", event.staff_token, JOBS),
        (f"/api/events/{event.id}/state", event.host_token, {"state": "live"}),
    ):
        status, body = await server.call("POST", path, token=token, json_body=json_body)
        assert status in (200, 201), body
    return event


async def _channel(server: LiveServer, event: Event, name: str) -> dict[str, Any]:
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/channels",
        token=event.staff_token,
        json_body={"name": name},
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def test_jobs_take_the_events_city_names(server: LiveServer) -> None:
    event = await _two_city_event(server)
    _, body = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert {j["id"]: j["city"] for j in body["jobs"]} == {"nb1": "宁波", "hz1": "杭州", "x1": None}


async def test_staff_set_cities_and_jobs_follow(server: LiveServer) -> None:
    event = await server.create_event(
        jobs=[{"id": "a", "employer": "e", "title": "t", "city": "Ningbo"}]
    )
    path = f"/api/events/{event.id}/cities"
    assert (await server.call("PUT", path, json_body={"cities": ["宁波"]}))[0] == 401
    assert (await server.call("PUT", path, token=event.host_token, json_body={}))[0] == 403
    status, body = await server.call("PUT", path, token=event.staff_token, json_body={"cities": 3})
    assert status == 422 and "cities" in body["error"]["fields"]
    status, body = await server.call("PUT", path, token=event.staff_token, json_body={})
    assert status == 422 and "cities" in body["error"]["fields"]
    status, body = await server.call(
        "PUT", path, token=event.staff_token, json_body={"cities": ["宁波", "杭州"]}
    )
    assert (status, body) == (200, {"cities": ["宁波", "杭州"]})
    _, view = await server.call("GET", f"/api/events/{event.id}")
    assert view["cities"] == ["宁波", "杭州"]
    _, jobs = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert jobs["jobs"][0]["city"] == "宁波"


async def test_channel_roles_and_answers(server: LiveServer) -> None:
    event = await _two_city_event(server)
    path = f"/api/events/{event.id}/channels"
    assert (await server.call("POST", path, json_body={"name": "抖音"}))[0] == 401
    for token in (event.host_token, event.overlay_token):
        status, _ = await server.call("POST", path, token=token, json_body={"name": "抖音"})
        assert status == 403
    status, body = await server.call("POST", path, token=event.staff_token, json_body={})
    assert status == 422 and "name" in body["error"]["fields"]
    status, body = await server.call("POST", path, token=event.staff_token, json_body={"nm": 1})
    assert status == 422
    made = await _channel(server, event, "视频号")
    assert made["link"].endswith(f"/e/{event.id}?ch={made['id']}")
    assert made["qr"] == f"/api/events/{event.id}/qr.svg?ch={made['id']}"
    status, again = await server.call(
        "POST", path, token=event.staff_token, json_body={"name": "视频号"}
    )
    assert (status, again) == (200, made)
    assert (await server.call("GET", path))[0] == 401
    assert (await server.call("GET", path, token=event.overlay_token))[0] == 403
    for token in (event.staff_token, event.host_token):
        status, listed = await server.call("GET", path, token=token)
        assert (status, listed) == (200, {"channels": [made]})
    status, svg = await server.call("GET", made["qr"])
    assert status == 200 and "<svg" in svg
    status, _ = await server.call("GET", f"/api/events/{event.id}/qr.svg?ch=nope")
    assert status == 404


async def test_applications_with_unknown_city_or_channel_are_refused(server: LiveServer) -> None:
    event = await _two_city_event(server)
    made = await _channel(server, event, "抖音")
    for extra, field in (
        ({"city": "上海"}, "city"),
        ({"channel": "nope"}, "channel"),
        ({"city": "x" * 21}, "city"),
        ({"channel": "no spaces"}, "channel"),
    ):
        status, body = await server.apply(event, "nb1", "13800000001", **extra)
        assert status == 422, body
        assert field in body["error"]["fields"]
    assert (await server.stats(event))["applications"] == 0
    # Over the websocket too: an error naming the field, nothing stored.
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    await viewer.send(
        {"type": "apply", "ref": 1, "job_id": "nb1", "name": "李四", "phone": "13800000002",
         "city": "上海"}
    )  # fmt: skip
    error = await viewer.next_of("error")
    assert error["ref"] == 1 and "city" in error["fields"]
    await viewer.send(
        {"type": "apply", "ref": 2, "job_id": "nb1", "name": "李四", "phone": "13800000002",
         "city": "宁波", "channel": made["id"]}
    )  # fmt: skip
    applied = await viewer.next_of("applied")
    assert applied["ref"] == 2
    await viewer.close()
    status, body = await server.apply(event, "hz1", "13800000003", city="杭州", channel=made["id"])
    assert status == 201, body


async def test_stats_carry_figures_by_city_and_channel(server: LiveServer) -> None:
    event = await _two_city_event(server)
    wx = (await _channel(server, event, "视频号"))["id"]
    for job, phone, extra in (
        ("nb1", "13800000001", {"city": "宁波", "channel": wx}),
        ("hz1", "13800000001", {"city": "宁波", "channel": wx}),
        ("hz1", "13800000002", {"city": "杭州"}),
        ("x1", "13800000003", {}),
    ):
        status, body = await server.apply(event, job, phone, **extra)
        assert status == 201, body
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/1",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    await viewer.send({"type": "hello", "viewer": "v-1", "city": "宁波", "channel": wx})
    await viewer.send({"type": "hello", "viewer": "v-1", "city": "上海"})
    error = await viewer.next_of("error")
    assert "city" in error["fields"]

    async def counted() -> bool:
        return bool((await server.stats(event))["unique_viewers"] == 1)

    assert await eventually(counted, 5)
    stats = await server.stats(event)
    assert stats["by_city"] == [
        {"city": "杭州", "viewers": 0, "applications": 1, "applicants": 1, "hires": 0,
         "jobs": 1, "openings": 4},
        {"city": "宁波", "viewers": 1, "applications": 2, "applicants": 1, "hires": 1,
         "jobs": 1, "openings": 10},
        {"city": None, "viewers": None, "applications": 1, "hires": 0, "jobs": 1, "openings": 2},
    ]  # fmt: skip
    assert stats["by_channel"] == [
        {"channel": wx, "name": "视频号", "viewers": 1, "applications": 2, "hires": 1},
        {"channel": None, "name": None, "viewers": None, "applications": 2, "hires": 0},
    ]
    assert stats["by_channel_city"] == [
        {"channel": wx, "name": "视频号", "city": "宁波", "viewers": 1, "applications": 2,
         "hires": 1},
    ]  # fmt: skip
    assert stats["by_source"][0] == {"source": "live", "applications": 4, "hires": 1}
    assert stats["by_venue"] == [{"venue": None, "applications": 4, "hires": 1}]
    await viewer.close()


@pytest.mark.parametrize("bad", [{"viewer": ""}, {"viewer": "a b"}, {"viewer": "v", "x": 1}])
async def test_a_bad_hello_is_answered_with_an_error(
    server: LiveServer, bad: dict[str, Any]
) -> None:
    event = await _two_city_event(server)
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    await viewer.send({"type": "hello", **bad})
    assert (await viewer.next_of("error"))["code"]
    await viewer.close()


async def test_a_sheet_posting_in_two_cities_is_two_jobs(server: LiveServer) -> None:
    event = await _two_city_event(server)
    sheet = (
        "单位,岗位,招聘人数,工作地点\n"
        "顺丰速运,快递员,5,浙江省宁波市北仑区\n"
        "顺丰速运,快递员,3,杭州市西湖区\n"
    )
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        data=sheet.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 201, body
    _, listed = await server.call("GET", f"/api/events/{event.id}/jobs")
    couriers = [j for j in listed["jobs"] if j["title"] == "快递员"]
    assert sorted((j["city"], j["openings"]) for j in couriers) == [("宁波", 5), ("杭州", 3)]
    assert len({j["id"] for j in couriers}) == 2


async def test_exports_carry_city_and_channel(server: LiveServer) -> None:
    event = await _two_city_event(server)
    wx = (await _channel(server, event, "视频号"))["id"]
    status, _ = await server.apply(event, "nb1", "13800000001", city="宁波", channel=wx)
    assert status == 201
    status, _ = await server.apply(event, "x1", "13800000002")
    assert status == 201
    base = f"/api/events/{event.id}/export"
    status, text = await server.call("GET", f"{base}/applications.csv", token=event.staff_token)
    assert status == 200
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][-3:-1] == ["所在城市", "推广渠道"]
    assert [r[-3:-1] for r in rows[1:]] == [["宁波", "视频号"], ["", ""]]
    for query, host_status in (("", 403), ("?form=raw", 403)):
        status, _ = await server.call(
            "GET", f"{base}/attribution.csv{query}", token=event.host_token
        )
        assert status == host_status
    status, text = await server.call(
        "GET", f"{base}/attribution.csv?form=raw", token=event.staff_token
    )
    assert status == 200
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    stats = await server.stats(event)
    by_city = {r["value"]: r for r in table if r["dimension"] == "city"}
    for row in stats["by_city"]:
        exported = by_city[row["city"] or ""]
        assert int(exported["applications"]) == row["applications"]
        assert int(exported["openings"]) == row["openings"]
    channels = [r for r in table if r["dimension"] == "channel" and r["value"] == wx]
    assert channels[0]["name"] == "视频号" and channels[0]["applications"] == "1"


async def test_the_summary_has_the_figures_by_city(server: LiveServer) -> None:
    first, second = await _two_city_event(server), await _two_city_event(server)
    for event, phone in ((first, "13800000001"), (second, "13800000002")):
        status, _ = await server.apply(event, "nb1", phone, city="宁波")
        assert status == 201
    status, _ = await server.apply(first, "hz1", "13800000003")
    assert status == 201
    report = await summary(server.app[EVENTS], server.app[APPLICATIONS])
    stats = await server.stats(first)
    row = next(e for e in report["events"] if e["event_id"] == first.id)
    assert row["by_city"] == stats["by_city"] and row["by_channel"] == stats["by_channel"]
    assert report["by_city"] == [
        {"city": "宁波", "viewers": 0, "applications": 2, "applicants": 2, "hires": 0,
         "jobs": 2, "openings": 20},
        {"city": "杭州", "viewers": 0, "applications": 0, "applicants": 0, "hires": 0,
         "jobs": 2, "openings": 8},
        {"city": None, "applications": 1, "hires": 0, "jobs": 2, "openings": 4},
    ]  # fmt: skip


async def test_a_qr_code_carries_the_job_and_the_channel(server: LiveServer) -> None:
    event = await _two_city_event(server)
    ch = (await _channel(server, event, "公众号推文"))["id"]
    status, svg = await server.call("GET", f"/api/events/{event.id}/qr.svg?job=nb1&ch={ch}")
    assert status == 200
    out = io.BytesIO()
    expected = f"{server.url}/e/{event.id}?job=nb1&ch={ch}"
    segno.make(expected, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    assert svg == out.getvalue().decode()
