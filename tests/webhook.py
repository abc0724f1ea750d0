"""A real webhook receiver for the notifier's tests: aiohttp on a free loopback port.

It checks each POST's signature (``domain.notices.verify``) and records every delivery's
idempotency key. ``mode`` makes it fail as gateways do: ``"ok"`` answers 200, ``"fail"`` 500,
``"hang"`` holds the request past the sender's timeout (and answers 503 when it wakes up),
``"refuse"`` 400. ``hold`` (an ``asyncio.Event``) lets a test keep requests open until it says.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

from aiohttp import web

from liveevent.domain import notices
from liveevent.store.embedded import free_port


class Receiver:
    """A local webhook. ``accepted``: keys answered 200 (in order, repeats kept);
    ``seen``: every request's key; ``bad_signatures``: requests that failed the check."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.port = free_port()
        self.mode = "ok"
        self.hang_s = 30.0
        self.delay_s = 0.0  # every answer waits this long (sends are then in flight at a stop)
        self.accepted: list[str] = []
        self.seen: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.hold: asyncio.Event | None = None
        self.arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def distinct(self) -> int:
        return len(set(self.accepted))

    def repeats(self) -> dict[str, int]:
        return {k: n for k, n in Counter(self.accepted).items() if n > 1}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        ok = notices.verify(
            self.secret,
            timestamp=request.headers.get(notices.TIMESTAMP_HEADER, ""),
            body=body,
            signature=request.headers.get(notices.SIGNATURE_HEADER, ""),
            now_s=time.time(),
        )
        if not ok:
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        key = request.headers[notices.IDEMPOTENCY_HEADER]
        decoded = json.loads(body)
        assert decoded["idempotency_key"] == key
        self.seen.append(key)
        if self.mode == "take_then_hold":  # the receiver acts, then the sender dies
            self.accepted.append(key)
            self.bodies.append(decoded)
            self.arrived.set()
            assert self.hold is not None
            await self.hold.wait()
            return web.json_response({"ok": True, "id": key})
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.mode == "fail":
            return web.json_response({"error": "gateway down"}, status=500)
        if self.mode == "refuse":
            return web.json_response({"error": "unknown recipient"}, status=400)
        if self.mode == "hang":
            await asyncio.sleep(self.hang_s)
            return web.json_response({"error": "too late"}, status=503)
        self.accepted.append(key)
        self.bodies.append(decoded)
        return web.json_response({"ok": True, "id": key})
