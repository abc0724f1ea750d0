"""The host's live numbers: ``GET /ws/host/{event_id}``.

The first message must be ``{"type": "auth", "token": "<host, staff or admin token>"}`` within
``AUTH_TIMEOUT_S``; nothing is sent before it. Then a ``stats`` message (the same fields as
``GET /stats``) every ``INTERVAL_S`` while anything changes, and at least every 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSMsgType, web

from liveevent.errors import LiveEventError
from liveevent.web import api
from liveevent.web.appkeys import EVENTS, SETTINGS, WEBSOCKETS
from liveevent.web.auth import require_role
from liveevent.web.origin import check_origin

AUTH_TIMEOUT_S = 5.0
INTERVAL_S = 1.0
CLOSE_UNAUTHORIZED = 4401


async def host_socket(request: web.Request) -> web.StreamResponse:
    check_origin(request)
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    ws = web.WebSocketResponse(
        heartbeat=request.app[SETTINGS].ping_interval_s, max_msg_size=4096, compress=False
    )
    await ws.prepare(request)
    request.app[WEBSOCKETS].add(ws)
    try:
        first = await ws.receive(timeout=AUTH_TIMEOUT_S)
        message = json.loads(first.data) if first.type == WSMsgType.TEXT else None
        token = message.get("token") if isinstance(message, dict) else None
        if not isinstance(token, str):
            raise ValueError("no token")
        role = await require_role(request, event_id, ("host", "staff"), token=token)
    except (TimeoutError, ValueError, LiveEventError):
        await ws.close(code=CLOSE_UNAUTHORIZED, message=b"auth required")
        return ws
    await ws.send_json({"type": "welcome", "role": role})
    sender = asyncio.create_task(_send_stats(request, ws, event_id))
    try:
        async for _msg in ws:  # the host sends nothing more; reading keeps pings flowing
            pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _send_stats(request: web.Request, ws: web.WebSocketResponse, event_id: str) -> None:
    last = None
    quiet = 0.0
    while not ws.closed:
        try:
            stats = await api.event_stats(request.app, event_id)
        except LiveEventError:
            stats = None
        if stats is not None and (stats != last or quiet >= 10):
            await ws.send_json({"type": "stats", **stats})
            last, quiet = stats, 0.0
        await asyncio.sleep(INTERVAL_S)
        quiet += INTERVAL_S
