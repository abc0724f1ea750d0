"""Several hosts, one per studio (issue 16, part 1), through a real server.

Staff make a named host token (``POST /hosts``); only staff (or admin) may. Every push and
withdrawal names its host: on the card viewers get, in the stats, the pushes export and the
timeline. Two hosts pushing at once end, for everyone, on the one card the timeline put last.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import aiohttp
import pytest

from liveevent.domain.access import Grant, Role
from liveevent.store.codec import unpack
from liveevent.store.keys import Keys
from liveevent.web.appkeys import EVENTS
from tests.support import ADMIN_TOKEN, Event, LiveServer, eventually


async def make_host(server: LiveServer, event: Event, name: str) -> dict[str, Any]:
    status, body = await server.call(
        "POST", f"/api/events/{event.id}/hosts", token=event.staff_token, json_body={"name": name}
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def test_only_staff_may_make_a_host_and_anyone_on_the_event_may_list_names(
    server: LiveServer,
) -> None:
    event = await server.create_event(live=False)
    other = await server.create_event(live=False)
    hosts = f"/api/events/{event.id}/hosts"
    employer = await server.app[EVENTS].add_grant(event.id, Grant(Role.EMPLOYER, "甲", "甲公司"))
    station = await server.app[EVENTS].add_grant(event.id, Grant(Role.STATION, "站", "v1"))
    nb = await make_host(server, event, "宁波演播室")
    body = {"name": "杭州演播室"}
    # (token, POST status, GET status)
    matrix: list[tuple[str | None, int, int]] = [
        (None, 401, 401),
        ("wrong", 403, 403),
        (event.host_token, 403, 200),
        (nb["token"], 403, 200),  # a named host may not make hosts either
        (event.overlay_token, 403, 403),
        (employer, 403, 403),
        (station, 403, 403),
        (other.staff_token, 403, 403),
    ]
    for token, post, get in matrix:
        assert (await server.call("POST", hosts, token=token, json_body=body))[0] == post, token
        assert (await server.call("GET", hosts, token=token))[0] == get, token
    assert (await server.call("POST", hosts, token=ADMIN_TOKEN, json_body=body))[0] == 201
    status, listed = await server.call("GET", hosts, token=event.staff_token)
    assert status == 200
    assert [h["name"] for h in listed["hosts"]] == ["host", "宁波演播室", "杭州演播室"]
    text = json.dumps(listed)
    assert nb["token"] not in text and "token" not in text
    assert nb["console_url"] == f"/host/{event.id}#token={nb['token']}"
    # The creation is audited, naming who made it (never the token).
    k = Keys(server.settings.key_prefix).event(event.id)
    store = server.app[EVENTS].conn.reader
    audits = [unpack(f[b"d"]) for _, f in await store.xrange(k.audit)]
    made = [(a["what"], a["name"], a["by"]) for a in audits if a["what"] == "host_grant"]
    assert made == [("host_grant", "宁波演播室", "staff"), ("host_grant", "杭州演播室", "admin")]
    assert nb["token"] not in repr(audits)


async def test_bad_or_taken_names_are_refused_and_change_nothing(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    hosts = f"/api/events/{event.id}/hosts"
    await make_host(server, event, "宁波演播室")
    for body, status, field in (
        ({"name": ""}, 422, "name"),
        ({"name": "x" * 51}, 422, "name"),
        ({}, 422, "name"),
        ({"name": "a", "role": "staff"}, 422, "role"),
        ({"name": "宁波演播室"}, 409, "name"),
        ({"name": "host"}, 409, "name"),  # the event's own host token is "host"
    ):
        got, answer = await server.call("POST", hosts, token=event.staff_token, json_body=body)
        assert got == status, (body, answer)
        assert field in answer["error"].get("fields", {}), answer
    _, listed = await server.call("GET", hosts, token=event.staff_token)
    assert [h["name"] for h in listed["hosts"]] == ["host", "宁波演播室"]


async def test_pushes_and_withdrawals_name_their_host_everywhere(server: LiveServer) -> None:
    event = await server.create_event()
    nb = await make_host(server, event, "宁波演播室")
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    cards = f"/api/events/{event.id}/cards"
    status, pushed = await server.call("POST", cards, token=nb["token"], json_body={"job_id": "j1"})
    assert status == 201 and pushed["pushed_by"] == "宁波演播室", pushed
    live = await viewer.next_of("card")
    assert live["card"]["pushed_by"] == "宁波演播室"
    stats = await server.stats(event)
    assert stats["current_card"]["pushed_by"] == "宁波演播室"
    # The event's own host token withdraws it: named "host".
    status, _ = await server.call("DELETE", f"{cards}/current", token=event.host_token)
    assert status == 204
    withdrawn = await viewer.next_of("withdraw")
    assert withdrawn["by"] == "host"
    pushed2 = await server.push(event, "j2")  # the event's own host token
    assert pushed2["pushed_by"] == "host"
    _, listed = await server.call("GET", cards)
    assert [c["pushed_by"] for c in listed["cards"]] == ["宁波演播室", "host"]
    status, raw = await server.call(
        "GET", f"/api/events/{event.id}/export/pushes.csv?form=raw", token=event.staff_token
    )
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert [(r["job_id"], r["pushed_by"], r["withdrawn_by"]) for r in rows] == [
        ("j1", "宁波演播室", "host"),
        ("j2", "host", ""),
    ]
    await viewer.close()


async def _host_socket(
    server: LiveServer, event: Event, token: str
) -> aiohttp.ClientWebSocketResponse:
    assert server.session is not None
    ws = await server.session.ws_connect(f"{server.url}/ws/host/{event.id}")
    await ws.send_json({"type": "auth", "token": token})
    welcome = await ws.receive_json(timeout=5)
    assert welcome["type"] == "welcome" and welcome["role"] == "host", welcome
    return ws


async def _console_shows(ws: aiohttp.ClientWebSocketResponse, card_id: str) -> str:
    """Read a console's stats until its card on screen is ``card_id``; returns ``pushed_by``."""
    current: dict[str, Any] = {}

    async def on_screen() -> bool:
        message = await ws.receive_json(timeout=5)
        current.clear()
        current.update(message.get("current_card") or {})
        return current.get("card_id") == card_id

    assert await eventually(on_screen, timeout_s=15), current
    return str(current["pushed_by"])


