"""Sign-ups through the HTTP API on a real server and store: dedupe by the phone rule,
idempotency, refusal naming each field, the reminders they schedule, go-live, the funnel, and
reminders that reach a real webhook once across an app restart."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from liveevent.config import Secret, Settings
from liveevent.domain.notices import Notice, NoticeKind, parse_offsets
from liveevent.store import codec
from liveevent.web.api import now_ms
from liveevent.web.appkeys import OUTBOX, SIGNUPS
from liveevent.web.signups import sweep
from tests.support import ADMIN_TOKEN, Event, LiveServer, eventually
from tests.webhook import Receiver

SECRET = "test-webhook-secret"


def in_days(days: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    return moment.isoformat()


async def scheduled_event(server: LiveServer, *, starts_at: str | None) -> Event:
    body: dict[str, Any] = {"title": "退役军人专场招聘会"}
    if starts_at:
        body["starts_at"] = starts_at
    status, created = await server.call("POST", "/api/events", token=ADMIN_TOKEN, json_body=body)
    assert status == 201, created
    event = Event(
        created["id"], created["host_token"], created["staff_token"], created["overlay_token"]
    )
    status, _ = await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        json_body=[{"id": "j1", "employer": "顺丰速运", "title": "片区运营主管", "openings": 3}],
    )
    assert status == 201
    return event


async def sign_up(server: LiveServer, event: Event, phone: str, **extra: Any) -> tuple[int, Any]:
    body = {"name": "李秀英", "phone": phone, "city": "深圳", "consent": True, **extra}
    return await server.call("POST", f"/api/events/{event.id}/signups", json_body=body)


async def go_live(server: LiveServer, event: Event) -> None:
    status, body = await server.call(
        "POST", f"/api/events/{event.id}/state", token=event.host_token, json_body={"state": "live"}
    )
    assert status == 200, body


async def test_a_sign_up_is_confirmed_once_per_phone_with_its_reminders(
    server: LiveServer,
) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    status, first = await sign_up(server, event, "13811112222", idempotency_key="k-1")
    assert status == 201, first
    assert first["duplicate"] is False and first["watch_token"] == first["signup_id"]
    assert [r["when"] for r in first["reminders"]] == ["1d", "30m"]
    assert first["calendar_url"] == f"/api/events/{event.id}/calendar.ics"
    # The apply path's phone rule: the same number written another way is the same person.
    status, again = await sign_up(server, event, "+86 138-1111-2222")
    assert (status, again["signup_id"], again["duplicate"]) == (200, first["signup_id"], True)
    # The same idempotency key answers what its first request answered.
    status, retried = await sign_up(server, event, "13811112222", idempotency_key="k-1")
    assert (status, retried["signup_id"], retried["duplicate"]) == (201, first["signup_id"], False)
    assert await server.app[SIGNUPS].count(event.id) == 1
    counts = await server.app[OUTBOX].counts(event.id)
    assert counts["scheduled"] == 2  # 1d and 30m before; "live" comes at go-live


async def test_bad_sign_ups_name_each_field_and_store_nothing(server: LiveServer) -> None:
    event = await scheduled_event(server, starts_at=None)
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/signups",
        json_body={"name": " ", "phone": "12345", "consent": False, "extra": 1},
    )
    assert status == 422
    assert set(body["error"]["fields"]) == {"extra"}
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/signups",
        json_body={"name": " ", "phone": "12345", "consent": False, "city": "x" * 21},
    )
    assert status == 422
    assert set(body["error"]["fields"]) == {"name", "phone", "consent", "city"}
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/signups",
        data="name=x",
        headers={"Content-Type": "text/plain"},
    )
    assert status == 415
    assert await server.app[SIGNUPS].count(event.id) == 0
    status, _ = await sign_up(server, Event("nope", "", "", ""), "13811112222")
    assert status == 404


async def test_go_live_closes_sign_ups_cancels_reminders_and_queues_the_live_notice(
    server: LiveServer,
) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    for phone in ("13811112222", "13933334444"):
        assert (await sign_up(server, event, phone))[0] == 201
    await go_live(server, event)
    counts = await server.app[OUTBOX].counts(event.id)
    assert counts["cancelled"] == 4  # the 1d and 30m reminders: pointless once live
    assert counts["scheduled"] + counts["queued"] == 2  # one "live" notice each
    status, body = await sign_up(server, event, "13700001111")
    assert status == 409, body


async def test_the_funnel_counts_sign_ups_that_watched_applied_and_were_hired(
    server: LiveServer,
) -> None:
    event = await scheduled_event(server, starts_at=None)
    tokens = []
    for phone in ("13811112222", "13933334444", "13700001111"):
        status, body = await sign_up(server, event, phone)
        tokens.append(body["watch_token"])
    path = f"/api/events/{event.id}/signups/{tokens[0]}/watched"
    assert (await server.call("POST", path, json_body={}))[0] == 409  # not live yet
    await go_live(server, event)
    for token in tokens[:2]:
        status, body = await server.call(
            "POST", f"/api/events/{event.id}/signups/{token}/watched", json_body={}
        )
        assert (status, body["first"]) == (200, True)
    status, body = await server.call("POST", path, json_body={})
    assert (status, body["first"]) == (200, False)  # idempotent
    assert (await server.call("POST", f"/api/events/{event.id}/signups/zz99/watched"))[0] == 404
    status, applied = await server.apply(event, "j1", "+8613811112222")
    assert status == 201
    await server.apply(event, "j1", "13500000000")  # applied without signing up: not counted
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{applied['application_id']}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    status, funnel = await server.call(
        "GET", f"/api/events/{event.id}/funnel", token=event.staff_token
    )
    assert status == 200
    assert funnel == {
        "signed_up": 3,
        "watched": 2,
        "applied": 1,
        "hired": 1,
        "show_up_rate": 0.6667,
    }
    assert (await server.call("GET", f"/api/events/{event.id}/funnel", token=event.host_token))[
        0
    ] == 403
    assert (await server.call("GET", f"/api/events/{event.id}/notifications"))[0] == 401
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/notifications", token=event.staff_token
    )
    assert status == 200 and body["webhook"] is False


async def test_sign_ups_are_rate_limited_per_address(settings: Settings, make_server: Any) -> None:
    server = await make_server(signup_rate_per_ip=2)
    event = await scheduled_event(server, starts_at=None)
    assert (await sign_up(server, event, "13811112222"))[0] == 201
    assert (await sign_up(server, event, "13933334444"))[0] == 201
    status, body = await sign_up(server, event, "13700001111")
    assert status == 429, body
    assert await server.app[SIGNUPS].count(event.id) == 2


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver(SECRET.encode())
    await hook.start()
    yield hook
    await hook.stop()


async def test_go_live_reminders_reach_the_webhook_once_across_an_app_restart(
    settings: Settings, receiver: Receiver
) -> None:
    settings = replace(
        settings,
        notify_webhook_url=receiver.url,
        notify_secret=Secret(SECRET),
        notify_poll_s=0.05,
        notify_concurrency=4,
        notify_reminders=parse_offsets("30m,live"),
    )
    first = LiveServer(settings)
    await first.start()
    event = await scheduled_event(first, starts_at=in_days(1))
    phones = [f"139{i:08d}" for i in range(60)]
    for phone in phones:
        assert (await sign_up(first, event, phone))[0] == 201
    receiver.delay_s = 0.02  # sends are in flight when the app stops
    await go_live(first, event)
    assert await eventually(lambda: len(receiver.accepted) >= 10, 20)
    await first.stop()  # a clean stop, mid-send
    assert len(receiver.accepted) < 60
    second = LiveServer(settings, port=first.port)
    await second.start()
    try:
        assert await eventually(lambda: len(receiver.accepted) >= 60, 30)

        async def recorded() -> bool:
            counts = await second.app[OUTBOX].counts(event.id)
            return counts["sent"] == 60 and counts["cancelled"] == 60

        assert await eventually(recorded, 5)
    finally:
        await second.stop()
    assert receiver.distinct() == 60 and len(receiver.accepted) == 60, receiver.repeats()
    assert receiver.bad_signatures == 0
    assert {b["recipient"] for b in receiver.bodies} == set(phones)
    body = receiver.bodies[0]
    assert body["kind"] == "live" and body["payload"]["url"].endswith(f"/e/{event.id}")
    assert "正在直播" in body["payload"]["text"]


async def test_the_purge_removes_sign_ups_and_their_reminders(server: LiveServer) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    assert (await sign_up(server, event, "13811112222"))[0] == 201
    status, _ = await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    assert status == 200
    status, body = await server.call(
        "POST", f"/api/events/{event.id}/purge", token=ADMIN_TOKEN, json_body={}
    )
    assert status == 200, body
    assert await server.app[SIGNUPS].count(event.id) == 0
    conn = server.app[OUTBOX].conn
    stored = await conn.reader.hgetall(conn.keys.outbox.notices)
    assert not any(b"13811112222" in blob for blob in stored.values())
    assert (await server.app[OUTBOX].counts(event.id))["cancelled"] == 2


async def test_a_reminder_due_after_its_event_ended_is_dropped_not_sent(
    settings: Settings, receiver: Receiver
) -> None:
    settings = replace(
        settings,
        notify_webhook_url=receiver.url,
        notify_secret=Secret(SECRET),
        notify_poll_s=0.05,
    )
    server = LiveServer(settings)
    await server.start()
    try:
        event = await scheduled_event(server, starts_at=None)
        status, _ = await server.call(
            "POST",
            f"/api/events/{event.id}/state",
            token=event.host_token,
            json_body={"state": "ended"},
        )
        assert status == 200
        stale = Notice(
            f"rem:{event.id}:x1:30m", event.id, NoticeKind.REMINDER, "13811112222", {}, 0, 0
        )
        fresh = Notice("test:1", event.id, NoticeKind.TEST, "13811112222", {}, 0, 0)
        await server.app[OUTBOX].enqueue([stale, fresh])

        async def settled() -> bool:
            counts = await server.app[OUTBOX].counts(event.id)
            return counts["cancelled"] == 1 and counts["sent"] == 1

        assert await eventually(settled, 10)
    finally:
        await server.stop()
    assert receiver.accepted == ["test:1"]


async def test_reminders_follow_a_changed_start_time_at_the_sweep(server: LiveServer) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    status, body = await sign_up(server, event, "13811112222")
    assert status == 201
    signup = body["signup_id"]
    conn = server.app[OUTBOX].conn
    due_key = conn.keys.outbox.due
    day = f"rem:{event.id}:{signup}:1d"
    half_hour = f"rem:{event.id}:{signup}:30m"
    before = await conn.reader.zscore(due_key, half_hour)
    # The start moves 3 hours later (edited in the store: the API has no such call yet).
    meta = conn.keys.event(event.id).meta
    record = codec.unpack(await conn.reader.hget(meta, "record"))
    record["starts_at"] += 3 * 3_600_000
    await conn.reader.hset(meta, "record", codec.pack(record))
    await sweep(server.app)
    assert await conn.reader.zscore(due_key, half_hour) == before + 3 * 3_600_000
    # Then to 2 hours from now: the 1-day reminder's time has passed, so it is cancelled.
    record["starts_at"] = now_ms() + 2 * 3_600_000
    await conn.reader.hset(meta, "record", codec.pack(record))
    await sweep(server.app)
    assert await conn.reader.zscore(due_key, day) is None
    assert await conn.reader.zscore(due_key, half_hour) == record["starts_at"] - 1_800_000
    counts = await server.app[OUTBOX].counts(event.id)
    assert (counts["cancelled"], counts["scheduled"]) == (1, 1)
