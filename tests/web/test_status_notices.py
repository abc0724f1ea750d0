"""Status notices (issue 17 part 4) through a real server: the per-event switch, the apply
form's separate checkbox stored with the application, the sweep's place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from liveevent.config import Secret, Settings
from liveevent.domain.applications import Status
from liveevent.store.status_notices import StatusNoticeSwitch
from liveevent.web.appkeys import APPLICATIONS, STORE
from tests.support import Event, LiveServer, eventually
from tests.webhook import Receiver

SECRET = "test-webhook-secret"


async def test_staff_turn_status_notices_on_and_off_and_the_form_reads_it(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    path = f"/api/events/{event.id}/status-notices"
    status, reply = await server.call("GET", path)
    assert status == 200 and reply["enabled"] is False, reply
    assert reply["statuses"] == ["hired", "interviewed"]
    assert "短信" in reply["consent"]["zh-CN"]
    for token in (None, event.host_token):
        status, _ = await server.call("PUT", path, token=token, json_body={"enabled": True})
        assert status in (401, 403)
    for body in ({"enabled": "yes"}, {}, {"enabled": True, "x": 1}):
        status, reply = await server.call("PUT", path, token=event.staff_token, json_body=body)
        assert status == 422, reply
    status, reply = await server.call("GET", path)
    assert reply["enabled"] is False  # nothing changed

    # Changes made before the switch is on are never read by the sweep.
    status, applied = await server.apply(event, "j1", "13700000001", notify_status=True)
    assert status == 201, applied
    await server.app[APPLICATIONS].change_status(
        event.id, applied["application_id"], Status.HIRED, by="staff", now=1
    )
    switch = StatusNoticeSwitch(server.app[STORE])
    assert await switch.changes(event.id) == ([], None)
    for _ in range(2):  # turning it on twice keeps the sweep's place
        status, reply = await server.call(
            "PUT", path, token=event.staff_token, json_body={"enabled": True}
        )
        assert status == 200 and reply["enabled"] is True, reply
    changes, place = await switch.changes(event.id)
    assert changes == [] and place is not None
    assert await switch.events_on() == [event.id]

    status, reply = await server.call(
        "PUT", path, token=event.staff_token, json_body={"enabled": False}
    )
    assert reply["enabled"] is False
    assert await switch.events_on() == []
    assert await switch.changes(event.id) == ([], None)


async def test_the_apply_checkbox_is_stored_and_checked(server: LiveServer) -> None:
    event = await server.create_event()
    status, reply = await server.apply(event, "j1", "13700000001", notify_status="yes")
    assert status == 422 and "notify_status" in reply["error"]["fields"], reply
    ids = []
    for n, flag in enumerate((True, False, None)):
        extra: dict[str, Any] = {} if flag is None else {"notify_status": flag}
        status, reply = await server.apply(event, "j1", f"1370000001{n}", **extra)
        assert status == 201, reply
        ids.append(reply["application_id"])
    found = await server.app[APPLICATIONS].by_ids(event.id, ids)
    assert [a.notify_status for a, _ in found] == [True, False, None]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver(SECRET.encode())
    await hook.start()
    yield hook
    await hook.stop()


def with_webhook(settings: Settings, receiver: Receiver) -> Settings:
    return replace(
        settings,
        notify_webhook_url=receiver.url,
        notify_secret=Secret(SECRET),
        notify_poll_s=0.05,
        notify_concurrency=4,
    )


async def patch(server: LiveServer, event: Event, app_id: str, status: str) -> int:
    code, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{app_id}",
        token=event.staff_token,
        json_body={"status": status},
    )
    return code


async def test_each_status_change_is_told_once_only_when_on_and_consented(
    settings: Settings, receiver: Receiver
) -> None:
    settings = with_webhook(settings, receiver)
    first = LiveServer(settings)
    await first.start()
    event = await first.create_event()
    ids = {}
    for phone, flag in (("13700000001", True), ("13700000002", False), ("13700000003", None)):
        extra: dict[str, Any] = {} if flag is None else {"notify_status": flag}
        status, reply = await first.apply(event, "j1", phone, **extra)
        assert status == 201, reply
        ids[phone] = reply["application_id"]
    told = ids["13700000001"]
    # While the switch is off, nothing is told, now or later.
    assert await patch(first, event, told, "interviewed") == 200
    path = f"/api/events/{event.id}/status-notices"
    status, _ = await first.call("PUT", path, token=event.staff_token, json_body={"enabled": True})
    assert status == 200
    _, start = await switch_of(first).changes(event.id)
    # On: every change into interviewed or hired of the consenting applicant, once each.
    assert await patch(first, event, told, "contacted") == 200  # not a told status
    assert await patch(first, event, told, "hired") == 200
    assert await patch(first, event, told, "hired") == 409  # a client's retry: no change
    for phone in ("13700000002", "13700000003"):  # did not tick the box
        assert await patch(first, event, ids[phone], "hired") == 200
    assert await eventually(lambda: len(receiver.accepted) >= 1, 10)
    # The sweep runs again from where it was (a process that died before moving its place):
    # the outbox knows the keys, nothing is sent twice.
    conn = first.app[STORE]
    await conn.reader.hset(
        conn.keys.event(event.id).meta, "status_notices_cursor", str(start)
    )  # as if no sweep had moved it since the switch went on
    await first.stop()
    second = LiveServer(settings, port=first.port)
    await second.start()
    try:

        async def swept() -> bool:
            changes, _ = await switch_of(second).changes(event.id)
            return changes == []

        assert await eventually(swept, 10)
        assert await patch(second, event, told, "interviewed") == 200  # a correction back
        assert await eventually(lambda: len(receiver.accepted) >= 2, 10)
        # Off again: a later change is not told.
        status, _ = await second.call(
            "PUT", path, token=event.staff_token, json_body={"enabled": False}
        )
        assert await patch(second, event, told, "hired") == 200
        assert await eventually(lambda: len(receiver.seen) >= 3, 2) is False
    finally:
        await second.stop()
    assert [b["payload"]["status"] for b in receiver.bodies] == ["hired", "interviewed"]
    assert receiver.repeats() == {} and receiver.bad_signatures == 0
    assert {b["recipient"] for b in receiver.bodies} == {"13700000001"}
    body = receiver.bodies[0]
    assert body["kind"] == "status" and "录用" in body["payload"]["text"]
    assert "张三" not in str(body)  # no name in the message


def switch_of(server: LiveServer) -> StatusNoticeSwitch:
    return StatusNoticeSwitch(server.app[STORE])
