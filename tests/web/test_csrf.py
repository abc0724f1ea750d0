"""Forged cross-site requests (issue 12, item 7).

A page on any site could make its visitors' browsers submit applications: a ``no-cors`` fetch
with ``Content-Type: text/plain`` and a JSON body was stored. Now an HTTP apply takes only
``application/json`` (415), and every state-changing request from a foreign ``Origin`` or with
``Sec-Fetch-Site: cross-site`` is refused (403) with the websockets' allow-list. Nothing is
stored. Staff and host calls from curl (a token, no Origin) still work.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from tests.reliability.support import next_phone
from tests.support import ADMIN_TOKEN, Event, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ALLOWED = "https://fair.example.com"
FOREIGN = [
    "https://evil.example",
    "null",
    "https://fair.example.com.evil.io",
    "http://fair.example.com",
]


def _body() -> str:
    return f'{{"job_id": "j1", "name": "张三", "phone": "{next_phone()}"}}'


async def _raw_apply(server: LiveServer, event: Event, data: str, headers: dict[str, str]) -> int:
    assert server.session is not None
    async with server.session.post(
        f"{server.url}/api/events/{event.id}/applications", data=data, headers=headers
    ) as resp:
        body = await resp.json()
        if resp.status >= 400:
            assert body["error"]["fields"], body  # the answer names the header at fault
        return resp.status


async def test_apply_takes_only_json(make_server: MakeServer) -> None:
    server = await make_server()
    event = await server.create_event()
    # What a page on another site can send without asking the browser (a "simple request").
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "application/jsonp",
        "text/json",
    ]:
        assert await _raw_apply(server, event, _body(), {"Content-Type": content_type}) == 415
    assert await _raw_apply(server, event, _body(), {}) == 415  # none given
    assert (await server.stats(event))["applications"] == 0
    # The page's own request, and curl's.
    ok = {"Content-Type": "application/json; charset=utf-8"}
    assert await _raw_apply(server, event, _body(), ok) == 201
    assert await _raw_apply(server, event, _body(), {"Content-Type": "application/json"}) == 201
    assert (await server.stats(event))["applications"] == 2


async def test_apply_from_a_foreign_site_is_refused(make_server: MakeServer) -> None:
    server = await make_server(allowed_origins=(ALLOWED,))
    event = await server.create_event()
    json_type = {"Content-Type": "application/json"}
    for origin in FOREIGN:
        assert await _raw_apply(server, event, _body(), {**json_type, "Origin": origin}) == 403
    cross = {**json_type, "Sec-Fetch-Site": "cross-site"}
    assert await _raw_apply(server, event, _body(), cross) == 403
    assert (
        await _raw_apply(server, event, _body(), {**cross, "Origin": "https://evil.example"}) == 403
    )
    assert (await server.stats(event))["applications"] == 0

    for headers in [
        {"Origin": server.url, "Sec-Fetch-Site": "same-origin"},  # the viewer page
        {"Origin": ALLOWED, "Sec-Fetch-Site": "cross-site"},  # listed: its Origin decides
        {"Origin": ALLOWED + "/"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
        {},  # a native client
    ]:
        assert await _raw_apply(server, event, _body(), {**json_type, **headers}) == 201, headers
    assert (await server.stats(event))["applications"] == 6


def _fill(path: str, event_id: str) -> str:
    path = path.replace("{event_id}", event_id)
    path = re.sub(r"\{table[^}]*\}", "applications", path)
    path = re.sub(r"\{ext[^}]*\}", "csv", path)
    return re.sub(r"\{[^}]+\}", "x1", path)


async def test_every_state_changing_route_refuses_a_foreign_site(make_server: MakeServer) -> None:
    """The kind, not the one input: every POST/PUT/PATCH/DELETE route, with a valid token."""
    server = await make_server()
    event = await server.create_event()
    assert server.session is not None
    unsafe = [
        (route.method, route.resource.canonical)
        for route in server.app.router.routes()
        if route.method in UNSAFE_METHODS and route.resource is not None
    ]
    assert len(unsafe) >= 9, unsafe
    for method, path in unsafe:
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
            status, body = await server.call(
                method,
                _fill(path, event.id),
                token=ADMIN_TOKEN,
                json_body={},
                headers=headers,
            )
            assert status == 403, (method, path, body)
    stats = await server.stats(event)
    assert stats["state"] == "live" and stats["applications"] == 0


async def test_staff_calls_from_curl_still_work(make_server: MakeServer) -> None:
    server = await make_server()
    event = await server.create_event()
    status, _ = await server.apply(event, "j1", next_phone())
    assert status == 201
    _, listed = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    application_id = listed["applications"][0]["application_id"]
    path = f"/api/events/{event.id}/applications/{application_id}"
    body = {"status": "contacted"}
    status, answer = await server.call(
        "PATCH",
        path,
        token=event.staff_token,
        json_body=body,
        headers={"Origin": "https://evil.example"},
    )
    assert status == 403 and answer["error"]["fields"] == {"Origin": "not allowed"}
    status, answer = await server.call("PATCH", path, token=event.staff_token, json_body=body)
    assert status == 200 and answer["status"] == "contacted"
    status, _ = await server.call(
        "POST", f"/api/events/{event.id}/cards", token=event.host_token, json_body={"job_id": "j2"}
    )
    assert status == 201


@pytest.mark.parametrize("path", ["/ws/events/{e}", "/ws/host/{e}"])
async def test_cross_site_socket_without_origin_is_refused(
    make_server: MakeServer, path: str
) -> None:
    server = await make_server()
    event = await server.create_event()
    assert server.session is not None
    url = server.url + path.replace("{e}", event.id)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await server.session.ws_connect(url, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.value.status == 403
    ws = await server.session.ws_connect(url, headers={"Sec-Fetch-Site": "same-origin"})
    await ws.close()
