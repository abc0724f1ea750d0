"""Who may do what: every host/staff/admin endpoint refuses no token, a wrong token and another
event's token; a host token cannot mark hires or export; the host websocket wants its token
before anything; tokens never reach the logs."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest

from liveevent.web import host
from tests.support import ADMIN_TOKEN, Event, LiveServer

JOB = {"id": "j9", "employer": "比亚迪", "title": "电池装配工"}
EMPLOYER = "顺丰速运有限公司"  # the employer of job j1 (tests.support.JOBS)

# method, path ({e}: event, {a}: an application of job j1, {v}: a venue), roles allowed besides
# admin, body. Each allowed role's token must get past the check (not 401 or 403); every other
# role's token of the event, and every token of another event, gets 403.
ENDPOINTS: list[tuple[str, str, frozenset[str], Any]] = [
    ("POST", "/api/events", frozenset(), {"title": "另一场"}),
    ("GET", "/api/summary", frozenset(), None),
    ("POST", "/api/events/{e}/jobs", frozenset({"staff"}), [JOB]),
    ("POST", "/api/events/{e}/state", frozenset({"host"}), {"state": "ended"}),
    ("POST", "/api/events/{e}/cards", frozenset({"host"}), {"job_id": "j1"}),
    ("DELETE", "/api/events/{e}/cards/current", frozenset({"host"}), None),
    ("GET", "/api/events/{e}/stats", frozenset({"host", "staff"}), None),
    ("GET", "/api/events/{e}/activity", frozenset({"host", "staff"}), None),
    ("GET", "/api/events/{e}/applications", frozenset({"host", "staff"}), None),
    ("PATCH", "/api/events/{e}/applications/{a}", frozenset({"staff"}), {"status": "hired"}),
    (
        "PATCH",
        "/api/events/{e}/applications",
        frozenset({"staff"}),
        {"application_ids": ["{a}"], "status": "hired"},
    ),
    ("GET", "/api/events/{e}/export/applications.csv", frozenset({"staff"}), None),
    ("GET", "/api/events/{e}/export/hires.csv", frozenset({"staff"}), None),
    ("POST", "/api/events/{e}/outcomes", frozenset({"staff"}), None),
    ("POST", "/api/events/{e}/purge", frozenset(), None),
    ("GET", "/api/events/{e}/overlay-token", frozenset({"host"}), None),
    # issue 16: several hosts, employers at the table, venues and their stations
    ("POST", "/api/events/{e}/hosts", frozenset({"staff"}), {"name": "宁波演播室"}),
    ("GET", "/api/events/{e}/hosts", frozenset({"host", "staff"}), None),
    ("POST", "/api/events/{e}/employers", frozenset({"staff"}), {"name": EMPLOYER}),
    ("GET", "/api/events/{e}/employers", frozenset({"staff"}), None),
    ("DELETE", "/api/events/{e}/employers/" + EMPLOYER + "/tokens", frozenset({"staff"}), None),
    ("GET", "/api/events/{e}/employer", frozenset({"employer"}), None),
    ("GET", "/api/events/{e}/employer/applications", frozenset({"employer"}), None),
    (
        "PATCH",
        "/api/events/{e}/employer/applications/{a}",
        frozenset({"employer"}),
        {"status": "intent"},
    ),
    ("POST", "/api/events/{e}/venues", frozenset({"staff"}), {"name": "宁波一厅"}),
    ("GET", "/api/events/{e}/venues", frozenset({"host", "staff"}), None),
    ("POST", "/api/events/{e}/venues/{v}/stations", frozenset({"staff"}), None),
    ("DELETE", "/api/events/{e}/venues/{v}/stations", frozenset({"staff"}), None),
    ("GET", "/api/events/{e}/station", frozenset({"station"}), None),
    (
        "POST",
        "/api/events/{e}/venues/{v}/applications",
        frozenset({"station"}),
        {"job_id": "j2", "name": "李四", "phone": "13700000002", "consent": True},
    ),
    # issue 17: the replay of an ended event
    ("PUT", "/api/events/{e}/replay", frozenset({"staff"}), {"url": "https://cdn.example/r.mp4"}),
    ("DELETE", "/api/events/{e}/replay", frozenset({"staff"}), None),
    # issue 16 part 6: the fair report, and the report across fairs (admin only)
    ("GET", "/api/events/{e}/report", frozenset({"staff"}), None),
    ("GET", "/api/events/{e}/export/report.xlsx", frozenset({"staff"}), None),
    ("GET", "/api/report?from=2026-01-01&to=2026-01-31", frozenset(), None),
]
# Calls that need a scope admin has not (an employer's name, a venue's desk): admin gets 403.
ADMIN_REFUSED = {
    "/api/events/{e}/employer",
    "/api/events/{e}/employer/applications",
    "/api/events/{e}/employer/applications/{a}",
    "/api/events/{e}/station",
}


async def _setup(server: LiveServer) -> tuple[Event, Event, str]:
    event = await server.create_event()
    other = await server.create_event("另一场招聘会")
    status, body = await server.apply(event, "j1", "13700000001")
    assert status == 201, body
    return event, other, str(body["application_id"])


async def _scoped(server: LiveServer, event: Event) -> dict[str, str]:
    """The event's employer and station tokens (named grants) and the station's venue id."""
    status, employer = await server.call(
        "POST", f"/api/events/{event.id}/employers", token=ADMIN_TOKEN, json_body={"name": EMPLOYER}
    )
    assert status == 201, employer
    status, venue = await server.call(
        "POST", f"/api/events/{event.id}/venues", token=ADMIN_TOKEN, json_body={"name": "一厅"}
    )
    assert status == 201, venue
    return {
        "employer": employer["token"],
        "station": venue["station"]["token"],
        "venue": venue["venue"]["id"],
    }


def _path(template: str, event: Event, application_id: str, venue: str = "v0") -> str:
    return template.replace("{e}", event.id).replace("{a}", application_id).replace("{v}", venue)


def _body(body: Any, application_id: str) -> Any:
    return json.loads(json.dumps(body).replace("{a}", application_id)) if body else body


@pytest.mark.parametrize(("method", "template", "allowed", "body"), ENDPOINTS)
async def test_endpoint_refuses_missing_wrong_and_foreign_tokens(
    server: LiveServer, method: str, template: str, allowed: frozenset[str], body: Any
) -> None:
    event, other, application_id = await _setup(server)
    scoped, theirs = await _scoped(server, event), await _scoped(server, other)
    path = _path(template, event, application_id, scoped["venue"])
    body = _body(body, application_id)
    status, reply = await server.call(method, path, json_body=body)
    assert status == 401, (path, reply)
    assert reply["error"]["code"] == "unauthenticated"
    for header in ("", "Bearer", "Bearer ", "Basic " + ADMIN_TOKEN, ADMIN_TOKEN):
        status, _ = await server.call(
            method, path, json_body=body, headers={"Authorization": header}
        )
        assert status == 401, (path, header)

    wrong = [
        "not-a-token",
        ADMIN_TOKEN + "x",
        ADMIN_TOKEN[:-1],
        ADMIN_TOKEN.upper(),
        event.host_token[:-2],
        "x" * 4096,
        other.host_token,
        other.staff_token,
        other.overlay_token,
        event.overlay_token,
        theirs["employer"],
        theirs["station"],
    ]
    own = {
        "host": event.host_token,
        "staff": event.staff_token,
        "employer": scoped["employer"],
        "station": scoped["station"],
    }
    wrong += [t for role, t in own.items() if role not in allowed]
    if template in ADMIN_REFUSED:
        wrong.append(ADMIN_TOKEN)
    for token in wrong:
        status, reply = await server.call(method, path, token=token, json_body=body)
        assert status == 403, (path, token[:12], reply)
        assert reply["error"]["code"] == "forbidden"
    # Each role that may call it gets past the check (the answer itself is the route's test).
    right = [own[role] for role in sorted(allowed)]
    right += [] if template in ADMIN_REFUSED else [ADMIN_TOKEN]
    for token in right:
        status, reply = await server.call(method, path, token=token, json_body=body)
        assert status not in (401, 403), (path, token[:12], reply)


async def test_token_that_is_not_utf8_is_refused_not_a_crash(server: LiveServer) -> None:
    event, _, _ = await _setup(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        f"GET /api/events/{event.id}/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
        + b"Authorization: Bearer \xff\xfe\xfd\r\n\r\n"
    )
    status_line = (await reader.readline()).decode()
    writer.close()
    await writer.wait_closed()
    assert status_line.split()[1] in ("400", "403"), status_line


async def test_host_cannot_hire_or_export(server: LiveServer) -> None:
    event, _, application_id = await _setup(server)
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{application_id}",
        token=event.host_token,
        json_body={"status": "hired"},
    )
    assert status == 403
    for table in ("applications", "hires"):
        status, _ = await server.call(
            "GET", f"/api/events/{event.id}/export/{table}.csv", token=event.host_token
        )
        assert status == 403
    stats = await server.stats(event)
    assert stats["hires"] == 0
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.host_token
    )
    assert status == 200
    assert body["applications"][0]["phone"] == "137****0001"  # masked for a host


async def _host_socket(server: LiveServer, event: Event) -> aiohttp.ClientWebSocketResponse:
    assert server.session is not None
    return await server.session.ws_connect(f"{server.url}/ws/host/{event.id}")


async def _closed_with(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
    return ws.close_code


async def test_host_socket_requires_its_token_first(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(host, "AUTH_TIMEOUT_S", 0.5)
    event, other, _ = await _setup(server)

    silent = await _host_socket(server, event)  # says nothing: nothing sent, then 4401
    assert await _closed_with(silent) == 4401

    for first in (
        "not json",
        json.dumps({"type": "auth"}),
        json.dumps({"type": "auth", "token": "wrong"}),
        json.dumps({"type": "auth", "token": other.host_token}),
        json.dumps({"type": "auth", "token": event.overlay_token}),
        json.dumps({"type": "auth", "token": "\ud800"}),
        json.dumps({"type": "stats"}),
    ):
        ws = await _host_socket(server, event)
        await ws.send_str(first)
        assert await _closed_with(ws) == 4401, first

    ws = await _host_socket(server, event)
    await ws.send_bytes(json.dumps({"type": "auth", "token": event.host_token}).encode())
    assert await _closed_with(ws) == 4401  # a binary frame is not the auth message

    for token in (event.host_token, event.staff_token, ADMIN_TOKEN):
        ws = await _host_socket(server, event)
        await ws.send_str(json.dumps({"type": "auth", "token": token}))
        welcome = json.loads((await ws.receive(timeout=5)).data)
        assert welcome["type"] == "welcome"
        stats = json.loads((await ws.receive(timeout=5)).data)
        assert stats["type"] == "stats" and stats["applications"] == 1
        await ws.close()


async def test_tokens_never_appear_in_logs(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    event, other, application_id = await _setup(server)
    secrets = [
        ADMIN_TOKEN,
        event.host_token,
        event.staff_token,
        event.overlay_token,
        other.host_token,
        other.staff_token,
        "wrong-token-should-not-be-logged-either",
    ]
    # Everything that handles a token: good, wrong, another event's, over HTTP and sockets.
    for token in secrets:
        for method, template, _, body in ENDPOINTS:
            if template.endswith("/purge") or template.endswith("/state"):
                continue
            await server.call(
                method,
                _path(template, event, application_id),
                token=token,
                json_body=_body(body, application_id),
            )
        ws = await _host_socket(server, event)
        await ws.send_str(json.dumps({"type": "auth", "token": token}))
        await ws.receive(timeout=5)
        await ws.close()
    await server.call("GET", f"/overlay/{event.id}?token={event.overlay_token}")
    await server.call("GET", f"/overlay/{event.id}?token=wrong-token-should-not-be-logged-either")
    settings_text = repr(server.settings)

    logged = (
        "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
        + caplog.text
    )
    for secret in secrets:
        assert secret not in logged, "a token was logged"
        assert secret not in settings_text
    assert str(server.settings.redis_url) == "Secret('**********')"
