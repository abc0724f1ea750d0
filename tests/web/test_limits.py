"""Limits: per-viewer and per-IP apply rates, sockets per IP, viewers per process. Each is
refused with a clear answer (429, an error message, a close code), never a crash."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp

from liveevent.web.appkeys import HUB, LIMITS
from tests.reliability.support import Watcher, next_phone
from tests.support import LiveServer, eventually

MakeServer = Callable[..., Awaitable[LiveServer]]


async def test_per_viewer_apply_rate(make_server: MakeServer) -> None:
    server = await make_server(apply_rate_per_viewer=3, apply_rate_per_ip=0)
    event = await server.create_event()
    assert server.session is not None
    viewer = Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
    await viewer.next_of("hello")
    answers = []
    for n in range(5):
        await viewer.send(
            {"type": "apply", "ref": n, "job_id": "j1", "name": "张三", "phone": next_phone()}
        )
        answers.append(await _answer(viewer))
    assert [a["type"] for a in answers] == ["applied"] * 3 + ["error"] * 2
    assert answers[3]["code"] == "rate_limited" and answers[3]["ref"] == 3
    assert "retry" not in answers[3]  # a client error: retrying at once will not help
    # Another connection from the same address has its own allowance.
    other = Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
    await other.next_of("hello")
    await other.send(
        {"type": "apply", "ref": "x", "job_id": "j1", "name": "张三", "phone": next_phone()}
    )
    assert (await _answer(other))["type"] == "applied"
    assert (await server.stats(event))["applications"] == 4
    await viewer.close()
    await other.close()


async def _answer(viewer: Watcher) -> dict[str, object]:
    while True:
        message = await viewer.queue.get()
        if message["type"] in ("applied", "error"):
            return message


async def test_per_ip_apply_rate(make_server: MakeServer) -> None:
    server = await make_server(apply_rate_per_ip=4, apply_rate_per_viewer=0)
    event = await server.create_event()
    statuses = [(await server.apply(event, "j1", next_phone()))[0] for _ in range(6)]
    assert statuses == [201] * 4 + [429] * 2
    status, body = await server.apply(event, "j1", next_phone())
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert (await server.stats(event))["applications"] == 4


async def test_sockets_per_ip_cap(make_server: MakeServer) -> None:
    server = await make_server(max_sockets_per_ip=3)
    event = await server.create_event()
    assert server.session is not None
    url = f"{server.url}/ws/events/{event.id}"
    open_ = [Watcher(await server.session.ws_connect(url)) for _ in range(3)]
    for viewer in open_:
        await viewer.next_of("hello")
    refused = await server.session.ws_connect(url)
    msg = await refused.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and refused.close_code == 1008, msg
    assert server.app[HUB].local_viewers(event.id) == 3
    await open_[0].close()  # a slot frees up
    again = Watcher(await server.session.ws_connect(url))
    await again.next_of("hello")
    assert dict(server.app[LIMITS].sockets_per_ip) == {"127.0.0.1": 3}
    for viewer in [*open_[1:], again]:
        await viewer.close()


async def test_viewers_per_process_cap(make_server: MakeServer) -> None:
    server = await make_server(max_viewers=2)
    event = await server.create_event()
    assert server.session is not None
    url = f"{server.url}/ws/events/{event.id}"
    viewers = [Watcher(await server.session.ws_connect(url)) for _ in range(2)]
    for viewer in viewers:
        await viewer.next_of("hello")
    for _ in range(3):
        full = await server.session.ws_connect(url)
        msg = await full.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and full.close_code == 1013, msg
        assert "try again" in str(msg.extra)
    # The server is fine: the two viewers still get cards, the HTTP API answers.
    card = await server.push(event, "j2")
    for viewer in viewers:
        assert (await viewer.next_of("card"))["card"]["card_id"] == card["card_id"]
    status, body = await server.call("GET", "/healthz")
    assert status == 200, body
    assert json.dumps(body)
    for viewer in viewers:
        await viewer.close()


async def test_host_sockets_count_against_the_per_address_cap(make_server: MakeServer) -> None:
    """The host socket is open to anyone until its first message (the token): it used to
    skip ``max_sockets_per_ip`` altogether, so one address could hold any number of them
    (each for the 5 s the token may take, then open it again), using up the server's open
    files that viewers need. Now it takes a place under the same cap as a viewer socket."""
    server = await make_server(max_sockets_per_ip=3)
    event = await server.create_event()
    assert server.session is not None
    url = f"{server.url}/ws/host/{event.id}"
    held = [await server.session.ws_connect(url) for _ in range(3)]  # no token sent yet
    refused = await server.session.ws_connect(url)
    msg = await refused.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and refused.close_code == 1008, msg
    viewer = await server.session.ws_connect(f"{server.url}/ws/events/{event.id}")
    msg = await viewer.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and viewer.close_code == 1008, msg
    await held[0].close()  # a place frees up: a host with its token gets in
    host = await server.session.ws_connect(url)
    await host.send_json({"type": "auth", "token": event.host_token})
    assert (await host.receive_json(timeout=5))["type"] == "welcome"
    for ws in [*held[1:], host]:
        await ws.close()
    assert await eventually(lambda: dict(server.app[LIMITS].sockets_per_ip) == {}, 5.0)
