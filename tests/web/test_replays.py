"""Replay through a real server and store: staff set the recording of an ended event, viewers
read it with its cues, and applications made from it carry ``source: replay`` and the card
that was showing (issue 17, part 3)."""

from __future__ import annotations

from typing import Any

from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer

MP4 = "https://media.example.cn/fairs/2026-05/recording.mp4"


async def ended_event(server: LiveServer) -> tuple[Event, list[str]]:
    """An event that pushed j1 (withdrawn), then j2, then ended: its two card ids."""
    event = await server.create_event()
    first = (await server.push(event, "j1"))["card_id"]
    status, _ = await server.call(
        "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
    )
    assert status == 204
    second = (await server.push(event, "j2"))["card_id"]
    status, _ = await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    assert status == 200
    return event, [first, second]


async def put_replay(server: LiveServer, event: Event, body: Any, token: str | None = None) -> Any:
    return await server.call(
        "PUT", f"/api/events/{event.id}/replay", token=token or event.staff_token, json_body=body
    )


async def stored_records(server: LiveServer, event: Event) -> list[dict[str, Any]]:
    """The applications as stored in the event's stream (the record of truth)."""
    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).apps)
    return [codec.unpack(fields[b"d"]) for _, fields in entries]


async def test_staff_set_the_recording_once_the_event_has_ended(server: LiveServer) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    status, body = await put_replay(server, event, {"url": MP4})
    assert status == 409 and body["error"]["code"] == "conflict"
    status, _ = await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    assert status == 200
    status, body = await server.call("GET", f"/api/events/{event.id}/replay")
    assert (status, body) == (200, {"replay": None, "cues": []})  # none set yet
    status, body = await server.call("GET", "/api/events/nosuchevent/replay")
    assert status == 404
    for body, field in [
        ({"url": "ftp://media.example.cn/r.mp4"}, "url"),
        ({"url": MP4, "lead_in_s": 500}, "lead_in_s"),
        ({"url": MP4, "offset_s": "10"}, "offset_s"),
    ]:
        status, answer = await put_replay(server, event, body)
        assert status == 422 and field in answer["error"]["fields"], answer
    status, _ = await put_replay(server, event, {"url": MP4}, token=event.host_token)
    assert status == 403
    status, _ = await server.call("PUT", f"/api/events/{event.id}/replay", json_body={"url": MP4})
    assert status == 401
    status, body = await server.call("GET", f"/api/events/{event.id}/replay")
    assert body["replay"] is None  # nothing bad was stored

    status, body = await put_replay(server, event, {"url": MP4, "lead_in_s": 2, "offset_s": 30})
    assert status == 200, body
    assert body["replay"]["url"] == MP4 and body["cues"] == 1
    status, body = await server.call("GET", f"/api/events/{event.id}/replay")
    assert status == 200
    assert body["replay"]["hls"] is False and body["replay"]["lead_in_s"] == 2
    (cue,) = body["cues"]
    assert cue["card"]["job"]["id"] == "j1" and cue["to_s"] is not None
    assert cue["from_s"] == round(30 + cue["at_s"] - 2, 3)

    status, _ = await server.call(
        "DELETE", f"/api/events/{event.id}/replay", token=event.staff_token
    )
    assert status == 204
    status, body = await server.call("GET", f"/api/events/{event.id}/replay")
    assert (status, body["replay"]) == (200, None)


async def test_replay_applications_carry_source_and_the_card_showing(server: LiveServer) -> None:
    event, (first, second) = await ended_event(server)
    # Before a recording is set, nothing is taken as a replay application.
    status, body = await server.apply(event, "j1", "13800000001", source="replay", card_id=first)
    assert status == 409 and "source" in body["error"]["fields"]
    status, _ = await put_replay(server, event, {"url": MP4})
    assert status == 200

    status, body = await server.apply(event, "j1", "13800000001", source="replay", card_id="bogus1")
    assert status == 422 and set(body["error"]["fields"]) == {"card_id"}, body
    status, body = await server.apply(event, "j1", "13800000001", card_id=first)
    assert status == 422 and set(body["error"]["fields"]) == {"card_id"}, body
    assert await stored_records(server, event) == []  # a refused application stores nothing

    status, body = await server.apply(event, "j1", "13800000001", source="replay", card_id=first)
    assert status == 201, body
    status, body = await server.apply(event, "j3", "13800000002", source="replay")
    assert status == 201, body  # no card was showing at that moment of the recording

    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    apply = {"type": "apply", "job_id": "j2", "name": "李四", "phone": "13800000003"}
    await viewer.send({**apply, "ref": 1, "source": "replay", "card_id": "nope"})
    answer = await viewer.next_of("error")
    assert answer["ref"] == 1 and set(answer["fields"]) == {"card_id"}
    await viewer.send({**apply, "ref": 2, "source": "replay", "card_id": second})
    answer = await viewer.next_of("applied")
    assert answer["ref"] == 2 and answer["duplicate"] is False
    await viewer.close()

    records = await stored_records(server, event)
    assert [(r["job_id"], r.get("source"), r.get("card_id")) for r in records] == [
        ("j1", "replay", first),
        ("j3", "replay", None),
        ("j2", "replay", second),
    ]
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    assert status == 200
    assert [a["card_id"] for a in body["applications"]] == [first, None, second]


async def test_live_applications_cannot_claim_a_card_or_a_replay(server: LiveServer) -> None:
    event = await server.create_event()
    card = (await server.push(event, "j1"))["card_id"]
    status, body = await server.apply(event, "j1", "13800000001", source="replay", card_id=card)
    assert status == 409, body  # the broadcast is on: there is no replay yet
    status, body = await server.apply(event, "j1", "13800000001", source="live", card_id="x1")
    assert status == 422 and set(body["error"]["fields"]) == {"card_id"}
    status, body = await server.apply(event, "j1", "13800000001")
    assert status == 201
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    assert [a["card_id"] for a in body["applications"]] == [card]  # the one on screen
