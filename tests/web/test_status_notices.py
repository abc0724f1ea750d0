"""Status notices (issue 17 part 4) through a real server: the per-event switch, the apply
form's separate checkbox stored with the application, the sweep's place."""

from __future__ import annotations

from liveevent.domain.applications import Status
from liveevent.store.status_notices import StatusNoticeSwitch
from liveevent.web.appkeys import APPLICATIONS, STORE
from tests.support import LiveServer


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
        extra = {} if flag is None else {"notify_status": flag}
        status, reply = await server.apply(event, "j1", f"1370000001{n}", **extra)
        assert status == 201, reply
        ids.append(reply["application_id"])
    found = await server.app[APPLICATIONS].by_ids(event.id, ids)
    assert [a.notify_status for a, _ in found] == [True, False, None]