@pytest.mark.parametrize("rounds", [5])
async def test_two_hosts_pushing_at_once_leave_one_card_on_every_screen(
    server: LiveServer, rounds: int
) -> None:
    event = await server.create_event()
    hz, nb = (
        await make_host(server, event, "杭州演播室"),
        await make_host(server, event, "宁波演播室"),
    )
    consoles = [
        await _host_socket(server, event, hz["token"]),
        await _host_socket(server, event, nb["token"]),
    ]
    viewers = [await server.viewer(event) for _ in range(3)]
    for viewer in viewers:
        await viewer.next_of("hello")
    cards = f"/api/events/{event.id}/cards"
    for n in range(rounds):
        pushes = await asyncio.gather(
            server.call("POST", cards, token=hz["token"], json_body={"job_id": "j1"}),
            server.call("POST", cards, token=nb["token"], json_body={"job_id": "j2"}),
        )
        assert [p[0] for p in pushes] == [201, 201], pushes
        # The timeline orders the two; the later cursor is the card on screen.
        last = max((p[1] for p in pushes), key=lambda b: tuple(map(int, b["cursor"].split("-"))))
        for viewer in viewers:  # each viewer gets both, in timeline order, ending on ``last``
            seen = [(await viewer.next_of("card"))["card"]["card_id"] for _ in range(2)]
            assert seen[-1] == last["card_id"], (n, seen)
        for ws in consoles:
            assert await _console_shows(ws, last["card_id"]) == last["pushed_by"], n
    for ws in consoles:
        await ws.close()
    for viewer in viewers:
        await viewer.close()
