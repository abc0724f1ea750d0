"""Test helpers: a liveevent server on a loopback port, and clients that speak its API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from liveevent.config import Settings
from liveevent.store.embedded import free_port
from liveevent.web.app import create_app

ADMIN_TOKEN = "admin-test-token-0123456789"

JOBS = [
    {
        "id": "j1",
        "employer": "顺丰速运有限公司",
        "title": "片区运营主管",
        "openings": 20,
        "salary": "9-15千/月",
        "location": "深圳-南山区",
    },
    {"id": "j2", "employer": "国家电网北京电力公司", "title": "输电线路运维员", "openings": 15},
    {"id": "j3", "employer": "京东物流", "title": "仓储管理员", "openings": 40},
]


async def eventually(
    predicate: Callable[[], bool | Awaitable[bool]], timeout_s: float, step_s: float = 0.02
) -> bool:
    """Poll ``predicate`` (a plain or an async check) until it holds (True) or ``timeout_s``
    passes (False): how a test waits for something to happen, instead of sleeping."""
    deadline = time.monotonic() + timeout_s
    while True:
        held = predicate()
        if not isinstance(held, bool):
            held = await held
        if held:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step_s)


@dataclass
class Event:
    """An event created through the API, with its tokens."""

    id: str
    host_token: str
    staff_token: str
    overlay_token: str
    raw: dict[str, Any] = field(default_factory=dict)


class LiveServer:
    """A real liveevent server (the app factory, a TCP site) on 127.0.0.1."""

    def __init__(self, settings: Settings, *, port: int | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        self.runner: web.AppRunner | None = None
        self.session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app

    async def start(self) -> None:
        self.runner = web.AppRunner(
            create_app(self.settings), access_log=None, shutdown_timeout=5.0
        )
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        # No connection limit: every open viewer socket holds one connection.
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # HTTP ---------------------------------------------------------------------------------
    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, decoded JSON body, text, or bytes for a binary download such as a
        workbook) of one request."""
        assert self.session is not None
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, self.url + path, json=json_body, data=data, headers=all_headers
        ) as resp:
            if resp.content_type.startswith("application/vnd."):  # .xlsx: not text
                return resp.status, await resp.read()
            text = await resp.text()
            if resp.content_type == "application/json":
                return resp.status, json.loads(text)
            return resp.status, text

    async def create_event(
        self,
        title: str = "退役军人专场招聘会",
        *,
        live: bool = True,
        jobs: list[dict[str, Any]] | None = None,
    ) -> Event:
        status, body = await self.call(
            "POST", "/api/events", token=ADMIN_TOKEN, json_body={"title": title}
        )
        assert status == 201, body
        event = Event(
            body["id"], body["host_token"], body["staff_token"], body["overlay_token"], body
        )
        status, body = await self.call(
            "POST", f"/api/events/{event.id}/jobs", token=event.staff_token, json_body=jobs or JOBS
        )
        assert status in (200, 201), body
        if live:
            status, body = await self.call(
                "POST",
                f"/api/events/{event.id}/state",
                token=event.host_token,
                json_body={"state": "live"},
            )
            assert status == 200, body
        return event

    async def push(self, event: Event, job_id: str) -> dict[str, Any]:
        status, body = await self.call(
            "POST",
            f"/api/events/{event.id}/cards",
            token=event.host_token,
            json_body={"job_id": job_id},
        )
        assert status == 201, body
        return body  # type: ignore[no-any-return]

    async def apply(
        self, event: Event, job_id: str, phone: str, name: str = "张三", **extra: Any
    ) -> tuple[int, Any]:
        return await self.call(
            "POST",
            f"/api/events/{event.id}/applications",
            json_body={"job_id": job_id, "name": name, "phone": phone, **extra},
        )

    async def stats(self, event: Event) -> dict[str, Any]:
        status, body = await self.call(
            "GET", f"/api/events/{event.id}/stats", token=event.staff_token
        )
        assert status == 200, body
        return body  # type: ignore[no-any-return]

    # websockets ---------------------------------------------------------------------------
    async def viewer(
        self,
        event: Event,
        *,
        since: str | None = None,
        session: aiohttp.ClientSession | None = None,
        **kwargs: Any,
    ) -> ViewerClient:
        session = session or self.session
        assert session is not None
        path = f"/ws/events/{event.id}" + (f"?since={since}" if since else "")
        ws = await session.ws_connect(self.url + path, **kwargs)
        return ViewerClient(ws)


class ViewerClient:
    """A viewer socket that reads JSON messages, skipping the periodic viewer counts."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def next(self, *, within_s: float = 5.0, skip_viewers: bool = True) -> dict[str, Any]:
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), within_s)
            if msg.type == aiohttp.WSMsgType.TEXT:
                message: dict[str, Any] = json.loads(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                import msgpack

                message = msgpack.unpackb(msg.data, raw=False)
            else:
                raise ConnectionError(f"socket closed: {msg.type} {msg.data!r}")
            if skip_viewers and message.get("type") == "viewers":
                continue
            return message

    async def next_of(self, kind: str, *, within_s: float = 5.0) -> dict[str, Any]:
        while True:
            message = await self.next(within_s=within_s)
            if message.get("type") == kind:
                return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def close(self) -> None:
        await self.ws.close()
