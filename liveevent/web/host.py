"""The host's and staff's live numbers: ``GET /ws/host/{event_id}``.

The first message must be ``{"type": "auth", "token": "<host, staff or admin token>"}`` within
``AUTH_TIMEOUT_S``; nothing is sent before it. Then a ``stats`` message (the same fields as
``GET /stats``) every ``INTERVAL_S`` while anything changes, and at least every 10 s. The
figures are computed once per event per tick on this node and shared by all its consoles
(``web/stats_feed.py``).

Frames go through the viewer socket's decoder (``frames.decode``) and limits: at most
``max_message_bytes`` a frame (past it: 1009), the message budget (past it: 1008), a place
under ``max_sockets_per_ip`` (past it: 1008). A first message that is not a valid auth (not
JSON, nested too deep, binary, no or a wrong token) closes the socket with 4401. A client that
goes away, politely or not, is an ordinary end: nothing is logged as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from liveevent.errors import LiveEventError
from liveevent.web import api, budget
from liveevent.web.appkeys import EVENTS, FLOODS, LIMITS, SETTINGS, STATS_FEED, WEBSOCKETS
from liveevent.web.auth import require_role
from liveevent.web.frames import decode
from liveevent.web.origin import check_origin

AUTH_TIMEOUT_S = 5.0
INTERVAL_S = 1.0
CLOSE_UNAUTHORIZED = 4401
# How long a close waits for the client's answer (aiohttp's default is 10 s).
CLOSE_TIMEOUT_S = 2.0


async def host_socket(request: web.Request) -> web.StreamResponse:
    """``GET /ws/host/{event_id}``: the websocket of the module docstring (RFC 6455).

    Returns the closed ``WebSocketResponse``. Raises before the upgrade only: ``Forbidden``
    (403, a foreign ``Origin``), ``NotFound`` (404), ``StoreUnavailable`` (503); after it,
    every problem is a close code (1008, 1009, 4401) and the handler returns.
    """
    settings = request.app[SETTINGS]
    check_origin(request)
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    ws = web.WebSocketResponse(
        heartbeat=settings.ping_interval_s,
        # Pings and pongs come to us, so that they are charged to the budget like any frame
        # (aiohttp's heartbeat still sees them: any frame counts as a sign of life).
        autoping=False,
        max_msg_size=settings.max_message_bytes,
        compress=False,
        timeout=CLOSE_TIMEOUT_S,
    )
    ip = api.client_ip(request)
    await budget.cool_down(request.app[FLOODS], ip)
    budget.small_receive_buffer(request.transport)
    try:
        await ws.prepare(request)
    except ConnectionError:
        return ws  # gone before the upgrade (while the event was looked up): nothing to do
    request.app[WEBSOCKETS].add(ws)
    # Anyone may open this socket until its first message is checked: it takes a place under
    # the same per-address cap as a viewer socket, or one address could hold any number.
    limits = request.app[LIMITS]
    if not limits.open_socket(ip):
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many connections")
        return ws
    allowance = budget.budget_for(settings, asyncio.get_running_loop().time())
    budget.meter_bytes(request.transport, allowance, settings)
    messages = budget.read(ws, allowance, request.transport)
    try:
        role = await _authenticate(request, ws, event_id, messages)
        if role is None:
            return ws
        await ws.send_json({"type": "welcome", "role": role})
        sender = asyncio.create_task(_send_stats(request, ws, event_id))
        try:
            async for msg in messages:  # the host sends nothing more; only pings are answered
                if msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    except ConnectionError:
        pass  # the client went away while we wrote to it: an ordinary end
    finally:
        limits.close_socket(ip)
        await messages.aclose()
        if allowance.over:
            request.app[FLOODS].record(ip, asyncio.get_running_loop().time())
    return ws


async def _authenticate(
    request: web.Request,
    ws: web.WebSocketResponse,
    event_id: str,
    messages: AsyncGenerator[WSMessage, None],
) -> str | None:
    """The role of a valid first message's token, or None (the socket then closed)."""
    token: object = None
    try:
        async with asyncio.timeout(AUTH_TIMEOUT_S):
            async for msg in messages:
                if msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                    continue
                if msg.type == WSMsgType.TEXT:
                    token = decode(msg.data, binary=False).get("token")
                break
        transport = request.transport
        if ws.closed or transport is None or transport.is_closing():
            return None  # over budget, too big, or gone: already closed with its own code
        # Tokens are URL-safe ASCII; anything else (a lone surrogate) cannot be one.
        if isinstance(token, str) and token.isascii():
            return await require_role(request, event_id, ("host", "staff"), token=token)
    except (TimeoutError, LiveEventError):
        pass
    await ws.close(code=CLOSE_UNAUTHORIZED, message=b"auth required")
    return None


async def _send_stats(request: web.Request, ws: web.WebSocketResponse, event_id: str) -> None:
    last = None
    quiet = 0.0
    feed = request.app[STATS_FEED]
    async for message in feed.messages(event_id):  # one computation per tick for all consoles
        if ws.closed:
            return
        if message is not None and (message != last or quiet >= 10):
            try:
                await ws.send_str(message)
            except ConnectionError:
                return  # the host closed the page: the reader ends the socket
            last, quiet = message, 0.0
        quiet += feed.interval_s
