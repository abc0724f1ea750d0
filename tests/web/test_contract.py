"""The HTTP contract of issue "The live event loop": paths, fields, status codes, errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator

import pytest

from tests.support import ADMIN_TOKEN, JOBS, LiveServer


async def test_healthz(server: LiveServer) -> None:
    status, body = await server.call("GET", "/healthz")
    assert status == 200 and body["ok"] is True


async def test_create_event_returns_tokens_and_get_hides_them(server: LiveServer) -> None:
    status, body = await server.call(
        "POST",
        "/api/events",
        token=ADMIN_TOKEN,
        json_body={
            "title": "春季招聘会",
            "starts_at": "2026-12-01T10:00:00+08:00",
            "stream_url": "https://live.example.cn/s.m3u8",
        },
    )
    assert status == 201
    assert set(body) >= {"id", "title", "state", "host_token", "staff_token"}
    assert body["state"] == "scheduled"
    status, event = await server.call("GET", f"/api/events/{body['id']}")
    assert status == 200
    assert event["title"] == "春季招聘会" and event["current_card"] is None
    assert event["starts_at"] == "2026-12-01T02:00:00.000Z"
    assert not any("token" in key for key in event)


async def test_jobs_upsert_and_list(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    status, body = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert status == 200 and [j["id"] for j in body["jobs"]] == ["j1", "j2", "j3"]
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        json_body=[
            {"id": "j1", "employer": "顺丰", "title": "主管", "openings": 3},
            {"employer": "比亚迪", "title": "班组长"},
        ],
    )
    assert status == 201 and body["created"] == 1 and body["updated"] == 1
    status, body = await server.call("GET", f"/api/events/{event.id}/jobs")
    jobs = {j["id"]: j for j in body["jobs"]}
    assert jobs["j1"]["employer"] == "顺丰" and len(jobs) == 4
    status, body = await server.call(
        "POST", f"/api/events/{event.id}/jobs", token=event.staff_token, json_body=[JOBS[1]]
    )
    assert status == 200 and body == {**body, "created": 0, "updated": 1}


async def test_state_machine(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    path = f"/api/events/{event.id}/state"
    status, _ = await server.call(
        "POST", f"/api/events/{event.id}/cards", token=event.host_token, json_body={"job_id": "j1"}
    )
    assert status == 409  # not live yet
    status, body = await server.call(
        "POST", path, token=event.host_token, json_body={"state": "live"}
    )
    assert status == 200 and body["state"] == "live"
    status, body = await server.call(
        "POST", path, token=event.host_token, json_body={"state": "live"}
    )
    assert status == 409 and body["error"]["code"] == "conflict"
    status, _ = await server.call(
        "POST", path, token=event.host_token, json_body={"state": "ended"}
    )
    assert status == 200
    status, _ = await server.call(
        "POST", f"/api/events/{event.id}/cards", token=event.host_token, json_body={"job_id": "j1"}
    )
    assert status == 409
    status, body = await server.call(
        "POST", path, token=event.host_token, json_body={"state": "scheduled"}
    )
    assert status == 422 and "state" in body["error"]["fields"]


async def test_push_withdraw_and_current_card(server: LiveServer) -> None:
    event = await server.create_event()
    pushed = await server.push(event, "j2")
    assert set(pushed) >= {"card_id", "job_id", "pushed_at"} and pushed["job_id"] == "j2"
    _, body = await server.call("GET", f"/api/events/{event.id}")
    assert body["current_card"]["card_id"] == pushed["card_id"]
    assert body["current_card"]["job"]["title"] == "输电线路运维员"
    status, _ = await server.call(
        "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
    )
    assert status == 204
    _, body = await server.call("GET", f"/api/events/{event.id}")
    assert body["current_card"] is None
    status, body = await server.call(
        "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
    )
    assert status == 409
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/cards",
        token=event.host_token,
        json_body={"job_id": "nope"},
    )
    assert status == 404 and body["error"]["fields"] == {"job_id": "unknown job"}


async def test_applications_dedupe_and_idempotency(server: LiveServer) -> None:
    event = await server.create_event()
    status, first = await server.apply(event, "j1", "138 1234 5678")
    assert status == 201
    status, again = await server.apply(event, "j1", "+8613812345678", name="张三丰")
    assert status == 200
    first_id = first["application_id"]
    assert again == {"application_id": first_id, "duplicate": True, "waitlist": False}
    status, other = await server.apply(event, "j2", "13812345678")
    assert status == 201 and other["application_id"] != first["application_id"]
    status, keyed = await server.apply(event, "j3", "13900001111", idempotency_key="k-1")
    assert status == 201
    status, retried = await server.apply(event, "j3", "13900001111", idempotency_key="k-1")
    assert status == 201 and retried == keyed  # the first answer, again
    status, _ = await server.apply(event, "missing", "13900002222")
    assert status == 404
    stats = await server.stats(event)
    assert stats["applications"] == 3 and stats["applicants"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"job_id": "j1", "name": "", "phone": "13812345678"}, "name"),
        ({"job_id": "j1", "name": "   ", "phone": "13812345678"}, "name"),
        ({"job_id": "j1", "name": "名" * 51, "phone": "13812345678"}, "name"),
        ({"job_id": "j1", "name": 7, "phone": "13812345678"}, "name"),
        ({"job_id": "j1", "phone": "13812345678"}, "name"),
        ({"job_id": "j1", "name": "李四", "phone": "12812345678"}, "phone"),
        ({"job_id": "j1", "name": "李四", "phone": "1381234567"}, "phone"),
        ({"job_id": "j1", "name": "李四", "phone": "not a phone"}, "phone"),
        ({"job_id": "j1", "name": "李四"}, "phone"),
        ({"name": "李四", "phone": "13812345678"}, "job_id"),
        ({"job_id": "../x", "name": "李四", "phone": "13812345678"}, "job_id"),
        (
            {"job_id": "j1", "name": "李四", "phone": "13812345678", "idempotency_key": ""},
            "idempotency_key",
        ),
        ({"job_id": "j1", "name": "李四", "phone": "13812345678", "extra": 1}, "extra"),
    ],
)
async def test_bad_applications_name_the_field_and_store_nothing(
    server: LiveServer, body: dict[str, object], field: str
) -> None:
    event = await server.create_event()
    status, answer = await server.call(
        "POST", f"/api/events/{event.id}/applications", json_body=body
    )
    assert status == 422
    assert field in answer["error"]["fields"]
    assert (await server.stats(event))["applications"] == 0


async def test_e164_and_full_width_numbers_are_accepted(server: LiveServer) -> None:
    event = await server.create_event()
    assert (await server.apply(event, "j1", "+44 7911 123456"))[0] == 201  # landlines: 422
    assert (await server.apply(event, "j2", "１３８１２３４５６７８"))[0] == 201


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("POST", "/api/events/{id}/applications", b"{not json", 400),
        ("POST", "/api/events/{id}/applications", b"[1, 2]", 422),
        ("POST", "/api/events/{id}/applications", b'{"name": "' + b"x" * 70000 + b'"}', 413),
        ("POST", "/api/events/nope/applications", b'{"job_id": "j1"}', 404),
        ("GET", "/api/events/nope", None, 404),
        ("GET", "/api/events/nope/jobs", None, 404),
    ],
)
async def test_malformed_oversized_and_unknown(
    server: LiveServer, method: str, path: str, data: bytes | None, status: int
) -> None:
    event = await server.create_event()
    got, body = await server.call(
        method,
        path.replace("{id}", event.id),
        data=data,
        headers={"Content-Type": "application/json"},
    )
    assert got == status
    assert set(body["error"]) >= {"code", "message"}


async def test_auth_roles(server: LiveServer) -> None:
    event = await server.create_event()
    other = await server.create_event()
    push = f"/api/events/{event.id}/cards"
    assert (await server.call("POST", "/api/events", json_body={"title": "x"}))[0] == 401
    assert (await server.call("POST", "/api/events", token="wrong", json_body={"title": "x"}))[
        0
    ] == 403
    assert (await server.call("POST", push, json_body={"job_id": "j1"}))[0] == 401
    assert (await server.call("POST", push, token="wrong", json_body={"job_id": "j1"}))[0] == 403
    assert (await server.call("POST", push, token=other.host_token, json_body={"job_id": "j1"}))[
        0
    ] == 403
    assert (await server.call("POST", push, token=event.staff_token, json_body={"job_id": "j1"}))[
        0
    ] == 403
    # The token is checked at the same time as the job is read: its answer still comes first,
    # whatever is wrong with the body or the job.
    assert (await server.call("POST", push, json_body={"job_id": "!"}))[0] == 401
    assert (await server.call("POST", push, token="wrong", json_body={"job_id": "nope"}))[0] == 403
    assert (await server.call("POST", push, token=event.host_token, json_body={"job": 1}))[0] == 422
    missing = await server.call("POST", push, token=event.host_token, json_body={"job_id": "nope"})
    assert missing[0] == 404
    stats = f"/api/events/{event.id}/stats"
    assert (await server.call("GET", stats))[0] == 401
    assert (await server.call("GET", stats, token=event.host_token))[0] == 200
    assert (await server.call("GET", stats, token=other.staff_token))[0] == 403
    export = f"/api/events/{event.id}/export/applications.csv"
    assert (await server.call("GET", export, token=event.host_token))[0] == 403
    _, app = await server.apply(event, "j1", "13812345678")
    patch = f"/api/events/{event.id}/applications/{app['application_id']}"
    assert (
        await server.call("PATCH", patch, token=event.host_token, json_body={"status": "hired"})
    )[0] == 403
    assert (
        await server.call(
            "POST", f"/api/events/{event.id}/jobs", token=event.host_token, json_body=JOBS
        )
    )[0] == 403


async def test_status_changes_hires_and_exports(server: LiveServer) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    ids = []
    for n in range(3):
        _, body = await server.apply(event, "j1", f"1381234567{n}", name=f'=HYPERLINK("x"){n}')
        ids.append(body["application_id"])
    base = f"/api/events/{event.id}/applications"
    status, body = await server.call(
        "PATCH", f"{base}/{ids[0]}", token=event.staff_token, json_body={"status": "hired"}
    )
    assert status == 200 and body["status"] == "hired"
    assert (
        await server.call(
            "PATCH", f"{base}/{ids[0]}", token=event.staff_token, json_body={"status": "hired"}
        )
    )[0] == 409
    assert (
        await server.call(
            "PATCH", f"{base}/{ids[1]}", token=event.staff_token, json_body={"status": "famous"}
        )
    )[0] == 422
    assert (
        await server.call(
            "PATCH", f"{base}/999999", token=event.staff_token, json_body={"status": "hired"}
        )
    )[0] == 404
    await server.call(
        "PATCH", f"{base}/{ids[1]}", token=event.staff_token, json_body={"status": "hired"}
    )
    await server.call(
        "PATCH", f"{base}/{ids[1]}", token=event.staff_token, json_body={"status": "rejected"}
    )  # a correction: no longer a hire
    stats = await server.stats(event)
    assert stats["hires"] == 1
    assert {j["job_id"]: j["hires"] for j in stats["jobs"]} == {"j1": 1, "j2": 0, "j3": 0}

    status, text = await server.call(
        "GET", f"/api/events/{event.id}/export/applications.csv?form=raw", token=event.staff_token
    )  # the form for scripts (issue 14: files are for people by default, docs/exports.md)
    assert status == 200 and text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["application_id"]: r["status"] for r in rows} == {
        ids[0]: "hired",
        ids[1]: "rejected",
        ids[2]: "applied",
    }
    assert all(r["name"].startswith("'=") for r in rows)  # formula injection escaped
    assert {
        "application_id",
        "job_id",
        "employer",
        "title",
        "name",
        "phone",
        "status",
        "applied_at",
    } <= set(rows[0])
    status, text = await server.call(
        "GET", f"/api/events/{event.id}/export/hires.csv?form=raw", token=event.staff_token
    )
    hires = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    columns = ["employer", "job_id", "title", "openings", "applications", "hires", "openings_max"]
    assert list(hires[0]) == columns
    j1 = next(r for r in hires if r["job_id"] == "j1")
    assert (j1["applications"], j1["hires"], j1["openings"]) == ("3", "1", "20")


async def test_openapi_describes_the_contract(server: LiveServer) -> None:
    status, doc = await server.call("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    for path in (
        "/healthz",
        "/api/events",
        "/api/events/{event_id}/cards",
        "/api/events/{event_id}/applications/{application_id}",
        "/api/events/{event_id}/export/hires.csv",
    ):
        assert path in doc["paths"]


async def test_a_body_that_arrives_in_pieces_is_read_whole(server: LiveServer) -> None:
    """A slow phone's request body comes in several TCP segments: all of it must be read."""
    event = await server.create_event()
    body = json.dumps({"job_id": "j1", "name": "分段", "phone": "13812345678"}).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 10):
            yield body[start : start + 10]
            await asyncio.sleep(0.05)

    assert server.session is not None
    async with server.session.post(
        f"{server.url}/api/events/{event.id}/applications",
        data=pieces(),
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 201, await resp.text()
